package io.agentprovision.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FaultInjectorTest {
  private final FaultInjector faults = new FaultInjector(List.of("buy", "look"));
  private final AtomicInteger bought = new AtomicInteger();

  private int buy() {
    return faults.call("buy", true, bought::incrementAndGet);
  }

  @Test
  void failOn_whenNthCallReached_throwsOnceWithoutEffect() {
    ProviderException boom = new ProviderException("x", 503, null, null, "down", true);
    buy();
    faults.failOn("buy", 2, boom);

    assertThat(buy()).isEqualTo(2);
    assertThatThrownBy(this::buy).isSameAs(boom);
    assertThat(bought).hasValue(2);
    assertThat(buy()).isEqualTo(3);
    assertThat(faults.pendingFaults()).isEmpty();
  }

  @Test
  void crashBefore_whenArmed_throwsSimulatedCrashWithoutEffect() {
    faults.crashBefore("buy", 1);

    assertThatThrownBy(this::buy).isInstanceOfSatisfying(SimulatedCrash.class, c -> {
      assertThat(c.method()).isEqualTo("buy");
      assertThat(c.call()).isEqualTo(1);
      assertThat(c.effectApplied()).isFalse();
    });
    assertThat(bought).hasValue(0);
  }

  @Test
  void crashAfter_whenArmed_appliesEffectThenThrowsError() {
    faults.crashAfter("buy", 1);

    Throwable t = org.assertj.core.api.Assertions.catchThrowable(this::buy);

    assertThat(t).isInstanceOf(Error.class).isNotInstanceOf(RuntimeException.class);
    assertThat(((SimulatedCrash) t).effectApplied()).isTrue();
    assertThat(bought).hasValue(1);
    assertThat(buy()).isEqualTo(2);
  }

  @Test
  void failOn_whenMethodUnknown_refusesAtOnce() {
    assertThatThrownBy(() -> faults.failOn("by", 1, new IllegalStateException()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("method"));
    assertThatThrownBy(() -> faults.crashAfter("buy", 0)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void calls_recordMethodOrderAndSideEffects() {
    buy();
    faults.call("look", false, () -> "x");
    buy();

    assertThat(faults.calls()).containsExactly(new FaultInjector.Call(1, "buy", true, 1),
        new FaultInjector.Call(2, "look", false, 1), new FaultInjector.Call(3, "buy", true, 2));
    assertThat(faults.count("buy")).isEqualTo(2);
  }
}
