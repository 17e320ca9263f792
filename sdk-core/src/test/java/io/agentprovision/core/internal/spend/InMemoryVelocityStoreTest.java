package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.policy.VelocityRequest;
import io.agentprovision.core.spi.VelocityStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryVelocityStoreTest {
  private static final AgentId A = AgentId.of("agent-a");
  private static final AgentId B = AgentId.of("agent-b");
  private static final Instant T = Instant.parse("2026-11-02T09:00:00Z");
  private static final VelocityLimit TWO_A_DAY_PER_AGENT = VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 2)
      .perAgent();
  private static final VelocityLimit THREE_A_DAY = VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3);

  private final VelocityStore store = VelocityStore.inMemory();

  private void record(String id, AgentId agent, Instant at, VelocityLimit... limits) {
    store.record(new VelocityRequest(id, VelocityAction.CREATE_DOMAIN, agent, null, at, List.of(limits)));
  }

  @Test
  void record_withinEveryLimit_countsOnce_evenWhenRecordedAgain() {
    record("d1", A, T, TWO_A_DAY_PER_AGENT, THREE_A_DAY);
    record("d1", A, T.plusSeconds(5), TWO_A_DAY_PER_AGENT, THREE_A_DAY);

    assertThat(store.count(TWO_A_DAY_PER_AGENT, A, null, T.plusSeconds(10))).isEqualTo(1);
    assertThat(store.count(THREE_A_DAY, B, null, T.plusSeconds(10))).as("the host's bucket is everyone's").isEqualTo(1);
  }

  @Test
  void record_overAnyLimit_refusesAndCountsNothing() {
    record("d1", A, T, TWO_A_DAY_PER_AGENT, THREE_A_DAY);
    record("d2", B, T.plusSeconds(1), TWO_A_DAY_PER_AGENT, THREE_A_DAY);
    record("d3", B, T.plusSeconds(2), TWO_A_DAY_PER_AGENT, THREE_A_DAY);

    assertThatThrownBy(() -> record("d4", A, T.plusSeconds(3), TWO_A_DAY_PER_AGENT, THREE_A_DAY))
        .isInstanceOfSatisfying(VelocityLimitException.class, e -> {
          assertThat(e.limit()).isEqualTo("create_domain/1d/host");
          assertThat(e.count()).isEqualTo(3);
          assertThat(e.nextAllowedAt()).as("when the oldest leaves the window").isEqualTo(T.plus(Duration.ofDays(1)));
        });
    assertThat(store.count(TWO_A_DAY_PER_AGENT, A, null, T.plusSeconds(3))).as("nothing counted for A").isEqualTo(1);
  }

  @Test
  void theWindowRolls_notAtMidnight() {
    record("d1", A, T, TWO_A_DAY_PER_AGENT);
    record("d2", A, T.plus(Duration.ofHours(20)), TWO_A_DAY_PER_AGENT);

    assertThatThrownBy(() -> record("d3", A, T.plus(Duration.ofHours(23)), TWO_A_DAY_PER_AGENT))
        .isInstanceOf(VelocityLimitException.class);
    record("d3", A, T.plus(Duration.ofHours(24)), TWO_A_DAY_PER_AGENT);
    assertThat(store.count(TWO_A_DAY_PER_AGENT, A, null, T.plus(Duration.ofHours(24)))).isEqualTo(2);
  }

  @Test
  void release_givesTheCountBack() {
    record("d1", A, T, TWO_A_DAY_PER_AGENT);
    record("d2", A, T, TWO_A_DAY_PER_AGENT);

    store.release("d1");
    store.release("unknown");

    record("d3", A, T.plusSeconds(1), TWO_A_DAY_PER_AGENT);
    assertThat(store.count(TWO_A_DAY_PER_AGENT, A, null, T.plusSeconds(1))).isEqualTo(2);
  }

  @Test
  void aPerPersonLimit_withoutAPerson_isNotJudged() {
    VelocityLimit onePerPerson = VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 1).perPrincipal();
    store.record(new VelocityRequest("d1", VelocityAction.CREATE_DOMAIN, A, "iss|ada", T, List.of(onePerPerson)));

    assertThatThrownBy(() -> store.record(new VelocityRequest("d2", VelocityAction.CREATE_DOMAIN, B, "iss|ada", T,
        List.of(onePerPerson)))).isInstanceOf(VelocityLimitException.class);
    store.record(new VelocityRequest("d3", VelocityAction.CREATE_DOMAIN, B, null, T, List.of(onePerPerson)));
    assertThat(store.count(onePerPerson, A, null, T)).isZero();
    assertThat(store.count(onePerPerson, B, "iss|ada", T)).isEqualTo(1);
  }

  @Test
  void concurrentRecords_neverAdmitMoreThanTheLimit() throws Exception {
    VelocityLimit five = VelocityLimit.perHour(VelocityAction.CREATE_TOKEN, 5);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String id = "t" + i;
      results.add(pool.submit(() -> {
        start.await();
        try {
          store.record(new VelocityRequest(id, VelocityAction.CREATE_TOKEN, A, null, T, List.of(five)));
          return true;
        } catch (VelocityLimitException e) {
          return false;
        }
      }));
    }
    start.countDown();
    int admitted = 0;
    for (Future<Boolean> f : results) {
      admitted += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
    }
    pool.shutdownNow();

    assertThat(admitted).isEqualTo(5);
    assertThat(store.count(five, A, null, T)).isEqualTo(5);
  }
}
