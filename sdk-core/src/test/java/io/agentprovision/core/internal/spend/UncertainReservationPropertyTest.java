package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * An uncertain reservation (a paid call that may have charged) is never given back by expiry or
 * by a release: it counts in full, whatever the clock says, until reconciliation commits it at what
 * was charged or releases it because nothing was. Checked over random sequences of reserving,
 * marking uncertain, releasing, committing, reconciling and letting time pass, against a model of
 * what each reservation should count.
 */
class UncertainReservationPropertyTest {
  private static final int TRIES = 300;
  private static final String SEED = "20261107";
  private static final AgentId AGENT = AgentId.of("agent-a");
  private static final String PROVIDER = "cloudflare";
  /** An all-time limit: every reservation ever made is in its one window, so usage sums them all. */
  private static final SpendLimit ALL_TIME = SpendLimit.allTime(Money.usd("1000000.00")).perProvider();
  private static final Duration TTL = Duration.ofHours(1);

  /** What one step of a sequence does. */
  enum Kind { RESERVE, MARK_UNCERTAIN, RELEASE, COMMIT, RECONCILE_NOTHING, RECONCILE_CHARGED, ADVANCE }

  record Op(Kind kind, int reservation, long cents, long minutes) {}

  @Provide
  Arbitrary<List<Op>> sequences() {
    Arbitrary<Op> op = Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 4),
        Arbitraries.longs().between(1, 5_000), Arbitraries.longs().between(1, 60 * 48)).as(Op::new);
    return op.list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = TRIES, seed = SEED)
  void anUncertainReservation_countsInFullUntilReconciled_andOnlyReconciliationSettlesIt(
      @ForAll("sequences") List<Op> ops) {
    ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
    SpendLedger ledger = SpendLedger.inMemory(time);
    Map<String, Reservation.Status> expected = new HashMap<>();
    Map<String, Long> amounts = new HashMap<>();
    Map<String, Long> committed = new HashMap<>();
    Map<String, Instant> expiries = new HashMap<>();
    for (Op op : ops) {
      String id = "r" + op.reservation();
      Reservation.Status before = expected.get(id);
      switch (op.kind()) {
        case RESERVE -> {
          Reservation r = ledger.reserve(request(id, op.cents(), time.instant()));
          if (before == null) {
            expected.put(id, Reservation.Status.RESERVED);
            amounts.put(id, op.cents());
            expiries.put(id, r.expiresAt());
          }
        }
        case MARK_UNCERTAIN -> {
          if (before == null) {
            assertThatThrownBy(() -> ledger.markUncertain(id)).isInstanceOf(InvalidRequestException.class);
          } else if (before == Reservation.Status.RELEASED) {
            assertThatThrownBy(() -> ledger.markUncertain(id)).isInstanceOf(InvalidRequestException.class);
          } else {
            ledger.markUncertain(id);
            if (before == Reservation.Status.RESERVED) {
              expected.put(id, Reservation.Status.UNCERTAIN);
            }
          }
        }
        case RELEASE -> {
          if (before == Reservation.Status.UNCERTAIN || before == Reservation.Status.COMMITTED || before == null) {
            // nothing but reconciliation gives back money a provider may have taken
            assertThatThrownBy(() -> ledger.release(id)).isInstanceOf(InvalidRequestException.class);
          } else {
            ledger.release(id);
            expected.put(id, Reservation.Status.RELEASED);
          }
        }
        case COMMIT -> {
          if (before == Reservation.Status.RESERVED || before == Reservation.Status.UNCERTAIN) {
            long c = Math.min(op.cents(), amounts.get(id));
            ledger.commit(id, Money.ofMinor(c, "USD"));
            expected.put(id, Reservation.Status.COMMITTED);
            committed.put(id, c);
          }
        }
        case RECONCILE_NOTHING -> {
          if (before == Reservation.Status.RESERVED || before == Reservation.Status.UNCERTAIN) {
            ledger.reconcile(id, Money.usd("0.00"));
            expected.put(id, Reservation.Status.RELEASED);
          }
        }
        case RECONCILE_CHARGED -> {
          if (before == Reservation.Status.RESERVED || before == Reservation.Status.UNCERTAIN) {
            long c = Math.min(op.cents(), amounts.get(id));
            ledger.reconcile(id, Money.ofMinor(c, "USD"));
            expected.put(id, Reservation.Status.COMMITTED);
            committed.put(id, c);
          }
        }
        case ADVANCE -> time.advance(Duration.ofMinutes(op.minutes()));
      }
      long want = 0;
      for (Map.Entry<String, Reservation.Status> e : expected.entrySet()) {
        Reservation r = ledger.reservation(e.getKey()).orElseThrow();
        assertThat(r.status()).as("status of %s after %s", e.getKey(), op).isEqualTo(e.getValue());
        want += switch (e.getValue()) {
          case UNCERTAIN -> amounts.get(e.getKey()); // whatever the clock says
          case RESERVED -> time.instant().isBefore(expiries.get(e.getKey())) ? amounts.get(e.getKey()) : 0;
          case COMMITTED -> committed.get(e.getKey());
          default -> 0;
        };
      }
      assertThat(ledger.usage(ALL_TIME, AGENT, PROVIDER, time.instant(), ZoneOffset.UTC).used())
          .as("what the limit counts after %s", op).isEqualTo(Money.ofMinor(want, "USD"));
    }
  }

  private static ReservationRequest request(String id, long cents, Instant at) {
    return new ReservationRequest(id, AGENT, PROVIDER, RunId.of("run_1"), StepId.of("plan"), Money.ofMinor(cents, "USD"),
        at, at.plus(TTL), List.of(ALL_TIME), ZoneOffset.UTC, "spend " + id);
  }
}
