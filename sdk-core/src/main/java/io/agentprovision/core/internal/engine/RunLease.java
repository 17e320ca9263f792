package io.agentprovision.core.internal.engine;

import io.agentprovision.core.RunId;
import io.agentprovision.core.RunLeasedException;
import io.agentprovision.core.journal.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases one execution of a run holds in the journal: the run's own, which makes this host
 * the one executing it, and the named ones its steps take (a person's account and plan, see
 * {@link PrincipalLock}). A heartbeat on the engine's scheduler renews them every third of the
 * lease duration while the run executes; {@link #check()} makes sure the lease is still held before
 * each step and each paid call (renewing it when half of it has run out), so a host whose lease was
 * taken over stops before its next side effect.
 *
 * <p>A crash ({@link #abandon()}) stops the heartbeat and leaves the leases to expire, as a dead
 * process would; any other end releases them.
 */
final class RunLease {
  private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);

  private final EngineConfig config;
  private final RunId run;
  /**
   * Half the lease's duration, made once: {@link Duration#dividedBy(long)} goes through
   * {@code BigDecimal}, and {@link #check} runs before every step and paid call.
   */
  private final Duration halfLease;
  private volatile Lease held;
  private volatile boolean lost;
  private final Map<String, Lease> named = new ConcurrentHashMap<>();
  private volatile @Nullable ScheduledFuture<?> heartbeat;

  private RunLease(EngineConfig config, RunId run, Lease held) {
    this.config = config;
    this.run = run;
    this.halfLease = config.leaseDuration().dividedBy(2);
    this.held = held;
  }

  /**
   * Takes {@code run}'s lease for this host and starts its heartbeat.
   *
   * @throws RunLeasedException when another host holds it unexpired ({@code what} says what was refused)
   */
  static RunLease acquire(EngineConfig config, RunId run, String what) {
    String name = Lease.runName(run);
    Instant now = config.clock().instant();
    Lease l = config.journal().acquireLease(name, config.leaseOwner(), now, now.plus(config.leaseDuration()))
        .orElseThrow(() -> new RunLeasedException(run, config.journal().lease(name).orElse(null), what));
    RunLease lease = new RunLease(config, run, l);
    long every = Math.max(1, config.leaseDuration().toMillis() / 3);
    try {
      lease.heartbeat = config.scheduler().scheduleAtFixedRate(lease::beat, every, every, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // a closed provisioner: the run still holds its lease, renewed at each check
      LOG.debug("run {}: no heartbeat, the scheduler is shut down", run);
    }
    return lease;
  }

  /** Whether this execution lost the run's lease (another host took the run over). */
  boolean lost() {
    return lost;
  }

  /**
   * Makes sure this host still holds the run's lease before a side effect, renewing it when less than
   * half of it is left.
   *
   * <p>While more than half the lease is left by this host's clock, no other host can have taken it:
   * another host is granted the lease only once it has expired ({@code expiresAt <= now}), and hosts'
   * clocks agree to well within a lease's duration (see {@code RunJournal}). So such a check writes
   * nothing; the heartbeat renews the lease every third of its duration, so most checks are of that
   * kind, and a step costs no journal write (a disk sync with the file journal, a transaction with
   * PostgreSQL) for its lease. The half that must be left is the margin for the clocks' disagreement
   * and for the time between this check and the side effect it guards, which a renewal gave before.
   *
   * @throws RunLeasedException when the lease was taken over: this host must stop, touching nothing
   */
  void check() {
    if (lost) {
      throw lostException();
    }
    Instant halfLeft = config.clock().instant().plus(halfLease);
    if (halfLeft.isBefore(held.expiresAt())) {
      return;
    }
    if (!renew()) {
      throw lostException();
    }
  }

  RunLeasedException lostException() {
    return new RunLeasedException(run, config.journal().lease(Lease.runName(run)).orElse(null),
        "lost its lease after it expired (another host took the run over, or the journal dropped the expired"
            + " lease); this host stopped before its next side effect");
  }

  private boolean renew() {
    Optional<Lease> renewed = config.journal().renewLease(held, until());
    if (renewed.isEmpty()) {
      lost = true;
      return false;
    }
    held = renewed.get();
    return true;
  }

  private Instant until() {
    return config.clock().instant().plus(config.leaseDuration());
  }

  /** The heartbeat: renews every lease held; never throws (a periodic task that throws is not run again). */
  private void beat() {
    try {
      if (!lost && !renew()) {
        LOG.warn("run {}: another host took the run's lease over; this host stops at its next step", run);
      }
      for (Map.Entry<String, Lease> e : named.entrySet()) {
        config.journal().renewLease(e.getValue(), until()).ifPresentOrElse(l -> named.replace(e.getKey(), l),
            () -> named.remove(e.getKey()));
      }
    } catch (RuntimeException e) {
      LOG.warn("run {}: renewing its leases failed, tried again at the next beat: {}", run, e.toString());
    }
  }

  // ---- named leases, held for the run (the owner is the run id) ------------------------------

  /** Takes the lease on {@code name} for this run; returns the holder's lease when another run holds it. */
  @Nullable Lease tryNamed(String name) {
    Instant now = config.clock().instant();
    Lease l = config.journal().acquireLease(name, run.value(), now, now.plus(config.leaseDuration())).orElse(null);
    if (l == null) {
      return config.journal().lease(name).orElse(null);
    }
    named.put(name, l);
    return null;
  }

  /** Renews the named lease now; false when this run no longer holds it (another run took it after it expired). */
  boolean checkNamed(String name) {
    Lease l = named.get(name);
    if (l == null) {
      return false;
    }
    Optional<Lease> renewed = config.journal().renewLease(l, until());
    if (renewed.isEmpty()) {
      named.remove(name);
      return false;
    }
    named.put(name, renewed.get());
    return true;
  }

  void releaseNamed(String name) {
    Lease l = named.remove(name);
    if (l != null) {
      try {
        crossBarrier(); // what the run wrote is on disk before another run may go on
        config.journal().releaseLease(l);
      } finally {
        LockSignals.released(name); // wake this process's runs waiting for it
      }
    }
  }

  // ---- the end of the execution --------------------------------------------------------------

  /** Stops the heartbeat and gives every lease up: the run is finished, failed, suspended or parked. */
  void release() {
    stopHeartbeat();
    // what the run wrote is on disk before it gives its lease up and its caller learns how it ended
    crossBarrier();
    for (String name : named.keySet()) {
      releaseNamed(name);
    }
    if (!lost) {
      config.journal().releaseLease(held);
    }
  }

  /**
   * Forces what the provisioner's stores owe. A failure is logged, not thrown: the leases are still
   * given up and the run's own outcome (or failure) reaches its caller; the next crossing forces again.
   */
  private void crossBarrier() {
    try {
      config.durability().cross();
    } catch (RuntimeException e) {
      LOG.warn("run {}: forcing the stores before giving its leases up failed: {}", run, e.toString());
    }
  }

  /** Stops the heartbeat and leaves the leases to expire: the host crashed (or lost the run). */
  void abandon() {
    stopHeartbeat();
    named.clear();
  }

  private void stopHeartbeat() {
    ScheduledFuture<?> h = heartbeat;
    if (h != null) {
      h.cancel(false);
    }
  }

  /** How long a lease lasts. */
  Duration duration() {
    return config.leaseDuration();
  }
}
