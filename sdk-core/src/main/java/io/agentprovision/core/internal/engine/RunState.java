package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.identity.Principal;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** What the steps of one run share while it executes. */
final class RunState {
  final RunId run;
  final ProvisionRequest request;
  final ProvisionPlan plan;
  final Catalog catalog;
  final boolean resumed;
  final Instant startedAt;
  final AtomicReference<@Nullable Principal> principal = new AtomicReference<>();
  final Map<StepId, Map<String, String>> outputs = new ConcurrentHashMap<>();
  /** Quotes a human approved with the plan, by step: a paid step at or below its quote needs no second approval. */
  final Map<StepId, Money> approvedQuotes = new ConcurrentHashMap<>();
  /** Set when the run is being cancelled or crashed: steps then leave their journal and reservations as they are. */
  volatile boolean stopping;
  /** Set once a step has failed: steps not yet started are then not started. */
  volatile boolean failing;

  RunState(RunId run, ProvisionRequest request, ProvisionPlan plan, boolean resumed, Instant startedAt) {
    this.run = run;
    this.request = request;
    this.plan = plan;
    this.catalog = plan.catalog();
    this.resumed = resumed;
    this.startedAt = startedAt;
  }

  Map<String, String> outputs(StepId step) {
    Map<String, String> m = outputs.get(step);
    if (m == null) {
      throw new IllegalStateException("step " + step + " of run " + run + " has no outputs yet");
    }
    return m;
  }
}
