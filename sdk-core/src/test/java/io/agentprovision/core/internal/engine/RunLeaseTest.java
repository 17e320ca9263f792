package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The half of a lease that {@link RunLease#check} keeps in hand, made without {@code BigDecimal}. */
class RunLeaseTest {
  @ParameterizedTest
  @ValueSource(longs = {10_000_000_000L, 11_000_000_000L, 10_000_000_001L, 10_999_999_999L, 15_500_000_003L,
      120_000_000_000L, 3_599_999_999_999L, 3_600_000_000_000L})
  void half_isWhatDurationDividedByTwoGives_toTheNanosecond(long nanos) {
    Duration lease = Duration.ofNanos(nanos);

    assertThat(RunLease.half(lease)).isEqualTo(lease.dividedBy(2));
  }
}
