package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import java.util.List;
import java.util.Objects;

/** What every step holds: its identity, dependencies, description and output type. */
abstract class BaseStep<O extends Record> implements Step<O> {
  private final StepId id;
  private final StepKind kind;
  private final List<StepId> dependsOn;
  private final String description;
  private final Class<O> outputType;

  BaseStep(StepId id, StepKind kind, List<StepId> dependsOn, String description, Class<O> outputType) {
    this.id = Objects.requireNonNull(id, "id");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.dependsOn = List.copyOf(dependsOn);
    this.description = Objects.requireNonNull(description, "description");
    this.outputType = Objects.requireNonNull(outputType, "outputType");
  }

  @Override
  public final StepId id() {
    return id;
  }

  @Override
  public final StepKind kind() {
    return kind;
  }

  @Override
  public final List<StepId> dependsOn() {
    return dependsOn;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final Class<O> outputType() {
    return outputType;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + id + " after " + dependsOn + "}";
  }
}
