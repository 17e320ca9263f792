package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Finds and registers the domain: asks the registrar service for the request's query, picks among
 * the names it offers ({@link #choose}), then pays for the one chosen at its real price (checked
 * against the policy and, above the threshold, confirmed by a person at that price). A
 * registration is not refundable: on failure the report says the domain stays registered.
 */
final class DomainStep extends BaseStep<DomainStep.Registered> {
  static final StepId ID = StepId.of("domain");

  /** The registered domain, its resource, and what it cost. */
  record Registered(ResourceRef resource, String domain, @Nullable Money charged) implements ProvisionedResource {
    Registered {
      Objects.requireNonNull(resource, "resource");
      Objects.requireNonNull(domain, "domain");
    }

    @Override
    public Deployment.ResourceSummary resourceSummary() {
      return new Deployment.ResourceSummary(resource.serviceId(), resource.id(), domain, charged);
    }
  }

  /** Journaled once the registrar answered, before the purchase: the resource being asked about. */
  record Progress(String resourceId) {}

  private final ServiceOffering service;
  private final DomainRequest domain;

  DomainStep(ServiceOffering service, DomainRequest domain, List<StepId> dependsOn) {
    super(ID, StepKind.DOMAIN, dependsOn, (domain.isExact() ? "register " : "find and register a domain like ")
        + domain.text() + " for " + domain.years() + " year(s)", Registered.class);
    this.service = service;
    this.domain = domain;
  }

  @Override
  public Price price() {
    Money quote = domain.maxPrice() != null ? domain.maxPrice() : service.pricing().amount();
    return new Price(service.id(), service.pricing().isPaid(), CheckpointKind.DOMAIN_PURCHASE, quote, false);
  }

  @Override
  public Registered run(StepRun ctx) {
    ProvisionRequest req = ctx.request();
    DomainRequest dr = domain;
    Map<String, Object> configuration = new LinkedHashMap<>();
    configuration.put("domain_query", dr.text());
    configuration.put("years", dr.years());
    configuration.put("auto_renew", dr.autoRenew());
    ResourceState state = ctx.orchestrator().provision(ResourceRequest.builder(req.provider(), service.id(),
        ServiceStep.name(req, id()), ctx.output(AccountStep.class).account()).configuration(configuration)
        .project(req.project()).environment(req.environment()).build(), ctx);
    ctx.saveProgress(new Progress(state.ref().id()));
    Money charged = null;
    String name = state.attributes().get("domain");
    if (state.status() == ResourceStatus.NEEDS_INFORMATION) {
      InformationRequest info = state.needsInformation();
      List<InformationRequest.Choice> choices = info == null ? List.of() : info.choicesFor("domain");
      InformationRequest.Choice chosen = choose(choices, dr);
      Money price = chosen.price();
      if (price == null) {
        throw new ProviderException(req.provider(), 0, "unpriced_choice", null, "the provider offered " + chosen.value()
            + " without a price; the SDK pays only for priced choices", false);
      }
      ctx.audit("domain.chosen").amount(price).detail("domain", chosen.value())
          .detail("offered", String.valueOf(choices.size())).record();
      ctx.progress("chose " + chosen.value() + " for " + price + " among " + choices.size() + " offered");
      SpendAuthorization auth = ctx.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, req.provider(),
          price, "domain " + chosen.value() + " (" + dr.years() + " year(s), not refundable)",
          Map.of("domain", chosen.value())));
      try {
        state = ctx.orchestrator().submitInformation(state.ref(), Map.of("domain", chosen.value()), auth.payment(), ctx);
        ServiceStep.requireComplete(state, service.id());
      } catch (RuntimeException e) {
        if (ctx.chargeRuledOut(e)) {
          auth.release();
        }
        throw e;
      }
      charged = ServiceStep.chargedOr(state, price);
      auth.commit(charged);
      name = state.attributes().getOrDefault("domain", chosen.value());
    } else {
      ServiceStep.requireComplete(state, service.id());
      if (name == null) {
        name = dr.isExact() ? dr.text() : null;
      }
    }
    if (name == null) {
      throw new ProviderException(req.provider(), 0, "no_domain", null, "the domain resource " + state.ref().id()
          + " completed without naming its domain", false);
    }
    ctx.audit("domain.registered").amount(charged).key(ctx.idempotencyKey()).detail("domain", name)
        .detail("resource", state.ref().id()).record();
    return new Registered(state.ref(), name, charged);
  }

  /**
   * Picks a domain: the exact name when one was asked for; otherwise the available names within
   * the price cap, by preferred TLD, then price, then the provider's order.
   */
  static InformationRequest.Choice choose(List<InformationRequest.Choice> choices, DomainRequest dr) {
    List<InformationRequest.Choice> ok = new ArrayList<>();
    Money cap = dr.maxPrice();
    for (InformationRequest.Choice c : choices) {
      String name = c.value().toLowerCase(Locale.ROOT);
      if (!c.available()) {
        continue;
      }
      if (dr.isExact() && !name.equals(dr.text())) {
        continue;
      }
      Money price = c.price();
      if (cap != null && (price == null || !price.sameCurrency(cap) || price.greaterThan(cap))) {
        continue;
      }
      ok.add(c);
    }
    if (ok.isEmpty()) {
      throw new AgentProvisionException("no offered domain fits " + dr + " (offered: " + choices.stream()
          .map(c -> c.value() + (c.available() ? "" : " (taken)") + (c.price() != null ? " " + c.price() : ""))
          .toList() + "); try another query or a higher maxPrice", null, false);
    }
    List<String> tlds = dr.preferredTlds();
    Comparator<InformationRequest.Choice> byTld = Comparator.comparingInt(c -> {
      String n = c.value().toLowerCase(Locale.ROOT);
      int i = tlds.indexOf(n.substring(n.lastIndexOf('.') + 1));
      return i < 0 ? Integer.MAX_VALUE : i;
    });
    Comparator<InformationRequest.Choice> byPrice = Comparator.comparingLong(c -> {
      Money p = c.price();
      return p == null ? Long.MAX_VALUE : p.minorUnits();
    });
    List<InformationRequest.Choice> sorted = new ArrayList<>(ok);
    sorted.sort(byTld.thenComparing(byPrice)); // stable: ties keep the provider's order
    return sorted.get(0);
  }

  @Override
  public Compensation compensate(StepRun ctx, Registered out) {
    return Compensation.cannotUndo("domain " + out.domain() + " is registered" + (out.charged() != null ? " for "
        + out.charged() : "") + " (registrations are not refundable)");
  }

  @Override
  public String summary(Registered out) {
    return out.domain() + (out.charged() != null ? " for " + out.charged() : "");
  }
}
