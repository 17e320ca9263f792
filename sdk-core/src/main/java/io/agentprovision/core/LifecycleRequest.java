package io.agentprovision.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A change an agent asks for to what one of its runs provisioned (the <em>deployment</em>, named by
 * that run's id): change the plan, add or remove a resource, rotate or revoke the deploy token,
 * unlink the provider account, or tear it all down. A change is a run of its own, planned, priced,
 * judged by the spend policy, approved, journaled and audited like the first one
 * ({@link AgentProvisioner#planChange}, {@link AgentProvisioner#change}).
 *
 * <pre>{@code
 * LifecycleRequest upgrade = LifecycleRequest.changePlan(agent, deploymentRun, "workers:paid")
 *     .identityToken(idTokenOfTheSignedInHuman)
 *     .reason("the free plan's request limit was reached")
 *     .build();
 * LifecycleResult r = provisioner.change(upgrade);
 * }</pre>
 *
 * <p>Only the agent that started the deployment's run may change it. Bad input fails in
 * {@link Builder#build()} or when planning, before anything happens.
 */
public final class LifecycleRequest {
  private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9_.:-]{0,127}");
  private static final int MAX_REASON = 500;

  /** What a change does. */
  public enum Operation {
    /** Change the plan to another the catalog's {@code allowed_updates} allow: an upgrade or a downgrade. */
    CHANGE_PLAN,
    /** Provision another catalog service in the deployment's account. */
    ADD_RESOURCE,
    /** Remove one of the deployment's resources (a registered domain cannot be removed: it stays until it expires). */
    REMOVE_RESOURCE,
    /** Roll the deploy token's value and renew its lifetime. */
    ROTATE_CREDENTIALS,
    /** Delete the deploy token at the provider and from the vault. */
    REVOKE_CREDENTIALS,
    /** Have the orchestrator forget the provider account; the account and its resources stay at the provider. */
    UNLINK_ACCOUNT,
    /**
     * Take everything down: undeploy the app, turn a domain's auto-renewal off, revoke the token,
     * remove every resource; say what stays (a registered domain until it expires, the account).
     */
    TEARDOWN
  }

  private final AgentId agent;
  private final RunId deployment;
  private final Operation operation;
  private final @Nullable String serviceId;
  private final @Nullable String resourceId;
  private final Map<String, Object> configuration;
  private final @Nullable String reason;
  private final @Nullable Secret identityToken;
  private final @Nullable RunId runId;

  private LifecycleRequest(Builder b) {
    this.agent = b.agent;
    this.deployment = b.deployment;
    this.operation = b.operation;
    this.serviceId = b.serviceId;
    this.resourceId = b.resourceId;
    this.configuration = Collections.unmodifiableMap(new LinkedHashMap<>(b.configuration));
    this.reason = b.reason;
    this.identityToken = b.identityToken;
    this.runId = b.runId;
  }

  /** Changes the deployment's plan to {@code newPlan}, which the current plan's {@code allowed_updates} must list. */
  public static Builder changePlan(AgentId agent, RunId deployment, String newPlan) {
    return new Builder(agent, deployment, Operation.CHANGE_PLAN).service("newPlan", newPlan);
  }

  /** Adds catalog service {@code serviceId} to the deployment's account (give its configuration with {@link Builder#configuration}). */
  public static Builder addResource(AgentId agent, RunId deployment, String serviceId) {
    return new Builder(agent, deployment, Operation.ADD_RESOURCE).service("serviceId", serviceId);
  }

  /** Removes the deployment's resource {@code resourceId} (the orchestrator's id, as in {@code Deployment.resources()}). */
  public static Builder removeResource(AgentId agent, RunId deployment, String resourceId) {
    Builder b = new Builder(agent, deployment, Operation.REMOVE_RESOURCE);
    if (resourceId == null || resourceId.isBlank() || resourceId.length() > 200) {
      throw new InvalidRequestException("resourceId", "'" + resourceId + "' is not a resource id",
          "pass the id of one of the deployment's resources, as Deployment.resources() lists them");
    }
    b.resourceId = resourceId;
    return b;
  }

  /** Rolls the deployment's deploy token and renews its lifetime. */
  public static Builder rotateCredentials(AgentId agent, RunId deployment) {
    return new Builder(agent, deployment, Operation.ROTATE_CREDENTIALS);
  }

  /** Deletes the deployment's deploy token at the provider and from the vault. */
  public static Builder revokeCredentials(AgentId agent, RunId deployment) {
    return new Builder(agent, deployment, Operation.REVOKE_CREDENTIALS);
  }

  /** Has the orchestrator forget the deployment's provider account, which stays at the provider with its resources. */
  public static Builder unlinkAccount(AgentId agent, RunId deployment) {
    return new Builder(agent, deployment, Operation.UNLINK_ACCOUNT);
  }

  /** Takes the deployment down and says what stays. */
  public static Builder teardown(AgentId agent, RunId deployment) {
    return new Builder(agent, deployment, Operation.TEARDOWN);
  }

  /** The agent asking; it must be the one whose run made the deployment. */
  public AgentId agent() {
    return agent;
  }

  /** The run that made what is being changed. */
  public RunId deployment() {
    return deployment;
  }

  public Operation operation() {
    return operation;
  }

  /** The plan to change to ({@link Operation#CHANGE_PLAN}) or the service to add ({@link Operation#ADD_RESOURCE}). */
  public @Nullable String serviceId() {
    return serviceId;
  }

  /** The resource to remove ({@link Operation#REMOVE_RESOURCE}). */
  public @Nullable String resourceId() {
    return resourceId;
  }

  /** The configuration of a service to add. */
  public Map<String, Object> configuration() {
    return configuration;
  }

  /** Why, in the agent's words: shown to the person who approves and kept in the audit log. */
  public @Nullable String reason() {
    return reason;
  }

  /** The signed-in human's ID token, for the run's identity step. */
  public @Nullable Secret identityToken() {
    return identityToken;
  }

  /** The id the change's run is to have, when the caller chooses it. */
  public @Nullable RunId runId() {
    return runId;
  }

  @Override
  public String toString() {
    return "LifecycleRequest{" + operation + " of " + deployment + " by " + agent
        + (serviceId != null ? ", service=" + serviceId : "") + (resourceId != null ? ", resource=" + resourceId : "")
        + (configuration.isEmpty() ? "" : ", configuration=" + configuration.keySet())
        + (identityToken != null ? ", identityToken=" + identityToken : "") + (runId != null ? ", runId=" + runId : "")
        + "}";
  }

  /** Builds a {@link LifecycleRequest}; made by the operation's factory ({@link #changePlan}, {@link #teardown}…). */
  public static final class Builder {
    private final AgentId agent;
    private final RunId deployment;
    private final Operation operation;
    private @Nullable String serviceId;
    private @Nullable String resourceId;
    private Map<String, Object> configuration = Map.of();
    private @Nullable String reason;
    private @Nullable Secret identityToken;
    private @Nullable RunId runId;

    private Builder(AgentId agent, RunId deployment, Operation operation) {
      this.agent = Objects.requireNonNull(agent, "agent");
      this.deployment = Objects.requireNonNull(deployment, "deployment");
      this.operation = Objects.requireNonNull(operation, "operation");
    }

    private Builder service(String field, String id) {
      if (id == null || !SERVICE.matcher(id).matches()) {
        throw new InvalidRequestException(field, "'" + id + "' is not a service id",
            "pass a catalog service id such as \"workers:paid\"");
      }
      this.serviceId = id;
      return this;
    }

    /**
     * The configuration of the service to add, checked against the catalog's schema by the provider;
     * plain JSON values only (strings, numbers, booleans, lists, maps).
     */
    public Builder configuration(Map<String, Object> config) {
      Objects.requireNonNull(config, "configuration");
      if (operation != Operation.ADD_RESOURCE && !config.isEmpty()) {
        throw new InvalidRequestException("configuration", "only a resource being added takes a configuration",
            "drop .configuration(...) for " + operation);
      }
      plainJson("configuration", config); // here rather than when the journal writes it
      this.configuration = config;
      return this;
    }

    private static void plainJson(String field, @Nullable Object v) {
      if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
        return;
      }
      if (v instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!(e.getKey() instanceof String k)) {
            throw new InvalidRequestException(field, "has a key that is not a string", "use string keys");
          }
          plainJson(field + "." + k, e.getValue());
        }
        return;
      }
      if (v instanceof java.util.Collection<?> c) {
        int i = 0;
        for (Object o : c) {
          plainJson(field + "[" + i++ + "]", o);
        }
        return;
      }
      throw new InvalidRequestException(field, "holds a " + v.getClass().getSimpleName() + ", not a plain JSON value"
          + (v instanceof Secret ? " (a secret never goes in a configuration the journal keeps)" : ""),
          "use strings, numbers, booleans, lists and maps only");
    }

    /** Why, for the person who approves and for the audit log (at most 500 characters; never secrets). */
    public Builder reason(@Nullable String why) {
      if (why != null && (why.isBlank() || why.length() > MAX_REASON)) {
        throw new InvalidRequestException("reason", "must be 1 to " + MAX_REASON + " characters",
            "say in a sentence why the change is needed");
      }
      this.reason = why;
      return this;
    }

    /** The signed-in human's ID token: the change's run establishes who it acts for, as the first run did. */
    public Builder identityToken(@Nullable Secret token) {
      this.identityToken = token;
      return this;
    }

    /** The id of the change's run (one is made when none is given). */
    public Builder runId(@Nullable RunId id) {
      this.runId = id;
      return this;
    }

    public LifecycleRequest build() {
      if (runId != null && runId.equals(deployment)) {
        throw new InvalidRequestException("runId", "is the deployment's own run id",
            "give the change a run id of its own, or none");
      }
      return new LifecycleRequest(this);
    }
  }
}
