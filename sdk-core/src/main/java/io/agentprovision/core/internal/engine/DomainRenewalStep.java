package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DomainRenewal;
import io.agentprovision.core.deploy.RenewalRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns a registered domain's automatic renewal off where the registrar allows it, and learns when
 * the registration expires. The domain itself stays registered until then: registrations are not
 * refundable. When the registrar does not let the SDK change the renewal, the teardown says the
 * renewal stays on, and why.
 */
final class DomainRenewalStep extends ChangeStep<DomainRenewalStep.Renewal> {
  static final StepId ID = StepId.of("domain-renewal");

  /** Where the registration stands. */
  record Renewal(String resourceId, String domain, boolean autoRenew, @Nullable Instant expiresAt, boolean changed,
      @Nullable String note) implements ChangeOutcome {
    Renewal {
      Objects.requireNonNull(resourceId, "resourceId");
      Objects.requireNonNull(domain, "domain");
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      String shown = DomainNames.display(domain);
      if (changed) {
        done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.AUTO_RENEW_OFF, domain,
            "turned automatic renewal of " + shown + " off", null));
      }
      kept.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.DOMAIN, domain, shown + " stays registered"
          + (expiresAt != null ? " until " + expiresAt : " until it expires") + " (registrations are not refundable)"
          + (autoRenew ? "" : "; it will not renew"), expiresAt));
      if (autoRenew) {
        kept.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.AUTO_RENEW, domain, "automatic renewal of "
            + shown + " stays on" + (note != null ? ": " + note : "") + "; turn it off at the registrar", expiresAt));
      }
    }
  }

  private final DeploymentState.Held domain;
  private final ProviderAccount account;

  DomainRenewalStep(RunId deployment, DeploymentState.Held domain, ProviderAccount account, List<StepId> dependsOn) {
    super(ID, StepKind.DOMAIN_RENEWAL, deployment, dependsOn, "turn automatic renewal of "
        + DomainNames.display(Objects.requireNonNull(domain.domain(), "domain")) + " off (it stays registered until "
        + "it expires)", Renewal.class);
    this.domain = domain;
    this.account = account;
  }

  @Override
  public Renewal run(StepRun ctx) {
    String name = Objects.requireNonNull(domain.domain(), "domain");
    CredentialsStep.Issued issued = issued(ctx);
    DeployCredentials creds = issued == null || issued.revokedAt() != null ? null : issued.credentials(ctx.vault());
    DomainRenewal r;
    try {
      r = ctx.deployer().stopAutoRenew(new RenewalRequest(name, account.accountId(), broad(ctx), creds), ctx);
    } catch (ProviderException e) {
      if (e.retryable()) {
        throw e; // the registrar may come back: a resume asks again
      }
      // the domain's renewal is the registrar's to keep; a refusal is reported, not a reason to stop the teardown
      r = DomainRenewal.unsupported(name, "the registrar refused (" + (e.code() != null ? e.code() : e.status()) + ")");
    }
    DomainRenewal result = r;
    update(ctx, s -> {
      DeploymentState.Held h = s.resource(domain.ref().id());
      return h == null ? s : s.replacing(h, h.renewal(result.autoRenew(), result.expiresAt()));
    });
    Instant expires = r.expiresAt() != null ? r.expiresAt() : domain.expiresAt();
    ctx.audit("domain.renewal").key(ctx.idempotencyKey()).outcome(r.changed() ? "turned_off" : r.supported()
        ? "already_off" : "unsupported").detail("domain", name).detail("resource", domain.ref().id())
        .detail("auto_renew", String.valueOf(r.autoRenew())).detail("expires_at", String.valueOf(expires))
        .detail("deployment", deployment.value()).detailIfPresent("note", r.note()).record();
    return new Renewal(domain.ref().id(), name, r.autoRenew(), expires, r.changed(), r.note());
  }

  @Override
  public String summary(Renewal out) {
    return out.domain() + (out.autoRenew() ? " renews" : " does not renew") + ", expires " + out.expiresAt();
  }
}
