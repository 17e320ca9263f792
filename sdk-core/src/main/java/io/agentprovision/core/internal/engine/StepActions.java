package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.vault.VaultEntry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What each step of a run does, and how each is undone. */
final class StepActions {
  /** Longest excerpt of the app's answer kept in the journal and the result. */
  static final int EXCERPT = 200;

  private final EngineConfig config;
  private final Auditor auditor;

  StepActions(EngineConfig config, Auditor auditor) {
    this.config = config;
    this.auditor = auditor;
  }

  Map<String, String> run(PlannedStep step, RunState rs, EngineContext ctx) {
    switch (step.kind()) {
      case IDENTITY:
        return identity(rs, ctx);
      case PLAN_APPROVAL:
        return planApproval(rs, ctx);
      case ACCOUNT:
        return account(rs, ctx);
      case PAYMENT_METHOD:
        return paymentMethod(rs, ctx);
      case PLAN:
        return provision(step, rs, ctx, CheckpointKind.PAID_PLAN);
      case RESOURCE:
        return provision(step, rs, ctx, CheckpointKind.PAID_RESOURCE);
      case DOMAIN:
        return domain(step, rs, ctx);
      case CREDENTIALS:
        return credentials(rs, ctx);
      case DEPLOY:
        return deploy(rs, ctx);
      case VERIFY:
        return verify(rs, ctx);
      default:
        throw new AssertionError(step.kind());
    }
  }

  private Map<String, String> identity(RunState rs, EngineContext ctx) {
    ProvisionRequest req = rs.request;
    Principal p = config.identity().attest(new IdentityRequest(req.agent(), rs.run, req.identityToken(), null, false));
    if (p.email() == null || !p.emailVerified()) {
      throw new IdentityRejectedException("email_verified", p.display() + " has no verified e-mail; a provider account "
          + "is created or linked for a verified e-mail only");
    }
    rs.principal.set(p);
    auditor.record(rs.run, ctx.stepId(), "identity.attested", req.agent(), p, null, null, "ok", null,
        Map.of("issuer", p.issuer(), "amr", String.join(",", p.amr()), "mfa", String.valueOf(p.multiFactor()), "subject", p.subject(), "email", String.valueOf(p.email())));
    return Outputs.principal(p);
  }

  private Map<String, String> planApproval(RunState rs, EngineContext ctx) {
    List<PlannedStep> paid = new ArrayList<>();
    boolean needed = false;
    for (PlannedStep s : rs.plan.steps()) {
      if (s.paid()) {
        paid.add(s);
        needed |= s.verdict() == PlannedStep.Verdict.NEEDS_APPROVAL && s.quote() != null;
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (!needed) {
      out.put("needed", "false");
      return out;
    }
    Map<String, String> details = new LinkedHashMap<>();
    for (PlannedStep s : paid) {
      details.put(s.id().value(), s.description() + (s.quote() == null ? " — priced when chosen"
          : " — " + (s.priceFinal() ? "" : "up to ") + s.quote()));
    }
    List<Money> total = rs.plan.total();
    var decision = ctx.checkpoint(new CheckpointRequest(CheckpointKind.PLAN_APPROVAL,
        "Approve the plan for " + rs.request.app().name() + " at " + rs.request.provider()
            + (total.isEmpty() ? "" : " — " + total.stream().map(Money::toString).reduce((a, b) -> a + " + " + b).get()),
        "agent " + rs.request.agent() + " asks to provision and deploy " + rs.request.app().name(),
        total.size() == 1 ? total.get(0) : null, null, details, null));
    out.put("needed", "true");
    out.put("approver", decision.approver());
    // the approval covers known prices only: a cap (a domain's maxPrice) is confirmed again at the
    // price actually chosen, since that purchase cannot be undone
    for (PlannedStep s : paid) {
      if (s.quote() != null && s.priceFinal()) {
        out.put("approved." + s.id(), s.quote().toString());
        rs.approvedQuotes.put(s.id(), s.quote());
      }
    }
    return out;
  }

  private Map<String, String> account(RunState rs, EngineContext ctx) {
    Principal p = principal(rs);
    URI tos = rs.catalog.provider().termsOfService();
    if (tos != null) {
      var d = ctx.checkpoint(CheckpointRequest.visit(CheckpointKind.TERMS_OF_SERVICE,
          "Accept " + rs.request.provider() + "'s terms of service",
          "an account at " + rs.request.provider() + " is created or linked for " + p.email(), tos));
      auditor.record(rs.run, ctx.stepId(), "terms.accepted", rs.request.agent(), p, d.approver(), null, "ok", null,
          Map.of("provider", rs.request.provider(), "terms", tos.toString()));
    }
    ProviderAccount a = config.orchestrator().linkAccount(
        new AccountLinkRequest(rs.request.provider(), p, List.of(), Map.of()), ctx);
    auditor.record(rs.run, ctx.stepId(), "account.linked", rs.request.agent(), p, null, null, "ok", ctx.idempotencyKey(),
        Map.of("provider", a.provider(), "account", a.accountId(), "link", a.linkAction().name()));
    return Outputs.account(a);
  }

  private Map<String, String> paymentMethod(RunState rs, EngineContext ctx) {
    SpendPolicy policy = config.policy().get();
    Money cap = null;
    for (SpendLimit l : policy.limitsFor(rs.request.agent(), rs.request.provider())) {
      if (l.interval() == SpendInterval.MONTHLY || cap == null) {
        cap = l.amount();
      }
    }
    PaymentMethodStatus s = config.orchestrator().ensurePaymentMethod(rs.request.provider(), cap, ctx);
    if (!s.ready()) {
      throw new AgentProvisionException("no payment method is on file for paid steps at " + rs.request.provider()
          + "; add one at the orchestrator and resume the run", null, false);
    }
    auditor.record(rs.run, ctx.stepId(), "payment_method.ready", rs.request.agent(), principal(rs), null, null, "ok", null,
        s.display() == null ? Map.of() : Map.of("method", s.display()));
    mirrorCap(rs, ctx, policy);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("ready", "true");
    Outputs.put(out, "display", s.display());
    return out;
  }

  /**
   * Lowers the orchestrator's own monthly cap for the provider to the policy's where the policy's is
   * tighter, so the cap holds even for charges the SDK does not see. Never raises it (that is a
   * human's decision), and does nothing for orchestrators that keep no caps.
   */
  private void mirrorCap(RunState rs, EngineContext ctx, SpendPolicy policy) {
    String provider = rs.request.provider();
    List<SpendLimit> theirs = config.orchestrator().providerLimits(provider);
    for (SpendLimit mine : policy.monthlyCapsFor(provider)) {
      SpendLimit current = null;
      for (SpendLimit t : theirs) {
        if (t.interval() == SpendInterval.MONTHLY && t.amount().sameCurrency(mine.amount())
            && (t.provider() == null || t.provider().equals(provider))
            && (current == null || t.amount().lessThan(current.amount()))) {
          current = t;
        }
      }
      if (current != null && mine.amount().lessThan(current.amount())) {
        config.orchestrator().updateProviderLimit(provider, SpendLimit.monthly(mine.amount()).forProvider(provider), ctx);
        auditor.record(rs.run, ctx.stepId(), "provider_limit.mirrored", rs.request.agent(), principal(rs), null,
            mine.amount(), "ok", ctx.idempotencyKey(), Map.of("orchestrator", config.orchestrator().name(),
                "provider", provider, "from", current.amount().toString(), "to", mine.amount().toString()));
      }
      return; // the tightest cap decides
    }
  }

  private Map<String, String> provision(PlannedStep step, RunState rs, EngineContext ctx, CheckpointKind kind) {
    ProvisionRequest req = rs.request;
    ServiceOffering svc = rs.catalog.service(step.serviceId()).orElseThrow();
    SpendAuthorization auth = null;
    if (svc.pricing().isPaid()) {
      auth = ctx.authorizeSpend(new SpendRequest(kind, req.provider(), step.quote(), svc.id()
          + (svc.pricing().description() != null ? " (" + svc.pricing().description() + ")" : ""), Map.of("service", svc.id())));
    }
    ResourceState state;
    try {
      state = config.orchestrator().provision(new ResourceRequest(req.provider(), svc.id(), name(req, step.id()),
          Map.of(), account(rs), req.project(), req.environment(), auth == null ? null : auth.payment()), ctx);
      requireComplete(state, svc.id());
    } catch (RuntimeException e) {
      if (auth != null && EngineContext.chargeRuledOut(e, rs)) {
        auth.release();
      }
      throw e;
    }
    Money charged = null;
    if (auth != null) {
      charged = chargedOr(state, step.quote());
      auth.commit(charged);
    }
    auditor.record(rs.run, ctx.stepId(), "resource.provisioned", req.agent(), principal(rs), null, charged, "ok",
        ctx.idempotencyKey(), Map.of("service", svc.id(), "resource", state.ref().id()));
    return Outputs.resource(state.ref(), charged);
  }

  private Map<String, String> domain(PlannedStep step, RunState rs, EngineContext ctx) {
    ProvisionRequest req = rs.request;
    DomainRequest dr = req.domain();
    DomainNames names = config.domainNames();
    java.util.Set<String> confirmed = new java.util.HashSet<>();
    if (dr.isExact()) {
      // a provider may register an exact name as soon as it is asked to: a look-alike is confirmed first
      DomainNames.Lookalike requested = names.vet("domain", dr.text()).orElse(null);
      if (requested != null) {
        confirmLookalike(requested, dr.maxPrice(), ctx);
        confirmed.add(requested.ascii());
      }
    }
    Map<String, Object> config0 = new LinkedHashMap<>();
    config0.put("domain_query", dr.text());
    config0.put("years", dr.years());
    config0.put("auto_renew", dr.autoRenew());
    ResourceState state = config.orchestrator().provision(new ResourceRequest(req.provider(), step.serviceId(),
        name(req, step.id()), config0, account(rs), req.project(), req.environment(), null), ctx);
    ctx.saveProgress(Map.of("resource_id", state.ref().id()));
    Money charged = null;
    String domain = state.attributes().get("domain");
    if (state.status() == ResourceStatus.NEEDS_INFORMATION) {
      InformationRequest info = state.needsInformation();
      List<InformationRequest.Choice> choices = info == null ? List.of() : info.choicesFor("domain");
      InformationRequest.Choice chosen = choose(choices, dr, names);
      if (chosen.price() == null) {
        throw new ProviderException(req.provider(), 0, "unpriced_choice", null, "the provider offered "
            + DomainNames.display(chosen.value()) + " without a price; the SDK pays only for priced choices", false);
      }
      String shown = DomainNames.display(chosen.value());
      auditor.record(rs.run, ctx.stepId(), "domain.chosen", req.agent(), principal(rs), null, chosen.price(), "ok", null,
          Map.of("domain", chosen.value(), "offered", String.valueOf(choices.size())));
      ctx.progress("chose " + shown + " for " + chosen.price() + " among " + choices.size() + " offered");
      DomainNames.Lookalike offered = names.lookalike(chosen.value()).orElse(null);
      if (offered != null && !confirmed.contains(offered.ascii())) {
        confirmLookalike(offered, chosen.price(), ctx); // choose() passed it over unless the host asks a person
      }
      SpendAuthorization auth = ctx.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, req.provider(),
          chosen.price(), "domain " + shown + " (" + dr.years() + " year(s), not refundable)",
          Map.of("domain", DomainNames.toAscii(chosen.value()), "domain_unicode", DomainNames.toUnicode(chosen.value()))));
      try {
        state = config.orchestrator().submitInformation(state.ref(), Map.of("domain", chosen.value()), auth.payment(), ctx);
        requireComplete(state, step.serviceId());
      } catch (RuntimeException e) {
        if (EngineContext.chargeRuledOut(e, rs)) {
          auth.release();
        }
        throw e;
      }
      charged = chargedOr(state, chosen.price());
      auth.commit(charged);
      domain = state.attributes().getOrDefault("domain", chosen.value());
    } else {
      requireComplete(state, step.serviceId());
      if (domain == null) {
        domain = dr.isExact() ? dr.text() : null;
      }
    }
    if (domain == null) {
      throw new ProviderException(req.provider(), 0, "no_domain", null, "the domain resource " + state.ref().id()
          + " completed without naming its domain", false);
    }
    auditor.record(rs.run, ctx.stepId(), "domain.registered", req.agent(), principal(rs), null, charged, "ok",
        ctx.idempotencyKey(), Map.of("domain", domain, "resource", state.ref().id(), "service", step.serviceId(), "years", String.valueOf(dr.years()), "auto_renew", String.valueOf(dr.autoRenew())));
    Map<String, String> out = Outputs.resource(state.ref(), charged);
    out.put("domain", domain);
    return out;
  }

  /** Puts a look-alike to a person, showing both forms; returns only when they approve. */
  private static void confirmLookalike(DomainNames.Lookalike l, @Nullable Money price, EngineContext ctx) {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("domain", l.ascii());
    details.put("domain_unicode", l.unicode());
    if (l.resembles() != null) {
      details.put("resembles", l.resembles());
    }
    details.put("finding", l.kind().name());
    ctx.checkpoint(new CheckpointRequest(CheckpointKind.LOOKALIKE_DOMAIN, "Buy the look-alike domain " + l.display() + "?",
        l.display() + " looks like " + (l.resembles() != null ? l.resembles() : "another name") + ": " + l.detail(),
        price, null, details, null));
  }

  /**
   * Picks a domain: the exact name when one was asked for; otherwise the available names within
   * the price cap, names that are not look-alikes first, then by preferred TLD, then price, then
   * the provider's order. Every offer is checked by the host's {@link DomainNames} first: one that
   * breaks a rule is passed over, and so is a look-alike unless the host puts look-alikes to a person.
   */
  static InformationRequest.Choice choose(List<InformationRequest.Choice> choices, DomainRequest dr, DomainNames names) {
    List<InformationRequest.Choice> ok = new ArrayList<>();
    Map<InformationRequest.Choice, String> ascii = new java.util.IdentityHashMap<>();
    java.util.Set<InformationRequest.Choice> lookalikes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<String> passedOver = new ArrayList<>();
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
      if (dr.maxPrice() != null && (c.price() == null || !c.price().sameCurrency(dr.maxPrice())
          || c.price().greaterThan(dr.maxPrice()))) {
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
          .map(c -> DomainNames.display(c.value()) + (c.available() ? "" : " (taken)") + (c.price() != null ? " " + c.price() : ""))
          .toList() + (passedOver.isEmpty() ? "" : "; passed over: " + passedOver)
          + "); try another query or a higher maxPrice", null, false);
    }
    List<String> tlds = dr.preferredTlds();
    Comparator<InformationRequest.Choice> byLookalike = Comparator.comparingInt(c -> lookalikes.contains(c) ? 1 : 0);
    Comparator<InformationRequest.Choice> byTld = Comparator.comparingInt(c -> {
      String n = ascii.get(c);
      int i = tlds.indexOf(n.substring(n.lastIndexOf('.') + 1));
      return i < 0 ? Integer.MAX_VALUE : i;
    });
    Comparator<InformationRequest.Choice> byPrice = Comparator.comparingLong(c -> c.price() == null ? Long.MAX_VALUE
        : c.price().minorUnits());
    List<InformationRequest.Choice> sorted = new ArrayList<>(ok);
    sorted.sort(byLookalike.thenComparing(byTld).thenComparing(byPrice)); // stable: ties keep the provider's order
    return sorted.get(0);
  }

  private Map<String, String> credentials(RunState rs, EngineContext ctx) {
    ProvisionRequest req = rs.request;
    Deployer deployer = config.deployers().get(req.provider());
    String tokenKey = "runs/" + rs.run + "/deploy-token";
    VaultEntry existing = config.vault().get(tokenKey).orElse(null);
    if (existing != null && existing.attributes().containsKey("token_id")) {
      // minted before an interruption: reuse it rather than leave an orphan token at the provider
      Map<String, String> out = new LinkedHashMap<>(existing.attributes());
      out.put("vault_key", tokenKey);
      return out;
    }
    ResourceRef workers = Outputs.resource(rs.outputs(StepIds.RESOURCE));
    AccessConfiguration broad = config.orchestrator().revealCredentials(workers, ctx);
    storeBroad(rs, workers, broad);
    auditor.record(rs.run, ctx.stepId(), "credentials.revealed", req.agent(), principal(rs), null, null, "ok", null,
        Map.of("resource", workers.id(), "names", String.join(",", new java.util.TreeSet<>(broad.values().keySet())),
            "generation", String.valueOf(broad.generation())));
    PreparedCredentials prepared = deployer.prepareCredentials(new CredentialRequest(account(rs), broad, req.token(),
        req.app(), domainName(rs)), ctx);
    DeployCredentials dc = prepared.deploy();
    Map<String, String> out = Outputs.credentials(dc, tokenKey, req.token().allowIps());
    Map<String, String> attrs = new LinkedHashMap<>(out);
    attrs.remove("vault_key");
    config.vault().put(new VaultEntry(tokenKey, dc.token(), attrs, config.clock().instant(), dc.expiresAt()));
    switch (prepared.broadOutcome()) {
      case ROLLED:
        if (prepared.rolledBroad() != null) {
          storeBroad(rs, workers, prepared.rolledBroad());
        }
        break;
      case DELETED:
        for (String k : config.vault().keys(broadPrefix(rs.run))) {
          config.vault().delete(k);
        }
        break;
      default:
        break;
    }
    auditor.record(rs.run, ctx.stepId(), "credentials.stored", req.agent(), principal(rs), null, null, "ok",
        ctx.idempotencyKey(), Map.of("token", dc.tokenId(), "permissions", String.join(",", dc.permissions()),
            "expires_at", String.valueOf(dc.expiresAt()), "broad", prepared.broadOutcome().name(), "vault_key", tokenKey, "allowed_ips", String.join(",", req.token().allowIps())));
    out.put("broad_outcome", prepared.broadOutcome().name());
    return out;
  }

  private Map<String, String> deploy(RunState rs, EngineContext ctx) {
    Deployer deployer = config.deployers().get(rs.request.provider());
    DeployCredentials creds = Outputs.credentials(rs.outputs(StepIds.CREDENTIALS), config.vault());
    DeployedApp app = deployer.deploy(new DeployRequest(rs.request.app(), creds, domainName(rs)), ctx);
    auditor.record(rs.run, ctx.stepId(), "app.deployed", rs.request.agent(), principal(rs), null, null, "ok",
        ctx.idempotencyKey(), Map.of("script", app.scriptName(), "url", app.primaryUrl().toString(), "provider_url", app.url().toString()));
    return Outputs.deployed(app);
  }

  private Map<String, String> verify(RunState rs, EngineContext ctx) {
    Deployer deployer = config.deployers().get(rs.request.provider());
    DeployedApp app = Outputs.deployed(rs.outputs(StepIds.DEPLOY));
    Verification v = Polling.until(ctx, "app at " + app.primaryUrl(), () -> deployer.verify(app, ctx),
        x -> x.live() || (x.status() == 0 && x.note() != null), new Polling.Backoff(Duration.ofSeconds(1),
            Duration.ofSeconds(8)));
    auditor.record(rs.run, ctx.stepId(), "app.verified", rs.request.agent(), principal(rs), null, null,
        v.live() ? "live" : "not-run", null, Map.of("url", v.url().toString(), "status", String.valueOf(v.status())));
    Map<String, String> out = new LinkedHashMap<>();
    out.put("url", v.url().toString());
    out.put("live", String.valueOf(v.live()));
    out.put("status", String.valueOf(v.status()));
    if (v.bodyExcerpt() != null) {
      String b = v.bodyExcerpt();
      out.put("excerpt", b.length() > EXCERPT ? b.substring(0, EXCERPT) : b);
    }
    Outputs.put(out, "note", v.note());
    return out;
  }

  /** Undoes a finished step after the run failed; returns what was undone, or null and adds to {@code notUndone}. */
  @Nullable String compensate(PlannedStep step, RunState rs, EngineContext ctx, List<String> notUndone) {
    Map<String, String> out = rs.outputs.get(step.id());
    if (out == null) {
      return null;
    }
    Deployer deployer = config.deployers().get(rs.request.provider());
    switch (step.kind()) {
      case DEPLOY: {
        DeployedApp app = Outputs.deployed(out);
        deployer.undeploy(app, Outputs.credentials(rs.outputs(StepIds.CREDENTIALS), config.vault()), ctx);
        return "undeployed " + app.scriptName();
      }
      case CREDENTIALS: {
        DeployCredentials c = Outputs.credentials(out, config.vault());
        deployer.revoke(c, broad(rs.run), ctx);
        config.vault().delete(out.get("vault_key"));
        return "revoked deploy token " + c.tokenId();
      }
      case PLAN:
      case RESOURCE: {
        ResourceRef ref = Outputs.resource(out);
        config.orchestrator().remove(ref, ctx);
        if (out.get("charged") != null) {
          notUndone.add(out.get("charged") + " already charged for " + ref.serviceId() + " is not refunded by cancelling it");
        }
        return "removed " + ref.serviceId() + " (" + ref.id() + ")";
      }
      case DOMAIN:
        notUndone.add("domain " + out.get("domain") + " is registered" + (out.get("charged") != null ? " for "
            + out.get("charged") : "") + " (registrations are not refundable)");
        return null;
      case ACCOUNT:
        notUndone.add("the " + out.get("provider") + " account " + out.get("account_id") + " stays "
            + ("CREATED".equals(out.get("link_action")) ? "created" : "linked") + " for " + out.get("email"));
        return null;
      default:
        return null;
    }
  }

  private static String broadPrefix(io.agentprovision.core.RunId run) {
    return "runs/" + run + "/broad/";
  }

  /** Keeps the orchestrator's broad credential in the vault, one entry per name, replacing older values. */
  private void storeBroad(RunState rs, ResourceRef resource, AccessConfiguration broad) {
    for (Map.Entry<String, io.agentprovision.core.Secret> e : broad.values().entrySet()) {
      config.vault().put(new VaultEntry(broadPrefix(rs.run) + e.getKey(), e.getValue(),
          Map.of("provider", resource.provider(), "resource", resource.id(), "generation",
              String.valueOf(broad.generation())), config.clock().instant(), broad.expiresAt()));
    }
  }

  /** The broad credential of a run as the vault still holds it, or null when it was deleted. */
  @Nullable AccessConfiguration broad(io.agentprovision.core.RunId run) {
    Map<String, io.agentprovision.core.Secret> values = new LinkedHashMap<>();
    java.time.Instant expires = null;
    for (String k : config.vault().keys(broadPrefix(run))) {
      VaultEntry e = config.vault().get(k).orElse(null);
      if (e != null) {
        values.put(k.substring(broadPrefix(run).length()), e.secret());
        expires = e.expiresAt();
      }
    }
    return values.isEmpty() ? null : new AccessConfiguration(values, expires, null, 0);
  }

  private static void requireComplete(ResourceState s, String service) {
    if (s.status() == ResourceStatus.COMPLETE) {
      return;
    }
    String code = s.errorCode() != null ? s.errorCode() : s.status().name().toLowerCase(Locale.ROOT);
    throw new ProviderException(s.ref().provider(), 0, code, null, service + " resource " + s.ref().id() + " ended "
        + s.status() + (s.errorMessage() != null ? ": " + s.errorMessage() : "")
        + (s.userMessage() != null ? " (" + s.userMessage() + ")" : ""), false);
  }

  private static Money chargedOr(ResourceState s, Money quote) {
    Money c = s.charged();
    return c != null && c.sameCurrency(quote) && !c.greaterThan(quote) ? c : quote;
  }

  private static String name(ProvisionRequest req, StepId step) {
    return req.project().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-" + step;
  }

  static Principal principal(RunState rs) {
    Principal p = rs.principal.get();
    if (p == null) {
      throw new IllegalStateException("run " + rs.run + " has no principal");
    }
    return p;
  }

  static ProviderAccount account(RunState rs) {
    return Outputs.account(rs.outputs(StepIds.ACCOUNT));
  }

  static @Nullable String domainName(RunState rs) {
    Map<String, String> d = rs.outputs.get(StepIds.DOMAIN);
    return d == null ? null : d.get("domain");
  }
}
