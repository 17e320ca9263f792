package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a deployment (the run that provisioned it) holds now, after the changes made to it since:
 * its account, every resource with whether it was removed, its app, and whether its deploy token
 * was revoked. Kept in the journal beside the deployment's steps ({@link DeploymentStates}) and
 * changed only by compare-and-set, so that every host sees one history. {@code holder} is the change
 * run under way, if any: one change at a time per deployment, so that two changes never pay for
 * the same upgrade or race to remove the same resource.
 *
 * @param holder the change run that holds the deployment, or null when none does
 * @param account the provider account, when the run linked one
 * @param accountUnlinked whether the orchestrator was told to forget the account
 * @param resources every resource the deployment made or was given later, in order
 * @param app the deployed app, when there is one
 * @param undeployed whether the app was taken down
 * @param tokenRevoked whether the deploy token was deleted
 * @param changes the change runs that finished, in order
 */
record DeploymentState(@Nullable RunId holder, @Nullable ProviderAccount account, boolean accountUnlinked,
    List<Held> resources, @Nullable DeployedApp app, boolean undeployed, boolean tokenRevoked, List<RunId> changes) {

  /** What a resource is to the deployment. */
  enum Role {
    /** The plan (such as {@code workers:paid}); its service changes with a plan change. */
    PLAN,
    /** The deployable the app runs on. */
    DEPLOYABLE,
    /** Any other catalog service. */
    SERVICE,
    /** A registered domain: never removed, it stays registered until it expires. */
    DOMAIN
  }

  /**
   * One resource.
   *
   * @param ref the orchestrator's reference (its service is the current one after a plan change)
   * @param role what it is to the deployment
   * @param charged what provisioning (or the last plan change) charged, when anything
   * @param domain the domain name, for a registration
   * @param autoRenew whether a registration renews itself, when known
   * @param expiresAt when a registration lapses, when known
   * @param addedBy the change run that added it, or null for one the deployment's own run made
   * @param removedAt when it was removed, or null while it is active
   */
  record Held(ResourceRef ref, Role role, @Nullable Money charged, @Nullable String domain, @Nullable Boolean autoRenew,
      @Nullable Instant expiresAt, @Nullable RunId addedBy, @Nullable Instant removedAt) {
    Held {
      Objects.requireNonNull(ref, "ref");
      Objects.requireNonNull(role, "role");
    }

    boolean active() {
      return removedAt == null;
    }

    Held removed(Instant at) {
      return new Held(ref, role, charged, domain, autoRenew, expiresAt, addedBy, at);
    }

    Held changedTo(ResourceRef next, @Nullable Money newCharge) {
      return new Held(next, role, newCharge, domain, autoRenew, expiresAt, addedBy, removedAt);
    }

    Held renewal(boolean renews, @Nullable Instant expires) {
      return new Held(ref, role, charged, domain, renews, expires != null ? expires : expiresAt, addedBy, removedAt);
    }
  }

  DeploymentState {
    resources = List.copyOf(resources);
    changes = List.copyOf(changes);
  }

  /** The active resource with the orchestrator id {@code id}, or null. */
  @Nullable Held active(String id) {
    for (Held h : resources) {
      if (h.ref().id().equals(id) && h.active()) {
        return h;
      }
    }
    return null;
  }

  /** The resource with the orchestrator id {@code id}, active or removed, or null. */
  @Nullable Held resource(String id) {
    for (Held h : resources) {
      if (h.ref().id().equals(id)) {
        return h;
      }
    }
    return null;
  }

  /** The active plan, or null when the deployment has none (any more). */
  @Nullable Held plan() {
    for (Held h : resources) {
      if (h.role() == Role.PLAN && h.active()) {
        return h;
      }
    }
    return null;
  }

  List<Held> active() {
    return resources.stream().filter(Held::active).toList();
  }

  DeploymentState withHolder(@Nullable RunId run) {
    return new DeploymentState(run, account, accountUnlinked, resources, app, undeployed, tokenRevoked, changes);
  }

  /** Releases the deployment after change run {@code run}, recording it among the changes when it finished. */
  DeploymentState released(RunId run, boolean finished) {
    List<RunId> next = new ArrayList<>(changes);
    if (finished && !next.contains(run)) {
      next.add(run);
    }
    return new DeploymentState(null, account, accountUnlinked, resources, app, undeployed, tokenRevoked, next);
  }

  DeploymentState replacing(Held before, Held after) {
    List<Held> next = new ArrayList<>();
    for (Held h : resources) {
      next.add(h.ref().id().equals(before.ref().id()) ? after : h);
    }
    return new DeploymentState(holder, account, accountUnlinked, next, app, undeployed, tokenRevoked, changes);
  }

  DeploymentState adding(Held h) {
    if (resource(h.ref().id()) != null) {
      return this; // added before an interruption
    }
    List<Held> next = new ArrayList<>(resources);
    next.add(h);
    return new DeploymentState(holder, account, accountUnlinked, next, app, undeployed, tokenRevoked, changes);
  }

  DeploymentState withUndeployed() {
    return new DeploymentState(holder, account, accountUnlinked, resources, app, true, tokenRevoked, changes);
  }

  DeploymentState withTokenRevoked() {
    return new DeploymentState(holder, account, accountUnlinked, resources, app, undeployed, true, changes);
  }

  DeploymentState withAccountUnlinked() {
    return new DeploymentState(holder, account, true, resources, app, undeployed, tokenRevoked, changes);
  }
}
