package io.agentprovision.core.spi;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.internal.spend.FileSpendLedger;
import io.agentprovision.core.internal.spend.InMemorySpendLedger;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Holds money against spend limits: {@link #reserve} before any paid call (atomic against every
 * applicable limit at once), then {@link #commit} what was charged or {@link #release} it. A
 * reservation never settled stops counting at its expiry, unless its paid call may have charged
 * it: then it is {@link #markUncertain uncertain}, counts until {@link #reconcile reconciled}, and
 * never expires. All rules are shared ({@code internal.spend.LimitMath} for limits,
 * {@code internal.spend.Settlement} for settling), so every ledger applies the same ones. Thread-safe; a shared implementation
 * (JDBC) keeps several hosts from overspending one limit together.
 *
 * <pre>{@code
 * SpendLedger ledger = SpendLedger.file(Path.of("/var/lib/myapp/ledger"));   // survives restarts
 * SpendLedger forTests = SpendLedger.inMemory();
 * }</pre>
 */
public interface SpendLedger {
  /**
   * An in-memory ledger on the system clock: for tests and short-lived hosts. Its limits' use and
   * its budget alerts are gone when the process exits; see {@link #file(Path)}.
   */
  static SpendLedger inMemory() {
    return new InMemorySpendLedger(Clock.systemUTC());
  }

  /** An in-memory ledger on {@code clock} (for virtual time in tests). */
  static SpendLedger inMemory(Clock clock) {
    return new InMemorySpendLedger(clock);
  }

  /**
   * A ledger in a directory that keeps the month's spend and the alerts fired across restarts, on
   * one machine, with nothing to install: an append-only log of reservation events, each forced to
   * disk before the call returns (given to a provisioner: before its next request that may change
   * something, approval question or run end), replayed into the in-memory running totals when opened. Every
   * operation holds an OS file lock on the log and first reads what other processes appended, so
   * several processes on one machine may share the directory and still never overspend a limit
   * together. Creates the directory when missing. Keep it on a local disk; to share limits across
   * machines use the JDBC ledger ({@code sdk-jdbc}).
   *
   * <pre>{@code
   * SpendLedger ledger = SpendLedger.file(Path.of("/var/lib/myapp/ledger"));
   * }</pre>
   *
   * @throws io.agentprovision.core.AgentProvisionException when the directory cannot be used or its
   *     log holds an event that cannot be read
   */
  static SpendLedger file(Path dir) {
    return FileSpendLedger.open(dir, Clock.systemUTC());
  }

  /** A {@link #file(Path)} ledger whose reservations expire on {@code clock} (for virtual time in tests). */
  static SpendLedger file(Path dir, Clock clock) {
    return FileSpendLedger.open(dir, clock);
  }

  /**
   * Reserves {@code request.amount()} if, for every limit in the request, the bucket's use in its
   * window plus the amount stays within the limit; otherwise reserves nothing. Which reservations a
   * limit's bucket and window count, and the admission rule, are
   * {@code io.agentprovision.core.internal.spend.LimitMath}'s, shared by every ledger; the window is
   * the one containing {@code request.at()}, and the reservation counts there (and only there) for
   * its whole life, even when committed after that window has closed. A request whose id
   * is already reserved, committed or released returns that reservation unchanged.
   *
   * @throws io.agentprovision.core.policy.PolicyViolationException naming the first limit that refuses
   */
  Reservation reserve(ReservationRequest request);

  /**
   * Records that {@code actual} (at most the reserved amount, same currency) was charged.
   * Committing a committed reservation with the same amount is a no-op.
   *
   * @throws io.agentprovision.core.InvalidRequestException for an unknown id, a released
   *     reservation, more than reserved, or another currency
   */
  Reservation commit(String reservationId, io.agentprovision.core.Money actual);

  /**
   * Gives a held reservation back; releasing a released or expired one is a no-op.
   *
   * @throws io.agentprovision.core.InvalidRequestException for an unknown id, a committed reservation,
   *     or an {@link Reservation.Status#UNCERTAIN uncertain} one (only {@link #reconcile} settles that)
   */
  Reservation release(String reservationId);

  /**
   * Holds a reservation as {@link Reservation.Status#UNCERTAIN uncertain}: its paid call may have
   * charged it and nobody knows yet. From then on it counts in full against every limit, whatever
   * its expiry, and no release (by the engine, a plug-in or anything that reaps expired
   * reservations) gives it back; only {@link #reconcile}, or a {@link #commit}, settles it. Marking
   * an uncertain or committed reservation is a no-op.
   *
   * @throws io.agentprovision.core.InvalidRequestException for an unknown id or a released reservation
   */
  Reservation markUncertain(String reservationId);

  /**
   * Settles a reservation by what reconciliation found the provider {@code charged}: zero releases
   * it, more commits that much (at most the reserved amount). This is how an
   * {@link Reservation.Status#UNCERTAIN uncertain} reservation ends; settling the same way twice
   * is a no-op.
   *
   * @throws io.agentprovision.core.InvalidRequestException for an unknown id, an amount above the
   *     reservation or in another currency, or an answer that contradicts an earlier settlement
   */
  Reservation reconcile(String reservationId, io.agentprovision.core.Money charged);

  Optional<Reservation> reservation(String reservationId);

  /** The use of {@code limit}'s bucket for this agent and provider in the window containing {@code at}. */
  LimitUsage usage(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone);

  /** Reservations, optionally filtered by agent and provider, created in {@code [from, to)}, oldest first. */
  List<Reservation> reservations(@Nullable AgentId agent, @Nullable String provider, Instant from, Instant to);

  /**
   * The reservations made for {@code run}, oldest first (as {@link #reservations(AgentId, String,
   * Instant, Instant)} orders them): what a run spent, read without going through the ledger's
   * history. The default filters every reservation the ledger
   * holds, so its cost grows with the ledger; a store should index reservations by run instead (the
   * in-memory ledger does).
   */
  default List<Reservation> reservations(RunId run) {
    java.util.Objects.requireNonNull(run, "run");
    List<Reservation> out = new java.util.ArrayList<>();
    for (Reservation r : reservations(null, null, Instant.MIN, Instant.MAX)) {
      if (run.equals(r.run())) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Marks an alert as fired; returns true only for the first call with this key, across every host
   * sharing the ledger, so each budget alert fires once.
   */
  boolean markAlert(String alertKey);
}
