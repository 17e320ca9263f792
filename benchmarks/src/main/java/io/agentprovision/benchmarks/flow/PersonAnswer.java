package io.agentprovision.benchmarks.flow;

import org.jspecify.annotations.Nullable;

/**
 * The person's answer to one checkpoint of a flow, as the approval gate gave it: which step asked,
 * what, and when the gate began and ended deciding (nanoseconds on {@link System#nanoTime}). In the
 * harnesses the person approves at once; what takes time is what a person's side does for some
 * answers, such as the identity provider signing a fresh ID token for a step-up. The flow waits for
 * it as for an answer on the wire, so it is part of the {@link CriticalPath}, not the SDK's time.
 *
 * @param step the step that asked (null for a checkpoint outside any step)
 * @param on the thread that asked the gate, with its CPU time when it asked and when it had the answer
 */
public record PersonAnswer(@Nullable String step, String kind, long startNanos, long endNanos, OnThread on) {
  /** An answer whose thread was not noted. */
  public PersonAnswer(@Nullable String step, String kind, long startNanos, long endNanos) {
    this(step, kind, startNanos, endNanos, OnThread.NONE);
  }

  /** How long the gate took to answer. */
  public long nanos() {
    return endNanos - startNanos;
  }
}
