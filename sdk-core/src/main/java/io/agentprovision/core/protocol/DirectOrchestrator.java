package io.agentprovision.core.protocol;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.IdGenerator;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.internal.Checks;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Orchestrator} played by the host application itself: it speaks the provider protocol
 * ({@link ProvisioningProvider}, usually a {@link io.agentprovision.core.protocol.ProtocolClient})
 * to one or more providers, for people the host has signed in, and pays with payment tokens from a
 * {@link PaymentTokenProvider}. This is what any platform with its own signed-in users may do in
 * place of Stripe Projects.
 *
 * <pre>{@code
 * DirectOrchestrator orchestrator = DirectOrchestrator.builder()
 *     .provider(ProtocolClient.builder()
 *         .provider("cloudflare").baseUrl(providerUrl).sharedSecret(sharedSecret).build())
 *     .paymentTokens(sharedPaymentTokens)          // e.g. Stripe Shared Payment Tokens
 *     .build();
 * AgentProvisioner provisioner = AgentProvisioner.builder().orchestrator(orchestrator)...;
 * }</pre>
 *
 * <p><b>Identity.</b> The engine attests the person with its {@link io.agentprovision.core.spi.IdentityProvider}
 * (such as {@link OidcIdentityProvider}) and passes the principal in
 * {@link AccountLinkRequest#principal()}; its e-mail must be verified. The account request carries a
 * fresh random {@code confirmation_secret}, and a PKCE S256 {@code code_challenge} unless
 * {@link Builder#pkce(boolean) switched off}.
 *
 * <p><b>Consent.</b> When the provider answers {@code requires_auth}, the person is sent to its
 * redirect through an {@link CheckpointKind#ACCOUNT_CONSENT} checkpoint. The host UI returns the
 * OAuth callback's {@code code} and {@code state} in the approving decision's
 * {@link ApprovalDecision#response()}; {@code state} must equal the confirmation secret (compared in
 * constant time), and the code is redeemed with the PKCE verifier.
 *
 * <p><b>Tokens.</b> The provider's access and refresh tokens stay in this object as
 * {@link Secret}s; they are refreshed before they expire ({@link Builder#refreshSkew}), one refresh at
 * a time per account, and once more when the provider answers 401. They are never logged. This
 * state lives in memory: after a restart, accounts are linked again (consent is asked again for
 * existing accounts).
 *
 * <p><b>Payment.</b> A paid call gets a payment token capped at {@link PaymentAuthorization#maxAmount()},
 * expiring at {@link PaymentAuthorization#expiresAt()}, for the provider as seller, keyed by the
 * step's idempotency key; it is sent as {@code payment_credentials} on that call only. A service the
 * catalog prices as {@code paid} (or whose pricing is unknown) is refused before any request when no
 * authorization is given. A token the call did not use (the call failed, or the provider still needs
 * information) is revoked.
 *
 * <p><b>Needs information (M).</b> The protocol publishes no call to answer {@code needs_information}.
 * This class sends the answer as {@code POST /provisioning/resources/{id}/update_service} with the
 * answer as {@code configuration} (for a domain, {@code {"domain": "my-app.com"}}) and, when the
 * answer is billable, {@code payment_credentials}. This is an inference, not a documented call;
 * the SDK's sandbox provider accepts exactly this form.
 *
 * <p>Credentials come in the provider's {@code complete} answers ({@code access_configuration}); the
 * latest generation of each resource is kept here and returned by {@link #revealCredentials}.
 * Thread-safe.
 */
public final class DirectOrchestrator implements Orchestrator {
  /** Refresh an access token this long before it expires. */
  public static final Duration DEFAULT_REFRESH_SKEW = Duration.ofSeconds(60);
  /** How long an account request (and the person's consent) may take. */
  public static final Duration DEFAULT_ACCOUNT_REQUEST_TTL = Duration.ofMinutes(15);
  /** How long a catalog read is reused. */
  public static final Duration DEFAULT_CATALOG_TTL = Duration.ofMinutes(5);
  /** What this orchestrator's client can do: send the person to a browser. */
  public static final List<String> DEFAULT_CLIENT_CAPABILITIES = List.of("browser");
  /** The {@code orchestrator} object sent with account requests unless configured. */
  public static final Map<String, Object> DEFAULT_ORCHESTRATOR_IDENTITY =
      Map.of("type", "direct", "direct", Map.of("name", "agentprovision"));

  private static final Logger log = LoggerFactory.getLogger(DirectOrchestrator.class);

  private final Map<String, Binding> providers;
  private final @Nullable PaymentTokenProvider payments;
  private final Clock clock;
  private final IdGenerator ids;
  private final SecureRandom random;
  private final boolean pkce;
  private final boolean checkVersion;
  private final Duration refreshSkew;
  private final Duration accountRequestTtl;
  private final Duration catalogTtl;
  private final Polling.Backoff pollBackoff;
  private final List<String> clientCapabilities;
  private final Map<String, Object> orchestratorIdentity;
  private final @Nullable URI paymentMethodSetupUrl;

  private final Map<String, AccountSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, String> linkedPrincipals = new ConcurrentHashMap<>();
  private final Map<String, ResourceEntry> resources = new ConcurrentHashMap<>();
  private final Map<String, CachedCatalog> catalogs = new ConcurrentHashMap<>();
  private final Map<String, Boolean> versionChecked = new ConcurrentHashMap<>();
  private final Map<String, ReentrantLock> linkLocks = new ConcurrentHashMap<>();
  private final @Nullable CredentialVault sessionVault;

  private DirectOrchestrator(Builder b) {
    this.sessionVault = b.sessionVault;
    this.providers = Map.copyOf(b.providers);
    this.payments = b.payments;
    this.clock = b.clock;
    this.ids = b.ids;
    this.random = b.random;
    this.pkce = b.pkce;
    this.checkVersion = b.checkVersion;
    this.refreshSkew = b.refreshSkew;
    this.accountRequestTtl = b.accountRequestTtl;
    this.catalogTtl = b.catalogTtl;
    this.pollBackoff = b.pollBackoff;
    this.clientCapabilities = List.copyOf(b.clientCapabilities);
    this.orchestratorIdentity = Map.copyOf(b.orchestratorIdentity);
    this.paymentMethodSetupUrl = b.paymentMethodSetupUrl;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "direct";
  }

  /** The providers this orchestrator speaks to, by name. */
  public List<String> providers() {
    return List.copyOf(providers.keySet());
  }

  // ---------------------------------------------------------------- catalog

  @Override
  public Catalog catalog(String provider) {
    Binding b = binding(provider);
    CachedCatalog c = catalogs.get(provider);
    Instant now = clock.instant();
    if (c != null && now.isBefore(c.readAt.plus(catalogTtl))) {
      return c.catalog;
    }
    ensureVersion(b);
    Catalog fresh = new Catalog(b.info, b.client.allServices());
    catalogs.put(provider, new CachedCatalog(fresh, now));
    return fresh;
  }

  // ---------------------------------------------------------------- accounts

  @Override
  public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    Binding b = binding(request.provider());
    Principal principal = request.principal();
    if (principal.email() == null || !principal.emailVerified()) {
      throw new IdentityRejectedException("email_verified", "linking a provider account needs a verified e-mail; "
          + "the principal " + principal.subject() + " @" + principal.issuer() + " has none");
    }
    String principalKey = request.provider() + "\u0000" + principal.issuer() + "\u0000" + principal.subject();
    ReentrantLock lock = linkLocks.computeIfAbsent(principalKey, k -> new ReentrantLock());
    lock.lock();
    try {
      String linked = linkedPrincipals.get(principalKey);
      if (linked != null) {
        AccountSession s = sessions.get(linked);
        if (s != null) {
          return s.account;
        }
      }
      AccountSession kept = restoreByPrincipal(b, principal);
      if (kept != null) {
        linkedPrincipals.put(principalKey, accountKey(b.name, kept.account.accountId()));
        return kept.account;
      }
      ensureVersion(b);
      ProvisioningProvider client = b.client.withRetryObserver(ctx::retrying);
      Secret confirmation = Secret.of(randomToken());
      Secret verifier = pkce ? Secret.of(randomToken()) : null;
      String requestId = ids.next("acctreq");
      AccountRequest ar = new AccountRequest(requestId, principal.email(), principal.name(), null, null,
          principal.verifiedFields(), request.scopes(), clientCapabilities, request.configuration(), confirmation,
          clock.instant().plus(accountRequestTtl), orchestratorIdentity, verifier == null ? null : challenge(verifier));
      AccountResponse answer = client.requestAccount(ar);
      ProviderTokens tokens;
      ProviderAccount.LinkAction action;
      if (answer instanceof AccountResponse.Credentials c) {
        tokens = c.tokens();
        action = ProviderAccount.LinkAction.CREATED;
      } else if (answer instanceof AccountResponse.OAuthCode o) {
        tokens = client.exchangeCode(o.code(), verifier);
        action = ProviderAccount.LinkAction.CREATED;
      } else if (answer instanceof AccountResponse.RequiresAuth ra) {
        Secret code = consent(b, principal, ra.redirectUrl(), confirmation, ctx);
        tokens = client.exchangeCode(code, verifier);
        action = ProviderAccount.LinkAction.LINKED_EXISTING;
      } else {
        AccountResponse.Error e = (AccountResponse.Error) answer;
        ctx.audit("provider.account.link", "refused", Map.of("provider", b.name, "code", e.code()));
        throw new ProviderException(b.name, 200, e.code(), null, "account request refused: " + e.message(),
            "expired".equals(e.code()));
      }
      Map<String, String> attributes = new LinkedHashMap<>();
      if (tokens.paymentCredentials() != null) {
        attributes.put("payment_credentials", tokens.paymentCredentials());
      }
      ProviderAccount account = new ProviderAccount(b.name, tokens.accountId(), requestId, principal.name(),
          principal.email(), action, attributes);
      String key = accountKey(b.name, tokens.accountId());
      AccountSession session = new AccountSession(b, account, tokens);
      sessions.put(key, session);
      persist(session, principal);
      linkedPrincipals.put(principalKey, key);
      ctx.audit("provider.account.link", action == ProviderAccount.LinkAction.CREATED ? "created" : "linked_existing",
          Map.of("provider", b.name, "account", tokens.accountId(), "request", requestId));
      return account;
    } finally {
      lock.unlock();
    }
  }

  /** Sends the person to the consent page and returns the callback's code once its state checks out. */
  private Secret consent(Binding b, Principal principal, URI redirect, Secret confirmation, StepContext ctx) {
    ApprovalDecision d = ctx.checkpoint(new CheckpointRequest(CheckpointKind.ACCOUNT_CONSENT,
        "Link your existing " + b.displayName() + " account",
        principal.email() + " already has a " + b.displayName() + " account; consent to let this application use it",
        null, redirect, Map.of("provider", b.name, "email", String.valueOf(principal.email())), accountRequestTtl));
    Map<String, String> cb = d.response();
    String error = cb.get("error");
    if (error != null) {
      throw new ApprovalDeniedException("link " + b.name + " account", b.name, "consent not given: " + error);
    }
    String state = cb.get("state");
    if (state == null || !confirmation.matches(state)) {
      ctx.audit("provider.account.link", "state_mismatch", Map.of("provider", b.name));
      throw new IdentityRejectedException("state", "the consent callback's state does not match this account "
          + "request's confirmation secret; the callback was not for this request and was ignored");
    }
    String code = cb.get("code");
    if (code == null || code.isEmpty()) {
      throw new IdentityRejectedException("code", "the consent callback carried no authorization code");
    }
    return Secret.of(code);
  }

  /** A link into the provider's own interface for the account, such as its dashboard. Single use, short-lived. */
  public DeepLink deepLink(ProviderAccount account, String purpose) {
    Objects.requireNonNull(account, "account");
    AccountSession s = session(account.provider(), account.accountId());
    return withAccess(s, s.binding.client, t -> s.binding.client.deepLink(t, purpose));
  }

  @Override
  public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    binding(provider);
    PaymentTokenProvider p = requirePayments();
    PaymentMethodStatus status = p.paymentMethod();
    if (status.ready()) {
      return status;
    }
    String title = "Add a payment method for " + provider;
    String reason = "paid steps need a payment method; spend is capped at " + usageCap;
    ctx.checkpoint(paymentMethodSetupUrl != null
        ? CheckpointRequest.visit(CheckpointKind.PAYMENT_METHOD, title, reason, paymentMethodSetupUrl)
        : CheckpointRequest.confirm(CheckpointKind.PAYMENT_METHOD, title, reason));
    status = p.paymentMethod();
    if (!status.ready()) {
      throw new AgentProvisionException("no payment method is on file with " + p.name()
          + " after the human checkpoint; add one and resume the run");
    }
    return status;
  }

  // ---------------------------------------------------------------- resources

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    AccountSession s = session(request.provider(), request.account().accountId());
    ServiceOffering service = service(request.provider(), request.serviceId());
    requirePaymentIfPriced(service, request.payment());
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    PaymentToken token = request.payment() == null ? null
        : issueToken(s.binding, request.payment(), request.name(), ctx, "create");
    ProviderResourceRequest wire = new ProviderResourceRequest(request.serviceId(), request.configuration(),
        token == null ? null : token.token(), request.project(), request.name(), request.environment());
    return paidCall(s, token, ctx, "provider.resource.create", request.serviceId(), request.name(),
        t -> client.createResource(t, wire, ctx.idempotencyKey("create")));
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(information, "information");
    if (information.isEmpty()) {
      throw new InvalidRequestException("information", "is empty", "pass the answers the schema asks for, "
          + "such as {\"domain\": \"my-app.com\"}");
    }
    ResourceEntry e = entry(resource);
    AccountSession s = e.session;
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    String op = "submit_information:" + digest(Json.canonical(information));
    PaymentToken token = payment == null ? null : issueToken(s.binding, payment, resource.name(), ctx, op);
    ProviderResourceUpdate update = new ProviderResourceUpdate(null, information, token == null ? null : token.token());
    return paidCall(s, token, ctx, "provider.resource.submit_information", e.ref.serviceId(), e.ref.name(),
        t -> client.updateService(t, e.ref.id(), update, ctx.idempotencyKey(op)));
  }

  @Override
  public ResourceState resource(ResourceRef resource, StepContext ctx) {
    ResourceEntry e = entry(resource);
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r = withAccess(e.session, client, t -> client.getResource(t, e.ref.id()));
    remember(e.session, e.ref, r, false);
    return state(e.ref, r, null);
  }

  @Override
  public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(configuration, "configuration");
    ResourceEntry e = entry(resource);
    AccountSession s = e.session;
    String serviceId = newServiceId != null ? newServiceId : e.ref.serviceId();
    if (newServiceId != null && !newServiceId.equals(e.ref.serviceId())) {
      ServiceOffering current = service(s.binding.name, e.ref.serviceId());
      if (!current.allowedUpdates().isEmpty() && !current.allowedUpdates().contains(newServiceId)) {
        throw new InvalidRequestException("newServiceId", e.ref.serviceId() + " cannot be changed to " + newServiceId,
            "choose one of " + current.allowedUpdates());
      }
      requirePaymentIfPriced(service(s.binding.name, newServiceId), payment);
    }
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    String op = "update:" + digest(serviceId + "\u0000" + Json.canonical(configuration));
    PaymentToken token = payment == null ? null : issueToken(s.binding, payment, e.ref.name(), ctx, op);
    ProviderResourceUpdate update = new ProviderResourceUpdate(newServiceId,
        configuration.isEmpty() ? null : configuration, token == null ? null : token.token());
    return paidCall(s, token, ctx, "provider.resource.update", serviceId, e.ref.name(),
        t -> client.updateService(t, e.ref.id(), update, ctx.idempotencyKey(op)));
  }

  @Override
  public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    ResourceEntry e = entry(resource);
    AccessConfiguration known = e.credentials;
    if (known != null) {
      return known;
    }
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r = withAccess(e.session, client, t -> client.getResource(t, e.ref.id()));
    remember(e.session, e.ref, r, false);
    AccessConfiguration now = entry(resource).credentials;
    if (now == null) {
      throw new ProviderException(e.session.binding.name, 0, "no_credentials", null, "resource " + e.ref.id()
          + " has no credentials yet (status " + r.status() + ")", r.status() == ResourceStatus.PENDING);
    }
    return now;
  }

  @Override
  public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    ResourceEntry e = entry(resource);
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r = withAccess(e.session, client,
        t -> client.rotateCredentials(t, e.ref.id(), ctx.idempotencyKey("rotate")));
    if (r.status() == ResourceStatus.PENDING) {
      r = poll(e.session, client, e.ref.id(), ctx);
    }
    if (r.status() != ResourceStatus.COMPLETE || r.accessConfiguration().isEmpty()) {
      ctx.audit("provider.credentials.rotate", "failed", Map.of("provider", e.ref.provider(), "resource", e.ref.id()));
      throw new ProviderException(e.ref.provider(), 200, r.errorCode() == null ? "rotation_failed" : r.errorCode(), null,
          "rotating the credentials of " + e.ref.id() + " did not complete (status " + r.status() + ")"
              + (r.errorMessage() != null ? ": " + r.errorMessage() : ""), false);
    }
    remember(e.session, e.ref, r, true);
    AccessConfiguration fresh = Objects.requireNonNull(entry(resource).credentials);
    ctx.audit("provider.credentials.rotate", "ok", Map.of("provider", e.ref.provider(), "resource", e.ref.id(),
        "generation", Long.toString(fresh.generation()), "names", String.join(",", fresh.values().keySet())));
    return fresh;
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    ResourceEntry e = entry(resource);
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    try {
      ProviderResource r = withAccess(e.session, client,
          t -> client.removeResource(t, e.ref.id(), ctx.idempotencyKey("remove")));
      if (r.status() == ResourceStatus.ERRORED) {
        throw new ProviderException(e.ref.provider(), 200, r.errorCode(), null, "removing " + e.ref.id() + " failed"
            + (r.errorMessage() != null ? ": " + r.errorMessage() : ""), false);
      }
    } catch (ProviderException ex) {
      if (ex.status() != 404) {
        throw ex;
      }
    }
    e.credentials = null;
    ctx.audit("provider.resource.remove", "removed", Map.of("provider", e.ref.provider(), "resource", e.ref.id(),
        "service", e.ref.serviceId()));
  }

  // ---------------------------------------------------------------- internals

  private interface Call {
    ProviderResource apply(Secret accessToken);
  }

  /**
   * Makes a (possibly paid) call, waits out {@code pending}, settles the token, records and audits.
   *
   * <p>The payment token is what tells, after the fact, whether the provider charged: when the
   * call or the wait fails, or the resource does not complete, the token is revoked first (from
   * then on nothing more can be charged on it) and what it captured is read. A failure then says
   * what was charged ({@link ProviderException#reconciled}): more than zero is
   * {@link ProviderException.Outcome#EXECUTED}, and repeating the call with the same idempotency
   * key (which sends the same token) finishes it; zero is {@link ProviderException.Outcome#NOT_EXECUTED}.
   * When the token cannot be revoked or read, the failure's outcome is unknown.
   */
  private ResourceState paidCall(AccountSession s, @Nullable PaymentToken token, StepContext ctx, String action,
      String serviceId, String name, Call call) {
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r;
    try {
      r = withAccess(s, client, call::apply);
    } catch (RuntimeException failure) {
      ctx.audit(action, "failed", auditDetails(s, serviceId, name, null, token));
      throw token == null ? failure : reconcile(token, s.binding.name, ctx, failure);
    }
    ResourceRef accepted = new ResourceRef(s.binding.name, r.id(), serviceId, name);
    resources.computeIfAbsent(resourceKey(s.binding.name, r.id()), k -> new ResourceEntry(accepted, s)).ref = accepted;
    if (r.status() == ResourceStatus.PENDING) {
      try {
        r = poll(s, client, r.id(), ctx);
      } catch (RuntimeException failure) {
        // accepted and still pending: the token stays, since the provider may charge it when it completes
        ctx.audit(action, "pending", auditDetails(s, serviceId, name, r.id(), token));
        throw token == null ? failure : stillPending(token, s.binding.name, failure);
      }
    }
    ResourceRef ref = new ResourceRef(s.binding.name, r.id(), serviceId, name);
    Money charged = null;
    if (token != null) {
      if (r.status() == ResourceStatus.COMPLETE) {
        charged = captured(token);
      } else {
        // not complete: nothing more may be charged, and what was is reported with the state
        revokeQuietly(token, s.binding.name, ctx, null);
        charged = captured(token);
      }
    }
    remember(s, ref, r, false);
    ctx.audit(action, r.status().name().toLowerCase(java.util.Locale.ROOT), auditDetails(s, serviceId, name, r.id(), token));
    return state(ref, r, charged);
  }

  /**
   * A paid call the provider accepted and had not finished when waiting for it failed: it may still
   * charge, so the outcome is unknown, unless the token already shows its whole amount captured
   * (nothing more can be charged on it), which is then the charge.
   */
  private RuntimeException stillPending(PaymentToken token, String provider, RuntimeException failure) {
    ProviderException cause = failure instanceof ProviderException p ? p
        : ProviderException.builder(provider, "waiting for the paid call failed: " + failure.getMessage())
            .cause(failure).retryable(failure instanceof AgentProvisionException a && a.retryable())
            .outcome(ProviderException.Outcome.UNKNOWN).build();
    Money c = captured(token);
    if (c != null && c.equals(token.maxAmount())) {
      return cause.reconciled(c, true);
    }
    return cause.withOutcome(ProviderException.Outcome.UNKNOWN);
  }

  /**
   * Finds out what a failed paid call charged, by its payment token: revokes it so that nothing
   * more can be charged, then reads what it captured. Returns the failure saying so, or, when the
   * token cannot be revoked or read, the failure with an unknown outcome (the money stays held).
   */
  private RuntimeException reconcile(PaymentToken token, String provider, StepContext ctx, RuntimeException failure) {
    ProviderException cause = failure instanceof ProviderException p ? p
        : ProviderException.builder(provider, "the paid call failed: " + failure).cause(failure)
            .outcome(ProviderException.Outcome.UNKNOWN).retryable(true).build();
    if (payments == null) {
      return cause.withOutcome(ProviderException.Outcome.UNKNOWN);
    }
    Money captured;
    try {
      payments.revoke(token);
      PaymentToken now = payments.retrieve(token);
      captured = now.captured() == null ? Money.zero(token.maxAmount().currency()) : now.captured();
    } catch (RuntimeException e) {
      log.warn("could not settle payment token {} for {} after a failed call: {}", token.reference(), provider,
          e.toString());
      ctx.audit("payment.token.reconcile", "failed", Map.of("provider", provider, "token", token.reference()));
      ProviderException unknown = cause.withOutcome(ProviderException.Outcome.UNKNOWN);
      unknown.addSuppressed(e);
      return unknown;
    }
    if (!captured.sameCurrency(token.maxAmount()) || captured.greaterThan(token.maxAmount())) {
      return cause.withOutcome(ProviderException.Outcome.UNKNOWN); // not a capture this call can have made
    }
    ctx.audit("payment.token.reconcile", "ok", Map.of("provider", provider, "token", token.reference(),
        "captured", captured.toString()));
    // with a charge found, the same call (same key, same token) replays what the provider did
    return cause.reconciled(captured, captured.isPositive() || cause.retryable());
  }

  private ProviderResource poll(AccountSession s, ProvisioningProvider client, String id, StepContext ctx) {
    return Polling.until(ctx, s.binding.name + " resource " + id,
        () -> withAccess(s, client, t -> client.getResource(t, id)),
        x -> x.status() != ResourceStatus.PENDING, pollBackoff);
  }

  private static Map<String, String> auditDetails(AccountSession s, String serviceId, String name, @Nullable String id,
      @Nullable PaymentToken token) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("provider", s.binding.name);
    d.put("account", s.account.accountId());
    d.put("service", serviceId);
    d.put("name", name);
    if (id != null) {
      d.put("resource", id);
    }
    if (token != null) {
      d.put("payment_token", token.reference());
      d.put("max_amount", token.maxAmount().toString());
    }
    return d;
  }

  private ResourceState state(ResourceRef ref, ProviderResource r, @Nullable Money charged) {
    InformationRequest info = r.needsInformationSchema() == null ? null
        : InformationRequest.fromSchema(r.needsInformationSchema());
    return new ResourceState(ref, r.status(), info, r.errorCode(), r.errorMessage(), null, charged, r.attributes());
  }

  /** Stores the credentials a {@code complete} answer carried: a new generation after a rotation or a change. */
  private void remember(AccountSession s, ResourceRef ref, ProviderResource r, boolean rotated) {
    ResourceEntry e = resources.computeIfAbsent(resourceKey(s.binding.name, r.id()), k -> new ResourceEntry(ref, s));
    if (r.status() == ResourceStatus.REMOVED) {
      e.credentials = null;
      return;
    }
    if (r.status() != ResourceStatus.COMPLETE || r.accessConfiguration().isEmpty()) {
      return;
    }
    synchronized (e) {
      AccessConfiguration old = e.credentials;
      if (!rotated && old != null && sameValues(old.values(), r.accessConfiguration())) {
        return;
      }
      e.lastGeneration++;
      e.credentials = new AccessConfiguration(r.accessConfiguration(), null, clock.instant(), e.lastGeneration);
    }
  }

  private static boolean sameValues(Map<String, Secret> a, Map<String, Secret> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, Secret> e : a.entrySet()) {
      if (!e.getValue().matches(b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private void requirePaymentIfPriced(ServiceOffering service, @Nullable PaymentAuthorization payment) {
    Pricing.Type t = service.pricing().type();
    if (payment == null && (t == Pricing.Type.PAID || t == Pricing.Type.UNKNOWN)) {
      throw new InvalidRequestException("payment", "service " + service.id() + " is "
          + (t == Pricing.Type.PAID ? "paid" : "of unknown price") + " and no payment authorization was given",
          "authorize the spend with StepContext.authorizeSpend and pass its payment()");
    }
  }

  private PaymentTokenProvider requirePayments() {
    if (payments == null) {
      throw new InvalidRequestException("paymentTokens", "is not configured",
          "build the DirectOrchestrator with paymentTokens(…) to make paid calls");
    }
    return payments;
  }

  private PaymentToken issueToken(Binding b, PaymentAuthorization pa, String externalId, StepContext ctx, String op) {
    PaymentTokenProvider p = requirePayments();
    if (!pa.expiresAt().isAfter(clock.instant())) {
      throw new InvalidRequestException("payment.expiresAt", "the authorization lapsed at " + pa.expiresAt(),
          "authorize the spend again");
    }
    PaymentToken t;
    try {
      // one token per reservation: the call repeated under the same reservation sends the same token (so
      // the provider replays it), and a new reservation after a release gets a fresh one
      t = p.issue(new PaymentTokenRequest(b.seller, externalId, pa.maxAmount(), pa.expiresAt(),
          ctx.idempotencyKey("payment_token:" + op + ":" + pa.reservationId()), Map.of("run", ctx.runId().value(),
              "step", ctx.stepId().value(), "reservation", pa.reservationId())));
    } catch (ProviderException e) {
      throw e.withOutcome(ProviderException.Outcome.NOT_EXECUTED); // the provider was not called
    }
    Money used = t.captured();
    if (t.status() != PaymentToken.Status.ACTIVE && used != null && used.isPositive()) {
      // this reservation's token was charged by an earlier attempt that failed: the same call, repeated
      // with it, is replayed by the provider rather than charged again
      return t;
    }
    if (t.status() != PaymentToken.Status.ACTIVE) {
      revokeQuietly(t, b.name, ctx, null);
      ProviderException inactive = ProviderException.builder(p.name(), "the payment token for " + b.name + " is "
          + t.status() + ", not active").code("payment_token_" + t.status().name().toLowerCase(java.util.Locale.ROOT))
          .retryable(false).outcome(ProviderException.Outcome.NOT_EXECUTED).build();
      // deactivated having captured nothing: nothing was, or can be, charged under this reservation
      throw t.status() == PaymentToken.Status.DEACTIVATED && used != null
          ? inactive.reconciled(Money.zero(t.maxAmount().currency()), false) : inactive;
    }
    if (t.maxAmount().greaterThan(pa.maxAmount()) || !t.maxAmount().sameCurrency(pa.maxAmount())) {
      revokeQuietly(t, b.name, ctx, null);
      throw ProviderException.builder(p.name(), "the payment token's cap " + t.maxAmount() + " exceeds the authorized "
          + pa.maxAmount()).code("payment_token_over_cap").retryable(false)
          .outcome(ProviderException.Outcome.NOT_EXECUTED).build();
    }
    ctx.audit("payment.token.issue", "ok", Map.of("provider", b.name, "seller", b.seller, "token", t.reference(),
        "max_amount", t.maxAmount().toString(), "expires_at", t.expiresAt().toString()));
    return t;
  }

  private void revokeQuietly(@Nullable PaymentToken token, String provider, StepContext ctx,
      @Nullable RuntimeException cause) {
    if (token == null || payments == null) {
      return;
    }
    try {
      payments.revoke(token);
      ctx.audit("payment.token.revoke", "ok", Map.of("provider", provider, "token", token.reference()));
    } catch (RuntimeException e) {
      log.warn("could not revoke payment token {} for {}: {}", token.reference(), provider, e.toString());
      ctx.audit("payment.token.revoke", "failed", Map.of("provider", provider, "token", token.reference()));
      if (cause != null) {
        cause.addSuppressed(e);
      }
    }
  }

  private @Nullable Money captured(PaymentToken token) {
    if (payments == null) {
      return null;
    }
    try {
      Money c = payments.retrieve(token).captured();
      return c != null && c.sameCurrency(token.maxAmount()) && !c.greaterThan(token.maxAmount()) ? c : null;
    } catch (RuntimeException e) {
      log.warn("could not read what was captured on payment token {}: {}", token.reference(), e.toString());
      return null;
    }
  }

  private <T> T withAccess(AccountSession s, ProvisioningProvider client, Function<Secret, T> call) {
    Secret token = s.accessToken(client);
    try {
      return call.apply(token);
    } catch (ProviderException e) {
      if (e.status() != 401 || !s.canRefresh()) {
        throw e;
      }
      return call.apply(s.refreshAfterRejection(client, token));
    }
  }

  private void ensureVersion(Binding b) {
    if (checkVersion && versionChecked.get(b.name) == null) {
      b.client.checkVersion();
      versionChecked.put(b.name, Boolean.TRUE);
    }
  }

  private ServiceOffering service(String provider, String serviceId) {
    Optional<ServiceOffering> s = catalog(provider).service(serviceId);
    if (s.isEmpty()) {
      throw new InvalidRequestException("serviceId", provider + " has no service '" + serviceId + "'",
          "choose one of its catalog's services");
    }
    return s.get();
  }

  private Binding binding(String provider) {
    Binding b = providers.get(Objects.requireNonNull(provider, "provider"));
    if (b == null) {
      throw new InvalidRequestException("provider", "'" + provider + "' is not configured on this orchestrator",
          "configure it with DirectOrchestrator.builder().provider(…); configured: " + providers.keySet());
    }
    return b;
  }

  private AccountSession session(String provider, String accountId) {
    binding(provider);
    AccountSession s = sessions.get(accountKey(provider, accountId));
    if (s == null) {
      s = restore(provider, accountId);
    }
    if (s == null) {
      throw new InvalidRequestException("account", provider + " account " + accountId
          + " is not linked through this orchestrator", "call linkAccount first"
          + (sessionVault == null ? ", or give the builder a sessionVault so links survive a restart" : ""));
    }
    return s;
  }

  // ---------------------------------------------------------------- sessions kept across restarts

  private static final String VAULT_PREFIX = "direct/";

  private static String vaultKey(String provider, String accountId) {
    return VAULT_PREFIX + provider + "/" + accountId;
  }

  /** Keeps the account's tokens and who linked it in the session vault, when there is one. */
  private void persist(AccountSession session, @Nullable Principal linkedBy) {
    if (sessionVault == null) {
      return;
    }
    ProviderAccount a = session.account;
    ProviderTokens t = session.tokens;
    String key = vaultKey(a.provider(), a.accountId());
    Map<String, String> attrs = new LinkedHashMap<>();
    VaultEntry previous = sessionVault.get(key).orElse(null);
    if (previous != null) {
      attrs.putAll(previous.attributes());
    }
    attrs.put("provider", a.provider());
    attrs.put("account_id", a.accountId());
    attrs.put("link_action", a.linkAction().name());
    putIf(attrs, "connection_id", a.connectionId());
    putIf(attrs, "display_name", a.displayName());
    putIf(attrs, "email", a.email());
    putIf(attrs, "payment_credentials", t.paymentCredentials());
    putIf(attrs, "expires_at", t.expiresAt() == null ? null : t.expiresAt().toString());
    if (linkedBy != null) {
      attrs.put("principal", linkedBy.issuer() + "\u0000" + linkedBy.subject());
    }
    sessionVault.put(new VaultEntry(key, t.accessToken(), attrs, clock.instant(), t.expiresAt()));
    if (t.refreshToken() != null) {
      sessionVault.put(new VaultEntry(key + "/refresh", t.refreshToken(), Map.of("provider", a.provider(),
          "account_id", a.accountId()), clock.instant(), null));
    }
  }

  private static void putIf(Map<String, String> m, String k, @Nullable String v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  /** Rebuilds an account's session from the session vault (a restarted host), or null. */
  private @Nullable AccountSession restore(String provider, String accountId) {
    if (sessionVault == null) {
      return null;
    }
    Binding b = binding(provider);
    String key = vaultKey(provider, accountId);
    VaultEntry e = sessionVault.get(key).orElse(null);
    if (e == null) {
      return null;
    }
    Map<String, String> at = e.attributes();
    Secret refresh = sessionVault.get(key + "/refresh").map(VaultEntry::secret).orElse(null);
    ProviderTokens tokens = new ProviderTokens(e.secret(), refresh,
        at.get("expires_at") == null ? null : Instant.parse(at.get("expires_at")), accountId,
        at.get("payment_credentials"));
    Map<String, String> attributes = new LinkedHashMap<>();
    putIf(attributes, "payment_credentials", at.get("payment_credentials"));
    ProviderAccount account = new ProviderAccount(provider, accountId, at.get("connection_id"), at.get("display_name"),
        at.get("email"), ProviderAccount.LinkAction.valueOf(at.getOrDefault("link_action", "UNKNOWN")), attributes);
    AccountSession s = new AccountSession(b, account, tokens);
    AccountSession raced = sessions.putIfAbsent(accountKey(provider, accountId), s);
    return raced != null ? raced : s;
  }

  private @Nullable AccountSession restoreByPrincipal(Binding b, Principal principal) {
    if (sessionVault == null) {
      return null;
    }
    String who = principal.issuer() + "\u0000" + principal.subject();
    for (String key : sessionVault.keys(VAULT_PREFIX + b.name + "/")) {
      if (key.endsWith("/refresh")) {
        continue;
      }
      VaultEntry e = sessionVault.get(key).orElse(null);
      if (e != null && who.equals(e.attributes().get("principal"))) {
        return restore(b.name, e.attributes().get("account_id"));
      }
    }
    return null;
  }

  private ResourceEntry entry(ResourceRef ref) {
    Objects.requireNonNull(ref, "resource");
    ResourceEntry e = resources.get(resourceKey(ref.provider(), ref.id()));
    if (e == null) {
      e = recover(ref);
    }
    if (e == null) {
      throw new InvalidRequestException("resource", ref.provider() + " resource " + ref.id()
          + " was not provisioned through this orchestrator", "provision it with this orchestrator instance");
    }
    return e;
  }

  /**
   * Finds which linked account owns a resource this instance has not seen (a restarted host): the
   * provider shows a resource only to the account that owns it.
   */
  private @Nullable ResourceEntry recover(ResourceRef ref) {
    binding(ref.provider());
    java.util.Set<String> accountIds = new java.util.LinkedHashSet<>();
    for (AccountSession s : sessions.values()) {
      if (s.binding.name.equals(ref.provider())) {
        accountIds.add(s.account.accountId());
      }
    }
    if (sessionVault != null) {
      for (String key : sessionVault.keys(VAULT_PREFIX + ref.provider() + "/")) {
        if (!key.endsWith("/refresh")) {
          accountIds.add(key.substring((VAULT_PREFIX + ref.provider() + "/").length()));
        }
      }
    }
    for (String accountId : accountIds) {
      AccountSession s = sessions.get(accountKey(ref.provider(), accountId));
      if (s == null) {
        s = restore(ref.provider(), accountId);
      }
      if (s == null) {
        continue;
      }
      AccountSession owner = s;
      try {
        withAccess(owner, owner.binding.client, t -> owner.binding.client.getResource(t, ref.id()));
      } catch (ProviderException notTheirs) {
        if (notTheirs.status() == 404 || notTheirs.status() == 403) {
          continue;
        }
        throw notTheirs;
      }
      return resources.computeIfAbsent(resourceKey(ref.provider(), ref.id()), k -> new ResourceEntry(ref, owner));
    }
    return null;
  }

  private static String accountKey(String provider, String accountId) {
    return provider + "\u0000" + accountId;
  }

  private static String resourceKey(String provider, String id) {
    return provider + "\u0000" + id;
  }

  private String randomToken() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The PKCE S256 challenge of {@code verifier} (RFC 7636). */
  static String challenge(Secret verifier) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(verifier.reveal()));
  }

  private static String digest(String s) {
    return HexFormat.of().formatHex(sha256(s)).substring(0, 16);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "DirectOrchestrator{providers=" + providers.keySet() + ", payments="
        + (payments == null ? "none" : payments.name()) + ", pkce=" + pkce + "}";
  }

  // ---------------------------------------------------------------- state holders

  /** A configured provider. */
  private static final class Binding {
    final String name;
    final ProvisioningProvider client;
    final ProviderInfo info;
    final String seller;

    Binding(ProvisioningProvider client, ProviderInfo info, String seller) {
      this.name = client.name();
      this.client = client;
      this.info = info;
      this.seller = seller;
    }

    String displayName() {
      return info.displayName() != null ? info.displayName() : name;
    }
  }

  private record CachedCatalog(Catalog catalog, Instant readAt) {}

  /** One linked account's tokens; refreshes are serialized by the lock. */
  private final class AccountSession {
    final Binding binding;
    final ProviderAccount account;
    final ReentrantLock lock = new ReentrantLock();
    volatile ProviderTokens tokens;

    AccountSession(Binding binding, ProviderAccount account, ProviderTokens tokens) {
      this.binding = binding;
      this.account = account;
      this.tokens = tokens;
    }

    boolean canRefresh() {
      return tokens.refreshToken() != null;
    }

    Secret accessToken(ProvisioningProvider client) {
      ProviderTokens t = tokens;
      if (!dueForRefresh(t)) {
        return t.accessToken();
      }
      lock.lock();
      try {
        t = tokens;
        if (!dueForRefresh(t)) {
          return t.accessToken(); // another thread refreshed while this one waited
        }
        return refresh(client, t);
      } finally {
        lock.unlock();
      }
    }

    Secret refreshAfterRejection(ProvisioningProvider client, Secret rejected) {
      lock.lock();
      try {
        ProviderTokens t = tokens;
        if (t.accessToken() != rejected) {
          return t.accessToken();
        }
        return refresh(client, t);
      } finally {
        lock.unlock();
      }
    }

    private boolean dueForRefresh(ProviderTokens t) {
      return t.expiresAt() != null && !clock.instant().plus(refreshSkew).isBefore(t.expiresAt());
    }

    private Secret refresh(ProvisioningProvider client, ProviderTokens t) {
      Secret refresh = t.refreshToken();
      if (refresh == null) {
        throw new ProviderException(binding.name, 401, "token_expired", null, "the access token for account "
            + account.accountId() + " expired and the provider issued no refresh token; link the account again",
            false);
      }
      ProviderTokens fresh = client.refresh(refresh);
      if (fresh.refreshToken() == null) {
        fresh = new ProviderTokens(fresh.accessToken(), refresh, fresh.expiresAt(), fresh.accountId(),
            fresh.paymentCredentials());
      }
      tokens = fresh;
      persist(this, null);
      log.debug("refreshed the {} access token of account {}", binding.name, account.accountId());
      return fresh.accessToken();
    }
  }

  private static final class ResourceEntry {
    final AccountSession session;
    volatile ResourceRef ref;
    volatile @Nullable AccessConfiguration credentials;
    long lastGeneration;

    ResourceEntry(ResourceRef ref, AccountSession session) {
      this.ref = ref;
      this.session = session;
    }
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link DirectOrchestrator}; setters validate and name the field. */
  public static final class Builder {
    private final Map<String, Binding> providers = new LinkedHashMap<>();
    private @Nullable CredentialVault sessionVault;
    private @Nullable PaymentTokenProvider payments;
    private Clock clock = Clock.systemUTC();
    private IdGenerator ids = IdGenerator.RANDOM;
    private SecureRandom random = new SecureRandom();
    private boolean pkce = true;
    private boolean checkVersion = true;
    private Duration refreshSkew = DEFAULT_REFRESH_SKEW;
    private Duration accountRequestTtl = DEFAULT_ACCOUNT_REQUEST_TTL;
    private Duration catalogTtl = DEFAULT_CATALOG_TTL;
    private Polling.Backoff pollBackoff = Polling.Backoff.DEFAULT;
    private List<String> clientCapabilities = DEFAULT_CLIENT_CAPABILITIES;
    private Map<String, Object> orchestratorIdentity = DEFAULT_ORCHESTRATOR_IDENTITY;
    private @Nullable URI paymentMethodSetupUrl;

    private Builder() {}

    /** Adds a provider, known by its {@link ProvisioningProvider#name()}, which is also the payment tokens' seller. */
    public Builder provider(ProvisioningProvider client) {
      Objects.requireNonNull(client, "provider");
      return provider(client, ProviderInfo.named(client.name()), client.name());
    }

    /**
     * Adds a provider with its catalog description and the seller id its payment tokens name (its
     * network business profile).
     */
    public Builder provider(ProvisioningProvider client, ProviderInfo info, String seller) {
      Objects.requireNonNull(client, "provider");
      Objects.requireNonNull(info, "info");
      if (!info.name().equals(client.name())) {
        throw new InvalidRequestException("info.name", "'" + info.name() + "' differs from the client's provider '"
            + client.name() + "'", "describe the same provider");
      }
      if (seller == null || seller.isBlank()) {
        throw new InvalidRequestException("seller", "is empty", "pass the provider's seller id for payment tokens");
      }
      if (providers.containsKey(client.name())) {
        throw new InvalidRequestException("provider", "'" + client.name() + "' is configured twice",
            "configure each provider once");
      }
      providers.put(client.name(), new Binding(client, info, seller));
      return this;
    }

    /** Issues the payment tokens for paid calls. Without one, paid calls are refused. */
    public Builder paymentTokens(PaymentTokenProvider provider) {
      this.payments = Objects.requireNonNull(provider, "paymentTokens");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Makes account request ids. */
    public Builder idGenerator(IdGenerator ids) {
      this.ids = Objects.requireNonNull(ids, "idGenerator");
      return this;
    }

    /** The randomness for confirmation secrets and PKCE verifiers. */
    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Whether to send a PKCE challenge with account requests and the verifier with the code (default true). */
    public Builder pkce(boolean enabled) {
      this.pkce = enabled;
      return this;
    }

    /** Whether to check a provider's health and version support before first use (default true). */
    public Builder checkVersion(boolean enabled) {
      this.checkVersion = enabled;
      return this;
    }

    /** Refresh access tokens this long before they expire (zero or more). */
    public Builder refreshSkew(Duration skew) {
      Objects.requireNonNull(skew, "refreshSkew");
      if (skew.isNegative()) {
        throw new InvalidRequestException("refreshSkew", "must not be negative (was " + skew + ")",
            "pass a duration such as 60 seconds");
      }
      this.refreshSkew = skew;
      return this;
    }

    /** How long an account request, including the person's consent, may take. */
    public Builder accountRequestTtl(Duration ttl) {
      this.accountRequestTtl = Checks.positive("accountRequestTtl", ttl);
      return this;
    }

    /** How long a catalog read is reused. */
    public Builder catalogTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "catalogTtl");
      if (ttl.isNegative()) {
        throw new InvalidRequestException("catalogTtl", "must not be negative", "pass zero to read every time");
      }
      this.catalogTtl = ttl;
      return this;
    }

    /** Backoff between polls of a pending resource. */
    public Builder pollBackoff(Polling.Backoff backoff) {
      Objects.requireNonNull(backoff, "pollBackoff");
      if (backoff.initial().isNegative() || backoff.initial().isZero() || backoff.max().compareTo(backoff.initial()) < 0) {
        throw new InvalidRequestException("pollBackoff", "needs a positive initial wait and a max at least as long",
            "pass new Polling.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30))");
      }
      this.pollBackoff = backoff;
      return this;
    }

    public Builder clientCapabilities(List<String> capabilities) {
      this.clientCapabilities = List.copyOf(Objects.requireNonNull(capabilities, "clientCapabilities"));
      return this;
    }

    /**
     * The {@code orchestrator} object sent with account requests, such as
     * {@code {"type":"platform","platform":{"name":"Acme IDE"}}}. It must have a {@code type}.
     */
    public Builder orchestratorIdentity(Map<String, Object> identity) {
      Objects.requireNonNull(identity, "orchestratorIdentity");
      if (!(identity.get("type") instanceof String t) || t.isBlank()) {
        throw new InvalidRequestException("orchestratorIdentity", "has no type",
            "pass a map such as {\"type\":\"platform\",\"platform\":{\"name\":\"Acme\"}}");
      }
      this.orchestratorIdentity = Map.copyOf(identity);
      return this;
    }

    /**
     * Keeps each linked account's provider tokens in {@code vault} (the host's credential vault), so
     * that a restarted host, resuming a run, uses the account without asking the human again. Without
     * it, links live as long as this instance.
     */
    public Builder sessionVault(CredentialVault vault) {
      this.sessionVault = Objects.requireNonNull(vault, "sessionVault");
      return this;
    }

    /** The host's page where a person adds a payment method, shown at the payment-method checkpoint. */
    public Builder paymentMethodSetupUrl(URI url) {
      this.paymentMethodSetupUrl = Objects.requireNonNull(url, "paymentMethodSetupUrl");
      return this;
    }

    public DirectOrchestrator build() {
      if (providers.isEmpty()) {
        throw new InvalidRequestException("provider", "none is configured",
            "add one with provider(ProtocolClient.builder()…build())");
      }
      return new DirectOrchestrator(this);
    }
  }
}
