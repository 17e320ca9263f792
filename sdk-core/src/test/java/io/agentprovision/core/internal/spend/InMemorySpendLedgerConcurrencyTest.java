package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Many threads reserving against one cap at once: the cap holds, every refusal was deserved at the
 * moment it was made, the ledger's total equals a recount, and with equal amounts exactly as many
 * reservations succeed as fit.
 */
class InMemorySpendLedgerConcurrencyTest {
  static final int THREADS = 16;
  static final String PROVIDER = "cloudflare";
  static final Duration TTL = Duration.ofHours(1);

  /** Per thread: its amounts in cents, and what it does after each reserve (0 commit part, 1 release, 2 hold). */
  record Plan(List<Long> cents, List<Integer> then) {}

  @Provide
  Arbitrary<List<Plan>> plans() {
    Arbitrary<Plan> plan = Arbitraries.integers().between(10, 60).flatMap(n -> Arbitraries.longs().between(0, 900)
        .list().ofSize(n).flatMap(cents -> Arbitraries.integers().between(0, 2).list().ofSize(n)
            .map(then -> new Plan(cents, then))));
    return plan.list().ofSize(THREADS);
  }

  @Property(tries = 25)
  void sixteenThreadsOnOneCapNeverExceedIt(@ForAll("plans") List<Plan> plans,
      @ForAll @LongRange(min = 0, max = 40_000) long capCents) throws Exception {
    ManualTime time = ManualTime.at("2026-11-30T23:59:00Z");
    SpendLedger ledger = SpendLedger.inMemory(time);
    SpendLimit cap = SpendLimit.monthly(Money.ofMinor(capCents, "USD"));
    ConcurrentLinkedQueue<Reservation> admitted = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<PolicyViolationException> refused = new ConcurrentLinkedQueue<>();

    runTogether(THREADS, t -> {
      Plan plan = plans.get(t);
      AgentId agent = AgentId.of("agent-" + (t % 4)); // several agents: the cap is global
      for (int i = 0; i < plan.cents().size(); i++) {
        String id = "t" + t + "-" + i;
        long cents = plan.cents().get(i);
        try {
          admitted.add(ledger.reserve(request(id, agent, cents, cap, time.instant())));
        } catch (PolicyViolationException e) {
          refused.add(e);
          continue;
        }
        switch (plan.then().get(i)) {
          case 0 -> ledger.commit(id, Money.ofMinor(cents * (i % 4) / 3, "USD")); // 0, 1/3, 2/3 or all of it
          case 1 -> ledger.release(id);
          default -> { } // left held
        }
      }
    });

    long recount = 0;
    for (Reservation r : ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)) {
      recount += r.counted(time.instant()).minorUnits();
    }
    long used = ledger.usage(cap, AgentId.of("agent-0"), PROVIDER, time.instant(), ZoneOffset.UTC).used().minorUnits();
    assertThat(used).as("the ledger's total is a recount").isEqualTo(recount);
    assertThat(used).as("committed and held within the cap").isLessThanOrEqualTo(capCents);
    for (Reservation r : admitted) {
      assertThat(r.usage().get(0).used().minorUnits()).as("use right after %s", r.id()).isLessThanOrEqualTo(capCents);
    }
    for (PolicyViolationException e : refused) {
      assertThat(e.used().plus(e.requested()).minorUnits()).as("a refusal is deserved when it is made")
          .isGreaterThan(capCents);
    }
    assertThat(admitted.size() + refused.size()).isEqualTo(plans.stream().mapToInt(p -> p.cents().size()).sum());
  }

  @Property(tries = 25)
  void withEqualAmountsExactlyTheReservationsThatFitSucceed(@ForAll @IntRange(min = 1, max = 5_000) int cents,
      @ForAll @IntRange(min = 0, max = 300) int fit, @ForAll @IntRange(min = 1, max = 40) int perThread,
      @ForAll boolean commitSome) throws Exception {
    ManualTime time = ManualTime.at("2026-12-31T23:59:59Z");
    SpendLedger ledger = SpendLedger.inMemory(time);
    // Room for exactly `fit` of them, and a little over (less than one more).
    SpendLimit cap = SpendLimit.daily(Money.ofMinor((long) cents * fit + cents - 1, "USD")).perProvider();
    AtomicInteger admitted = new AtomicInteger();

    runTogether(THREADS, t -> {
      for (int i = 0; i < perThread; i++) {
        String id = "t" + t + "-" + i;
        try {
          ledger.reserve(request(id, AgentId.of("agent-" + t), cents, cap, time.instant()));
          admitted.incrementAndGet();
          if (commitSome && i % 2 == 0) {
            ledger.commit(id, Money.ofMinor(cents, "USD")); // committed in full: counts the same
          }
        } catch (PolicyViolationException e) {
          // refused: there was no room
        }
      }
    });

    assertThat(admitted.get()).isEqualTo(Math.min(fit, THREADS * perThread));
    assertThat(ledger.usage(cap, AgentId.of("agent-0"), PROVIDER, time.instant(), ZoneOffset.UTC).used().minorUnits())
        .isEqualTo((long) cents * admitted.get());
  }

  static ReservationRequest request(String id, AgentId agent, long cents, SpendLimit cap, Instant at) {
    return new ReservationRequest(id, agent, PROVIDER, RunId.of("run_" + agent.value()), StepId.of("step"),
        Money.ofMinor(cents, "USD"), at, at.plus(TTL), List.of(cap), ZoneOffset.UTC, "stress " + id);
  }

  interface ThreadBody {
    void run(int thread) throws Exception;
  }

  /** Runs {@code body} on {@code threads} threads released at the same moment; rethrows the first failure. */
  static void runTogether(int threads, ThreadBody body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          body.run(thread);
          return null;
        }));
      }
      ready.await();
      go.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
