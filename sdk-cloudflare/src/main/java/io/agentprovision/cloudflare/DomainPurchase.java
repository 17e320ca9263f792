package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.Registrar.DomainQuote;
import io.agentprovision.cloudflare.Registrar.RegistrationWorkflow;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.spi.StepContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Registering a domain as a paid step: pick and price the name (search, then the authoritative
 * domain-check), put the price through {@link StepContext#authorizeSpend} (policy, reservation,
 * approval), register, poll the workflow with {@link Polling#until} in the step's time, and
 * {@code commit} the price when it succeeds or {@code release} the reservation when it fails.
 * When Cloudflare says a person must act ({@code action_required}, {@code blocked}) the step hands
 * it to the human through an {@link CheckpointKind#ACTION_REQUIRED} checkpoint and goes on polling
 * once they confirm.
 *
 * <pre>{@code
 * PurchasedDomain d = new DomainPurchase(client.registrar(accountId))
 *     .purchase(DomainRequest.query("my-app").maxPrice(Money.usd("15.00")).preferTlds("com"), ctx);
 * }</pre>
 *
 * <p>Re-running the step after the domain was registered buys nothing: an existing registration
 * of the chosen name in the account is returned as {@code alreadyRegistered}.
 */
public final class DomainPurchase {
  /** Backoff between workflow polls: two seconds doubling to thirty. */
  public static final Polling.Backoff DEFAULT_BACKOFF = new Polling.Backoff(java.time.Duration.ofSeconds(2),
      java.time.Duration.ofSeconds(30));
  /** Search suggestions considered for a query. */
  public static final int SEARCH_LIMIT = 20;

  private final Registrar registrar;
  private final Polling.Backoff backoff;
  private final DomainNames domainNames;

  public DomainPurchase(Registrar registrar) {
    this(registrar, DEFAULT_BACKOFF);
  }

  public DomainPurchase(Registrar registrar, Polling.Backoff backoff) {
    this(registrar, backoff, DomainNames.defaults());
  }

  /**
   * With the host's domain-name rules: an exact name that is a look-alike is refused, or put to a
   * person when {@code names} says so; a suggested name that breaks a rule or is a look-alike is
   * passed over.
   */
  public DomainPurchase(Registrar registrar, Polling.Backoff backoff, DomainNames names) {
    this.registrar = Objects.requireNonNull(registrar, "registrar");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.domainNames = Objects.requireNonNull(names, "names");
  }

  /**
   * Chooses the name to buy and its authoritative price, without side effects: an exact name is
   * checked; a query is searched, ordered by the preferred TLDs then price, and the candidates are
   * checked in one call. Names above {@link DomainRequest#maxPrice()} are passed over.
   *
   * @throws InvalidRequestException when no name fits
   */
  public DomainQuote choose(DomainRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.isExact()) {
      domainNames.vet("domain", request.text()); // a look-alike is refused here unless the host puts it to a person
      DomainQuote q = registrar.check(request.text());
      if (!q.registrable()) {
        throw new InvalidRequestException("domain", "'" + q.name() + "' cannot be registered"
            + (q.reason() != null ? " (" + q.reason() + ")" : ""), "choose another name or search with DomainRequest.query");
      }
      Money price = requirePrice(q, request.years());
      Money max = request.maxPrice();
      if (max != null && (!max.sameCurrency(price) || price.greaterThan(max))) {
        throw new InvalidRequestException("maxPrice", "'" + q.name() + "' costs " + price + " for " + request.years()
            + " year(s), above the maximum " + max, "raise maxPrice or choose another name");
      }
      return q;
    }
    String text = request.text();
    List<DomainQuote> suggestions = registrar.search(text, SEARCH_LIMIT, request.preferredTlds());
    List<String> names = new ArrayList<>();
    if (text.contains(".")) {
      names.add(text);
    }
    List<DomainQuote> ordered = new ArrayList<>(suggestions);
    ordered.sort(order(request));
    for (DomainQuote q : ordered) {
      if (q.registrable() && fits(q, request) && honest(q.name()) && !names.contains(q.name())
          && names.size() < Registrar.MAX_CHECK) {
        names.add(q.name());
      }
    }
    if (names.isEmpty()) {
      throw new InvalidRequestException("domain query", "no available name for '" + text + "'"
          + (request.maxPrice() != null ? " at or below " + request.maxPrice() : ""), "try another word or a higher maxPrice");
    }
    List<DomainQuote> checked = new ArrayList<>(registrar.check(names));
    checked.sort(order(request));
    for (DomainQuote q : checked) {
      if (q.registrable() && fits(q, request) && honest(q.name())) {
        return q;
      }
    }
    throw new InvalidRequestException("domain query", "none of " + names + " is available"
        + (request.maxPrice() != null ? " at or below " + request.maxPrice() : ""), "try another word or a higher maxPrice");
  }

  /** Whether a suggested name keeps the domain rules and looks like no other name. */
  private boolean honest(String name) {
    try {
      return domainNames.lookalike(domainNames.validate("domain", name)).isEmpty();
    } catch (InvalidRequestException e) {
      return false;
    }
  }

  private static Comparator<DomainQuote> order(DomainRequest request) {
    List<String> tlds = request.preferredTlds();
    Comparator<DomainQuote> byTld = Comparator.comparingInt(q -> {
      int i = tlds.indexOf(q.tld());
      return i < 0 ? Integer.MAX_VALUE : i;
    });
    return byTld.thenComparingLong(q -> {
      Money p = q.price(request.years());
      return p == null ? Long.MAX_VALUE : p.minorUnits();
    });
  }

  private static boolean fits(DomainQuote q, DomainRequest request) {
    Money p = q.price(request.years());
    if (p == null) {
      return false;
    }
    Money max = request.maxPrice();
    return max == null || (max.sameCurrency(p) && !p.greaterThan(max));
  }

  private static Money requirePrice(DomainQuote q, int years) {
    Money p = q.price(years);
    if (p == null) {
      throw new ProviderException(CloudflareClient.PROVIDER, 200, null, null, "domain-check gave no price for "
          + q.name(), false);
    }
    return p;
  }

  /**
   * Buys the name {@link #choose} picks: spend authorization, registration, polling, settlement.
   *
   * @throws io.agentprovision.core.policy.PolicyViolationException when spend policy refuses (nothing reserved or bought)
   * @throws ApprovalDeniedException when the human refuses the price or the action Cloudflare asks for
   * @throws ProviderException when the registration fails (the reservation is released)
   */
  public PurchasedDomain purchase(DomainRequest request, StepContext ctx) {
    Objects.requireNonNull(ctx, "ctx");
    if (request.isExact()) {
      // A name the account holds is no longer registrable: look for it before asking for a quote.
      Optional<Registrar.Registration> existing = existingRegistration(request.text());
      if (existing.isPresent()) {
        ctx.audit("cloudflare.domain.register", "already-registered", Map.of("domain", request.text(), "status",
            existing.get().status(), "sandbox", String.valueOf(registrar.isSandbox())));
        Money max = request.maxPrice();
        return new PurchasedDomain(request.text(), Money.zero(max != null ? max.currencyCode() : "USD"), true,
            registrar.isSandbox(), null);
      }
    }
    DomainQuote quote = choose(request);
    String name = quote.name();
    Money price = requirePrice(quote, request.years());
    Optional<DomainNames.Lookalike> lookalike = domainNames.lookalike(name);
    if (lookalike.isPresent()) {
      // only an exact name the host lets a person judge gets here: they see both forms before paying
      DomainNames.Lookalike l = lookalike.get();
      Map<String, String> ask = new LinkedHashMap<>();
      ask.put("domain", l.ascii());
      ask.put("domain_unicode", l.unicode());
      if (l.resembles() != null) {
        ask.put("resembles", l.resembles());
      }
      ask.put("finding", l.kind().name());
      ctx.checkpoint(CheckpointRequest.builder(CheckpointKind.LOOKALIKE_DOMAIN, "Buy the look-alike domain "
          + l.display() + "?", l.display() + " looks like " + (l.resembles() != null ? l.resembles() : "another name")
          + ": " + l.detail()).cost(price).details(ask).build());
    }
    Map<String, String> details = new LinkedHashMap<>();
    details.put("domain", name);
    details.put("domain_unicode", DomainNames.toUnicode(name));
    details.put("years", String.valueOf(request.years()));
    details.put("auto_renew", String.valueOf(request.autoRenew()));
    details.put("registration_cost", String.valueOf(quote.registrationCost()));
    details.put("renewal_cost", String.valueOf(quote.renewalCost()));
    if (quote.tier() != null) {
      details.put("tier", quote.tier());
    }
    details.put("sandbox", String.valueOf(registrar.isSandbox()));
    details.put("refundable", "false");
    SpendAuthorization auth = ctx.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, CloudflareClient.PROVIDER,
        price, "Register " + DomainNames.display(name) + " for " + request.years() + " year(s) at Cloudflare Registrar (non-refundable)",
        details));
    RegistrationWorkflow wf;
    try {
      wf = registrar.register(name, request.years(), request.autoRenew());
    } catch (ProviderException e) {
      RegistrationWorkflow after = statusAfterFailure(name);
      if (after == null) {
        auth.release();
        ctx.audit("cloudflare.domain.register", "refused", Map.of("domain", name, "error",
            String.valueOf(e.code()), "reservation", auth.payment().reservationId()));
        throw e;
      }
      wf = after; // the call failed on the way back, but the registration started
    }
    ctx.audit("cloudflare.domain.register", "started", Map.of("domain", name, "state", wf.state().name().toLowerCase(java.util.Locale.ROOT),
        "price", price.toString(), "reservation", auth.payment().reservationId()));
    RegistrationWorkflow done = await(name, wf, auth, ctx);
    auth.commit(price);
    ctx.audit("cloudflare.domain.register", "succeeded", Map.of("domain", name, "charged", price.toString(),
        "sandbox", String.valueOf(registrar.isSandbox())));
    return new PurchasedDomain(name, price, false, registrar.isSandbox(), null);
  }

  private Optional<Registrar.Registration> existingRegistration(String name) {
    try {
      return Optional.of(registrar.registration(name));
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private @Nullable RegistrationWorkflow statusAfterFailure(String name) {
    try {
      return registrar.status(name);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private RegistrationWorkflow await(String name, RegistrationWorkflow first, SpendAuthorization auth, StepContext ctx) {
    RegistrationWorkflow wf = first;
    Set<String> handedOver = new HashSet<>();
    while (true) {
      if (wf.state() == RegistrationWorkflow.State.SUCCEEDED) {
        return wf;
      }
      if (wf.state() == RegistrationWorkflow.State.FAILED) {
        auth.release();
        ctx.audit("cloudflare.domain.register", "failed", Map.of("domain", name, "error",
            String.valueOf(wf.errorCode()), "reservation", auth.payment().reservationId()));
        throw new ProviderException(CloudflareClient.PROVIDER, 200, wf.errorCode(), null, "registration of " + name
            + " failed: " + (wf.errorMessage() == null ? "no reason given" : wf.errorMessage()), false);
      }
      if (wf.needsHuman() && handedOver.add(humanKey(wf))) {
        handOver(name, wf, auth, ctx);
      }
      RegistrationWorkflow current = wf;
      wf = Polling.until(ctx, "registration of " + name, () -> registrar.follow(current),
          w -> w.terminal() || (w.needsHuman() && !handedOver.contains(humanKey(w))), backoff);
    }
  }

  private void handOver(String name, RegistrationWorkflow wf, SpendAuthorization auth, StepContext ctx) {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("domain", name);
    details.put("state", wf.state().name().toLowerCase(java.util.Locale.ROOT));
    wf.context().forEach((k, v) -> {
      if (v instanceof String || v instanceof Number || v instanceof Boolean) {
        details.put(k, String.valueOf(v));
      }
    });
    if (wf.errorMessage() != null) {
      details.put("message", wf.errorMessage());
    }
    String action = details.getOrDefault("action", wf.errorMessage() != null ? wf.errorMessage() : "see the Cloudflare dashboard");
    String to = details.get("confirmation_sent_to");
    ctx.audit("cloudflare.domain.register", "action-required", Map.copyOf(details));
    try {
      ctx.checkpoint(CheckpointRequest.builder(CheckpointKind.ACTION_REQUIRED,
          "Cloudflare needs you to act to register " + name, "The registrar paused the registration: " + action
              + (to != null ? " (sent to " + to + ")" : "") + ". Approve once done; the registration goes on.")
          .details(details).build());
    } catch (ApprovalDeniedException e) {
      auth.release();
      ctx.audit("cloudflare.domain.register", "abandoned", Map.of("domain", name, "reservation",
          auth.payment().reservationId()));
      throw e;
    }
  }

  private static String humanKey(RegistrationWorkflow wf) {
    return wf.state() + "|" + wf.context().get("action") + "|" + wf.errorCode();
  }
}
