package io.agentprovision.testing;

import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.ApprovalGate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An {@link ApprovalGate} whose answers a test decides in advance, per checkpoint kind, and which
 * records every request it saw. Unscripted kinds are answered with the default (approve, unless
 * built with {@link #denyAll}).
 *
 * <pre>{@code
 * ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(clock)
 *     .deny(CheckpointKind.DOMAIN_PURCHASE, "too expensive")
 *     .respond(CheckpointKind.ACCOUNT_CONSENT, req -> Map.of("code", "c1", "state", req.details().get("state")));
 * }</pre>
 */
public final class ScriptedApprovalGate implements ApprovalGate {
  /** The approver name recorded on scripted decisions. */
  public static final String APPROVER = "test-human";

  private final Clock clock;
  private final Map<CheckpointKind, Function<ApprovalRequest, ApprovalDecision>> script = new EnumMap<>(CheckpointKind.class);
  private final List<ApprovalRequest> requests = new CopyOnWriteArrayList<>();
  private volatile boolean denyByDefault;

  private ScriptedApprovalGate(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Approves every checkpoint not scripted otherwise. */
  public static ScriptedApprovalGate approveAll(Clock clock) {
    return new ScriptedApprovalGate(clock);
  }

  /** Denies every checkpoint not scripted otherwise. */
  public static ScriptedApprovalGate denyAll(Clock clock) {
    ScriptedApprovalGate g = new ScriptedApprovalGate(clock);
    g.denyByDefault = true;
    return g;
  }

  /** Denies checkpoints of this kind. */
  public synchronized ScriptedApprovalGate deny(CheckpointKind kind, String reason) {
    script.put(kind, r -> ApprovalDecision.denied(APPROVER, reason, clock.instant()));
    return this;
  }

  /** Lets checkpoints of this kind run out their deadline. */
  public synchronized ScriptedApprovalGate timeOut(CheckpointKind kind) {
    script.put(kind, r -> ApprovalDecision.timedOut(r.deadline()));
    return this;
  }

  /** Fails (throws) on checkpoints of this kind, as a broken gate would. */
  public synchronized ScriptedApprovalGate fail(CheckpointKind kind, RuntimeException error) {
    script.put(kind, r -> {
      throw error;
    });
    return this;
  }

  /** Approves checkpoints of this kind with the data {@code response} computes (OAuth callback parameters). */
  public synchronized ScriptedApprovalGate respond(CheckpointKind kind, Function<ApprovalRequest, Map<String, String>> response) {
    script.put(kind, r -> ApprovalDecision.approved(APPROVER, "scripted", clock.instant()).withResponse(response.apply(r)));
    return this;
  }

  /** Approves checkpoints of this kind handing over a fresh credential (a step-up ID token). */
  public synchronized ScriptedApprovalGate stepUp(Function<ApprovalRequest, Secret> credential) {
    script.put(CheckpointKind.STEP_UP,
        r -> ApprovalDecision.approved(APPROVER, "stepped up", clock.instant()).withCredential(credential.apply(r)));
    return this;
  }

  /**
   * Answers checkpoints of this kind later: {@link ApprovalDecision#pending} at once, so the run parks
   * until the test decides with {@code AgentProvisioner.decide(request.id(), decision)} (the ids are in
   * {@link #requests(CheckpointKind)}).
   */
  public synchronized ScriptedApprovalGate defer(CheckpointKind kind) {
    script.put(kind, r -> ApprovalDecision.pending("scripted: answered later", clock.instant()));
    return this;
  }

  /** Decides checkpoints of this kind with any function. */
  public synchronized ScriptedApprovalGate on(CheckpointKind kind, Function<ApprovalRequest, ApprovalDecision> decider) {
    script.put(kind, decider);
    return this;
  }

  @Override
  public ApprovalDecision decide(ApprovalRequest request) {
    requests.add(request);
    Function<ApprovalRequest, ApprovalDecision> f;
    synchronized (this) {
      f = script.get(request.kind());
    }
    if (f != null) {
      return f.apply(request);
    }
    return denyByDefault
        ? ApprovalDecision.denied(APPROVER, "denied by default", clock.instant())
        : ApprovalDecision.approved(APPROVER, "approved by default", clock.instant());
  }

  /** Every request seen, in order. */
  public List<ApprovalRequest> requests() {
    return List.copyOf(requests);
  }

  /** The requests of one kind, in order. */
  public List<ApprovalRequest> requests(CheckpointKind kind) {
    List<ApprovalRequest> out = new ArrayList<>();
    for (ApprovalRequest r : requests) {
      if (r.kind() == kind) {
        out.add(r);
      }
    }
    return out;
  }
}
