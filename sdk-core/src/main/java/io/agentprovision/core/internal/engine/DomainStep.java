package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InformationRequiredException;
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
import io.agentprovision.core.payment.PaymentAuthorization;
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
 * Finds and registers the domain: asks the registrar service for the request's query, answers its
 * questions round by round (a query, a top-level domain, the name; {@link #choose} picks the name),
 * then pays for the one chosen at its real price (checked against the policy and, above the
 * threshold, confirmed by a person at that price). A registration is not refundable: on failure the
 * report says the domain stays registered.
 *
 * <p><b>Money.</b> The price is known only once a name is chosen, and some providers want payment
 * credentials with the first request already. So the step reserves the plan's cap for it (what the
 * policy still admits, no more than the request's {@code maxPrice}) before its first request, which
 * carries a payment token capped there. The answer that buys carries a payment capped at the chosen
 * name's price, under the same reservation; a name offered without a price (a plain {@code enum})
 * is confirmed by a person at the cap and paid with the cap. What the provider reports it charged,
 * never more than reserved, is committed.
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
   * Journaled once the registrar answered, and again before the answer that buys: the resource
   * being asked about, and then the name chosen and its price, so that a step run again after the
   * purchase went through (its answer lost, or the host gone before the ledger was told) commits
   * what was paid: not the cap, and not what the repeated search says it charged (nothing: the
   * purchase was paid by the answer's payment, not the search's).
   */
  record Progress(String resourceId, @Nullable String domain, @Nullable Money price) {
    Progress(String resourceId) {
      this(resourceId, null, null);
    }
  }

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
    return new Price(service.id(), CheckpointKind.DOMAIN_PURCHASE, service.pricing(), true, domain.maxPrice(), false);
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
    String wanted = dr.isExact() ? "domain " + DomainNames.display(dr.text()) : "a domain like " + dr.display();
    SpendAuthorization held = null;
    Money cap = null;
    if (service.pricing().isPaid()) {
      // the price comes with the name; what is held until then is the most the policy admits for it
      cap = Objects.requireNonNull(ctx.planned().quote(), "the plan capped " + id());
      Map<String, String> details = new LinkedHashMap<>();
      details.put(dr.isExact() ? "domain" : "domain_query", dr.isExact() ? DomainNames.toAscii(dr.text()) : dr.text());
      if (dr.isExact()) {
        details.put("domain_unicode", DomainNames.toUnicode(dr.text()));
      }
      held = ctx.authorizeUpTo(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, req.provider(), cap, wanted + " ("
          + dr.years() + " year(s), not refundable; price known once a name is chosen)", details));
      cap = held.payment().maxAmount(); // lower than planned when the run spent meanwhile
    }
    Map<String, Object> configuration = new LinkedHashMap<>();
    configuration.put("domain_query", dr.text());
    configuration.put("years", dr.years());
    configuration.put("auto_renew", dr.autoRenew());
    Money price = null;
    String chosenName = null;
    SpendAuthorization paid = held;
    ResourceRequest request = ResourceRequest.builder(req.provider(), service.id(), ServiceStep.name(req, id()),
        ctx.output(AccountStep.class).account()).configuration(configuration).project(req.project())
        .environment(req.environment()).payment(held == null ? null : held.payment()).build();
    // the search already carries the capped payment: every call under the reservation goes through paid(),
    // so that a lost answer is reconciled by repeating it
    ResourceState state = ctx.paid(paid, "asking for " + wanted, () -> settledOrAsking(
        ctx.orchestrator().provision(request, ctx)));
    Progress before = ctx.savedProgress(Progress.class);
    boolean boughtBefore = false;
    if (before == null || before.domain() == null) {
      ctx.saveProgress(new Progress(state.ref().id()));
    } else if (state.status() == ResourceStatus.COMPLETE) {
      // bought before an interruption (its answer lost, or the host gone before the ledger was told): what
      // was chosen and paid then is what was bought, and the search repeated now charged nothing itself
      chosenName = before.domain();
      price = before.price();
      boughtBefore = true;
    }
    String tld = null;
    int round = 0;
    while (state.status() == ResourceStatus.NEEDS_INFORMATION) {
      Map<String, Object> answers = new LinkedHashMap<>();
      PaymentAuthorization paying = null;
      try {
        InformationRounds.checkRound(++round, state, service.id());
        InformationRequest info = state.needsInformation();
        if (info == null) {
          info = InformationRequest.fromSchema(Map.of());
        }
        InformationRounds.requireReadable(info, state, service.id());
        for (String field : InformationRounds.asked(info)) {
          switch (field) {
            case "domain": {
              List<InformationRequest.Choice> choices = info.choicesFor("domain");
              InformationRequest.Choice chosen = choose(choices, dr, names, cap, tld);
              chosenName = chosen.value();
              price = chosen.price();
              paying = buy(ctx, chosen, choices.size(), held, cap, confirmed);
              answers.put(field, chosen.value());
              break;
            }
            case "tld":
              tld = chooseTld(info.choicesFor("tld"), dr, cap, state, service.id());
              answers.put(field, tld);
              break;
            case "domain_query":
              answers.put(field, dr.text());
              break;
            case "years":
              answers.put(field, dr.years());
              break;
            case "auto_renew":
              answers.put(field, dr.autoRenew());
              break;
            default:
              answers.put(field, InformationRounds.askPerson(ctx, state, service.id(), info, field));
              break;
          }
        }
      } catch (RuntimeException refused) {
        // refused here, between calls (a look-alike, a price above the cap, a question nobody answers):
        // every call so far was answered with a question, so nothing was bought and nothing stays held
        InformationRounds.releaseUnbought(ctx, held);
        throw refused;
      }
      if (chosenName != null && answers.containsKey("domain")) {
        ctx.saveProgress(new Progress(state.ref().id(), chosenName, price));
      }
      ResourceRef asked = state.ref();
      PaymentAuthorization answerPayment = paying;
      state = ctx.paid(paid, "answering for " + wanted, () -> settledOrAsking(
          ctx.orchestrator().submitInformation(asked, answers, answerPayment, ctx)));
    }
    String name = state.attributes().get("domain");
    if (name == null) {
      name = chosenName != null ? chosenName : dr.isExact() ? dr.text() : null;
    }
    Money charged = null;
    if (held != null) {
      Money quote = price != null ? price : Objects.requireNonNull(cap);
      charged = boughtBefore ? ServiceStep.chargedAfterResume(state, quote, Objects.requireNonNull(cap))
          : ServiceStep.chargedOr(state, quote);
      held.commit(charged);
    }
    if (name == null) {
      throw new ProviderException(req.provider(), 0, "no_domain", null, "the domain resource " + state.ref().id()
          + " completed without naming its domain", false);
    }
    ctx.audit("domain.registered").amount(charged).key(ctx.idempotencyKey()).detail("domain", name)
        .detail("resource", state.ref().id()).detail("service", service.id()).detail("years", String.valueOf(dr.years())).detail("auto_renew", String.valueOf(dr.autoRenew())).record();
    return new Registered(state.ref(), name, charged);
  }

  /** {@code s} while the registrar still asks; else it must be complete. */
  private ResourceState settledOrAsking(ResourceState s) {
    if (s.status() != ResourceStatus.NEEDS_INFORMATION) {
      ServiceStep.requireComplete(s, service.id());
    }
    return s;
  }

  /**
   * Gets the chosen name ready to be bought: the look-alike check, the price within what the step
   * holds, a person's confirmation at that price (or at the cap when the provider named no price),
   * and the payment for the answer: capped at the price under the step's reservation, or the whole
   * cap for a name without a price. Returns that payment (null when the service is free).
   */
  private @Nullable PaymentAuthorization buy(StepRun ctx, InformationRequest.Choice chosen, int offered,
      @Nullable SpendAuthorization held, @Nullable Money cap, Set<String> confirmed) {
    DomainRequest dr = domain;
    String provider = ctx.request().provider();
    Money price = chosen.price();
    String shown = DomainNames.display(chosen.value());
    ctx.audit("domain.chosen").amount(price).detail("domain", chosen.value())
        .detail("offered", String.valueOf(offered)).detail("priced", price != null ? "by the provider" : "no price")
        .record();
    ctx.progress("chose " + shown + (price != null ? " for " + price : " (no price given; at most " + cap + ")")
        + " among " + offered + " offered");
    DomainNames.Lookalike offeredLookalike = names.lookalike(chosen.value()).orElse(null);
    if (offeredLookalike != null && !confirmed.contains(offeredLookalike.ascii())) {
      confirmLookalike(offeredLookalike, price != null ? price : cap, ctx); // choose() passed it over unless a person decides
    }
    Map<String, String> details = new LinkedHashMap<>();
    details.put("domain", DomainNames.toAscii(chosen.value()));
    details.put("domain_unicode", DomainNames.toUnicode(chosen.value()));
    String description = "domain " + shown + " (" + dr.years() + " year(s), not refundable)";
    if (held == null) {
      // the catalog lists the service as free: a priced offer is reserved now, as any other spend
      if (price == null) {
        return null;
      }
      return ctx.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, provider, price, description, details))
          .payment();
    }
    Money holding = Objects.requireNonNull(cap);
    details.put("reservation", held.payment().reservationId());
    io.agentprovision.core.policy.SpendPolicy policy = ctx.config().spendPolicy();
    if (price != null) {
      ctx.requireWithin(held, price, description);
      if (policy.requiresApproval(price)) {
        ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.DOMAIN_PURCHASE, "Pay " + price + " for " + description,
            "agent " + ctx.agent() + " chose it for run " + ctx.runId() + "; policy requires a human above "
                + policy.approvalThreshold()).withCost(price).withDetails(details));
      }
      return ServiceStep.narrowed(held.payment(), price, description);
    }
    if (policy.requiresApproval(holding)) {
      ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.DOMAIN_PURCHASE, "Pay at most " + holding + " for "
          + description, "the provider offered " + shown + " without a price; its charge is known only after it is "
          + "bought, is capped at " + holding + ", and what it charges is committed; policy requires a human above "
          + policy.approvalThreshold()).withCost(holding).withDetails(details));
    }
    return held.payment();
  }

  /**
   * Picks a top-level domain when the provider asks for one first: the exact name's, else the
   * preferred ones in order, else the cheapest known floor ("from $…") within the cap and
   * {@code maxPrice}, else the first offered.
   */
  static String chooseTld(List<InformationRequest.Choice> choices, DomainRequest dr, @Nullable Money cap,
      ResourceState state, String serviceId) {
    List<InformationRequest.Choice> open = new ArrayList<>();
    for (InformationRequest.Choice c : choices) {
      Money floor = InformationRounds.floor(c);
      Money max = dr.maxPrice();
      boolean affordable = floor == null || ((max == null || (floor.sameCurrency(max) && !floor.greaterThan(max)))
          && (cap == null || (floor.sameCurrency(cap) && !floor.greaterThan(cap))));
      if (c.available() && affordable) {
        open.add(c);
      }
    }
    if (dr.isExact()) {
      String t = tldOf(DomainNames.toAscii(dr.text()));
      for (InformationRequest.Choice c : choices) {
        if (strip(c.value()).equals(t)) {
          return c.value();
        }
      }
      throw new InformationRequiredException(state.ref().provider(), serviceId, "tld", "Which top-level domain?",
          choices.stream().map(InformationRequest.Choice::value).toList(), "the provider does not offer ." + t
              + " for " + dr.text());
    }
    if (open.isEmpty()) {
      throw new AgentProvisionException("no offered top-level domain fits " + dr + " (offered: " + choices.stream()
          .map(c -> c.value() + InformationRounds.priceWords(c)).toList() + "); try another query or a higher maxPrice",
          null, false);
    }
    for (String preferred : dr.preferredTlds()) {
      for (InformationRequest.Choice c : open) {
        if (strip(c.value()).equals(preferred)) {
          return c.value();
        }
      }
    }
    List<InformationRequest.Choice> sorted = new ArrayList<>(open);
    sorted.sort(Comparator.comparingLong(c -> {
      Money f = InformationRounds.floor(c);
      return f == null ? Long.MAX_VALUE : f.minorUnits();
    }));
    return sorted.get(0).value();
  }

  private static String strip(String tld) {
    return tld.startsWith(".") ? tld.substring(1) : tld;
  }

  private static String tldOf(String name) {
    return name.substring(name.lastIndexOf('.') + 1);
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

  /** {@link #choose(List, DomainRequest, DomainNames, Money, String)} with no step cap and no TLD chosen. */
  static InformationRequest.Choice choose(List<InformationRequest.Choice> choices, DomainRequest dr, DomainNames names) {
    return choose(choices, dr, names, null, null);
  }

  /**
   * Picks a domain: the exact name when one was asked for; otherwise the available names within
   * the request's {@code maxPrice} (under {@code tld} when one was chosen in an earlier round),
   * names that are not look-alikes first, then those within what the step holds
   * ({@code stepCap}), then by preferred TLD, then price (names without a price last), then the
   * provider's order. Every offer is checked by the host's {@link DomainNames} first: one that
   * breaks a rule is passed over, and so is a look-alike unless the host puts look-alikes to a
   * person. A name above the step's cap may still be picked when nothing fits: buying it is then
   * refused by the spend policy, which names the limit.
   */
  static InformationRequest.Choice choose(List<InformationRequest.Choice> choices, DomainRequest dr, DomainNames names,
      @Nullable Money stepCap, @Nullable String tld) {
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
      if (tld != null && !dr.isExact() && !tldOf(name).equals(strip(tld))) {
        continue;
      }
      Money price = c.price();
      if (cap != null && price != null && (!price.sameCurrency(cap) || price.greaterThan(cap))) {
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
    Comparator<InformationRequest.Choice> byCap = Comparator.comparingInt(c -> {
      Money p = c.price();
      return stepCap == null || p == null || (p.sameCurrency(stepCap) && !p.greaterThan(stepCap)) ? 0 : 1;
    });
    List<InformationRequest.Choice> sorted = new ArrayList<>(ok);
    // stable: ties keep the provider's order
    sorted.sort(byLookalike.thenComparing(byCap).thenComparing(byTld).thenComparing(byPrice));
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
