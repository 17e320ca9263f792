package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * {@link SpendLedger} in memory. One lock makes each reserve atomic against all its limits, which
 * is what keeps concurrent runs from overspending. Reservations are also indexed by the time they
 * were made, so a limit adds up only those inside its window (a monthly limit does not scan last
 * year's spend).
 */
public final class InMemorySpendLedger implements SpendLedger {
  private final Clock clock;
  private final Map<String, Reservation> reservations = new LinkedHashMap<>();
  private final NavigableMap<Instant, List<String>> byTime = new TreeMap<>();
  private final Set<String> alerts = new HashSet<>();

  public InMemorySpendLedger(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public synchronized Reservation reserve(ReservationRequest request) {
    Reservation existing = reservations.get(request.id());
    if (existing != null) {
      return existing;
    }
    Instant now = clock.instant();
    List<LimitUsage> before = new ArrayList<>();
    for (SpendLimit limit : request.limits()) {
      before.add(LimitMath.usage(limit, request.agent(), request.provider(), request.at(), request.zone(),
          within(limit.interval().windowAt(request.at(), request.zone())), now));
    }
    List<LimitUsage> after = LimitMath.admit(request, before);
    Reservation r = new Reservation(request.id(), request.agent(), request.provider(), request.run(), request.step(),
        request.amount(), null, Reservation.Status.RESERVED, request.at(), request.expiresAt(), after,
        request.description());
    reservations.put(r.id(), r);
    byTime.computeIfAbsent(r.createdAt(), t -> new ArrayList<>(1)).add(r.id());
    return r;
  }

  /** The reservations made inside {@code window}: the only ones a limit over that window can count. */
  private List<Reservation> within(SpendInterval.Window window) {
    List<Reservation> out = new ArrayList<>();
    if (!window.start().isBefore(window.end())) {
      return out; // a per-transaction limit counts nothing but the spend itself
    }
    for (List<String> ids : byTime.subMap(window.start(), true, window.end(), false).values()) {
      for (String id : ids) {
        out.add(reservations.get(id));
      }
    }
    return out;
  }

  @Override
  public synchronized Reservation commit(String reservationId, Money actual) {
    Reservation r = find(reservationId);
    return Settlement.commit(r, actual, this::store);
  }

  @Override
  public synchronized Reservation release(String reservationId) {
    Reservation r = find(reservationId);
    return Settlement.release(r, this::store);
  }

  @Override
  public synchronized Reservation markUncertain(String reservationId) {
    return Settlement.markUncertain(find(reservationId), this::store);
  }

  @Override
  public synchronized Reservation reconcile(String reservationId, Money charged) {
    return Settlement.reconcile(find(reservationId), Objects.requireNonNull(charged, "charged"), this::store);
  }

  private Reservation store(Reservation r) {
    reservations.put(r.id(), r);
    return r;
  }

  private Reservation find(String id) {
    Reservation r = reservations.get(Objects.requireNonNull(id, "reservationId"));
    if (r == null) {
      throw new InvalidRequestException("reservationId", "no reservation '" + id + "'", "reserve before you commit or release");
    }
    return r;
  }

  @Override
  public synchronized Optional<Reservation> reservation(String reservationId) {
    return Optional.ofNullable(reservations.get(reservationId));
  }

  @Override
  public synchronized LimitUsage usage(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone) {
    return LimitMath.usage(limit, agent, provider, at, zone, within(limit.interval().windowAt(at, zone)),
        clock.instant());
  }

  @Override
  public synchronized List<Reservation> reservations(@Nullable AgentId agent, @Nullable String provider, Instant from,
      Instant to) {
    List<Reservation> out = new ArrayList<>();
    if (!from.isBefore(to)) {
      return out;
    }
    for (Reservation r : within(new SpendInterval.Window(from, to))) {
      if ((agent == null || agent.equals(r.agent())) && (provider == null || provider.equals(r.provider()))) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public synchronized boolean markAlert(String alertKey) {
    return alerts.add(Objects.requireNonNull(alertKey, "alertKey"));
  }

  @Override
  public synchronized String toString() {
    return "InMemorySpendLedger{reservations=" + reservations.size() + "}";
  }
}
