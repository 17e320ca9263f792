package io.agentprovision.core.internal.engine;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider's terms of service (a checkpoint, when the catalog names terms), then an account
 * at the provider created for the principal's e-mail or linked with their consent (the
 * orchestrator puts the consent checkpoint). An account is never closed on failure: the report
 * says it stays.
 *
 * <p>One account per person per provider: the step runs under the person's lock
 * ({@link PrincipalLock}), and an account another run already linked for them at the provider is
 * reused, without asking them again.
 */
final class AccountStep extends BaseStep<AccountStep.Linked> {
  static final StepId ID = StepId.of("account");

  /**
   * The account the run works in.
   *
   * @param reusedFrom the run that linked it, when this run reused that run's account
   */
  record Linked(ProviderAccount account, @Nullable RunId reusedFrom) {
    Linked {
      Objects.requireNonNull(account, "account");
    }

    Linked(ProviderAccount account) {
      this(account, null);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(AccountStep.class);

  private final String provider;
  private final @Nullable URI terms;
  private final boolean prepareAhead;
  private final @Nullable String plan;

  AccountStep(String provider, @Nullable URI terms, List<StepId> dependsOn) {
    this(provider, terms, false, null, dependsOn);
  }

  /**
   * @param prepareAhead whether the run provisions: the orchestrator then sets up what its provisioning
   *     calls share ({@link io.agentprovision.core.spi.Orchestrator#prepare}) while this step runs
   * @param plan the plan the run's plan step subscribes to, or null: once the account is known, this
   *     step reads ahead the state of that plan as another run for the same person bought it, for the
   *     plan step to reuse without asking again
   */
  AccountStep(String provider, @Nullable URI terms, boolean prepareAhead, @Nullable String plan,
      List<StepId> dependsOn) {
    super(ID, StepKind.ACCOUNT, dependsOn, "accept the terms and create or link the " + provider + " account",
        Linked.class);
    this.provider = provider;
    this.terms = terms;
    this.prepareAhead = prepareAhead;
    this.plan = plan;
  }

  @Override
  public List<CheckpointKind> approvals(List<io.agentprovision.core.PlannedStep> judged) {
    List<CheckpointKind> out = new ArrayList<>();
    if (terms != null) {
      out.add(CheckpointKind.TERMS_OF_SERVICE);
    }
    out.add(CheckpointKind.ACCOUNT_CONSENT);
    return out;
  }

  /** An account created (not one linked) counts against the velocity limits on accounts. */
  @Override
  public VelocityAction velocity() {
    return VelocityAction.CREATE_ACCOUNT;
  }

  @Override
  public Linked run(StepRun ctx) {
    // The orchestrator's set-up for the run's provisioning calls (a project: free, idempotent) is on
    // no one's way here: it runs beside the account and the payment method instead of in front of the
    // first resource. What fails there is done again, and reported, by the call that needs it.
    StepContext.Forked<Boolean> ahead = prepareAhead ? ctx.fork(() -> prepare(ctx)) : null;
    StepContext.Forked<Boolean> planAhead = null;
    try {
      Linked linked = link(ctx);
      String subscribed = plan;
      if (subscribed != null) {
        // the payment method is made ready meanwhile, and the plan step waits for it: reading the plan the
        // person's earlier run bought here takes that read off the run's chain
        planAhead = ctx.fork(() -> readPlanAhead(ctx, subscribed, linked.account().accountId()));
      }
      return linked;
    } finally {
      if (planAhead != null) {
        planAhead.join();
      }
      if (ahead != null) {
        ahead.join();
      }
    }
  }

  /**
   * Reads the state of the newest purchase of {@code service} another run for the same person made
   * in {@code account}, the first the plan step will look at, and keeps it for the plan step. A read
   * that fails is left to the plan step, which reads again.
   */
  private static boolean readPlanAhead(StepRun ctx, String service, String account) {
    try {
      Iterator<PrincipalLock.Found<ServiceStep.Provisioned>> bought = ServiceStep.boughtInAccount(ctx, PlanStep.ID,
          service, account).iterator();
      if (!bought.hasNext()) {
        return false;
      }
      Instant asked = ctx.clock().instant(); // the answer is no older than the question
      ctx.readAhead(ctx.orchestrator().resource(bought.next().output().resource(), ctx), asked);
      return true;
    } catch (RuntimeException e) {
      LOG.debug("run {}: reading the person's plan ahead failed; the plan step reads it: {}", ctx.runId(), e.toString());
      return false;
    }
  }

  private boolean prepare(StepRun ctx) {
    try {
      ctx.orchestrator().prepare(provider, ctx.request().project(), ctx);
      return true;
    } catch (RuntimeException e) {
      LOG.debug("run {}: setting up ahead at {} failed; the first provisioning call does it: {}", ctx.runId(),
          provider, e.toString());
      return false;
    }
  }

  private Linked link(StepRun ctx) {
    Principal p = ctx.requirePrincipal();
    PrincipalLock.take(ctx);
    for (PrincipalLock.Found<Linked> other : PrincipalLock.finishedElsewhere(ctx, ID, Linked.class)) {
      ProviderAccount a = other.output().account();
      if (a.provider().equals(provider)) {
        ctx.audit("account.reused").key(ctx.idempotencyKey()).detail("provider", a.provider())
            .detail("account", a.accountId()).detail("from_run", other.run().value()).record();
        return new Linked(a, other.run());
      }
    }
    URI tos = terms;
    if (tos != null) {
      ApprovalDecision d = ctx.checkpoint(CheckpointRequest.visit(CheckpointKind.TERMS_OF_SERVICE,
          "Accept " + provider + "'s terms of service", "an account at " + provider + " is created or linked for "
              + p.email(), tos));
      ctx.audit("terms.accepted").approver(d.approver()).detail("provider", provider).detail("terms", tos.toString())
          .record();
    }
    // counted before the call, since the orchestrator may create the account; given back when it linked one
    ctx.velocity().count(VelocityAction.CREATE_ACCOUNT);
    ProviderAccount a = ctx.orchestrator().linkAccount(new AccountLinkRequest(provider, p, List.of(), Map.of()), ctx);
    if (a.linkAction() == ProviderAccount.LinkAction.LINKED_EXISTING) {
      ctx.velocity().uncount(VelocityAction.CREATE_ACCOUNT);
    }
    ctx.audit("account.linked").key(ctx.idempotencyKey()).detail("provider", a.provider()).detail("account",
        a.accountId()).detail("link", a.linkAction().name()).record();
    return new Linked(a);
  }

  @Override
  public Compensation compensate(StepRun ctx, Linked out) {
    ProviderAccount a = out.account();
    return Compensation.cannotUndo("the " + a.provider() + " account " + a.accountId() + " stays "
        + (a.linkAction() == ProviderAccount.LinkAction.CREATED ? "created" : "linked") + " for " + a.email());
  }

  @Override
  public String summary(Linked out) {
    return out.account().accountId() + " (" + (out.reusedFrom() != null ? "reused from " + out.reusedFrom()
        : out.account().linkAction()) + ")";
  }
}
