package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.SpendAuthorization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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

  /**
   * Journaled once the registrar answered, before the purchase: the resource being asked about,
   * and, once chosen, the name being bought (so that a resume which finds the purchase went through
   * knows what was bought, whatever the provider's answer names).
   */
  record Progress(String resourceId, @Nullable String chosen) {}

  private final ServiceOffering service;
  private final DomainRequest domain;
  private final DomainNames names;
  /** Whether the requested name is a look-alike the host wants a person to confirm (found at plan time). */
  private final boolean lookalike;

  DomainStep(ServiceOffering service, DomainRequest domain, DomainNames names, boolean lookalike,
      List<StepId> dependsOn) {
    super(ID, StepKind.DOMAIN, dependsOn, (domain.isExact() ? "register " : "find and register a domain like ")
        + domain.display() + " for " + domain.years() + " year(s)", Registered.class);
    this.service = service;
    this.domain = domain;
    this.names = names;
    this.lookalike = lookalike;
  }

  @Override
  public List<CheckpointKind> approvals(List<PlannedStep> judged) {
    return lookalike ? List.of(CheckpointKind.LOOKALIKE_DOMAIN) : List.of();
  }

  @Override
  public Price price() {
    Money quote = domain.maxPrice() != null ? domain.maxPrice() : service.pricing().minimum();
    return new Price(service.id(), service.pricing().isPaid(), CheckpointKind.DOMAIN_PURCHASE, quote, false);
  }

  @Override
  public VelocityAction velocity() {
    return VelocityAction.CREATE_DOMAIN;
  }

  @Override
  public Registered run(StepRun ctx) {
    ProvisionRequest req = ctx.request();
    ctx.velocity().count(VelocityAction.CREATE_DOMAIN); // before the registrar is asked: it may register at once
    DomainRequest dr = domain;
    Set<String> confirmed = new HashSet<>();
    if (dr.isExact()) {
      // a provider may register an exact name as soon as it is asked to: a look-alike is confirmed first
      DomainNames.Lookalike requested = names.vet("domain", dr.text()).orElse(null);
      if (requested != null) {
        confirmLookalike(requested, dr.maxPrice(), ctx);
        confirmed.add(requested.ascii());
      }
    }
    Map<String, Object> configuration = new LinkedHashMap<>();
    configuration.put("domain_query", dr.text());
    configuration.put("years", dr.years());
    configuration.put("auto_renew", dr.autoRenew());
    ResourceState state = ctx.orchestrator().provision(ResourceRequest.builder(req.provider(), service.id(),
        ServiceStep.name(req, id()), ctx.output(AccountStep.class).account()).configuration(configuration)
        .project(req.project()).environment(req.environment()).build(), ctx);
    Progress before = ctx.progress(Progress.class);
    ctx.saveProgress(new Progress(state.ref().id(), before == null ? null : before.chosen()));
    Money charged = null;
    String name = state.attributes().get("domain");
    if (state.status() == ResourceStatus.NEEDS_INFORMATION) {
      InformationRequest info = state.needsInformation();
      List<InformationRequest.Choice> choices = info == null ? List.of() : info.choicesFor("domain");
      InformationRequest.Choice chosen = choose(choices, dr, names);
      Money price = chosen.price();
      if (price == null) {
        throw new ProviderException(req.provider(), 0, "unpriced_choice", null, "the provider offered "
            + DomainNames.display(chosen.value()) + " without a price; the SDK pays only for priced choices", false);
      }
      String shown = DomainNames.display(chosen.value());
      ctx.audit("domain.chosen").amount(price).detail("domain", chosen.value())
          .detail("offered", String.valueOf(choices.size())).record();
      ctx.progress("chose " + shown + " for " + price + " among " + choices.size() + " offered");
      DomainNames.Lookalike offered = names.lookalike(chosen.value()).orElse(null);
      if (offered != null && !confirmed.contains(offered.ascii())) {
        confirmLookalike(offered, price, ctx); // choose() passed it over unless the host asks a person
      }
      SpendAuthorization auth = ctx.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, req.provider(),
          price, "domain " + shown + " (" + dr.years() + " year(s), not refundable)",
          Map.of("domain", DomainNames.toAscii(chosen.value()), "domain_unicode", DomainNames.toUnicode(chosen.value()))));
      ResourceRef asked = state.ref();
      String choice = chosen.value();
      ctx.saveProgress(new Progress(asked.id(), choice));
      state = ctx.paid(auth, "registering " + shown, () -> {
        ResourceState s = ctx.orchestrator().submitInformation(asked, Map.of("domain", choice), auth.payment(), ctx);
        ServiceStep.requireComplete(s, service.id());
        return s;
      });
      charged = ServiceStep.chargedOr(state, price);
      auth.commit(charged);
      name = state.attributes().getOrDefault("domain", chosen.value());
    } else {
      ServiceStep.requireComplete(state, service.id());
      if (name == null) {
        // an exact name, or the one an earlier attempt bought before its answer was lost
        name = dr.isExact() ? dr.text() : before != null ? before.chosen() : null;
      }
    }
    if (name == null) {
      throw new ProviderException(req.provider(), 0, "no_domain", null, "the domain resource " + state.ref().id()
          + " completed without naming its domain", false);
    }
    ctx.audit("domain.registered").amount(charged).key(ctx.idempotencyKey()).detail("domain", name)
        .detail("resource", state.ref().id()).detail("service", service.id()).detail("years", String.valueOf(dr.years())).detail("auto_renew", String.valueOf(dr.autoRenew())).record();
    return new Registered(state.ref(), name, charged);
  }

  /** Puts a look-alike to a person, showing both forms; returns only when they approve. */
  private static void confirmLookalike(DomainNames.Lookalike l, @Nullable Money price, StepRun ctx) {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("domain", l.ascii());
    details.put("domain_unicode", l.unicode());
    String resembles = l.resembles();
    if (resembles != null) {
      details.put("resembles", resembles);
    }
    details.put("finding", l.kind().name());
    CheckpointRequest ask = CheckpointRequest.confirm(CheckpointKind.LOOKALIKE_DOMAIN,
        "Buy the look-alike domain " + l.display() + "?",
        l.display() + " looks like " + (resembles != null ? resembles : "another name") + ": " + l.detail())
        .withDetails(details);
    ctx.checkpoint(price == null ? ask : ask.withCost(price));
  }

  /**
   * Picks a domain: the exact name when one was asked for; otherwise the available names within
   * the price cap, names that are not look-alikes first, then by preferred TLD, then price, then
   * the provider's order. Every offer is checked by the host's {@link DomainNames} first: one that
   * breaks a rule is passed over, and so is a look-alike unless the host puts look-alikes to a person.
   */
  static InformationRequest.Choice choose(List<InformationRequest.Choice> choices, DomainRequest dr, DomainNames names) {
    List<InformationRequest.Choice> ok = new ArrayList<>();
    Map<InformationRequest.Choice, String> ascii = new IdentityHashMap<>();
    Set<InformationRequest.Choice> lookalikes = Collections.newSetFromMap(new IdentityHashMap<>());
    List<String> passedOver = new ArrayList<>();
    Money cap = dr.maxPrice();
    for (InformationRequest.Choice c : choices) {
      if (!c.available()) {
        continue;
      }
      String name;
      try {
        name = names.validate("domain choice", c.value());
      } catch (InvalidRequestException e) {
        passedOver.add(e.problem());
        continue;
      }
      if (dr.isExact() && !name.equals(dr.text())) {
        continue;
      }
      Money price = c.price();
      if (cap != null && (price == null || !price.sameCurrency(cap) || price.greaterThan(cap))) {
        continue;
      }
      DomainNames.Lookalike l = names.lookalike(name).orElse(null);
      if (l != null) {
        if (names.lookalikePolicy() == DomainNames.LookalikePolicy.REFUSE) {
          passedOver.add(l.display() + " looks like " + (l.resembles() != null ? l.resembles() : "another name"));
          continue;
        }
        lookalikes.add(c);
      }
      ascii.put(c, name);
      ok.add(c);
    }
    if (ok.isEmpty()) {
      throw new AgentProvisionException("no offered domain fits " + dr + " (offered: " + choices.stream()
          .map(c -> DomainNames.display(c.value()) + (c.available() ? "" : " (taken)")
              + (c.price() != null ? " " + c.price() : ""))
          .toList() + (passedOver.isEmpty() ? "" : "; passed over: " + passedOver)
          + "); try another query or a higher maxPrice", null, false);
    }
    List<String> tlds = dr.preferredTlds();
    Comparator<InformationRequest.Choice> byLookalike = Comparator.comparingInt(c -> lookalikes.contains(c) ? 1 : 0);
    Comparator<InformationRequest.Choice> byTld = Comparator.comparingInt(c -> {
      String n = Objects.requireNonNull(ascii.get(c));
      int i = tlds.indexOf(n.substring(n.lastIndexOf('.') + 1));
      return i < 0 ? Integer.MAX_VALUE : i;
    });
    Comparator<InformationRequest.Choice> byPrice = Comparator.comparingLong(c -> {
      Money p = c.price();
      return p == null ? Long.MAX_VALUE : p.minorUnits();
    });
    List<InformationRequest.Choice> sorted = new ArrayList<>(ok);
    sorted.sort(byLookalike.thenComparing(byTld).thenComparing(byPrice)); // stable: ties keep the provider's order
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
