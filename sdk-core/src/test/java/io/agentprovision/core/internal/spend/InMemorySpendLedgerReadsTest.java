package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * A reservation read by id or by run is built outside the ledger's lock from its reserve's answer
 * when that is at hand, and from the columns otherwise: both must give the reservation as it stands,
 * after every kind of settlement, and a read racing the settlements must never see one undone.
 */
class InMemorySpendLedgerReadsTest {
  static final SpendLimit CAP = SpendLimit.monthly(Money.ofMinor(1_000_000, "USD"));
  final ManualTime time = ManualTime.at("2026-11-10T09:00:00Z");

  ReservationRequest request(String id, String run, long cents) {
    return new ReservationRequest(id, AgentId.of("agent-1"), "stripe", RunId.of(run), StepId.of("s-" + id),
        Money.ofMinor(cents, "USD"), time.instant(), time.instant().plus(Duration.ofHours(1)), List.of(CAP),
        ZoneOffset.UTC, "read " + id);
  }

  @Test
  void readsGiveEachSettlementAsItStands_fromTheReservesAnswer_andFromTheColumnsOnceItIsGone() {
    SpendLedger ledger = SpendLedger.inMemory(time);
    List<Reservation> expected = new ArrayList<>();
    expected.add(ledger.reserve(request("held", "run_a", 100)));
    ledger.reserve(request("committed", "run_a", 200));
    expected.add(ledger.commit("committed", Money.ofMinor(150, "USD")));
    ledger.reserve(request("released", "run_a", 300));
    expected.add(ledger.release("released"));
    ledger.reserve(request("uncertain", "run_a", 400));
    expected.add(ledger.markUncertain("uncertain"));
    ledger.reserve(request("reconciled", "run_a", 500));
    ledger.markUncertain("reconciled");
    expected.add(ledger.reconcile("reconciled", Money.ofMinor(480, "USD")));

    assertReadsGive(ledger, expected);
    // a thousand reserves later the reserves' answers of run_a are no longer at hand: read from the columns
    for (int i = 0; i < 1_000; i++) {
      ledger.reserve(request("later-" + i, "run_b", 1));
    }
    assertReadsGive(ledger, expected);
    assertThat(ledger.reservation("never")).isEmpty();
    assertThat(ledger.reservations(RunId.of("run_none"))).isEmpty();
  }

  private static void assertReadsGive(SpendLedger ledger, List<Reservation> expected) {
    for (Reservation r : expected) {
      assertThat(ledger.reservation(r.id())).contains(r);
      // an equal id that is another string object: found by its characters
      assertThat(ledger.reservation(new String(r.id().toCharArray()))).contains(r);
    }
    assertThat(ledger.reservations(RunId.of("run_a"))).containsExactlyElementsOf(expected);
  }

  @Test
  void readersRacingReservesAndSettlements_neverSeeASettlementUndone_norAnotherRunsReservation() throws Exception {
    SpendLedger ledger = SpendLedger.inMemory(time);
    int writers = 4;
    int perWriter = 400;
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    InMemorySpendLedgerConcurrencyTest.runTogether(writers * 2, t -> {
      if (t < writers) {
        // a writer: its own run, each reservation read after each change, as a step reads its own
        String run = "run_w" + t;
        for (int i = 0; i < perWriter; i++) {
          String id = "w" + t + "-" + i;
          ledger.reserve(request(id, run, 10));
          check(wrong, ledger.reservation(id).orElse(null), id, Reservation.Status.RESERVED, null);
          if (i % 2 == 0) {
            ledger.commit(id, Money.ofMinor(7, "USD"));
            check(wrong, ledger.reservation(id).orElse(null), id, Reservation.Status.COMMITTED, 7L);
          } else {
            ledger.release(id);
            check(wrong, ledger.reservation(id).orElse(null), id, Reservation.Status.RELEASED, null);
          }
        }
      } else {
        // a reader of another writer's run: what it lists is that run's, and a settled one stays settled
        RunId run = RunId.of("run_w" + (t - writers));
        List<Reservation> before = List.of();
        for (int k = 0; k < 200; k++) {
          List<Reservation> now = ledger.reservations(run);
          for (Reservation r : now) {
            if (!r.run().equals(run)) {
              wrong.add("listed under " + run + ": " + r);
            }
          }
          for (int i = 0; i < before.size(); i++) {
            if (before.get(i).status() != Reservation.Status.RESERVED && !now.get(i).equals(before.get(i))) {
              wrong.add("settled then changed: " + before.get(i) + " -> " + now.get(i));
            }
          }
          before = now;
        }
      }
    });

    assertThat(wrong).isEmpty();
    for (int t = 0; t < writers; t++) {
      List<Reservation> all = ledger.reservations(RunId.of("run_w" + t));
      assertThat(all).hasSize(perWriter);
      assertThat(all.stream().filter(r -> r.status() == Reservation.Status.COMMITTED)).hasSize(perWriter / 2);
    }
  }

  private static void check(ConcurrentLinkedQueue<String> wrong, Reservation r, String id, Reservation.Status status,
      Long committed) {
    if (r == null || !r.id().equals(id) || r.status() != status
        || (committed == null ? r.committed() != null : r.committed().minorUnits() != committed)) {
      wrong.add("read " + id + " as " + r + ", expected " + status);
    }
  }
}
