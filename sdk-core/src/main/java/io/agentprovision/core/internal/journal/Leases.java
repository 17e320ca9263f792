package io.agentprovision.core.internal.journal;

import io.agentprovision.core.journal.Lease;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The lease rules of {@link io.agentprovision.core.spi.RunJournal}, applied to what a store holds
 * for one name: the lease (null when released) and the last token handed out. The stores call these
 * under their own lock and write back the slot returned.
 */
final class Leases {
  private Leases() {}

  /** What a store keeps per lease name: the lease (null once released) and the last token given. */
  record Slot(@Nullable Lease lease, long lastToken) {}

  /** The result of an operation: the new slot to store (null: store nothing) and what to answer. */
  record Change(@Nullable Slot store, Optional<Lease> answer) {
    static Change none() {
      return new Change(null, Optional.empty());
    }
  }

  /** {@link #acquire(Slot, String, String, Instant, Instant, long)} with the name's own count: its last token plus one. */
  static Change acquire(@Nullable Slot slot, String name, String owner, Instant now, Instant until) {
    return acquire(slot, name, owner, now, until, (slot == null ? 0 : slot.lastToken()) + 1);
  }

  /**
   * Grants {@code token} to a new tenure, if the name is free, expired or {@code owner}'s. The store
   * chooses the token: greater than any it gave the name before (its count, or one over all names).
   */
  static Change acquire(@Nullable Slot slot, String name, String owner, Instant now, Instant until, long token) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
    if (!until.isAfter(now)) {
      throw new IllegalArgumentException("a lease must end after it starts: " + until + " is not after " + now);
    }
    Lease held = slot == null ? null : slot.lease();
    if (held != null && !held.expiredAt(now) && !held.owner().equals(owner)) {
      return Change.none();
    }
    if (slot != null && token <= slot.lastToken()) {
      throw new IllegalStateException("token " + token + " is not above " + slot.lastToken() + ", the last of " + name);
    }
    Lease granted = new Lease(name, owner, token, until);
    return new Change(new Slot(granted, granted.token()), Optional.of(granted));
  }

  static Change renew(@Nullable Slot slot, Lease held, Instant until) {
    Lease stored = slot == null ? null : slot.lease();
    if (slot == null || stored == null || !stored.sameTenure(held)) {
      return Change.none();
    }
    Lease renewed = stored.until(until);
    return new Change(new Slot(renewed, slot.lastToken()), Optional.of(renewed));
  }

  static Change release(@Nullable Slot slot, Lease held) {
    Lease stored = slot == null ? null : slot.lease();
    if (slot == null || stored == null || !stored.sameTenure(held)) {
      return Change.none();
    }
    return new Change(new Slot(null, slot.lastToken()), Optional.of(stored));
  }
}
