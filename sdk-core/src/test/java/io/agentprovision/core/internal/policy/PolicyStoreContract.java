package io.agentprovision.core.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.PolicyStore;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every {@link PolicyStore} must do; each store's test extends this. */
public abstract class PolicyStoreContract {
  protected static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
  protected static final SpendPolicy FIRST = SpendPolicy.builder()
      .limit(SpendLimit.monthly(Money.usd("20.00")).perProvider()).requireMfaFor(CheckpointKind.RAISE_LIMIT).build();
  protected static final SpendPolicy SECOND = FIRST.toBuilder()
      .replaceLimits(List.of(SpendLimit.monthly(Money.usd("40.00")).perProvider(),
          SpendLimit.perTransaction(Money.usd("9.99"))))
      .zone(ZoneId.of("Europe/Berlin")).build();

  /** A fresh, empty store. */
  protected abstract PolicyStore store();

  /** The same store opened again, as a restarted host would. */
  protected abstract PolicyStore reopen(PolicyStore store);

  @Test
  public void anEmptyStore_holdsNoPolicy() {
    PolicyStore s = store();

    assertThat(s.current()).isEmpty();
    assertThat(s.history()).isEmpty();
  }

  @Test
  public void append_followsTheCompareAndSetRule() {
    PolicyStore s = store();
    PolicyChange v1 = PolicyChange.first(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    PolicyChange v2 = v1.next(SECOND, "coding-agent-7", "ada@example.com", "a bigger app", T0.plusSeconds(60));

    assertThat(s.append(v2)).as("version 2 on an empty store").isFalse();
    assertThat(s.append(v1)).isTrue();
    assertThat(s.append(v1)).as("a second version 1").isFalse();
    assertThat(s.append(v2)).isTrue();
    assertThat(s.append(v2)).as("a stale version").isFalse();
    assertThat(s.append(v2.next(FIRST, "x", null, "y", T0).next(SECOND, "x", null, "y", T0))).as("a skipped version")
        .isFalse();

    assertThat(s.current()).contains(v2);
    assertThat(s.history()).containsExactly(v1, v2);
  }

  @Test
  public void everyChange_keepsBeforeAfterWhoWhyAndWhen_acrossAReopen() {
    PolicyStore s = store();
    PolicyChange v1 = PolicyChange.first(FIRST, PolicyChange.CONFIGURATION, "the policy it was built with", T0);
    PolicyChange v2 = v1.next(SECOND, "coding-agent-7", "ada@example.com", "needs \"more\"\nroom", T0.plusMillis(1500));
    s.append(v1);
    s.append(v2);

    PolicyStore again = reopen(s);

    assertThat(again.history()).containsExactly(v1, v2);
    PolicyChange read = again.current().orElseThrow();
    assertThat(read.before()).isEqualTo(FIRST);
    assertThat(read.after()).isEqualTo(SECOND);
    assertThat(read.approvedBy()).isEqualTo("ada@example.com");
    assertThat(read.changedBy()).isEqualTo("coding-agent-7");
    assertThat(read.at()).isEqualTo(T0.plusMillis(1500));
  }

  @Test
  public void seed_storesTheFirstPolicyOnce_andThenReturnsWhatIsStored() {
    PolicyStore s = store();

    PolicyChange seeded = s.seed(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    PolicyChange again = reopen(s).seed(SECOND, PolicyChange.CONFIGURATION, "initial", T0.plusSeconds(1));

    assertThat(seeded.after()).isEqualTo(FIRST);
    assertThat(again).isEqualTo(seeded);
    assertThat(s.history()).hasSize(1);
  }

  @Test
  public void concurrentChanges_fromTheSameVersion_exactlyOneWins() throws Exception {
    PolicyStore s = store();
    PolicyChange v1 = s.seed(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        PolicyStore mine = reopen(s);
        PolicyChange change = v1.next(SECOND, "agent-" + i, null, "race " + i, T0);
        Callable<Boolean> task = () -> {
          go.await();
          return mine.append(change);
        };
        results.add(pool.submit(task));
      }
      go.countDown();
      int wins = 0;
      for (Future<Boolean> f : results) {
        wins += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(wins).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(s.history()).hasSize(2);
  }
}
