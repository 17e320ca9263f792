package io.agentprovision.core.internal.engine;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.wire.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The flows of changes made to a deployment after its first run, one per
 * {@link io.agentprovision.core.LifecycleRequest.Operation}, each over step classes and made from
 * the {@link ChangeTargets} fixed when the change was planned:
 *
 * <pre>
 *   change plan      identity ─► update-plan                  (priced, judged, approved as a paid plan)
 *   add resource     identity ─► add-resource                 (priced, judged, approved as a paid resource)
 *   remove resource  identity ─► change-approval ─► remove:&lt;id&gt;
 *   rotate           identity ─► rotate-token
 *   revoke           identity ─► revoke-token
 *   unlink           identity ─► change-approval ─► unlink-account
 *   teardown         identity ─► change-approval ─┬─► undeploy ───────┬─► revoke-token ─► remove:&lt;resource&gt;… ─► remove:&lt;plan&gt;
 *                                                 └─► domain-renewal ─┘
 * </pre>
 *
 * <p>A teardown revokes the deploy token before removing the resources, because the broad
 * credential that authorises deleting it dies with the deployable; and it removes plans last,
 * since what runs on a plan needs it until it is gone.
 */
final class LifecycleFlow implements Flow {
  private final ChangeTargets t;

  LifecycleFlow(ChangeTargets targets) {
    this.t = Objects.requireNonNull(targets, "targets");
  }

  @Override
  public StepGraph graph(Inputs in) {
    StepGraph.Builder g = StepGraph.builder();
    g.add(new IdentityStep());
    List<StepId> afterIdentity = List.of(IdentityStep.ID);
    switch (t.operation()) {
      case CHANGE_PLAN: {
        DeploymentState.Held plan = Objects.requireNonNull(t.plan(), "plan");
        g.add(new UpdatePlanStep(t.deployment(), plan, offering(in.catalog(), Objects.requireNonNull(t.service(), "service"), "newPlan"), afterIdentity));
        if (plan.charged() != null) {
          g.note(plan.charged() + " already charged for " + plan.ref().serviceId() + " is not refunded by changing it");
        }
        break;
      }
      case ADD_RESOURCE: {
        Map<String, Object> configuration = t.configuration() == null ? Map.of() : Json.parseObject(t.configuration());
        g.add(new AddResourceStep(t.deployment(), Objects.requireNonNull(t.account(), "account"),
            offering(in.catalog(), Objects.requireNonNull(t.service(), "service"), "serviceId"), configuration, afterIdentity));
        break;
      }
      case REMOVE_RESOURCE: {
        DeploymentState.Held r = t.remove().get(0);
        g.add(new ChangeApprovalStep("Remove " + r.ref().serviceId() + " (" + r.ref().id() + ") from run "
            + t.deployment(), t.stays(), t.reason(), afterIdentity));
        g.add(new RemoveResourceStep(t.deployment(), r, List.of(ChangeApprovalStep.ID)));
        break;
      }
      case ROTATE_CREDENTIALS:
        g.add(new RotateTokenStep(t.deployment(), afterIdentity));
        break;
      case REVOKE_CREDENTIALS:
        g.add(new RevokeTokenStep(t.deployment(), t.reason(), afterIdentity));
        break;
      case UNLINK_ACCOUNT: {
        var a = Objects.requireNonNull(t.account(), "account");
        g.add(new ChangeApprovalStep("Unlink " + a.provider() + " account " + a.accountId() + " of run "
            + t.deployment(), t.stays(), t.reason(), afterIdentity));
        g.add(new UnlinkAccountStep(t.deployment(), a, List.of(ChangeApprovalStep.ID)));
        break;
      }
      case TEARDOWN:
        teardown(g);
        break;
      default:
        throw new IllegalStateException("no flow for " + t.operation());
    }
    for (var k : t.stays()) {
      g.note(k.description());
    }
    return g.build();
  }

  private void teardown(StepGraph.Builder g) {
    String what = t.app() != null ? t.app().scriptName() : "the deployment";
    g.add(new ChangeApprovalStep("Tear down " + what + " (run " + t.deployment() + ")", t.stays(), t.reason(),
        List.of(IdentityStep.ID)));
    List<StepId> before = new ArrayList<>();
    if (t.app() != null) {
      g.add(new UndeployStep(t.deployment(), t.app(), List.of(ChangeApprovalStep.ID)));
      before.add(UndeployStep.ID);
    }
    if (t.domain() != null && t.account() != null) {
      g.add(new DomainRenewalStep(t.deployment(), t.domain(), t.account(), List.of(ChangeApprovalStep.ID)));
      before.add(DomainRenewalStep.ID);
    }
    if (t.token()) {
      g.add(new RevokeTokenStep(t.deployment(), "the deployment was torn down",
          before.isEmpty() ? List.of(ChangeApprovalStep.ID) : List.copyOf(before)));
      before = new ArrayList<>(List.of(RevokeTokenStep.ID));
    }
    if (before.isEmpty()) {
      before.add(ChangeApprovalStep.ID);
    }
    List<StepId> others = new ArrayList<>();
    for (DeploymentState.Held h : t.remove()) {
      if (h.role() != DeploymentState.Role.PLAN) {
        RemoveResourceStep s = new RemoveResourceStep(t.deployment(), h, before);
        g.add(s);
        others.add(s.id());
      }
    }
    List<StepId> afterOthers = others.isEmpty() ? before : others;
    for (DeploymentState.Held h : t.remove()) {
      if (h.role() == DeploymentState.Role.PLAN) {
        g.add(new RemoveResourceStep(t.deployment(), h, afterOthers));
      }
    }
  }

  private static ServiceOffering offering(Catalog catalog, String id, String field) {
    Objects.requireNonNull(id, field);
    return catalog.service(id).orElseThrow(() -> new InvalidRequestException(field, "'" + id + "' is not in "
        + catalog.provider().name() + "'s catalog", "use a service the catalog lists"));
  }
}
