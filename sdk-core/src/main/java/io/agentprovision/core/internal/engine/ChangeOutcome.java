package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import java.util.List;

/** A change step's output that says what it did and what stays, for the {@link LifecycleResult}. */
interface ChangeOutcome {
  /** Adds what the step did to {@code done} and what stays to {@code kept}. */
  void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept);
}
