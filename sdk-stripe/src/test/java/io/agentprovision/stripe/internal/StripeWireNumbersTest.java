package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Stripe's integers and times are read by hand, not by regular expressions and the date formatter:
 * for any text, the result is exactly what the rules they replace give (the patterns, then
 * {@link Instant#parse} and {@link OffsetDateTime#parse}), including which texts are refused.
 */
class StripeWireNumbersTest {
  private static final String[] PIECES = {"0", "1", "9", "5", "-", "+", ".", "0", "00", "e", " ", "a", "٣", "12",
      "9223372036854775807", "9223372036854775808", "Z", "T", ":"};

  private static Long integerByPattern(String text) {
    return StripeWire.INTEGER.matcher(text).matches() ? parse(text) : null;
  }

  private static Long integralByPattern(String text) {
    return StripeWire.INTEGRAL_NUMBER.matcher(text).matches() ? parse(text.replaceFirst("\\.0+$", "")) : null;
  }

  private static Long parse(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The reading of a time before it was done by hand. */
  private static Instant instantByFormatter(String text) {
    try {
      if (StripeWire.INTEGRAL_NUMBER.matcher(text).matches()) {
        return Instant.ofEpochSecond(Long.parseLong(text.replaceFirst("\\.0+$", "")));
      }
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        return OffsetDateTime.parse(text).toInstant();
      }
    } catch (DateTimeException | NumberFormatException e) {
      return null;
    }
  }

  @Test
  void integers_readAsThePatternsSay() {
    Random r = new Random(5);
    List<String> texts = new ArrayList<>(List.of("", "-", "0", "-0", "10.", "10.0", "10.000", ".0", "-.0", "1.5",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999", "1e5", "+1",
        "0010", "10.0.0", "٣"));
    for (int i = 0; i < 50_000; i++) {
      StringBuilder sb = new StringBuilder();
      for (int k = r.nextInt(5); k >= 0; k--) {
        sb.append(PIECES[r.nextInt(PIECES.length)]);
      }
      texts.add(sb.toString());
    }
    for (String t : texts) {
      assertThat(StripeWire.integer(t)).as("'%s' as text", t).isEqualTo(integerByPattern(t));
      assertThat(StripeWire.integralNumber(t)).as("'%s' as a number", t).isEqualTo(integralByPattern(t));
    }
  }

  @Test
  void times_readAsTheFormatterReadsThem() {
    Random r = new Random(9);
    List<String> texts = new ArrayList<>(List.of("2026-12-06T17:00:00Z", "2026-12-06T17:00:00.123Z",
        "2026-12-06T17:00:00.123456789Z", "2026-12-06T17:00:00.1234567890Z", "2026-12-06T17:00:00.Z",
        "2026-12-06t17:00:00z", "2026-12-06T17:00:00+01:00", "2026-12-06T17:00:00.5-08:00", "2024-02-29T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-12-00T00:00:00Z",
        "2026-12-06T24:00:00Z", "2026-12-06T23:60:00Z", "2026-12-06T23:59:60Z", "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z", "+10000-01-01T00:00:00Z", "2026-12-06 17:00:00Z", "1796000000",
        "1796000000.0", "2026-12-06T17:00Z", "2026-1-06T17:00:00Z", "２026-12-06T17:00:00Z"));
    for (int i = 0; i < 30_000; i++) {
      Instant t = Instant.ofEpochSecond(r.nextLong() % 250_000_000_000L, r.nextInt(3) == 0 ? 0 : r.nextInt(1_000_000_000));
      String s = t.toString();
      texts.add(s);
      // a character changed here and there: refused alike, or read alike
      char[] c = s.toCharArray();
      c[r.nextInt(c.length)] = "0123456789-:.TZ x".charAt(r.nextInt(17));
      texts.add(new String(c));
    }
    for (String t : texts) {
      assertThat(StripeWire.InstantFactory.instant(t)).as("'%s'", t).isEqualTo(instantByFormatter(t));
    }
  }
}
