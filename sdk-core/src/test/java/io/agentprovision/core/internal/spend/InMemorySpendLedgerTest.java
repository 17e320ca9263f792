package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InMemorySpendLedgerTest {
  static final AgentId A = AgentId.of("agent-a");
  static final AgentId B = AgentId.of("agent-b");
  static final String CF = "cloudflare";
  static final SpendLimit MONTHLY_100 = SpendLimit.monthly(Money.usd("100.00")).perProvider();

  ManualTime time;
  SpendLedger ledger;

  @BeforeEach
  void setUp() {
    time = ManualTime.at("2026-11-02T09:00:00Z");
    ledger = SpendLedger.inMemory(time);
  }

  ReservationRequest request(String id, AgentId agent, String provider, String usd, SpendLimit... limits) {
    return request(id, agent, provider, Money.usd(usd), limits);
  }

  ReservationRequest request(String id, AgentId agent, String provider, Money amount, SpendLimit... limits) {
    Instant at = time.instant();
    return new ReservationRequest(id, agent, provider, RunId.of("run_1"), StepId.of("step-" + id), amount, at,
        at.plus(SpendPolicy.DEFAULT_RESERVATION_TTL), List.of(limits), ZoneOffset.UTC, "test spend " + id);
  }

  Reservation reserve(String id, String usd, SpendLimit... limits) {
    return ledger.reserve(request(id, A, CF, usd, limits));
  }

  Money used(SpendLimit limit, AgentId agent, String provider) {
    return ledger.usage(limit, agent, provider, time.instant(), ZoneOffset.UTC).used();
  }

  /**
   * The ledger keeps ids as copied bytes (Latin-1) or as strings (any other, or long), found by
   * hash and then compared character by character: ids that share a hash, that differ only beyond
   * Latin-1, or that are long are each their own reservation, and an id never reserved is found
   * nowhere, however many reservations the ledger holds (past several slabs and id-table growths).
   */
  @Test
  void everyId_isItsOwnReservation_whateverItsCharactersOrHash() {
    SpendLimit perAgent = SpendLimit.monthly(Money.usd("10000000.00")).perAgent();
    SpendLimit daily = SpendLimit.daily(Money.usd("10000000.00"));
    // "Aa" and "BB" share a hash, and so does every string made of them
    List<String> ids = new ArrayList<>(List.of("Aa", "BB", "AaAa", "AaBB", "BBAa", "BBBB", "r\u00e9sa-1", "r\u00e9sa-\u20ac",
        "\u0141", "A", "x".repeat(300), "x".repeat(299) + "\u20ac", ""));
    assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
    for (int i = 0; i < 20_000; i++) {
      ids.add("run_" + (i % 7) + ":step-" + i);
    }
    List<Reservation> committed = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      Instant at = time.instant();
      Reservation r = ledger.reserve(new ReservationRequest(id, i % 2 == 0 ? A : B, CF, RunId.of("run_" + (i % 7)),
          i % 5 == 0 ? null : StepId.of("step-" + i), Money.ofMinor(i + 1, "USD"), at, at.plusSeconds(600),
          List.of(perAgent, daily), ZoneOffset.UTC, "spend " + (i % 11)));
      assertThat(r.id()).isEqualTo(id);
      committed.add(i % 3 == 0 ? ledger.commit(id, Money.ofMinor(i, "USD")) : i % 3 == 1 ? ledger.release(id) : r);
    }
    for (int i = 0; i < ids.size(); i++) {
      assertThat(ledger.reservation(ids.get(i))).as(ids.get(i)).contains(committed.get(i));
    }
    // a repeated reserve, after the id table grew many times, finds its id: the same reservation, nothing held twice
    for (int i = 0; i < ids.size(); i += 97) {
      Instant at = time.instant();
      assertThat(ledger.reserve(new ReservationRequest(ids.get(i), A, CF, null, null, Money.usd("5.00"), at,
          at.plusSeconds(600), List.of(perAgent, daily), ZoneOffset.UTC, "again"))).as(ids.get(i))
          .isEqualTo(committed.get(i));
    }
    for (String never : List.of("AB", "Ab", "aA", "BBBBAa", "r\u00e9sa-\u20ad", "\u0142", "B", "x".repeat(301),
        "run_0:step-20000", "run_1:step-0")) {
      assertThat(ledger.reservation(never)).as(never).isEmpty();
      assertThatThrownBy(() -> ledger.commit(never, Money.usd("0.01"))).isInstanceOf(InvalidRequestException.class);
    }
    // the time query rebuilds each id from its copy
    List<Reservation> all = ledger.reservations(null, null, time.instant(), time.instant().plusSeconds(1));
    assertThat(all).containsExactlyElementsOf(committed);
    long held = 0;
    for (int i = 0; i < ids.size(); i++) {
      held += i % 3 == 0 ? i : i % 3 == 2 ? i + 1 : 0;
    }
    assertThat(used(daily, A, CF)).isEqualTo(Money.ofMinor(held, "USD"));
  }

  /**
   * The ledger keeps a settled reservation in a compact form and rebuilds it when asked: every way
   * of reading it gives the reservation the reserve returned, with its new status and charge, under
   * several limits, across a change of window (a new shape of usage) and back.
   */
  /**
   * A commit's answer is built from its reserve's answer while that is at hand, else from what the
   * ledger keeps (a reserve long ago, with hundreds made since, or a reservation restored from a
   * store's record): either way it is the reservation as reserved, committed, and what
   * {@code reservation(id)} reads back.
   */
  @Test
  void aCommit_answersTheReservationAsReservedThenCommitted_howeverLongAgoItWasReserved() {
    SpendLimit perAgent = SpendLimit.monthly(Money.usd("100000.00")).perAgent();
    SpendLimit daily = SpendLimit.daily(Money.usd("100000.00"));
    SpendLimit single = SpendLimit.perTransaction(Money.usd("90.00"));
    Reservation old = ledger.reserve(request("old", A, CF, "12.34", perAgent, daily, single));
    time.advance(Duration.ofMinutes(5));
    List<Reservation> since = new ArrayList<>();
    for (int i = 0; i < 700; i++) {
      since.add(ledger.reserve(request("since-" + i, i % 3 == 0 ? B : A, CF, "0.0" + (1 + i % 9),
          i % 2 == 0 ? new SpendLimit[] {perAgent} : new SpendLimit[] {daily, perAgent})));
    }
    Reservation last = since.get(since.size() - 1);
    Reservation lastCommitted = ledger.commit(last.id(), Money.usd("0.01"));
    Reservation oldCommitted = ledger.commit("old", Money.usd("12.00"));
    Reservation earlyCommitted = ledger.commit(since.get(3).id(), Money.usd("0.00"));

    assertThat(oldCommitted).isEqualTo(old.toBuilder().status(Reservation.Status.COMMITTED)
        .committed(Money.usd("12.00")).build());
    assertThat(lastCommitted).isEqualTo(last.toBuilder().status(Reservation.Status.COMMITTED)
        .committed(Money.usd("0.01")).build());
    assertThat(earlyCommitted).isEqualTo(since.get(3).toBuilder().status(Reservation.Status.COMMITTED)
        .committed(Money.usd("0.00")).build());
    assertThat(ledger.reservation("old")).contains(oldCommitted);
    assertThat(ledger.reservation(last.id())).contains(lastCommitted);
    assertThat(ledger.reservation(since.get(3).id())).contains(earlyCommitted);
    assertThat(oldCommitted.usage()).hasSize(3);

    InMemorySpendLedger restored = new InMemorySpendLedger(time);
    restored.restore(old);
    assertThat(restored.commit("old", Money.usd("12.00"))).isEqualTo(oldCommitted);
  }

  /**
   * A settled reservation leaves the expiry queue at once when it is the last in it, and otherwise
   * when it reaches the head; either way every unsettled one still stops counting at its own expiry,
   * and a committed one counts what was charged for good.
   */
  @Test
  void unsettledReservations_stopCountingEachAtItsExpiry_whateverWasSettledAroundThem() {
    SpendLimit cap = SpendLimit.monthly(Money.usd("1000.00"));
    Instant t0 = time.instant();
    reserveFor("r1", "10.00", Duration.ofMinutes(60), cap);
    reserveFor("r2", "20.00", Duration.ofMinutes(30), cap);
    reserveFor("r3", "5.00", Duration.ofMinutes(90), cap);
    ledger.commit("r3", Money.usd("5.00")); // the last in the queue
    reserveFor("r4", "1.00", Duration.ofMinutes(45), cap);
    reserveFor("r5", "2.00", Duration.ofMinutes(20), cap);
    ledger.release("r5"); // the last in the queue, and the soonest to expire
    ledger.commit("r2", Money.usd("20.00")); // not the last: it leaves when it reaches the head
    assertThat(used(cap, A, CF)).isEqualTo(Money.usd("36.00"));

    time.set(t0.plus(Duration.ofMinutes(45)));
    assertThat(used(cap, A, CF)).as("r4 expired").isEqualTo(Money.usd("35.00"));
    reserveFor("r6", "3.00", Duration.ofMinutes(5), cap);
    ledger.commit("r6", Money.usd("3.00"));
    time.set(t0.plus(Duration.ofMinutes(60)));
    assertThat(used(cap, A, CF)).as("r1 expired").isEqualTo(Money.usd("28.00"));
    time.set(t0.plus(Duration.ofHours(3)));
    assertThat(used(cap, A, CF)).as("what was committed").isEqualTo(Money.usd("28.00"));
    assertThat(ledger.reservation("r1").orElseThrow().status()).isEqualTo(Reservation.Status.RESERVED);
  }

  private Reservation reserveFor(String id, String usd, Duration ttl, SpendLimit... limits) {
    Instant at = time.instant();
    return ledger.reserve(new ReservationRequest(id, A, CF, null, null, Money.usd(usd), at, at.plus(ttl),
        List.of(limits), ZoneOffset.UTC, "test spend " + id));
  }

  @Test
  void settledReservations_readBackAsReserved_withTheirNewStatus() {
    SpendLimit perAgent = SpendLimit.monthly(Money.usd("500.00")).perAgent();
    SpendLimit daily = SpendLimit.daily(Money.usd("300.00"));
    SpendLimit single = SpendLimit.perTransaction(Money.usd("90.00"));
    List<Reservation> reserved = new ArrayList<>();
    List<Reservation> settled = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      SpendLimit[] limits = i % 3 == 0 ? new SpendLimit[] {perAgent, daily, single}
          : i % 3 == 1 ? new SpendLimit[] {MONTHLY_100} : new SpendLimit[0];
      Reservation r = ledger.reserve(request("s" + i, i % 2 == 0 ? A : B, CF, "1" + i + ".25", limits));
      reserved.add(r);
      assertThat(ledger.reservation(r.id())).contains(r);
      assertThat(ledger.reserve(request("s" + i, A, "other", "99.00"))).as("a repeated reserve").isEqualTo(r);
      Reservation after = switch (i % 3) {
        case 0 -> ledger.commit(r.id(), Money.usd("10.00"));
        case 1 -> ledger.release(r.id());
        default -> ledger.markUncertain(r.id());
      };
      Reservation expected = switch (i % 3) {
        case 0 -> r.toBuilder().status(Reservation.Status.COMMITTED).committed(Money.usd("10.00")).build();
        case 1 -> r.toBuilder().status(Reservation.Status.RELEASED).build();
        default -> r.toBuilder().status(Reservation.Status.UNCERTAIN).build();
      };
      assertThat(after).isEqualTo(expected);
      assertThat(ledger.reservation(r.id())).contains(expected);
      assertThat(ledger.reserve(request("s" + i, A, CF, "1.00"))).as("a repeated reserve, settled").isEqualTo(expected);
      settled.add(expected);
      time.advance(Duration.ofHours(i == 2 ? 30 : 1)); // the third crosses into the next day's window
    }
    assertThat(reserved.get(0).usage()).hasSize(3);
    assertThat(reserved.get(3).usage().get(1).window()).isNotEqualTo(reserved.get(0).usage().get(1).window());
    assertThat(reserved.get(3).usage().get(0).used()).as("B's month: s1 was released").isEqualTo(Money.usd("13.25"));
    assertThat(ledger.reservations(RunId.of("run_1"))).containsExactlyElementsOf(settled);
    assertThat(ledger.reservations(null, null, Instant.EPOCH, time.instant())).containsExactlyElementsOf(settled);
    assertThat(ledger.reservations(B, CF, Instant.EPOCH, time.instant()))
        .containsExactly(settled.get(1), settled.get(3), settled.get(5));
  }

  @Test
  void reserve_withinTheLimit_holdsTheAmount() {
    Reservation r = reserve("r1", "30.00", MONTHLY_100);

    assertThat(r.status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(r.amount()).isEqualTo(Money.usd("30.00"));
    assertThat(r.usage()).singleElement().satisfies(u -> {
      assertThat(u.used()).isEqualTo(Money.usd("30.00"));
      assertThat(u.bucket()).isEqualTo("provider=cloudflare");
      assertThat(u.remaining()).isEqualTo(Money.usd("70.00"));
      assertThat(u.percentUsed()).isEqualTo(30);
    });
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("30.00"));
    assertThat(ledger.reservation("r1")).contains(r);
  }

  @Test
  void reserve_upToExactlyTheLimit_isAllowed() {
    reserve("r1", "60.00", MONTHLY_100);
    Reservation r2 = reserve("r2", "40.00", MONTHLY_100);

    assertThat(r2.usage().get(0).remaining()).isEqualTo(Money.usd("0.00"));
    assertThat(r2.usage().get(0).percentUsed()).isEqualTo(100);
  }

  @Test
  void reserve_overTheLimit_refusesNamingTheLimitAndReservesNothing() {
    reserve("r1", "80.00", MONTHLY_100);

    assertThatThrownBy(() -> reserve("r2", "30.00", MONTHLY_100))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> {
          assertThat(e.limit()).isEqualTo("monthly/per-provider [provider=cloudflare]");
          assertThat(e.requested()).isEqualTo(Money.usd("30.00"));
          assertThat(e.used()).isEqualTo(Money.usd("80.00"));
          assertThat(e.remaining()).isEqualTo(Money.usd("20.00"));
          assertThat(e.getMessage()).contains("monthly limit of USD 100.00");
          assertThat(e.retryable()).isFalse();
        });
    assertThat(ledger.reservation("r2")).isEmpty();
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("80.00"));
  }

  @Test
  void reserve_whenASecondLimitRefuses_reservesNothingUnderTheFirst() {
    SpendLimit daily = SpendLimit.daily(Money.usd("10.00"));

    assertThatThrownBy(() -> reserve("r1", "15.00", MONTHLY_100, daily))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> assertThat(e.limit()).startsWith("daily/global"));
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("0.00"));
    assertThat(ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)).isEmpty();
  }

  @Test
  void reserve_perTransaction_capsEachSpendWithoutAccumulating() {
    SpendLimit each = SpendLimit.perTransaction(Money.usd("25.00"));

    reserve("r1", "25.00", each);
    reserve("r2", "25.00", each);

    assertThatThrownBy(() -> reserve("r3", "25.01", each)).isInstanceOfSatisfying(PolicyViolationException.class,
        e -> assertThat(e.getMessage()).contains("a single spend may not exceed USD 25.00"));
  }

  @Test
  void reserve_daily_startsAfreshAtMidnight() {
    SpendLimit daily = SpendLimit.daily(Money.usd("10.00"));
    time.set(Instant.parse("2026-11-02T23:00:00Z"));
    reserve("r1", "10.00", daily);
    ledger.commit("r1", Money.usd("10.00"));

    time.set(Instant.parse("2026-11-02T23:59:59Z"));
    assertThatThrownBy(() -> reserve("r2", "0.01", daily)).isInstanceOf(PolicyViolationException.class);

    time.set(Instant.parse("2026-11-03T00:00:00Z"));
    assertThat(reserve("r3", "10.00", daily).status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void reserve_monthly_startsAfreshOnTheFirst() {
    time.set(Instant.parse("2026-01-31T23:00:00Z"));
    reserve("r1", "100.00", MONTHLY_100);
    ledger.commit("r1", Money.usd("100.00"));
    time.advance(Duration.ofMinutes(59));
    assertThatThrownBy(() -> reserve("r2", "1.00", MONTHLY_100)).isInstanceOf(PolicyViolationException.class);

    time.set(Instant.parse("2026-02-01T00:00:00Z"));

    assertThat(reserve("r3", "100.00", MONTHLY_100).usage().get(0).used()).isEqualTo(Money.usd("100.00"));
  }

  @Test
  void reserve_perProvider_keepsABucketPerProvider() {
    reserve("r1", "100.00", MONTHLY_100);

    Reservation stripe = ledger.reserve(request("r2", A, "stripe", "100.00", MONTHLY_100));

    assertThat(stripe.usage().get(0).bucket()).isEqualTo("provider=stripe");
    assertThatThrownBy(() -> ledger.reserve(request("r3", B, CF, "0.01", MONTHLY_100)))
        .as("another agent shares the provider's bucket").isInstanceOf(PolicyViolationException.class);
  }

  @Test
  void reserve_perAgent_keepsABucketPerAgent() {
    SpendLimit perAgent = SpendLimit.daily(Money.usd("20.00")).perAgent();
    ledger.reserve(request("r1", A, CF, "20.00", perAgent));

    assertThat(ledger.reserve(request("r2", B, CF, "20.00", perAgent)).usage().get(0).bucket()).isEqualTo("agent=agent-b");
    assertThatThrownBy(() -> ledger.reserve(request("r3", A, "stripe", "0.01", perAgent)))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> assertThat(e.limit()).contains("[agent=agent-a]"));
  }

  @Test
  void reserve_global_addsEveryoneTogether() {
    SpendLimit global = SpendLimit.monthly(Money.usd("50.00"));
    ledger.reserve(request("r1", A, CF, "30.00", global));
    ledger.reserve(request("r2", B, "stripe", "20.00", global));

    assertThatThrownBy(() -> ledger.reserve(request("r3", B, CF, "0.01", global)))
        .isInstanceOf(PolicyViolationException.class);
  }

  @Test
  void reserve_inAnotherCurrencyThanTheLimit_refuses() {
    assertThatThrownBy(() -> ledger.reserve(request("r1", A, CF, Money.eur("1.00"), MONTHLY_100)))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> {
          assertThat(e.getMessage()).contains("in USD").contains("add a limit in EUR");
          assertThat(e.requested()).isEqualTo(Money.eur("1.00"));
        });
    assertThat(ledger.reservation("r1")).isEmpty();
  }

  @Test
  void reserve_withTheSameIdAgain_returnsTheFirstReservation() {
    Reservation first = reserve("r1", "30.00", MONTHLY_100);

    Reservation again = reserve("r1", "30.00", MONTHLY_100);
    Reservation differentAmount = reserve("r1", "99.00", MONTHLY_100);

    assertThat(again).isEqualTo(first);
    assertThat(differentAmount).isEqualTo(first);
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("30.00"));
    ledger.commit("r1", Money.usd("30.00"));
    assertThat(reserve("r1", "30.00", MONTHLY_100).status()).isEqualTo(Reservation.Status.COMMITTED);
  }

  @Test
  void commit_lowerThanReserved_countsWhatWasCharged() {
    reserve("r1", "30.00", MONTHLY_100);

    Reservation r = ledger.commit("r1", Money.usd("20.00"));

    assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED);
    assertThat(r.committed()).isEqualTo(Money.usd("20.00"));
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("20.00"));
  }

  @Test
  void commit_moreThanReserved_refusesAndLeavesTheReservation() {
    reserve("r1", "30.00", MONTHLY_100);

    assertThatThrownBy(() -> ledger.commit("r1", Money.usd("30.01")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("actual");
          assertThat(e.problem()).contains("exceeds the reserved USD 30.00");
        });
    assertThat(ledger.reservation("r1").orElseThrow().status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void commit_inAnotherCurrencyOrNegative_refuses() {
    reserve("r1", "30.00", MONTHLY_100);

    assertThatThrownBy(() -> ledger.commit("r1", Money.eur("1.00"))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> ledger.commit("r1", Money.usd("-1.00"))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> ledger.commit("nope", Money.usd("1.00")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("reservationId"));
  }

  @Test
  void commit_twice_isANoOpOnlyForTheSameAmount() {
    reserve("r1", "30.00", MONTHLY_100);
    Reservation once = ledger.commit("r1", Money.usd("25.00"));

    assertThat(ledger.commit("r1", Money.usd("25.00"))).isEqualTo(once);
    assertThatThrownBy(() -> ledger.commit("r1", Money.usd("26.00"))).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void release_givesTheMoneyBackOnce() {
    reserve("r1", "100.00", MONTHLY_100);

    Reservation released = ledger.release("r1");

    assertThat(released.status()).isEqualTo(Reservation.Status.RELEASED);
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("0.00"));
    assertThat(ledger.release("r1")).isEqualTo(released);
    assertThatThrownBy(() -> ledger.commit("r1", Money.usd("1.00"))).isInstanceOf(InvalidRequestException.class);
    assertThat(reserve("r2", "100.00", MONTHLY_100).status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void release_afterCommit_refuses() {
    reserve("r1", "10.00", MONTHLY_100);
    ledger.commit("r1", Money.usd("10.00"));

    assertThatThrownBy(() -> ledger.release("r1")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.fix()).contains("refund"));
  }

  @Test
  void reserve_afterAnUnsettledReservationExpired_stopsCountingIt() {
    reserve("r1", "100.00", MONTHLY_100);
    time.advance(SpendPolicy.DEFAULT_RESERVATION_TTL.minusSeconds(1));
    assertThatThrownBy(() -> reserve("r2", "1.00", MONTHLY_100)).isInstanceOf(PolicyViolationException.class);

    time.advance(Duration.ofSeconds(1));

    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("0.00"));
    assertThat(reserve("r3", "100.00", MONTHLY_100).status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void commit_afterExpiry_stillRecordsTheCharge() {
    reserve("r1", "60.00", MONTHLY_100);
    time.advance(Duration.ofHours(2));

    ledger.commit("r1", Money.usd("60.00"));

    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("60.00"));
  }

  @Test
  void markAlert_isTrueOnlyTheFirstTime() {
    assertThat(ledger.markAlert("monthly/per-provider|provider=cloudflare|2026-11|80")).isTrue();
    assertThat(ledger.markAlert("monthly/per-provider|provider=cloudflare|2026-11|80")).isFalse();
    assertThat(ledger.markAlert("monthly/per-provider|provider=cloudflare|2026-11|100")).isTrue();
  }

  @Test
  void reservations_filterByAgentProviderAndTime() {
    ledger.reserve(request("r1", A, CF, "1.00", MONTHLY_100));
    time.advance(Duration.ofMinutes(1));
    ledger.reserve(request("r2", B, CF, "1.00", MONTHLY_100));
    time.advance(Duration.ofMinutes(1));
    ledger.reserve(request("r3", A, "stripe", "1.00", MONTHLY_100));

    assertThat(ledger.reservations(A, null, Instant.EPOCH, Instant.MAX)).extracting(Reservation::id)
        .containsExactly("r1", "r3");
    assertThat(ledger.reservations(null, CF, Instant.EPOCH, Instant.MAX)).extracting(Reservation::id)
        .containsExactly("r1", "r2");
    assertThat(ledger.reservations(null, null, Instant.parse("2026-11-02T09:01:00Z"), Instant.parse("2026-11-02T09:02:00Z")))
        .extracting(Reservation::id).containsExactly("r2");
  }

  @Test
  void reservations_ofARun_areItsOwnInTheOrderMade() {
    ledger.reserve(new ReservationRequest("plan", A, CF, RunId.of("run_1"), StepId.of("plan"), Money.usd("5.00"),
        time.instant(), time.instant().plus(SpendPolicy.DEFAULT_RESERVATION_TTL), List.of(MONTHLY_100), ZoneOffset.UTC,
        "plan"));
    ledger.reserve(new ReservationRequest("other", A, CF, RunId.of("run_2"), StepId.of("plan"), Money.usd("1.00"),
        time.instant(), time.instant().plus(SpendPolicy.DEFAULT_RESERVATION_TTL), List.of(MONTHLY_100), ZoneOffset.UTC,
        "another run"));
    time.advance(Duration.ofDays(40));
    ledger.reserve(new ReservationRequest("domain", A, "registrar", RunId.of("run_1"), StepId.of("domain"),
        Money.usd("9.00"), time.instant(), time.instant().plus(SpendPolicy.DEFAULT_RESERVATION_TTL), List.of(),
        ZoneOffset.UTC, "domain"));
    ledger.commit("plan", Money.usd("5.00"));

    assertThat(ledger.reservations(RunId.of("run_1"))).extracting(Reservation::id, Reservation::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("plan", Reservation.Status.COMMITTED),
            org.assertj.core.groups.Tuple.tuple("domain", Reservation.Status.RESERVED));
    assertThat(ledger.reservations(RunId.of("run_9"))).isEmpty();
  }

  @Test
  void commit_inTheNextMonth_countsInTheMonthItWasReservedIn() {
    time.set(Instant.parse("2026-11-30T23:30:00Z"));
    reserve("r1", "60.00", MONTHLY_100);
    time.set(Instant.parse("2026-12-01T00:10:00Z"));

    ledger.commit("r1", Money.usd("50.00"));

    assertThat(ledger.usage(MONTHLY_100, A, CF, Instant.parse("2026-11-15T00:00:00Z"), ZoneOffset.UTC).used())
        .isEqualTo(Money.usd("50.00"));
    assertThat(used(MONTHLY_100, A, CF)).as("December").isEqualTo(Money.usd("0.00"));
    assertThat(reserve("r2", "100.00", MONTHLY_100).status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void aLimitAddedLater_countsWhatWasSpentBeforeIt() {
    reserve("r1", "30.00", MONTHLY_100);
    ledger.commit("r1", Money.usd("30.00"));
    reserve("r2", "15.00", MONTHLY_100);
    SpendLimit daily = SpendLimit.daily(Money.usd("50.00")).perAgent();

    assertThatThrownBy(() -> reserve("r3", "5.01", MONTHLY_100, daily))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> {
          assertThat(e.limit()).isEqualTo("daily/per-agent [agent=agent-a]");
          assertThat(e.used()).isEqualTo(Money.usd("45.00"));
        });
    assertThat(reserve("r4", "5.00", MONTHLY_100, daily).usage()).extracting(u -> u.used())
        .containsExactly(Money.usd("50.00"), Money.usd("50.00"));
  }

  @Test
  void aLimitRemovedAndAddedAgain_stillCountsWhatWasSpentMeanwhile() {
    SpendLimit daily = SpendLimit.daily(Money.usd("50.00"));
    reserve("r1", "20.00", MONTHLY_100, daily);
    reserve("r2", "20.00", MONTHLY_100); // the daily limit was removed from the policy
    SpendLimit lowered = daily.withAmount(Money.usd("45.00"));

    assertThatThrownBy(() -> reserve("r3", "5.01", MONTHLY_100, lowered)).isInstanceOf(PolicyViolationException.class);
    assertThat(ledger.usage(lowered, B, "stripe", time.instant(), ZoneOffset.UTC).used()).isEqualTo(Money.usd("40.00"));
  }

  @Test
  void daily_inThePolicysZone_startsAtLocalMidnight() {
    ZoneId la = ZoneId.of("America/Los_Angeles");
    SpendLimit daily = SpendLimit.daily(Money.usd("10.00"));
    time.set(Instant.parse("2026-11-03T07:30:00Z")); // 23:30 on 2 November in Los Angeles
    Instant at = time.instant();
    ledger.reserve(new ReservationRequest("r1", A, CF, null, null, Money.usd("10.00"), at, at.plus(Duration.ofDays(2)),
        List.of(daily), la, "late evening"));

    time.set(Instant.parse("2026-11-03T07:59:59Z"));
    Instant stillThatDay = time.instant();
    assertThatThrownBy(() -> ledger.reserve(new ReservationRequest("r2", A, CF, null, null, Money.usd("0.01"),
        stillThatDay, stillThatDay.plusSeconds(60), List.of(daily), la, "same day"))).isInstanceOf(PolicyViolationException.class);
    time.set(Instant.parse("2026-11-03T08:00:00Z")); // midnight in Los Angeles
    Instant nextDay = time.instant();
    assertThat(ledger.reserve(new ReservationRequest("r3", A, CF, null, null, Money.usd("10.00"), nextDay,
        nextDay.plusSeconds(60), List.of(daily), la, "next day")).usage().get(0).used()).isEqualTo(Money.usd("10.00"));
    assertThat(ledger.usage(daily, A, CF, nextDay, ZoneOffset.UTC).used()).as("one UTC day holds both")
        .isEqualTo(Money.usd("20.00"));
  }

  @Test
  void expiry_afterALongQuiet_isNoticedByTheNextRead() {
    for (int i = 0; i < 50; i++) {
      reserve("r" + i, "2.00", MONTHLY_100);
    }
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("100.00"));

    time.advance(SpendPolicy.DEFAULT_RESERVATION_TTL);

    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("0.00"));
    assertThat(ledger.reservation("r0").orElseThrow().status()).as("an expired reservation keeps its status")
        .isEqualTo(Reservation.Status.RESERVED);
    assertThat(ledger.commit("r0", Money.usd("2.00")).status()).isEqualTo(Reservation.Status.COMMITTED);
    assertThat(used(MONTHLY_100, A, CF)).isEqualTo(Money.usd("2.00"));
  }

  @Test
  void reserve_from16Threads_neverExceedsTheLimit() throws Exception {
    SpendLimit limit = SpendLimit.monthly(Money.usd("100.00"));
    int threads = 16;
    int perThread = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          String id = "t" + thread + "-" + i;
          long cents = 100 + ((thread * 31L + i * 17L) % 700); // USD 1.00 .. 7.99
          try {
            Reservation r = ledger.reserve(request(id, thread % 2 == 0 ? A : B, CF, Money.ofMinor(cents, "USD"), limit));
            admitted.incrementAndGet();
            assertThat(r.usage().get(0).used()).isLessThanOrEqualTo(limit.amount());
            switch (i % 3) {
              case 0 -> ledger.commit(id, Money.ofMinor(cents / 2, "USD"));
              case 1 -> ledger.release(id);
              default -> { } // left held
            }
          } catch (PolicyViolationException e) {
            refused.incrementAndGet();
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    Money counted = Money.zero("USD");
    for (Reservation r : ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)) {
      counted = counted.plus(r.counted(time.instant()));
    }
    LimitUsage usage = ledger.usage(limit, A, CF, time.instant(), ZoneOffset.UTC);
    assertThat(counted).isLessThanOrEqualTo(limit.amount());
    assertThat(usage.used()).isEqualTo(counted);
    assertThat(admitted.get() + refused.get()).isEqualTo(threads * perThread);
    assertThat(refused.get()).as("the limit was reached").isPositive();
    assertThat(admitted.get()).isPositive();
  }
}
