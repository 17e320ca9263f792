package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The steps of one run and what each waits for. Steps are added in an order that respects their
 * dependencies (a step names only steps added before it), so the graph has no cycles and its list
 * is an order in which the steps can run one at a time; the engine runs every step whose
 * dependencies have succeeded, so independent steps run at the same time. A flow such as
 * {@link ProvisioningFlow} builds one per run.
 */
final class StepGraph {
  private final Map<StepId, Step<?>> steps;
  /** The steps in order, made once: the graph does not change, and the run loop reads it at every step's end. */
  private final List<Step<?>> ordered;
  private final List<String> notes;
  /**
   * What each step waits for, found once per step: a step checks it at every read of another step's
   * output ({@link StepRun#output(StepId, Class)}), and the graph does not change.
   */
  private final Map<StepId, Set<StepId>> upstream = new java.util.concurrent.ConcurrentHashMap<>();

  private StepGraph(Map<StepId, Step<?>> steps, List<String> notes) {
    this.steps = steps;
    this.ordered = List.copyOf(steps.values());
    this.notes = List.copyOf(notes);
  }

  static Builder builder() {
    return new Builder();
  }

  /** A builder holding this graph's steps and notes, to add more. */
  Builder toBuilder() {
    Builder b = new Builder();
    steps.values().forEach(b::add);
    notes.forEach(b::note);
    return b;
  }

  /** Every step, each after the steps it depends on. */
  List<Step<?>> steps() {
    return ordered;
  }

  Optional<Step<?>> step(StepId id) {
    return Optional.ofNullable(steps.get(id));
  }

  boolean contains(StepId id) {
    return steps.containsKey(id);
  }

  /** Remarks for the human that came with the steps (shown with the plan). */
  List<String> notes() {
    return notes;
  }

  /** The steps {@code id} waits for, directly or through others (unmodifiable). */
  Set<StepId> upstream(StepId id) {
    Set<StepId> known = upstream.get(id);
    if (known == null) {
      // two threads may both walk it: the same set either way
      known = java.util.Collections.unmodifiableSet(walkUpstream(id));
      upstream.put(id, known);
    }
    return known;
  }

  private Set<StepId> walkUpstream(StepId id) {
    Set<StepId> seen = new LinkedHashSet<>();
    Deque<StepId> todo = new ArrayDeque<>();
    Step<?> start = steps.get(id);
    if (start != null) {
      todo.addAll(start.dependsOn());
    }
    while (!todo.isEmpty()) {
      StepId next = todo.pop();
      Step<?> s = steps.get(next);
      if (seen.add(next) && s != null) {
        todo.addAll(s.dependsOn());
      }
    }
    return seen;
  }

  /**
   * The one step of class {@code type}, if the graph has one.
   *
   * @throws IllegalStateException when it has several (read them by id instead)
   */
  <S extends Step<?>> Optional<S> only(Class<S> type) {
    S found = null;
    for (Step<?> s : steps.values()) {
      if (type.isInstance(s)) {
        if (found != null) {
          throw new IllegalStateException("the run has several " + type.getSimpleName() + "s (" + found.id() + ", "
              + s.id() + "); read the one you mean by its id");
        }
        found = type.cast(s);
      }
    }
    return Optional.ofNullable(found);
  }

  @Override
  public String toString() {
    return steps.values().toString();
  }

  /** Adds steps after their dependencies; {@link #first} and {@link #present} name dependencies that may be absent. */
  static final class Builder {
    private final Map<StepId, Step<?>> steps = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    private Builder() {}

    /**
     * Adds {@code step}.
     *
     * @throws IllegalArgumentException when its id is taken or it depends on a step not added yet
     */
    Builder add(Step<?> step) {
      Objects.requireNonNull(step, "step");
      if (steps.containsKey(step.id())) {
        throw new IllegalArgumentException("step " + step.id() + " is in the graph twice");
      }
      for (StepId d : step.dependsOn()) {
        if (!steps.containsKey(d)) {
          throw new IllegalArgumentException("step " + step.id() + " depends on " + d + ", which is not in the graph "
              + "before it (add steps after what they depend on)");
        }
      }
      steps.put(step.id(), step);
      return this;
    }

    /** The first of {@code candidates} added so far, as a dependency list (empty when none is). */
    List<StepId> first(StepId... candidates) {
      for (StepId c : candidates) {
        if (steps.containsKey(c)) {
          return List.of(c);
        }
      }
      return List.of();
    }

    /** Those of {@code candidates} added so far. */
    List<StepId> present(StepId... candidates) {
      List<StepId> out = new ArrayList<>();
      for (StepId c : candidates) {
        if (steps.containsKey(c)) {
          out.add(c);
        }
      }
      return out;
    }

    boolean contains(StepId id) {
      return steps.containsKey(id);
    }

    /** A remark for the human, shown with the plan. */
    Builder note(String note) {
      notes.add(Objects.requireNonNull(note, "note"));
      return this;
    }

    StepGraph build() {
      return new StepGraph(new LinkedHashMap<>(steps), notes);
    }
  }
}
