package io.agentprovision.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The environment a run's resources give an app: one variable per credential the provider issued
 * for each service the run provisioned (such as {@code CLOUDFLARE_API_TOKEN} for a D1 database),
 * each a reference into the vault, never a value. What Stripe Projects' {@code env} prints, minus
 * the secrets: a host writes {@link #lines()} into a {@code .env} template and asks for a value
 * only when it must, with {@code AgentProvisioner.reveal(agent, runId, name)}, which is audited.
 *
 * <pre>{@code
 * RunEnvironment env = provisioner.env(agent, runId);
 * env.lines();   // [D1_CLOUDFLARE_API_TOKEN=vault:runs/run_1/services/service:d1/CLOUDFLARE_API_TOKEN, ...]
 * Secret token = provisioner.reveal(agent, runId, "D1_CLOUDFLARE_API_TOKEN");
 * }</pre>
 *
 * <p>A name the provider gave a single resource is used as it is; when several resources of the run
 * have a credential of the same name, each is prefixed with its service step's name in capitals
 * ({@code D1_}, {@code KV_}, {@code D1_2_}), so every name is unique.
 *
 * @param runId the run
 * @param agent the agent the run belongs to
 * @param variables the variables, ordered by name
 */
public record RunEnvironment(RunId runId, AgentId agent, List<Variable> variables) {
  /** What a reference to a vault entry starts with in {@link Variable#reference()}. */
  public static final String VAULT_REFERENCE_PREFIX = "vault:";

  public RunEnvironment {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(agent, "agent");
    variables = List.copyOf(variables);
  }

  /**
   * One variable.
   *
   * @param name the variable's name, unique in the run
   * @param credential the name the provider gave the credential (the same as {@code name} unless prefixed)
   * @param vaultKey where the value is kept in the vault
   * @param serviceId the catalog service of the resource it belongs to
   * @param resourceId the orchestrator's id of that resource
   * @param step the run's step that provisioned it
   */
  public record Variable(String name, String credential, String vaultKey, String serviceId, String resourceId,
      StepId step) {
    public Variable {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(credential, "credential");
      Objects.requireNonNull(vaultKey, "vaultKey");
      Objects.requireNonNull(serviceId, "serviceId");
      Objects.requireNonNull(resourceId, "resourceId");
      Objects.requireNonNull(step, "step");
    }

    /** The value's place, as {@code vault:<key>}. */
    public String reference() {
      return VAULT_REFERENCE_PREFIX + vaultKey;
    }
  }

  /** The variable named {@code name}, if the run has one. */
  public Optional<Variable> variable(String name) {
    Objects.requireNonNull(name, "name");
    return variables.stream().filter(v -> v.name().equals(name)).findFirst();
  }

  /** The variables' names, in order. */
  public List<String> names() {
    return variables.stream().map(Variable::name).toList();
  }

  /** {@code NAME=vault:<key>}, one line per variable, in order. */
  public List<String> lines() {
    List<String> out = new ArrayList<>(variables.size());
    for (Variable v : variables) {
      out.add(v.name() + "=" + v.reference());
    }
    return out;
  }
}
