package io.agentprovision.core.policy;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;

/**
 * The period over which a {@link SpendLimit} accumulates. Calendar intervals start at midnight in
 * the policy's zone (UTC by default): days, ISO weeks (Monday), months, years.
 */
public enum SpendInterval {
  /** Each single spend on its own; nothing accumulates. */
  PER_TRANSACTION,
  DAILY,
  WEEKLY,
  MONTHLY,
  YEARLY,
  /** Everything ever spent. */
  ALL_TIME;

  /** The window {@code [start, end)} that contains {@code at}; for {@link #PER_TRANSACTION}, the instant alone. */
  public Window windowAt(Instant at, ZoneId zone) {
    LocalDate day = at.atZone(zone).toLocalDate();
    LocalDate start;
    LocalDate end;
    switch (this) {
      case PER_TRANSACTION:
        return new Window(at, at);
      case ALL_TIME:
        return new Window(Instant.EPOCH, Instant.MAX);
      case DAILY:
        start = day;
        end = day.plusDays(1);
        break;
      case WEEKLY:
        start = day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        end = start.plusWeeks(1);
        break;
      case MONTHLY:
        start = day.withDayOfMonth(1);
        end = start.plusMonths(1);
        break;
      case YEARLY:
        start = day.withDayOfYear(1);
        end = start.plusYears(1);
        break;
      default:
        throw new AssertionError(this);
    }
    return new Window(startOf(start, zone), startOf(end, zone));
  }

  private static Instant startOf(LocalDate d, ZoneId zone) {
    return ZonedDateTime.of(d.atStartOfDay(), zone).toInstant();
  }

  /** A half-open time window {@code [start, end)}. */
  public record Window(Instant start, Instant end) {
    /** Whether {@code t} lies in the window. */
    public boolean contains(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }
  }
}
