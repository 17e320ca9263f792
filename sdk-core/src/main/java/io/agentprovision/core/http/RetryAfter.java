package io.agentprovision.core.http;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code Retry-After} header in both of its forms: delta seconds ({@code 120}) and an
 * HTTP date ({@code Mon, 02 Nov 2026 09:01:00 GMT}). The {@link HttpStack} honours it on every
 * retry; adapters use it to tell callers when to try again.
 *
 * <pre>{@code
 * Duration wait = RetryAfter.of(response, clock);   // null when absent or unreadable
 * }</pre>
 */
public final class RetryAfter {
  private RetryAfter() {}

  /** The wait a response's {@code Retry-After} asks for, measured from {@code clock}'s now; null when absent or unreadable. */
  public static @Nullable Duration of(Response response, Clock clock) {
    return parse(response.header("Retry-After"), clock.instant());
  }

  /**
   * Parses a {@code Retry-After} value: delta seconds or an HTTP date (a date in the past means
   * "now"); null when absent, negative or unreadable.
   */
  public static @Nullable Duration parse(@Nullable String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    try {
      long s = Long.parseLong(v);
      return s < 0 ? null : Duration.ofSeconds(s);
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT)).toInstant();
        Duration d = Duration.between(now, at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }
}
