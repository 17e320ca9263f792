package io.agentprovision.cloudflare.internal;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * Cloudflare's RFC 3339 timestamps read into instants. The shape Cloudflare writes almost always
 * ({@code 2026-11-02T09:00:00Z}, {@code 2026-11-01T00:00:00.123456Z}, now and then an offset such as
 * {@code +02:00}) is read digit by digit: {@link Instant#parse}'s formatter machinery cost more than
 * the rest of an answer's binding on the provisioning flow's critical path. Anything else (a leap
 * second, the hour 24, a five-digit year, lower-case letters, a date that does not exist, text that
 * is no timestamp) goes to {@link Instant#parse} and then {@link OffsetDateTime#parse}, as before,
 * so both paths read every text alike.
 */
final class Timestamps {
  private Timestamps() {}

  /** The instant {@code s} names, or null when neither parser reads it. */
  static @Nullable Instant parse(String s) {
    Instant fast = common(s);
    if (fast != null) {
      return fast;
    }
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

  /**
   * {@code yyyy-MM-ddTHH:mm:ss}, a fraction of 1–9 digits or none, then {@code Z} or {@code ±HH:mm};
   * null for any other text, and for values outside the ranges both slower parsers accept without a
   * second look (they then decide).
   */
  static @Nullable Instant common(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59) {
      return null;
    }
    int i = 19;
    int nano = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
        nano = nano * 10 + (s.charAt(i) - '0');
        i++;
      }
      int count = i - start;
      if (count == 0 || (i < n && isDigit(s.charAt(i)))) {
        return null;
      }
      for (int k = count; k < 9; k++) {
        nano *= 10;
      }
    }
    int offsetSeconds;
    if (i == n - 1 && s.charAt(i) == 'Z') {
      offsetSeconds = 0;
    } else if (i == n - 6 && (s.charAt(i) == '+' || s.charAt(i) == '-') && s.charAt(i + 3) == ':') {
      int oh = digits(s, i + 1, 2);
      int om = digits(s, i + 4, 2);
      if (oh < 0 || oh > 17 || om < 0 || om > 59) {
        return null;
      }
      offsetSeconds = (oh * 3600 + om * 60) * (s.charAt(i) == '-' ? -1 : 1);
    } else {
      return null;
    }
    try {
      long epochDay = LocalDate.of(year, month, day).toEpochDay();
      return Instant.ofEpochSecond(epochDay * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds, nano);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** The number the {@code count} digits at {@code from} write, or -1 when one is no ASCII digit. */
  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
