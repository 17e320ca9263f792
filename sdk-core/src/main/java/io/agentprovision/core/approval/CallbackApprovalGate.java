package io.agentprovision.core.approval;

import io.agentprovision.core.Secret;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.spi.ApprovalGate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An {@link ApprovalGate} for a host UI that answers later: each request waits in a queue until the
 * host calls {@link #approve}, {@link #deny} or {@link #respond} with its id, or until its deadline,
 * when it is {@code TIMED_OUT}. A host typically shows {@link #pending()} in a dashboard, or is
 * told of each new request through {@link #onRequest}.
 *
 * <pre>{@code
 * CallbackApprovalGate gate = CallbackApprovalGate.create(clock);
 * gate.onRequest(req -> slack.post(req.title() + " — approve at /approvals/" + req.id()));
 * // later, in the web handler:
 * gate.approve(id, currentUser.email(), "looks right");
 * }</pre>
 *
 * <p>Deadlines are measured on the injected clock. With a virtual clock, call
 * {@link #expireOverdue()} after moving it to time waiting requests out at once.
 *
 * <p>Given to a provisioner, the gate is {@link #connect connected} to it, and a checkpoint of a run
 * no longer holds a thread: {@code decide} answers {@link ApprovalDecision#pending} at once, the run
 * parks with the request in the journal, and {@link #approve}, {@link #deny}, {@link #respond} and
 * {@link #stepUp} with its id decide it there (on any host sharing the journal) and resume the run;
 * {@link #pending()} lists those requests too. A checkpoint outside a run (raising a limit) waits on
 * its thread as before.
 */
public final class CallbackApprovalGate implements ApprovalGate {
  private final Clock clock;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private volatile Consumer<ApprovalRequest> listener = r -> {};
  private volatile @Nullable ApprovalInbox inbox;
  /**
   * Requests answered {@code PENDING} that their run has not journaled yet (each with what completes
   * when it has), and answers given to them that could not wait for it (applied once journaled); both
   * guarded by {@link #early}'s lock.
   */
  private final Map<String, CompletableFuture<Void>> handedOut = new java.util.HashMap<>();
  private final Map<String, ApprovalDecision> early = new java.util.HashMap<>();
  /** How long an answer waits for its run to journal the request (it does so as soon as the gate returns). */
  private static final Duration JOURNALED_WAIT = Duration.ofSeconds(10);

  private record Pending(ApprovalRequest request, CompletableFuture<ApprovalDecision> decision) {}

  private CallbackApprovalGate(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public static CallbackApprovalGate create(Clock clock) {
    return new CallbackApprovalGate(clock);
  }

  /** Tells {@code onNew} of each request as it arrives (called on the requesting thread; keep it quick). */
  public CallbackApprovalGate onRequest(Consumer<ApprovalRequest> onNew) {
    this.listener = Objects.requireNonNull(onNew, "onNew");
    return this;
  }

  /** Parks the checkpoints of runs from now on: their answers go to {@code to}. */
  @Override
  public void connect(ApprovalInbox to) {
    this.inbox = Objects.requireNonNull(to, "inbox");
  }

  @Override
  public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
    ApprovalInbox to = inbox;
    if (to != null && request.run() != null && request.step() != null) {
      synchronized (early) {
        handedOut.put(request.id(), new CompletableFuture<>());
      }
      // the run journals it just after this returns: an answer given before then is kept and applied then
      to.whenRecorded(request.id(), () -> recorded(to, request.id()));
      listener.accept(request);
      return ApprovalDecision.pending("asked through the host's UI", clock.instant());
    }
    Pending p = new Pending(request, new CompletableFuture<>());
    pending.put(request.id(), p);
    try {
      listener.accept(request);
      while (true) {
        Instant now = clock.instant();
        if (!now.isBefore(request.deadline())) {
          p.decision().complete(ApprovalDecision.timedOut(now));
        }
        Duration left = Duration.between(now, request.deadline());
        try {
          return p.decision().get(Math.max(1, Math.min(left.toMillis(), 1000)), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          // re-read the clock: a virtual clock may have moved past the deadline meanwhile
        } catch (ExecutionException e) {
          return ApprovalDecision.error("the host failed the request: " + e.getCause(), clock.instant());
        }
      }
    } finally {
      pending.remove(request.id());
    }
  }

  /** Requests waiting for a decision, oldest first: on a thread here, and parked in the journal. */
  public List<ApprovalRequest> pending() {
    List<ApprovalRequest> out = new ArrayList<>();
    for (Pending p : pending.values()) {
      out.add(p.request());
    }
    ApprovalInbox to = inbox;
    if (to != null) {
      for (ApprovalRecord a : to.pending()) {
        out.add(a.toRequest());
      }
    }
    out.sort((a, b) -> a.requestedAt().compareTo(b.requestedAt()));
    return out;
  }

  /** Approves request {@code id}; returns false if it is no longer waiting. */
  public boolean approve(String id, String approver, String reason) {
    return complete(id, ApprovalDecision.approved(approver, reason, clock.instant()));
  }

  /** Approves request {@code id} with data from the human's action (an OAuth callback's {@code code} and {@code state}). */
  public boolean respond(String id, String approver, Map<String, String> response) {
    return complete(id, ApprovalDecision.approved(approver, "completed", clock.instant()).withResponse(response));
  }

  /** Approves a step-up with the fresh credential. */
  public boolean stepUp(String id, String approver, Secret credential) {
    return complete(id, ApprovalDecision.approved(approver, "stepped up", clock.instant()).withCredential(credential));
  }

  /** Denies request {@code id}; returns false if it is no longer waiting. */
  public boolean deny(String id, String approver, String reason) {
    return complete(id, ApprovalDecision.denied(approver, reason, clock.instant()));
  }

  /** Times out every waiting request whose deadline has passed on the clock; returns how many. */
  public int expireOverdue() {
    Instant now = clock.instant();
    int n = 0;
    for (Pending p : pending.values()) {
      if (!now.isBefore(p.request().deadline()) && p.decision().complete(ApprovalDecision.timedOut(now))) {
        n++;
      }
    }
    return n;
  }

  /** The run journaled a request this gate answered {@code PENDING}: an answer given before then goes in now. */
  private void recorded(ApprovalInbox to, String id) {
    ApprovalDecision d;
    CompletableFuture<Void> journaled;
    synchronized (early) {
      journaled = handedOut.remove(id);
      d = early.remove(id);
    }
    if (journaled != null) {
      journaled.complete(null);
    }
    if (d != null) {
      to.decide(id, d);
    }
  }

  private boolean complete(String id, ApprovalDecision d) {
    @Nullable Pending p = pending.get(Objects.requireNonNull(id, "id"));
    if (p != null) {
      return p.decision().complete(d);
    }
    ApprovalInbox to = inbox;
    if (to == null) {
      return false;
    }
    CompletableFuture<Void> journaled;
    synchronized (early) {
      journaled = handedOut.get(id);
    }
    if (journaled != null) {
      // asked a moment ago: the run journals it at once; the answer goes in then, so that the journal has it on return
      try {
        journaled.get(JOURNALED_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        // not journaled in time: kept below, applied when it is
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (early) {
        if (handedOut.containsKey(id)) {
          return early.putIfAbsent(id, d) == null; // the first answer counts
        }
      }
    }
    ApprovalRecord before = to.approval(id).orElse(null);
    if (before == null || before.status() != ApprovalRecord.Status.PENDING) {
      return false; // no such request, or no longer waiting
    }
    ApprovalRecord after = to.decide(id, d);
    // this call's answer is the one that counted (a late one counts as a time-out, and returns false)
    return after.version() == before.version() + 1 && after.outcome() == d.outcome()
        && d.approver().equals(after.approver()) && d.reason().equals(after.decisionReason());
  }
}
