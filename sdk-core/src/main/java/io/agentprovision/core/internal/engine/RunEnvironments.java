package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.RunEnvironment;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunNotFoundException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.vault.VaultEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A run's environment, read from the journal (which resources kept which credentials) and the vault
 * (where they are), and the one way to a value: {@link #reveal}, audited. Only a run's own agent
 * reads it; another agent is told the run is not theirs, nothing more.
 */
final class RunEnvironments {
  private final EngineConfig config;
  private final Auditor auditor;

  RunEnvironments(EngineConfig config, Auditor auditor) {
    this.config = config;
    this.auditor = auditor;
  }

  RunEnvironment of(AgentId agent, RunId run) {
    RunRecord rec = ownRun(agent, run);
    record Kept(StepId step, String credential, String serviceId, String resourceId) {}
    List<Kept> kept = new ArrayList<>();
    for (StepRecord s : config.journal().steps(run)) {
      String json = s.output();
      if (s.status() != StepStatus.SUCCEEDED || json == null
          || !s.step().value().startsWith(CatalogServiceStep.ID_PREFIX)) {
        continue;
      }
      ServiceStep.Provisioned out = OutputCodec.decode(json, ServiceStep.Provisioned.class, run, s.step());
      for (String c : out.credentials()) {
        kept.add(new Kept(s.step(), c, out.resource().serviceId(), out.resource().id()));
      }
    }
    // a removed resource's credentials left the vault with it: the environment no longer offers them
    Set<String> held = new HashSet<>(config.vault().keys(ServiceStep.credentialsPrefix(run)));
    kept.removeIf(k -> !held.contains(ServiceStep.credentialKey(run, k.step(), k.credential())));
    Map<String, Integer> uses = new HashMap<>();
    for (Kept k : kept) {
      uses.merge(k.credential(), 1, Integer::sum);
    }
    List<RunEnvironment.Variable> vars = new ArrayList<>();
    for (Kept k : kept) {
      String name = uses.getOrDefault(k.credential(), 0) > 1 ? prefix(k.step()) + k.credential() : k.credential();
      vars.add(new RunEnvironment.Variable(name, k.credential(), ServiceStep.credentialKey(run, k.step(),
          k.credential()), k.serviceId(), k.resourceId(), k.step()));
    }
    vars.sort(Comparator.comparing(RunEnvironment.Variable::name));
    return new RunEnvironment(run, rec.agent(), vars);
  }

  Secret reveal(AgentId agent, RunId run, String name, String reason) {
    RunEnvironment env = of(agent, run);
    RunEnvironment.Variable v = env.variable(name).orElseThrow(() -> new InvalidRequestException("name", "run " + run
        + " has no variable '" + name + "'", "use one of " + env.names()));
    VaultEntry e = config.vault().get(v.vaultKey()).orElseThrow(() -> new InvalidRequestException("name",
        "the vault no longer holds " + name + " of run " + run, "the resource was removed or its credential deleted"));
    auditor.entry("env.revealed").run(run).step(v.step()).agent(agent).detail("name", name)
        .detail("vault_key", v.vaultKey()).detail("reason", reason).record();
    return e.secret();
  }

  private RunRecord ownRun(AgentId agent, RunId run) {
    RunRecord rec = config.journal().run(run).orElse(null);
    if (rec == null || !rec.agent().equals(agent)) {
      // the same answer whether the run is absent or another agent's: ids of others' runs are not confirmed
      throw new RunNotFoundException(agent, run);
    }
    return rec;
  }

  /** {@code service:d1-2} as {@code D1_2_}. */
  private static String prefix(StepId step) {
    String s = step.value().substring(CatalogServiceStep.ID_PREFIX.length());
    return s.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_") + "_";
  }
}
