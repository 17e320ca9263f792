package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a reservation was asked for and keeps through every state: its id, spender, provider, run,
 * step, amount, instants and description. A {@link ReservationRequest} holds one, and the
 * {@link Reservation}s made from it (held, then committed or released) share it rather than copy
 * its nine values, so each answer of a ledger stores four references.
 *
 * <p>Immutable once {@link #of} returns, though its fields are not {@code final}: it is only ever
 * reached through a {@code final} field of a request or a reservation, set after {@link #of}
 * filled it, so what that field's holder publishes includes these values (the final-field rule of
 * the memory model). Why not {@code final}: the nine stores are then made in {@link #of}, into an
 * object that method has just allocated, which the JIT compiles without G1's write barriers; in a
 * constructor of their own, compiled on its own before its callers (as a hot constructor is), each
 * store keeps its barriers, and the compiled code grows past the size the JIT inlines
 * ({@code benchmarks/baseline.md}, in-memory ledger, rounds 12 and 14).
 */
final class ReservationTerms {
  String id;
  AgentId agent;
  String provider;
  @Nullable RunId run;
  @Nullable StepId step;
  Money amount;
  Instant at;
  Instant expiresAt;
  String description;

  @SuppressWarnings("NullAway.Init")
  private ReservationTerms() {}

  /** The terms of these values; the callers have checked them. */
  static ReservationTerms of(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step,
      Money amount, Instant at, Instant expiresAt, String description) {
    ReservationTerms t = new ReservationTerms();
    t.id = id;
    t.agent = agent;
    t.provider = provider;
    t.run = run;
    t.step = step;
    t.amount = amount;
    t.at = at;
    t.expiresAt = expiresAt;
    t.description = description;
    return t;
  }

  /** Whether {@code o} holds the same values (the same object, as a ledger's answers share, at once). */
  boolean sameValues(ReservationTerms o) {
    return this == o || (id.equals(o.id) && agent.equals(o.agent) && provider.equals(o.provider)
        && Objects.equals(run, o.run) && Objects.equals(step, o.step) && amount.equals(o.amount) && at.equals(o.at)
        && expiresAt.equals(o.expiresAt) && description.equals(o.description));
  }
}
