package io.agentprovision.core;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a change to a deployment did ({@link #changes()}) and what it did not undo and stays
 * ({@link #kept()}): a registered domain until it expires, the provider account, charges already
 * made. Returned by {@link AgentProvisioner#change} and the operations built on it.
 *
 * <pre>{@code
 * LifecycleResult r = provisioner.change(LifecycleRequest.removeResource(agent, run, "res_42").build());
 * r.changes();   // [RESOURCE_REMOVED res_42 (kv)]
 * r.kept();      // [CHARGE: USD 5.00 charged for … is not refunded]
 * }</pre>
 *
 * <p>Made by the engine; the canonical constructor is public only because records require it.
 *
 * @param runId the change's own run
 * @param deployment the run whose deployment was changed
 * @param operation what was asked
 * @param changes what was done, in the order it was done
 * @param kept what stays, and why
 * @param spent what the change's run committed, one amount per currency
 * @param auditHead the hash of the last audit entry when the change finished
 * @param auditVerified whether the audit chain verified then
 * @param receiptsVerified whether the signed receipts of the run's approvals verified then (true when
 *     the provisioner signs none)
 * @param warnings what the host should know (a receipt that did not verify)
 * @param finishedAt when the change finished
 */
public record LifecycleResult(RunId runId, RunId deployment, LifecycleRequest.Operation operation, List<Change> changes,
    List<Kept> kept, List<Money> spent, String auditHead, boolean auditVerified, boolean receiptsVerified,
    List<String> warnings, Instant finishedAt) {

  public LifecycleResult {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(deployment, "deployment");
    Objects.requireNonNull(operation, "operation");
    changes = List.copyOf(changes);
    kept = List.copyOf(kept);
    spent = List.copyOf(spent);
    Objects.requireNonNull(auditHead, "auditHead");
    warnings = List.copyOf(warnings);
    Objects.requireNonNull(finishedAt, "finishedAt");
  }

  /** The changes of {@code kind}. */
  public List<Change> changes(Change.Kind kind) {
    return changes.stream().filter(c -> c.kind() == kind).toList();
  }

  /** What stays of {@code kind}. */
  public List<Kept> kept(Kept.Kind kind) {
    return kept.stream().filter(k -> k.kind() == kind).toList();
  }

  /**
   * One thing a change did.
   *
   * @param kind what
   * @param id the thing's id: the resource, the token, the script, the domain, the account
   * @param description a line for people
   * @param amount what it charged, when it charged anything
   */
  public record Change(Kind kind, String id, String description, @Nullable Money amount) {
    /** What was done. */
    public enum Kind {
      /** A plan was changed to another (upgraded or downgraded). */
      PLAN_CHANGED,
      /** A resource was provisioned. */
      RESOURCE_ADDED,
      /** A resource was removed at the provider. */
      RESOURCE_REMOVED,
      /** The app was taken down and its hostnames unbound. */
      APP_UNDEPLOYED,
      /** A registered domain's automatic renewal was turned off. */
      AUTO_RENEW_OFF,
      /** The deploy token was rolled and renewed. */
      TOKEN_ROTATED,
      /** The deploy token was deleted at the provider and from the vault. */
      TOKEN_REVOKED,
      /** A credential the vault held (the orchestrator's broad one) was deleted from it. */
      CREDENTIAL_DELETED,
      /** The orchestrator forgot the provider account. */
      ACCOUNT_UNLINKED
    }

    public Change {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(description, "description");
    }
  }

  /**
   * One thing that stays after a change, said plainly.
   *
   * @param kind what
   * @param id its id: the domain, the account, the resource
   * @param description what stays and why, in a line for people
   * @param until when it ends by itself (a registration's expiry), when known
   */
  public record Kept(Kind kind, String id, String description, @Nullable Instant until) {
    /** What stays. */
    public enum Kind {
      /** A registered domain: registrations are not refundable and stay until they expire. */
      DOMAIN,
      /** A domain's automatic renewal, which the registrar did not let the SDK turn off. */
      AUTO_RENEW,
      /** The provider account: the SDK never deletes one. */
      ACCOUNT,
      /** A resource that stays at the provider (after an unlink, every active one). */
      RESOURCE,
      /** Money already charged, which removing or changing a resource does not refund. */
      CHARGE
    }

    public Kept {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(description, "description");
    }
  }
}
