package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceState;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** What the steps of one run share while it executes. */
final class RunState {
  final RunId run;
  final ProvisionRequest request;
  final RunPlan plan;
  final Catalog catalog;
  final boolean resumed;
  final Instant startedAt;
  final RunOutputs outputs;
  /** The principal after a step-up in this execution: it showed a second factor, the attested one may not have. */
  private final AtomicReference<@Nullable Principal> steppedUp = new AtomicReference<>();
  /** Held while a step of the run steps up, so that steps needing one at the same time ask once. */
  final Object stepUpLock = new Object();
  /** Set when the run is being cancelled or crashed: steps then leave their journal and reservations as they are. */
  volatile boolean stopping;
  /** Set once a step has failed: steps not yet started are then not started. */
  volatile boolean failing;
  /** The leases this execution holds; null outside the run loop (a rotation of a finished run). */
  volatile @Nullable RunLease lease;
  /**
   * Resources' states one step read ahead for another in this execution, by resource id: the
   * account step reads the state of the plan the person's earlier run bought while the payment
   * method is made ready, and the plan step takes that answer instead of asking again.
   */
  private final ConcurrentHashMap<String, ReadAhead> readAhead = new ConcurrentHashMap<>();

  /**
   * How old a state read ahead may be when taken: older (a person took their time over the payment
   * method, say), the step reads it again.
   */
  static final java.time.Duration READ_AHEAD_FRESH = java.time.Duration.ofSeconds(30);

  private record ReadAhead(ResourceState state, Instant at) {}

  RunState(RunId run, ProvisionRequest request, RunPlan plan, boolean resumed, Instant startedAt) {
    this.run = run;
    this.request = request;
    this.plan = plan;
    this.catalog = plan.catalog();
    this.resumed = resumed;
    this.startedAt = startedAt;
    this.outputs = new RunOutputs(run);
  }

  /**
   * The canonical form of the request that every step's idempotency key is derived from
   * ({@link Engine#keyIntent}): made once per execution rather than at each step's start, since the
   * request does not change while the run executes. Null until first asked for.
   */
  private volatile @Nullable String keyIntent;

  /** The canonical request of {@link Engine#idempotencyKey}, made at the first step that needs a key. */
  String keyIntent() {
    String k = keyIntent;
    if (k == null) {
      // two steps starting at once may both make it: the same text either way
      k = Engine.keyIntent(request);
      keyIntent = k;
    }
    return k;
  }

  /** The identity step's output and the principal made from it: every audit entry of a step names the principal. */
  private record Attested(IdentityStep.Attested output, Principal principal) {}

  private volatile @Nullable Attested attested;

  /** The human the run acts for: established by the identity step, replaced by a step-up; null before. */
  @Nullable Principal principal() {
    Principal p = steppedUp.get();
    if (p != null) {
      return p;
    }
    IdentityStep.Attested out = outputs.find(IdentityStep.ID, IdentityStep.Attested.class);
    if (out == null) {
      return null;
    }
    // made again only from another output (the principal is immutable): it was made, with its copies
    // and checks, every time a step audited or asked a person
    Attested a = attested;
    if (a == null || a.output() != out) {
      a = new Attested(out, out.principal());
      attested = a;
    }
    return a.principal();
  }

  void steppedUp(Principal p) {
    steppedUp.set(p);
  }

  /** The principal of this execution's last step-up, or null when there was none. */
  @Nullable Principal steppedUpPrincipal() {
    return steppedUp.get();
  }

  /** The price a person approved for {@code step} with the plan, or null when none was. */
  @Nullable Money approvedQuote(StepId step) {
    return PlanApprovalStep.approvedQuote(outputs, step);
  }

  /** Keeps a state read ahead at {@code at} for a later step of this execution. */
  void readAhead(ResourceState state, Instant at) {
    readAhead.put(state.ref().id(), new ReadAhead(state, at));
  }

  /**
   * The state of {@code resource} read ahead in this execution no longer than {@link #READ_AHEAD_FRESH}
   * before {@code now}, taken (a second look reads again); null when there is none.
   */
  @Nullable ResourceState takeReadAhead(ResourceRef resource, Instant now) {
    ReadAhead r = readAhead.remove(resource.id());
    return r == null || r.at().plus(READ_AHEAD_FRESH).isBefore(now) ? null : r.state();
  }

  StepGraph graph() {
    return plan.graph();
  }
}
