package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.LimitUsage;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * An attack on the in-memory ledger's caps: sixteen threads race reserves against a global monthly
 * cap and a per-agent daily cap at once (so a reserve counts against two totals, and is refused
 * whole when either would go over), while another thread moves the clock across midnight and the month's
 * end (reservations expire, new windows' totals are made) and another keeps reading the caps' use.
 * Settlements are interleaved: releases, partial commits, reservations held until they expire,
 * uncertain ones reconciled later, and the same request sent twice.
 *
 * <p>Whatever the interleaving: the use the ledger reports never exceeds a cap, not even for an
 * instant; no reservation is admitted above a cap; every refusal was deserved on the ledger it was
 * decided on; a request sent twice is one reservation; and at the end every total equals a recount
 * of the reservations, in the windows before and after midnight.
 */
class InMemorySpendLedgerAttackTest {
  static final int THREADS = 16;
  static final int AGENTS = 4;
  static final String PROVIDER = "cloudflare";
  /** Long enough that nothing settled by its own thread expires first: only the ones left held expire. */
  static final Duration SETTLED_TTL = Duration.ofHours(1);
  static final Instant START = Instant.parse("2026-11-30T23:59:30Z");

  /** Per operation: amount in cents, then what the thread does with it (0 release, 1 commit part, 2 uncertain then reconcile, 3 leave held to expire, 4 send twice). */
  record Move(long cents, int then) {}

  @Provide
  Arbitrary<List<List<Move>>> attacks() {
    Arbitrary<Move> move = Arbitraries.longs().between(1, 900)
        .flatMap(c -> Arbitraries.integers().between(0, 4).map(t -> new Move(c, t)));
    return move.list().ofMinSize(100).ofMaxSize(250).list().ofSize(THREADS);
  }

  @Property(tries = 12)
  void racingReservesNeverTakeACapOverItsLimit(@ForAll("attacks") List<List<Move>> attacks,
      @ForAll @LongRange(min = 500, max = 20_000) long globalCents,
      @ForAll @LongRange(min = 100, max = 8_000) long perAgentCents) throws Exception {
    ManualTime time = new ManualTime(START);
    SpendLedger ledger = SpendLedger.inMemory(time);
    SpendLimit global = SpendLimit.monthly(Money.ofMinor(globalCents, "USD"));
    SpendLimit perAgent = SpendLimit.daily(Money.ofMinor(perAgentCents, "USD")).perAgent();
    List<SpendLimit> limits = List.of(global, perAgent);
    Map<String, Reservation> admitted = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<PolicyViolationException> refused = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> overCap = new ConcurrentLinkedQueue<>();
    AtomicBoolean attacking = new AtomicBoolean(true);
    AtomicInteger observed = new AtomicInteger();

    ExecutorService pool = Executors.newFixedThreadPool(THREADS + 2);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> attackers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        attackers.add(pool.submit(() -> {
          go.await();
          AgentId agent = AgentId.of("agent-" + (thread % AGENTS));
          List<Move> moves = attacks.get(thread);
          for (int i = 0; i < moves.size(); i++) {
            Move m = moves.get(i);
            String id = "t" + thread + "-" + i;
            Instant at = time.instant();
            Duration ttl = m.then() == 3 ? Duration.ofSeconds(1 + i % 3) : SETTLED_TTL;
            ReservationRequest request = new ReservationRequest(id, agent, PROVIDER, RunId.of("run_" + thread),
                StepId.of("step"), Money.ofMinor(m.cents(), "USD"), at, at.plus(ttl), limits, ZoneOffset.UTC,
                "attack " + id);
            Reservation r;
            try {
              r = ledger.reserve(request);
            } catch (PolicyViolationException e) {
              refused.add(e);
              continue;
            }
            admitted.put(id, r);
            switch (m.then()) {
              case 0 -> ledger.release(id);
              case 1 -> ledger.commit(id, Money.ofMinor(m.cents() * (i % 4) / 3, "USD"));
              case 2 -> {
                ledger.markUncertain(id);
                ledger.reconcile(id, Money.ofMinor(i % 2 == 0 ? 0 : m.cents() / 2, "USD"));
              }
              case 4 -> assertThat(ledger.reserve(request)).as("the same request again").isEqualTo(r);
              default -> { } // left held: it expires as the clock moves
            }
          }
          // An attack shorter than one read of the caps would leave nothing observed while it ran.
          while (observed.get() < 2) {
            Thread.yield();
          }
          return null;
        }));
      }
      Future<?> clock = pool.submit(() -> {
        go.await();
        // Across midnight and the month's end, a second at a time, while the attack lasts (at most 30 minutes).
        for (int s = 0; s < 1_800 && attacking.get(); s++) {
          time.advance(Duration.ofSeconds(1));
          Thread.yield();
        }
        return null;
      });
      Future<?> observer = pool.submit(() -> {
        go.await();
        while (attacking.get()) {
          Instant now = time.instant();
          checkUse(ledger.usage(global, AgentId.of("agent-0"), PROVIDER, now, ZoneOffset.UTC), globalCents, overCap);
          for (int a = 0; a < AGENTS; a++) {
            checkUse(ledger.usage(perAgent, AgentId.of("agent-" + a), PROVIDER, now, ZoneOffset.UTC), perAgentCents,
                overCap);
          }
          observed.incrementAndGet();
        }
        return null;
      });
      go.countDown();
      try {
        for (Future<?> f : attackers) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        attacking.set(false);
      }
      clock.get(30, TimeUnit.SECONDS);
      observer.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    assertThat(overCap).as("use read above a cap while the attack ran").isEmpty();
    assertThat(observed.get()).isPositive();
    for (Reservation r : admitted.values()) {
      for (LimitUsage u : r.usage()) {
        assertThat(u.used().minorUnits()).as("use right after %s under %s", r.id(), u.limit().key())
            .isLessThanOrEqualTo(u.limit().amount().minorUnits());
      }
    }
    for (PolicyViolationException e : refused) {
      assertThat(e.requested().greaterThan(e.remaining())).as("a refusal is deserved: %s", e.getMessage()).isTrue();
    }
    List<Reservation> all = ledger.reservations(null, null, Instant.EPOCH, Instant.MAX);
    assertThat(all).as("one reservation per admitted id, a request sent twice included").hasSize(admitted.size());
    assertThat(admitted.size() + refused.size()).isLessThanOrEqualTo(attacks.stream().mapToInt(List::size).sum());

    // Every total the caps were judged on equals a recount, before and after midnight.
    Instant now = time.instant();
    for (Instant at : List.of(START, now)) {
      for (int a = 0; a < AGENTS; a++) {
        AgentId agent = AgentId.of("agent-" + a);
        for (SpendLimit limit : limits) {
          LimitUsage u = ledger.usage(limit, agent, PROVIDER, at, ZoneOffset.UTC);
          long recount = 0;
          for (Reservation r : all) {
            if (LimitMath.counts(limit, u.window(), agent, PROVIDER, r)) {
              recount += r.counted(now).minorUnits();
            }
          }
          assertThat(u.used().minorUnits()).as("%s for %s at %s is a recount", limit.key(), agent, at)
              .isEqualTo(recount);
          assertThat(u.used().minorUnits()).isLessThanOrEqualTo(limit.amount().minorUnits());
        }
      }
    }
  }

  private static void checkUse(LimitUsage u, long capCents, ConcurrentLinkedQueue<String> overCap) {
    if (u.used().minorUnits() > capCents) {
      overCap.add(u.bucket() + " " + u.window() + ": " + u.used() + " > " + capCents);
    }
  }
}
