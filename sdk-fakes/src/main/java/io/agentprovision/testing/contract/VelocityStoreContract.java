package io.agentprovision.testing.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What every {@link VelocityStore} must do, whatever keeps its counts: admit an action under every
 * limit at once or refuse it having counted nothing, count an id once, forget a released action,
 * keep its counts across a restart (a durable store), and never admit more than a limit allows when
 * two hosts (two instances over the same state, on threads of their own) race at the limit. Extend
 * it with the store to check ({@link #newStore}, {@link #reopen}).
 */
public abstract class VelocityStoreContract {
  /** An agent whose actions the scenarios count. */
  protected static final AgentId AGENT = AgentId.of("coding-agent-7");
  private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
  private static final VelocityLimit TWO_PLANS_AN_HOUR = VelocityLimit.perHour(VelocityAction.CREATE_PAID_PLAN, 2)
      .perAgent();

  /** A new, empty store. */
  protected abstract VelocityStore newStore() throws Exception;

  /**
   * Another instance over {@code store}'s state, as a restarted process or another host opens it;
   * null when the store keeps nothing beyond its instance (in memory), which skips the restart
   * scenario, and the race runs on threads sharing {@code store} itself.
   */
  protected abstract VelocityStore reopen(VelocityStore store) throws Exception;

  private static VelocityRequest plan(String id, Instant at, VelocityLimit... limits) {
    return new VelocityRequest(id, VelocityAction.CREATE_PAID_PLAN, AGENT, "user-ada", at, List.of(limits));
  }

  @Test
  void admitsUpToTheLimit_thenRefusesCountingNothing_untilTheWindowHasRolledOn() throws Exception {
    VelocityStore store = newStore();
    store.record(plan("a1", T0, TWO_PLANS_AN_HOUR));
    store.record(plan("a2", T0.plusSeconds(600), TWO_PLANS_AN_HOUR));

    VelocityLimitException refused = assertThrows(VelocityLimitException.class,
        () -> store.record(plan("a3", T0.plusSeconds(1200), TWO_PLANS_AN_HOUR)));

    assertEquals(TWO_PLANS_AN_HOUR.key(), refused.limit());
    assertEquals("agent=" + AGENT.value(), refused.bucket());
    assertEquals(2, refused.count());
    assertEquals(T0.plus(Duration.ofHours(1)), refused.nextAllowedAt(), "when the oldest leaves the window");
    assertEquals(2, store.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(1200)), "the refusal counted nothing");
    assertEquals(0, store.count(TWO_PLANS_AN_HOUR, AgentId.of("another-agent"), null, T0.plusSeconds(1200)));
    store.record(plan("a4", T0.plus(Duration.ofHours(1)).plusSeconds(1), TWO_PLANS_AN_HOUR));
    assertEquals(2, store.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plus(Duration.ofHours(1)).plusSeconds(1)));
  }

  @Test
  void oneRequestUnderSeveralLimits_isAdmittedUnderAllOrNone() throws Exception {
    VelocityStore store = newStore();
    VelocityLimit hostOne = VelocityLimit.perDay(VelocityAction.CREATE_PAID_PLAN, 1);
    store.record(plan("b1", T0, TWO_PLANS_AN_HOUR));
    store.record(plan("b2", T0.plusSeconds(1), TWO_PLANS_AN_HOUR, hostOne));

    assertThrows(VelocityLimitException.class, () -> store.record(plan("b3", T0.plusSeconds(2), hostOne)));
    assertThrows(VelocityLimitException.class,
        () -> store.record(plan("b4", T0.plusSeconds(3), TWO_PLANS_AN_HOUR, hostOne)));

    assertEquals(2, store.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(3)));
    assertEquals(1, store.count(hostOne, AGENT, null, T0.plusSeconds(3)), "b1 was not judged under the host limit");
  }

  @Test
  void anIdIsCountedOnce_aReleasedActionIsForgotten_andAPerPersonLimitWithoutAPersonIsNotJudged() throws Exception {
    VelocityStore store = newStore();
    store.record(plan("c1", T0, TWO_PLANS_AN_HOUR));
    store.record(plan("c1", T0.plusSeconds(1), TWO_PLANS_AN_HOUR));
    assertEquals(1, store.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(2)), "the same id counts once");

    store.record(plan("c2", T0.plusSeconds(2), TWO_PLANS_AN_HOUR));
    store.record(plan("c2", T0.plusSeconds(3), TWO_PLANS_AN_HOUR)); // at the limit, and admitted again: counted before
    store.release("c1");
    store.release("never-counted");
    assertEquals(1, store.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(3)));
    store.record(plan("c3", T0.plusSeconds(4), TWO_PLANS_AN_HOUR));
    assertEquals(2, store.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(4)));

    VelocityLimit perPerson = VelocityLimit.perHour(VelocityAction.CREATE_ACCOUNT, 0).perPrincipal();
    store.record(new VelocityRequest("c4", VelocityAction.CREATE_ACCOUNT, AGENT, null, T0, List.of(perPerson)));
    assertEquals(0, store.count(perPerson, AGENT, null, T0));
    VelocityLimitException none = assertThrows(VelocityLimitException.class, () -> store.record(
        new VelocityRequest("c5", VelocityAction.CREATE_ACCOUNT, AGENT, "user-ada", T0, List.of(perPerson))));
    assertNull(none.nextAllowedAt(), "a limit of none never allows one");
  }

  @Test
  void theCountsSurviveARestart() throws Exception {
    VelocityStore before = newStore();
    VelocityStore probe = reopen(before);
    Assumptions.assumeTrue(probe != null, "this store keeps its counts in its instance only (in memory)");
    before.record(plan("d1", T0, TWO_PLANS_AN_HOUR));
    before.record(plan("d2", T0.plusSeconds(1), TWO_PLANS_AN_HOUR));
    before.record(plan("d3", T0.plusSeconds(2), VelocityLimit.perHour(VelocityAction.CREATE_DOMAIN, 5)));
    before.release("d3");

    VelocityStore after = reopen(before);

    assertEquals(2, after.count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(3)), "a restart finds the counts");
    assertThrows(VelocityLimitException.class, () -> after.record(plan("d4", T0.plusSeconds(3), TWO_PLANS_AN_HOUR)));
    after.record(plan("d1", T0.plusSeconds(4), TWO_PLANS_AN_HOUR)); // counted before the restart: admitted, once
    assertEquals(0, after.count(VelocityLimit.perHour(VelocityAction.CREATE_DOMAIN, 5), AGENT, null,
        T0.plusSeconds(4)), "the release survived too");
    after.release("d2");
    after.record(plan("d5", T0.plusSeconds(5), TWO_PLANS_AN_HOUR));
    assertEquals(2, reopen(after).count(TWO_PLANS_AN_HOUR, AGENT, null, T0.plusSeconds(6)));
  }

  @Test
  void twoHostsRacingAtTheLimit_neverAdmitMoreThanItAllows() throws Exception {
    VelocityStore hostA = newStore();
    VelocityStore other = reopen(hostA);
    VelocityStore hostB = other != null ? other : hostA;
    VelocityLimit tenAnHour = VelocityLimit.perHour(VelocityAction.CREATE_PAID_PLAN, 10);
    int threads = 8;
    int each = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        VelocityStore host = t % 2 == 0 ? hostA : hostB;
        int thread = t;
        Callable<Void> work = () -> {
          start.await();
          for (int i = 0; i < each; i++) {
            try {
              // one instant for all: each is judged in the window ending at its own time, so all see each other
              host.record(plan("race-" + thread + "-" + i, T0, tenAnHour));
              admitted.incrementAndGet();
            } catch (VelocityLimitException e) {
              refused.incrementAndGet();
            }
          }
          return null;
        };
        done.add(pool.submit(work));
      }
      start.countDown();
      for (Future<Void> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(10, admitted.get(), "exactly the limit admitted");
    assertEquals(threads * each - 10, refused.get());
    assertEquals(10, hostA.count(tenAnHour, AGENT, null, T0.plusSeconds(60)));
    assertEquals(10, hostB.count(tenAnHour, AGENT, null, T0.plusSeconds(60)), "both hosts see one count");
  }
}
