package io.agentprovision.core.journal;

import io.agentprovision.core.RunId;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.util.Objects;

/**
 * A time-limited claim on a name, kept by the {@link RunJournal} so that every host sharing the
 * journal sees it: a run is executed by the one host holding {@code run:<id>}, and the steps that
 * link an account or buy a plan for a person hold that person's name while they look and buy.
 *
 * <p>The holder renews it before it expires (a heartbeat, and before each step and paid call);
 * when it expires, anyone may take it. The {@code token} tells tenures apart: it grows every time
 * the lease is acquired, so a holder whose lease was taken over (same owner id or not) finds its
 * token gone at its next renewal, and stops.
 *
 * <pre>{@code
 * Lease l = journal.acquireLease(Lease.runName(run), "host-a", now, now.plusSeconds(60)).orElseThrow();
 * l = journal.renewLease(l, later.plusSeconds(60)).orElseThrow(() -> new IllegalStateException("lost"));
 * journal.releaseLease(l);
 * }</pre>
 *
 * @param name what is leased, such as {@code run:run_42}
 * @param owner who holds it: a host's lease owner id, or a run id for a person's account and plan
 * @param token the tenure: greater than the token of every earlier tenure of this name
 * @param expiresAt when it stops holding unless renewed
 */
public record Lease(String name, String owner, long token, Instant expiresAt) {
  public Lease {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (name.isBlank() || owner.isBlank()) {
      throw new IllegalArgumentException("a lease needs a name and an owner");
    }
    if (token < 1) {
      throw new IllegalArgumentException("lease tokens count from 1: " + token);
    }
  }

  /** The name of {@code run}'s lease. */
  public static String runName(RunId run) {
    return "run:" + run.value();
  }

  /** Whether it no longer holds at {@code now} (an expired lease may be taken by anyone). */
  public boolean expiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /** Whether this is the same tenure as {@code other}: same name, owner and token. */
  public boolean sameTenure(Lease other) {
    return name.equals(other.name) && owner.equals(other.owner) && token == other.token;
  }

  /** This lease held until {@code until}. */
  public Lease until(Instant until) {
    return new Lease(name, owner, token, until);
  }
}
