package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A provider that offers one free deployable service and one paid plan, as orchestrator, deployer and identity
 * provider at once: enough for the engine's own tests in this module, which cannot use the fakes
 * of {@code sdk-fakes} (they depend on this module). Records every call with a side effect.
 */
final class StubCloud implements Orchestrator, Deployer, IdentityProvider {
  static final String PROVIDER = "stubcloud";
  /** A plan that costs USD 5.00 a month. */
  static final String PAID_PLAN = "stub:paid";

  /** The calls with side effects, in order, as {@code method:idempotencyKey}. */
  final List<String> calls = new CopyOnWriteArrayList<>();

  @Override
  public String name() {
    return "stub";
  }

  @Override
  public String provider() {
    return PROVIDER;
  }

  @Override
  public String deployableService() {
    return "workers";
  }

  @Override
  public Catalog catalog(String provider) {
    return new Catalog(ProviderInfo.named(provider), List.of(ServiceOffering.builder("workers", provider,
        ServiceOffering.KIND_DEPLOYABLE).description("run code").pricing(Pricing.free()).build(),
        ServiceOffering.builder(PAID_PLAN, provider, ServiceOffering.KIND_PLAN).description("a paid plan")
            .pricing(Pricing.exactly(Money.usd("5.00"), Pricing.Interval.MONTHLY, "$5/month")).build()));
  }

  @Override
  public Principal attest(IdentityRequest request) {
    return Principal.builder("sub-ada", "https://issuer.test").email("ada@example.com", true).amr(List.of("pwd"))
        .build();
  }

  @Override
  public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
    calls.add("linkAccount:" + ctx.idempotencyKey());
    return ProviderAccount.builder(PROVIDER, "acct_1").email(request.principal().email())
        .linkAction(ProviderAccount.LinkAction.CREATED).build();
  }

  @Override
  public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    return new PaymentMethodStatus(true, "visa 4242");
  }

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    calls.add("provision:" + ctx.idempotencyKey());
    return ResourceState.of(new ResourceRef(PROVIDER, "res_" + request.serviceId(), request.serviceId(),
        request.name()), ResourceStatus.COMPLETE);
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      io.agentprovision.core.payment.@Nullable PaymentAuthorization payment, StepContext ctx) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ResourceState resource(ResourceRef resource, StepContext ctx) {
    return ResourceState.of(resource, ResourceStatus.COMPLETE);
  }

  @Override
  public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      io.agentprovision.core.payment.@Nullable PaymentAuthorization payment, StepContext ctx) {
    throw new UnsupportedOperationException();
  }

  @Override
  public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    calls.add("revealCredentials:" + ctx.idempotencyKey());
    return new AccessConfiguration(Map.of("STUB_API_TOKEN", Secret.of("broad-token")), null, null, 1);
  }

  @Override
  public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    calls.add("remove:" + resource.id());
  }

  @Override
  public PreparedCredentials prepareCredentials(CredentialRequest request, StepContext ctx) {
    calls.add("prepareCredentials:" + ctx.idempotencyKey());
    return new PreparedCredentials(DeployCredentials.builder(PROVIDER, request.account().accountId(), "tok_1",
        Secret.of("deploy-token")).permissions(List.of("Scripts Write")).build(), PreparedCredentials.BroadOutcome.KEPT,
        null);
  }

  @Override
  public DeployedApp deploy(DeployRequest request, StepContext ctx) {
    calls.add("deploy:" + ctx.idempotencyKey());
    return DeployedApp.builder(PROVIDER, request.credentials().accountId(), request.app().name(),
        URI.create("https://" + request.app().name() + ".stub.example")).build();
  }

  @Override
  public Verification verify(DeployedApp app, StepContext ctx) {
    return new Verification(app.url(), true, 200, "hello", null);
  }

  @Override
  public void undeploy(DeployedApp app, DeployCredentials credentials, StepContext ctx) {
    calls.add("undeploy:" + app.scriptName());
  }

  @Override
  public DeployCredentials rotate(RotationRequest request, StepContext ctx) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void revoke(DeployCredentials credentials, @Nullable AccessConfiguration broad, StepContext ctx) {
    calls.add("revoke:" + credentials.tokenId());
  }
}
