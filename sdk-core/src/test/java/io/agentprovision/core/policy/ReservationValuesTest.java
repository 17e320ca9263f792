package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Reservation} and {@link ReservationRequest} were records and are final classes that share
 * their fixed values: what a caller compares, hashes, prints and is refused must be what the records
 * gave, whichever way a reservation was made (its twelve-value constructor, its builder, or a
 * ledger's {@link Reservation#madeFor} and {@link Reservation#withStatus}).
 */
class ReservationValuesTest {
  private static final Instant T = Instant.parse("2026-11-02T09:00:00Z");
  private static final AgentId AGENT = AgentId.of("agent");
  private static final SpendLimit DAILY = SpendLimit.daily(Money.usd("50.00"));
  private static final LimitUsage USAGE = new LimitUsage(DAILY, "agent|cloudflare",
      new SpendInterval.Window(T, T.plus(Duration.ofDays(1))), Money.usd("15.00"));

  private static ReservationRequest request() {
    return new ReservationRequest("run_1:domain:1", AGENT, "cloudflare", RunId.of("run_1"), StepId.of("domain"),
        Money.usd("15.00"), T, T.plus(Duration.ofHours(1)), List.of(DAILY), ZoneId.of("Europe/Paris"),
        "registrar:domain");
  }

  /** Each request that differs from {@link #request()} in exactly one of its eleven values. */
  private static List<ReservationRequest> eachValueChanged() {
    ReservationRequest r = request();
    return List.of(
        new ReservationRequest("other", r.agent(), r.provider(), r.run(), r.step(), r.amount(), r.at(), r.expiresAt(),
            r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), AgentId.of("other"), r.provider(), r.run(), r.step(), r.amount(), r.at(),
            r.expiresAt(), r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), "other", r.run(), r.step(), r.amount(), r.at(), r.expiresAt(),
            r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), null, r.step(), r.amount(), r.at(), r.expiresAt(),
            r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), null, r.amount(), r.at(), r.expiresAt(),
            r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), r.step(), Money.usd("15.01"), r.at(),
            r.expiresAt(), r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), T.plusNanos(1),
            r.expiresAt(), r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), r.at(), T,
            r.limits(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), r.at(), r.expiresAt(),
            List.of(), r.zone(), r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), r.at(), r.expiresAt(),
            r.limits(), ZoneOffset.UTC, r.description()),
        new ReservationRequest(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), r.at(), r.expiresAt(),
            r.limits(), r.zone(), ""));
  }

  @Test
  void aRequest_isEqualToAnotherOfTheSameValues_andToNoneThatDiffersInOne() {
    ReservationRequest r = request();

    assertThat(r).isEqualTo(request()).hasSameHashCodeAs(request());
    assertThat(r).isEqualTo(ReservationRequest.builder(r.id(), AGENT, "cloudflare", Money.usd("15.00"))
        .run(RunId.of("run_1")).step(StepId.of("domain")).at(T).expiresAt(T.plus(Duration.ofHours(1)))
        .limits(List.of(DAILY)).zone(ZoneId.of("Europe/Paris")).description("registrar:domain").build());
    for (ReservationRequest other : eachValueChanged()) {
      assertThat(other).isNotEqualTo(r);
      assertThat(r).isNotEqualTo(other);
    }
    assertThat(r).isNotEqualTo(null).isNotEqualTo(r.toString());
  }

  @Test
  void aRequest_printsAsTheRecordDid() {
    assertThat(request()).hasToString("ReservationRequest[id=run_1:domain:1, agent=agent, provider=cloudflare, run="
        + RunId.of("run_1") + ", step=" + StepId.of("domain") + ", amount=" + Money.usd("15.00")
        + ", at=2026-11-02T09:00:00Z, expiresAt=2026-11-02T10:00:00Z, limits=" + List.of(DAILY)
        + ", zone=Europe/Paris, description=registrar:domain]");
  }

  @Test
  void aRequest_refusesWhatTheRecordRefused() {
    ReservationRequest r = request();

    assertThatThrownBy(() -> new ReservationRequest(r.id(), r.agent(), r.provider(), null, null, Money.usd("-0.01"),
        r.at(), r.expiresAt(), r.limits(), r.zone(), r.description()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("amount"));
    assertThatThrownBy(() -> new ReservationRequest(r.id(), r.agent(), null, null, null, r.amount(), r.at(),
        r.expiresAt(), r.limits(), r.zone(), r.description())).isInstanceOf(NullPointerException.class)
        .hasMessage("provider");
    assertThatThrownBy(() -> new ReservationRequest(r.id(), r.agent(), r.provider(), null, null, r.amount(), r.at(),
        r.expiresAt(), r.limits(), null, r.description())).isInstanceOf(NullPointerException.class)
        .hasMessage("zone");
    List<SpendLimit> limits = new ArrayList<>(List.of(DAILY));
    ReservationRequest copied = new ReservationRequest(r.id(), r.agent(), r.provider(), null, null, r.amount(), r.at(),
        r.expiresAt(), limits, r.zone(), r.description());
    limits.clear();
    assertThat(copied.limits()).as("the limits are copied, as the record copied them").containsExactly(DAILY);
  }

  @Test
  void aReservationMadeForARequest_isTheOneItsValuesBuild() {
    ReservationRequest r = request();
    Reservation made = Reservation.madeFor(r, List.of(USAGE));
    Reservation built = new Reservation(r.id(), AGENT, "cloudflare", RunId.of("run_1"), StepId.of("domain"),
        Money.usd("15.00"), null, Reservation.Status.RESERVED, T, T.plus(Duration.ofHours(1)), List.of(USAGE),
        "registrar:domain");

    assertThat(made).isEqualTo(built).hasSameHashCodeAs(built).hasToString(built.toString());
    assertThat(built).isEqualTo(made);
    assertThat(made.toBuilder().build()).isEqualTo(made);
    assertThat(made.createdAt()).isEqualTo(r.at());
    assertThat(made.held()).isTrue();
    assertThat(made.counted(T)).isEqualTo(Money.usd("15.00"));
    assertThat(made.counted(T.plus(Duration.ofHours(1)))).as("expired").isEqualTo(Money.usd("0.00"));
  }

  @Test
  void aReservation_printsAsTheRecordDid() {
    Reservation made = Reservation.madeFor(request(), List.of(USAGE));

    assertThat(made).hasToString("Reservation[id=run_1:domain:1, agent=agent, provider=cloudflare, run="
        + RunId.of("run_1") + ", step=" + StepId.of("domain") + ", amount=" + Money.usd("15.00")
        + ", committed=null, status=RESERVED, createdAt=2026-11-02T09:00:00Z, expiresAt=2026-11-02T10:00:00Z, usage="
        + List.of(USAGE) + ", description=registrar:domain]");
  }

  @Test
  void aReservationsStatus_changed_isTheBuildersCopy_andRefusesWhatTheBuilderRefuses() {
    Reservation made = Reservation.madeFor(request(), List.of(USAGE));
    Reservation spent = made.withStatus(Reservation.Status.COMMITTED, Money.usd("14.20"));

    assertThat(spent).isEqualTo(made.toBuilder().status(Reservation.Status.COMMITTED).committed(Money.usd("14.20"))
        .build());
    assertThat(spent).isNotEqualTo(made);
    assertThat(spent.counted(T)).isEqualTo(Money.usd("14.20"));
    assertThat(made.status()).as("the one it came from is unchanged").isEqualTo(Reservation.Status.RESERVED);
    assertThat(made.withStatus(Reservation.Status.RELEASED, null).counted(T)).isEqualTo(Money.usd("0.00"));
    assertThatThrownBy(() -> made.withStatus(Reservation.Status.COMMITTED, null))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("committed"));
    assertThatThrownBy(() -> made.withStatus(Reservation.Status.COMMITTED, Money.parse("EUR 1.00")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("committed"));
    assertThatThrownBy(() -> made.withStatus(Reservation.Status.COMMITTED, Money.usd("-1.00")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("committed"));
  }

  @Test
  void reservations_differingInOneValue_areNotEqual() {
    Reservation r = Reservation.madeFor(request(), List.of(USAGE));
    List<Reservation> others = new ArrayList<>();
    for (ReservationRequest changed : eachValueChanged()) {
      Reservation o = Reservation.madeFor(changed, List.of(USAGE));
      if (!changed.limits().equals(request().limits()) || !changed.zone().equals(request().zone())) {
        // a request's limits and zone are not part of the reservation
        assertThat(o).isEqualTo(r).hasSameHashCodeAs(r);
      } else {
        others.add(o);
      }
    }
    others.add(Reservation.madeFor(request(), List.of()));
    others.add(r.withStatus(Reservation.Status.UNCERTAIN, null));
    others.add(r.withStatus(Reservation.Status.RESERVED, Money.usd("0.00")));
    assertThat(others).hasSize(12);
    for (Reservation o : others) {
      assertThat(o).isNotEqualTo(r);
      assertThat(r).isNotEqualTo(o);
    }
  }

  @Test
  void theTwelveValueConstructor_checksWhatTheRecordChecked() {
    assertThatThrownBy(() -> new Reservation("r", AGENT, "cloudflare", null, null, Money.usd("1.00"), null, null, T, T,
        List.of(), "")).isInstanceOf(NullPointerException.class).hasMessage("status");
    assertThatThrownBy(() -> new Reservation("r", AGENT, "cloudflare", null, null, Money.usd("1.00"), null,
        Reservation.Status.RESERVED, T, T, List.of(), null)).isInstanceOf(NullPointerException.class)
        .hasMessage("description");
    List<LimitUsage> usage = new ArrayList<>(List.of(USAGE));
    Reservation r = new Reservation("r", AGENT, "cloudflare", null, null, Money.usd("1.00"), null,
        Reservation.Status.RESERVED, T, T, usage, "");
    usage.clear();
    assertThat(r.usage()).as("the usage is copied, as the record copied it").containsExactly(USAGE);
  }
}
