package io.agentprovision.core.internal.engine;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.policy.VelocityRequest;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The velocity side of one step execution: counts what the step creates against the policy's
 * {@link VelocityLimit}s in the {@link io.agentprovision.core.spi.VelocityStore} before it creates
 * it, refusing (audited as {@code velocity.refused}, announced as an event) when a limit is used
 * up. A count is keyed by run, step and action, so the step run again counts once; it is given
 * back when the step fails having certainly created nothing, or when the action turned out not to
 * be one (an account linked rather than created).
 */
final class Velocity {
  private final Engine.Services engine;
  private final RunState rs;
  private final StepRun ctx;
  private final Set<String> countedHere = ConcurrentHashMap.newKeySet();

  Velocity(Engine.Services engine, RunState rs, StepRun ctx) {
    this.engine = engine;
    this.rs = rs;
    this.ctx = ctx;
  }

  /**
   * Counts one {@code action} before it happens.
   *
   * @throws VelocityLimitException when a limit is used up; nothing was counted
   */
  void count(VelocityAction action) {
    List<VelocityLimit> limits = engine.config().spendPolicy().velocityLimitsFor(action);
    if (limits.isEmpty()) {
      return;
    }
    String id = id(action);
    try {
      engine.config().velocity().record(new VelocityRequest(id, action, ctx.agent(), principal(ctx.principal()),
          engine.config().clock().instant(), limits));
    } catch (VelocityLimitException e) {
      refused(engine, rs.run, ctx.stepId(), ctx.audit("velocity.refused"), e, ctx.agent());
      throw e;
    }
    countedHere.add(id);
  }

  /** Gives back the count of {@code action}: it did not happen after all. */
  void uncount(VelocityAction action) {
    String id = id(action);
    if (countedHere.remove(id)) {
      engine.config().velocity().release(id);
    }
  }

  /** After a failure: gives back what this execution counted when the failure says nothing was created. */
  void settle(@Nullable Throwable failure) {
    if (ctx.chargeOutcome(failure) != ProviderException.Outcome.NOT_EXECUTED) {
      return;
    }
    for (String id : countedHere) {
      engine.config().velocity().release(id);
    }
    countedHere.clear();
  }

  private String id(VelocityAction action) {
    return rs.run + ":" + ctx.stepId() + ":" + action.name().toLowerCase(Locale.ROOT);
  }

  /** The key a per-principal limit counts a person by: the issuer and the subject. */
  static @Nullable String principal(@Nullable Principal p) {
    return p == null ? null : p.issuer() + "|" + p.subject();
  }

  /** Audits and announces a refusal ({@code entry} is the audit entry to fill in). */
  static void refused(Engine.Services engine, io.agentprovision.core.RunId run,
      io.agentprovision.core.@Nullable StepId step, Auditor.Entry entry, VelocityLimitException e,
      io.agentprovision.core.AgentId agent) {
    entry.outcome("denied").detail("action", e.action().name()).detail("limit", e.limit())
        .detail("bucket", e.bucket()).detail("count", String.valueOf(e.count())).detail("max", String.valueOf(e.max()))
        .detailIfPresent("next_allowed_at", e.nextAllowedAt() == null ? null : String.valueOf(e.nextAllowedAt()))
        .record();
    engine.events().emit(new ProvisioningEvent.VelocityRefused(engine.config().clock().instant(), run, step, agent,
        e.action(), e.limit(), e.bucket(), e.count(), e.max()));
  }
}
