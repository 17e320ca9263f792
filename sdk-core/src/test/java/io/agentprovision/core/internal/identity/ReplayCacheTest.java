package io.agentprovision.core.internal.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReplayCacheTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void record_keepsAnEntryUntilItExpires() {
    ReplayCache c = new ReplayCache(10);
    c.record("a", T0.plusSeconds(60), T0);

    assertThat(c.seen("a", T0.plusSeconds(59))).isTrue();
    assertThat(c.seen("a", T0.plusSeconds(60))).isFalse();
    assertThat(c.seen("b", T0)).isFalse();
  }

  @Test
  void record_whenFull_dropsExpiredThenTheSoonestToExpire() {
    ReplayCache c = new ReplayCache(2);
    c.record("old", T0.plusSeconds(10), T0);
    c.record("late", T0.plusSeconds(600), T0);
    c.record("new", T0.plusSeconds(300), T0.plusSeconds(20)); // "old" has expired

    assertThat(c.size()).isEqualTo(2);
    assertThat(c.seen("late", T0.plusSeconds(20))).isTrue();
    c.record("newer", T0.plusSeconds(900), T0.plusSeconds(21)); // none expired: "new" expires soonest

    assertThat(c.size()).isEqualTo(2);
    assertThat(c.seen("new", T0.plusSeconds(21))).isFalse();
    assertThat(c.seen("late", T0.plusSeconds(21))).isTrue();
    assertThat(c.seen("newer", T0.plusSeconds(21))).isTrue();
  }
}
