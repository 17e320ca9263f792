package io.agentprovision.core.internal.audit;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * {@link Instant#toString()}'s text (ISO-8601 in UTC: {@code 2026-12-06T17:00:00.123Z}, the fraction
 * in groups of three digits, none when zero) appended without the formatter machinery behind it,
 * which cost more than the rest of an audit entry's body. Years outside 0000–9999 are left to
 * {@link Instant#toString()}.
 */
final class Instants {
  /** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z. */
  private static final long MIN_SECOND = -62_167_219_200L;
  private static final long END_SECOND = 253_402_300_800L;

  private Instants() {}

  static void appendIso(StringBuilder sb, Instant t) {
    long sec = t.getEpochSecond();
    if (sec < MIN_SECOND || sec >= END_SECOND) {
      sb.append(t);
      return;
    }
    LocalDateTime d = LocalDateTime.ofEpochSecond(sec, 0, ZoneOffset.UTC);
    digits(sb, d.getYear(), 4);
    sb.append('-');
    digits(sb, d.getMonthValue(), 2);
    sb.append('-');
    digits(sb, d.getDayOfMonth(), 2);
    sb.append('T');
    digits(sb, d.getHour(), 2);
    sb.append(':');
    digits(sb, d.getMinute(), 2);
    sb.append(':');
    digits(sb, d.getSecond(), 2);
    int nano = t.getNano();
    if (nano > 0) {
      sb.append('.');
      if (nano % 1_000_000 == 0) {
        digits(sb, nano / 1_000_000, 3);
      } else if (nano % 1000 == 0) {
        digits(sb, nano / 1000, 6);
      } else {
        digits(sb, nano, 9);
      }
    }
    sb.append('Z');
  }

  /** {@code v} (not negative) with leading zeros to {@code width} digits. */
  private static void digits(StringBuilder sb, int v, int width) {
    for (int p = width - 1, div = pow10(p); p >= 0; p--, div /= 10) {
      sb.append((char) ('0' + (v / div) % 10));
    }
  }

  private static int pow10(int p) {
    int r = 1;
    for (int i = 0; i < p; i++) {
      r *= 10;
    }
    return r;
  }
}
