package io.agentprovision.cloudflare.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Cloudflare's timestamps read digit by digit give exactly what the JDK's parsers give (the reading
 * before this one): the same instant for every text either reads, and absent for every text neither
 * reads, the common shape's edges and bad input included.
 */
class TimestampsTest {

  /** What the adapter read before: {@link Instant#parse}, then {@link OffsetDateTime#parse}, else absent. */
  private static Instant reference(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  @Test
  void commonShapes_areReadWithoutTheFormatter() {
    assertThat(Timestamps.common("2026-11-02T09:00:00Z")).isEqualTo(Instant.parse("2026-11-02T09:00:00Z"));
    assertThat(Timestamps.common("2026-11-01T00:00:00.123456Z")).isEqualTo(Instant.parse("2026-11-01T00:00:00.123456Z"));
    assertThat(Timestamps.common("2026-11-01T00:00:00.1Z")).isEqualTo(Instant.parse("2026-11-01T00:00:00.100Z"));
    assertThat(Timestamps.common("2026-11-01T00:00:00.123456789Z")).isEqualTo(Instant.ofEpochSecond(1_793_491_200L, 123_456_789));
    assertThat(Timestamps.common("2026-11-02T11:30:00+02:30")).isEqualTo(Instant.parse("2026-11-02T09:00:00Z"));
    assertThat(Timestamps.common("2026-11-02T01:00:00.5-08:00")).isEqualTo(Instant.parse("2026-11-02T09:00:00.5Z"));
    assertThat(Timestamps.common("2024-02-29T23:59:59Z")).as("a leap day").isEqualTo(Instant.parse("2024-02-29T23:59:59Z"));
    assertThat(Timestamps.common("1969-12-31T23:59:59.999Z")).as("before the epoch")
        .isEqualTo(Instant.ofEpochSecond(-1, 999_000_000));
    assertThat(Timestamps.common("2026-01-01T00:30:00+01:00")).as("an offset across the year's start")
        .isEqualTo(Instant.parse("2025-12-31T23:30:00Z"));
  }

  @Test
  void rareShapes_goToTheJdkParsers_andReadAsBefore() {
    assertThat(Timestamps.parse("2026-11-02T09:00Z")).as("seconds left out, as OffsetDateTime reads it")
        .isEqualTo(Instant.parse("2026-11-02T09:00:00Z"));
    // each left to the slower parsers, which read it or not as they always did
    List<String> rare = List.of("2026-11-02t09:00:00z", "2026-11-02T23:59:60Z", "2026-11-02T24:00:00Z",
        "+12026-11-02T09:00:00Z", "2026-11-02T09:00:00+18:00", "2026-11-02T09:00:00-18:00", "2026-11-02T09:00:00+02:00:30",
        "2026-11-02T09:00:00+0200", "2026-11-02T09:00:00+02", "2026-11-02T09:00Z", "2026-11-02T11:00+02:00",
        "2026-11-02T09:00:00.Z");
    for (String s : rare) {
      assertThat(Timestamps.common(s)).as(s).isNull();
      assertThat(Timestamps.parse(s)).as(s).isEqualTo(reference(s));
    }
  }

  @Test
  void badInput_isAbsent_asBefore() {
    List<String> bad = List.of("not a date", "", "2026-11-02", "2026-11-02T09Z", "2026-11-02T09:00:00",
        "2026-02-30T09:00:00Z", "2026-13-02T09:00:00Z", "2026-00-02T09:00:00Z", "2026-11-00T09:00:00Z",
        "2026-11-02T25:00:00Z", "2026-11-02T09:60:00Z", "2026-11-02T09:00:00.1234567891Z",
        "2026-11-02T09:00:00ZZ", "2026-11-02T09:00:00Z ", "2026-11-02T09:00:00+2:00", "2026-11-02T09:00:00+02:60",
        "2026-11-02 09:00:00Z", "2026/11/02T09:00:00Z", "2O26-11-02T09:00:00Z", "2026-11-02T09:00:00.12a4Z",
        "2026-11-02T09:00:00\u0661Z", "2026-11-02T09:00:00.5+02:00x");
    for (String s : bad) {
      assertThat(reference(s)).as("the JDK reads %s", s).isNull();
      assertThat(Timestamps.parse(s)).as(s).isNull();
    }
  }

  @Test
  void manyTextsNearTheCommonShape_readAsTheJdkReadsThem() {
    Random random = new Random(16);
    String alphabet = "0123456789-:T.Z+ z";
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      Instant t = Instant.ofEpochSecond(random.nextLong() % 4_000_000_000L, random.nextInt(1_000_000_000));
      StringBuilder s = new StringBuilder(i % 3 == 0 ? t.toString()
          : OffsetDateTime.ofInstant(t, java.time.ZoneOffset.ofTotalSeconds((random.nextInt(36) - 18) * 1800)).toString());
      // about half the texts get one character changed, dropped or added
      switch (random.nextInt(6)) {
        case 0 -> s.setCharAt(random.nextInt(s.length()), alphabet.charAt(random.nextInt(alphabet.length())));
        case 1 -> s.deleteCharAt(random.nextInt(s.length()));
        case 2 -> s.insert(random.nextInt(s.length() + 1), alphabet.charAt(random.nextInt(alphabet.length())));
        default -> { }
      }
      texts.add(s.toString());
    }
    int readFast = 0;
    for (String s : texts) {
      Instant expected = reference(s);
      assertThat(Timestamps.parse(s)).as(s).isEqualTo(expected);
      if (Timestamps.common(s) != null) {
        readFast++;
        assertThat(expected).as("the JDK reads %s too", s).isNotNull();
      }
    }
    assertThat(readFast).as("most texts take the fast path").isGreaterThan(texts.size() / 3);
  }
}
