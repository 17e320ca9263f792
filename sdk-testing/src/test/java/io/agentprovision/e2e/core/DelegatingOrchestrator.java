package io.agentprovision.e2e.core;

import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.policy.SpendLimit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Passes every call to another orchestrator; tests override the one call they want to observe or delay. */
class DelegatingOrchestrator implements Orchestrator {
  private final Orchestrator d;

  DelegatingOrchestrator(Orchestrator delegate) {
    this.d = delegate;
  }

  @Override
  public String name() {
    return d.name();
  }

  @Override
  public Catalog catalog(String provider) {
    return d.catalog(provider);
  }

  @Override
  public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
    return d.linkAccount(request, ctx);
  }

  @Override
  public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    return d.ensurePaymentMethod(provider, usageCap, ctx);
  }

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    return d.provision(request, ctx);
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    return d.submitInformation(resource, information, payment, ctx);
  }

  @Override
  public ResourceState resource(ResourceRef resource, StepContext ctx) {
    return d.resource(resource, ctx);
  }

  @Override
  public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    return d.update(resource, newServiceId, configuration, payment, ctx);
  }

  @Override
  public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    return d.revealCredentials(resource, ctx);
  }

  @Override
  public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    return d.rotateCredentials(resource, ctx);
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    d.remove(resource, ctx);
  }

  @Override
  public void prepare(String provider, String project, StepContext ctx) {
    d.prepare(provider, project, ctx);
  }

  @Override
  public boolean supportsAccountUnlink() {
    return d.supportsAccountUnlink();
  }

  @Override
  public void unlinkAccount(ProviderAccount account, StepContext ctx) {
    d.unlinkAccount(account, ctx);
  }

  @Override
  public List<SpendLimit> providerLimits(String provider) {
    return d.providerLimits(provider);
  }

  @Override
  public List<SpendLimit> providerLimits(String provider, StepContext ctx) {
    return d.providerLimits(provider, ctx);
  }

  @Override
  public Optional<SpendLimit> updateProviderLimit(@Nullable String provider, SpendLimit limit, StepContext ctx) {
    return d.updateProviderLimit(provider, limit, ctx);
  }
}
