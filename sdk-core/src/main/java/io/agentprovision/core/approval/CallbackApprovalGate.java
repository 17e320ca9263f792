package io.agentprovision.core.approval;

import io.agentprovision.core.Secret;
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
 */
public final class CallbackApprovalGate implements ApprovalGate {
  private final Clock clock;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private volatile Consumer<ApprovalRequest> listener = r -> {};

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

  @Override
  public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
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

  /** Requests waiting for a decision, oldest first. */
  public List<ApprovalRequest> pending() {
    List<ApprovalRequest> out = new ArrayList<>();
    for (Pending p : pending.values()) {
      out.add(p.request());
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

  private boolean complete(String id, ApprovalDecision d) {
    @Nullable Pending p = pending.get(Objects.requireNonNull(id, "id"));
    return p != null && p.decision().complete(d);
  }
}
