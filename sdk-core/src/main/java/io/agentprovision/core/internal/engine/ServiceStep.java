package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.vault.VaultEntry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Provisions one catalog service in the run's account, paying its listed price when it has one:
 * policy check, reservation, approval where the policy wants one, the orchestrator's call under the
 * step's idempotency key ({@link StepRun#paid}: reconciled when its answer is lost), then commit
 * (or release, when the call certainly charged nothing). Undone
 * by removing the resource; a charge is reported as not refunded. {@link PlanStep} and
 * {@link ResourceStep} are the two the first-day flow has; {@link CatalogServiceStep} is one per
 * service a request names, with its configuration, and keeps the resource's credentials in the
 * vault ({@link #credentialKey}).
 */
abstract class ServiceStep extends BaseStep<ServiceStep.Provisioned> {
  /**
   * The resource and what it cost.
   *
   * @param credentials the names of the resource's credentials kept in the vault under
   *     {@link #credentialKey} (empty when none were revealed)
   */
  record Provisioned(ResourceRef resource, @Nullable Money charged, List<String> credentials)
      implements ProvisionedResource {
    Provisioned {
      Objects.requireNonNull(resource, "resource");
      credentials = credentials == null ? List.of() : List.copyOf(credentials); // absent in older journals
    }

    Provisioned(ResourceRef resource, @Nullable Money charged) {
      this(resource, charged, List.of());
    }

    @Override
    public Deployment.ResourceSummary resourceSummary() {
      return new Deployment.ResourceSummary(resource.serviceId(), resource.id(), resource.name(), charged);
    }
  }

  private final ServiceOffering service;
  private final CheckpointKind checkpoint;
  private final Map<String, Object> configuration;
  private final boolean keepCredentials;

  ServiceStep(StepId id, StepKind kind, ServiceOffering service, CheckpointKind checkpoint, List<StepId> dependsOn,
      String description) {
    this(id, kind, service, checkpoint, Map.of(), false, dependsOn, description);
  }

  /**
   * @param configuration the service's configuration, already checked against its schema
   * @param keepCredentials whether to reveal the resource's credentials into the vault once it is provisioned
   */
  ServiceStep(StepId id, StepKind kind, ServiceOffering service, CheckpointKind checkpoint,
      Map<String, Object> configuration, boolean keepCredentials, List<StepId> dependsOn, String description) {
    super(id, kind, dependsOn, description, Provisioned.class);
    this.service = service;
    this.checkpoint = checkpoint;
    this.configuration = configuration;
    this.keepCredentials = keepCredentials;
  }

  /** Where the credential {@code name} of the resource step {@code step} of {@code run} is kept in the vault. */
  static String credentialKey(RunId run, StepId step, String name) {
    return credentialPrefix(run, step) + name;
  }

  private static String credentialPrefix(RunId run, StepId step) {
    return "runs/" + run + "/services/" + step + "/";
  }

  /** What the service costs as configured: a price list's entry for the configuration, else its one price. */
  private Pricing pricing() {
    return configuration.isEmpty() ? service.pricing() : service.pricing().forConfiguration(configuration);
  }

  @Override
  public Price price() {
    Pricing p = pricing();
    return new Price(service.id(), p.isPaid(), checkpoint, p.minimum(), true);
  }

  /** The catalog service this step provisions. */
  ServiceOffering service() {
    return service;
  }

  @Override
  public Provisioned run(StepRun ctx) {
    ProvisionRequest req = ctx.request();
    VelocityAction counted = velocity();
    if (counted != null) {
      ctx.velocity().count(counted);
    }
    SpendAuthorization auth = null;
    Money quote = null;
    if (pricing().isPaid()) {
      quote = Objects.requireNonNull(ctx.planned().quote(), "the plan priced " + id());
      String what = pricing().description();
      auth = ctx.authorizeSpend(new SpendRequest(checkpoint, req.provider(), quote, service.id()
          + (what != null ? " (" + what + ")" : ""), Map.of("service", service.id())));
    }
    SpendAuthorization paying = auth;
    ResourceRequest request = ResourceRequest.builder(req.provider(), service.id(), name(req, id()),
        ctx.output(AccountStep.class).account()).configuration(configuration).project(req.project())
        .environment(req.environment()).payment(auth == null ? null : auth.payment()).build();
    ResourceState state = ctx.paid(paying, "provisioning " + service.id(), () -> {
      ResourceState s = ctx.orchestrator().provision(request, ctx);
      requireComplete(s, service.id());
      return s;
    });
    Money charged = null;
    if (auth != null && quote != null) {
      charged = chargedOr(state, quote);
      auth.commit(charged);
    }
    ctx.audit("resource.provisioned").amount(charged).key(ctx.idempotencyKey()).detail("service", service.id())
        .detail("resource", state.ref().id()).record();
    List<String> kept = keepCredentials ? keepCredentials(ctx, state.ref()) : List.of();
    return new Provisioned(state.ref(), charged, kept);
  }

  /**
   * Reveals the resource's credentials and keeps each in the vault (replacing what a run interrupted
   * here kept before); returns their names. The journal and the audit get the names only.
   */
  private List<String> keepCredentials(StepRun ctx, ResourceRef ref) {
    AccessConfiguration access = ctx.orchestrator().revealCredentials(ref, ctx);
    CredentialVault vault = ctx.vault();
    TreeSet<String> names = new TreeSet<>(access.values().keySet());
    for (String name : names) {
      Secret value = access.values().get(name);
      vault.put(new VaultEntry(credentialKey(ctx.runId(), id(), name), Objects.requireNonNull(value),
          Map.of("provider", ref.provider(), "service", ref.serviceId(), "resource", ref.id(), "generation",
              String.valueOf(access.generation())), ctx.clock().instant(), access.expiresAt()));
    }
    if (!names.isEmpty()) {
      ctx.audit("credentials.stored").key(ctx.idempotencyKey()).detail("resource", ref.id())
          .detail("service", ref.serviceId()).detail("names", String.join(",", names))
          .detail("vault_prefix", credentialPrefix(ctx.runId(), id())).record();
    }
    return List.copyOf(names);
  }

  @Override
  public Compensation compensate(StepRun ctx, Provisioned out) {
    ResourceRef ref = out.resource();
    ctx.orchestrator().remove(ref, ctx);
    for (String name : out.credentials()) {
      ctx.vault().delete(credentialKey(ctx.runId(), id(), name)); // the resource is gone, and its credentials with it
    }
    Compensation c = Compensation.undone("removed " + ref.serviceId() + " (" + ref.id() + ")");
    return out.charged() == null ? c : c.andCannotUndo(out.charged() + " already charged for " + ref.serviceId()
        + " is not refunded by cancelling it");
  }

  @Override
  public String summary(Provisioned out) {
    return out.resource().id() + (out.charged() != null ? " for " + out.charged() : "");
  }

  /** Fails unless the provider says the resource is complete, with its reasons when it says otherwise. */
  static void requireComplete(ResourceState s, String service) {
    if (s.status() == ResourceStatus.COMPLETE) {
      return;
    }
    String code = s.errorCode() != null ? s.errorCode() : s.status().name().toLowerCase(Locale.ROOT);
    ProviderException failed = ProviderException.builder(s.ref().provider(), service + " resource " + s.ref().id()
        + " ended " + s.status() + (s.errorMessage() != null ? ": " + s.errorMessage() : "")
        + (s.userMessage() != null ? " (" + s.userMessage() + ")" : "")).code(code).retryable(false)
        // the provider answered: a resource it reports as not complete was not paid for, unless it says it charged
        .outcome(ProviderException.Outcome.NOT_EXECUTED).build();
    Money charged = s.charged();
    throw charged != null && charged.isPositive() ? failed.reconciled(charged, false) : failed;
  }

  /** What the provider says it charged, when that is within the quote; otherwise the quote. */
  static Money chargedOr(ResourceState s, Money quote) {
    Money c = s.charged();
    return c != null && c.sameCurrency(quote) && !c.greaterThan(quote) ? c : quote;
  }

  /** The resource's name: the project, then the step, so that it is the same on every retry. */
  static String name(ProvisionRequest req, StepId step) {
    return req.project().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-"
        + step.value().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
  }
}
