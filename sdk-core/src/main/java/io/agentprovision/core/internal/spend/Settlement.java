package io.agentprovision.core.internal.spend;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.Reservation;
import java.util.function.UnaryOperator;

/** The commit and release rules every ledger shares; stores supply persistence. */
public final class Settlement {
  private Settlement() {}

  /**
   * Commits {@code actual} on {@code r}. A reservation past its expiry may still be committed: the
   * charge happened, and the ledger must show it even if it now overshoots a limit.
   */
  public static Reservation commit(Reservation r, Money actual, UnaryOperator<Reservation> store) {
    if (!actual.sameCurrency(r.amount())) {
      throw new InvalidRequestException("actual", "is in " + actual.currencyCode() + " but reservation " + r.id()
          + " is in " + r.amount().currencyCode(), "commit in the reserved currency");
    }
    actual.requireNonNegative("actual");
    if (actual.greaterThan(r.amount())) {
      throw new InvalidRequestException("actual", actual + " exceeds the reserved " + r.amount() + " of " + r.id(),
          "reserve the full price before the paid call");
    }
    switch (r.status()) {
      case COMMITTED:
        if (actual.equals(r.committed())) {
          return r;
        }
        throw new InvalidRequestException("actual", "reservation " + r.id() + " was already committed at " + r.committed(),
            "commit each reservation once");
      case RELEASED:
        throw new InvalidRequestException("reservationId", "reservation " + r.id() + " was released",
            "do not commit a reservation after releasing it; reserve again");
      default:
        return store.apply(with(r, Reservation.Status.COMMITTED, actual));
    }
  }

  /**
   * Releases {@code r}; a released reservation stays as it is; a committed one cannot be released,
   * nor an uncertain one (the provider may have charged it: only {@link #reconcile} settles it).
   */
  public static Reservation release(Reservation r, UnaryOperator<Reservation> store) {
    switch (r.status()) {
      case RELEASED:
      case EXPIRED:
        return r;
      case COMMITTED:
        throw new InvalidRequestException("reservationId", "reservation " + r.id() + " was already committed at "
            + r.committed(), "a committed spend cannot be released; record a refund instead");
      case UNCERTAIN:
        throw new InvalidRequestException("reservationId", "reservation " + r.id() + " is uncertain: the provider "
            + "may have charged it", "find out what was charged, then settle it with reconcile(id, charged)");
      default:
        return store.apply(with(r, Reservation.Status.RELEASED, null));
    }
  }

  /**
   * Holds {@code r} as uncertain: its paid call may have charged it. A reserved (or expired)
   * reservation becomes uncertain and counts again in full; an uncertain or committed one stays as
   * it is; a released one cannot (money given back cannot be found to be owed here: reserve again).
   */
  public static Reservation markUncertain(Reservation r, UnaryOperator<Reservation> store) {
    switch (r.status()) {
      case UNCERTAIN:
      case COMMITTED:
        return r;
      case RELEASED:
        throw new InvalidRequestException("reservationId", "reservation " + r.id() + " was released",
            "mark a reservation uncertain before releasing it; a released one is settled");
      default:
        return store.apply(with(r, Reservation.Status.UNCERTAIN, null));
    }
  }

  /**
   * Settles {@code r} by what reconciliation found the provider {@code charged}: zero releases it,
   * more commits that much (at most the reserved amount, in its currency). Settling a settled
   * reservation the same way again is a no-op; any other second answer is refused.
   */
  public static Reservation reconcile(Reservation r, Money charged, UnaryOperator<Reservation> store) {
    if (!charged.sameCurrency(r.amount())) {
      throw new InvalidRequestException("charged", "is in " + charged.currencyCode() + " but reservation " + r.id()
          + " is in " + r.amount().currencyCode(), "reconcile in the reserved currency");
    }
    charged.requireNonNegative("charged");
    if (!charged.isPositive()) {
      switch (r.status()) {
        case RELEASED:
        case EXPIRED:
          return r;
        case COMMITTED:
          throw new InvalidRequestException("charged", "reservation " + r.id() + " was already committed at "
              + r.committed(), "a committed spend cannot be released; record a refund instead");
        default:
          return store.apply(with(r, Reservation.Status.RELEASED, null));
      }
    }
    return commit(r, charged, store);
  }

  private static Reservation with(Reservation r, Reservation.Status status, @org.jspecify.annotations.Nullable Money committed) {
    return new Reservation(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), committed, status, r.createdAt(),
        r.expiresAt(), r.usage(), r.description());
  }
}
