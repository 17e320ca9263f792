package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.policy.SpendInterval.Window;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpendIntervalTest {
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");

  private static Window window(SpendInterval i, String at, ZoneId zone) {
    return i.windowAt(Instant.parse(at), zone);
  }

  private static Window w(String start, String end) {
    return new Window(Instant.parse(start), Instant.parse(end));
  }

  @ParameterizedTest
  @CsvSource({
      "DAILY,   2026-11-02T09:00:00Z, 2026-11-02T00:00:00Z, 2026-11-03T00:00:00Z",
      "DAILY,   2026-11-02T00:00:00Z, 2026-11-02T00:00:00Z, 2026-11-03T00:00:00Z",
      "DAILY,   2026-11-01T23:59:59.999Z, 2026-11-01T00:00:00Z, 2026-11-02T00:00:00Z",
      "MONTHLY, 2026-01-31T23:59:59Z, 2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z",
      "MONTHLY, 2026-02-01T00:00:00Z, 2026-02-01T00:00:00Z, 2026-03-01T00:00:00Z",
      "MONTHLY, 2028-02-29T12:00:00Z, 2028-02-01T00:00:00Z, 2028-03-01T00:00:00Z",
      "MONTHLY, 2026-12-31T23:00:00Z, 2026-12-01T00:00:00Z, 2027-01-01T00:00:00Z",
      "YEARLY,  2026-12-31T23:59:59Z, 2026-01-01T00:00:00Z, 2027-01-01T00:00:00Z",
      "YEARLY,  2027-01-01T00:00:00Z, 2027-01-01T00:00:00Z, 2028-01-01T00:00:00Z",
      "WEEKLY,  2026-11-01T12:00:00Z, 2026-10-26T00:00:00Z, 2026-11-02T00:00:00Z",
      "WEEKLY,  2026-11-02T00:00:00Z, 2026-11-02T00:00:00Z, 2026-11-09T00:00:00Z",
      "WEEKLY,  2027-01-01T08:00:00Z, 2026-12-28T00:00:00Z, 2027-01-04T00:00:00Z"})
  void windowAt_inUtc_startsAtMidnight(SpendInterval interval, String at, String start, String end) {
    assertThat(window(interval, at, SpendPolicy.DEFAULT_ZONE)).isEqualTo(w(start, end));
  }

  @Test
  void windowAt_inNewYork_followsLocalMidnightAcrossTheDstChange() {
    // 2026-11-02T03:00Z is 22:00 on Sunday 1 November in New York, the day clocks go back: 25 hours
    Window day = window(SpendInterval.DAILY, "2026-11-02T03:00:00Z", NEW_YORK);

    assertThat(day).isEqualTo(w("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"));
    assertThat(Duration.between(day.start(), day.end())).isEqualTo(Duration.ofHours(25));
    assertThat(window(SpendInterval.DAILY, "2026-11-02T03:00:00Z", ZoneOffset.UTC).start())
        .isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
  }

  @Test
  void windowAt_inTokyo_movesMonthAndYearBoundaries() {
    // 15:00 UTC on 31 January is already 1 February in Tokyo
    assertThat(window(SpendInterval.MONTHLY, "2026-01-31T15:00:00Z", TOKYO))
        .isEqualTo(w("2026-01-31T15:00:00Z", "2026-02-28T15:00:00Z"));
    assertThat(window(SpendInterval.MONTHLY, "2026-01-31T14:59:59Z", TOKYO))
        .isEqualTo(w("2025-12-31T15:00:00Z", "2026-01-31T15:00:00Z"));
    assertThat(window(SpendInterval.YEARLY, "2026-12-31T15:00:00Z", TOKYO))
        .isEqualTo(w("2026-12-31T15:00:00Z", "2027-12-31T15:00:00Z"));
    // Sunday 1 November 23:30 UTC is Monday 2 November in Tokyo: a new ISO week
    assertThat(window(SpendInterval.WEEKLY, "2026-11-01T23:30:00Z", TOKYO))
        .isEqualTo(w("2026-11-01T15:00:00Z", "2026-11-08T15:00:00Z"));
  }

  @Test
  void windowAt_perTransaction_isTheInstantAloneAndHoldsNothing() {
    Instant at = Instant.parse("2026-11-02T09:00:00Z");
    Window one = SpendInterval.PER_TRANSACTION.windowAt(at, ZoneOffset.UTC);

    assertThat(one).isEqualTo(new Window(at, at));
    assertThat(one.contains(at)).isFalse();
  }

  @Test
  void windowAt_allTime_holdsEverything() {
    Window all = window(SpendInterval.ALL_TIME, "2026-11-02T09:00:00Z", TOKYO);

    assertThat(all.contains(Instant.EPOCH)).isTrue();
    assertThat(all.contains(Instant.parse("2999-01-01T00:00:00Z"))).isTrue();
  }

  @Test
  void window_isHalfOpen() {
    Window day = w("2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z");

    assertThat(day.contains(Instant.parse("2026-11-02T00:00:00Z"))).isTrue();
    assertThat(day.contains(Instant.parse("2026-11-02T23:59:59.999999999Z"))).isTrue();
    assertThat(day.contains(Instant.parse("2026-11-03T00:00:00Z"))).isFalse();
    assertThat(day.contains(Instant.parse("2026-11-01T23:59:59Z"))).isFalse();
  }
}
