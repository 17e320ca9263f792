package io.agentprovision.core.protocol;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.IdGenerator;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.CatalogCache;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.internal.Checks;
import io.agentprovision.core.internal.random.StripedSecureRandom;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

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
 * {@link Secret}s; they are refreshed before they expire, by a margin of {@link Builder#refreshSkew}
 * but at most half the token's lifetime (a 20-second token is used for 10 seconds, not refreshed
 * before every call), one refresh at a time per account, and once more when the provider answers
 * 401; a refresh token the provider rotates is replaced. They are never logged. This state lives in
 * memory, or with {@link Builder#sessionVault} in the host's vault across restarts.
 *
 * <p><b>Prices.</b> A service the provider prices only by a Stripe Price id ({@code stripe_price})
 * is priced with what the payment-token provider looks up for that id
 * ({@link PaymentTokenProvider#lookUpPrice}, which {@code StripeSharedPaymentTokens} answers from
 * {@code GET /v1/prices/{id}}); without an answer it stays unknown before buying.
 *
 * <p><b>Payment.</b> A paid call gets a payment token capped at {@link PaymentAuthorization#maxAmount()},
 * expiring at {@link PaymentAuthorization#expiresAt()}, for the provider as seller, keyed by the
 * step's idempotency key; it is sent as {@code payment_credentials} on that call only. A token that
 * answers {@code requires_action} (3-D Secure) sends the person to its next-action page through a
 * {@link CheckpointKind#PAYMENT_AUTHENTICATION} checkpoint before it is sent; declined or timed out,
 * it is revoked and nothing is charged. A service the
 * catalog prices as paid, or whose pricing it cannot read ({@link io.agentprovision.core.catalog.Pricing#requiresPayment()}),
 * is refused before any request when no authorization is given. A token the call did not use (the
 * call failed or ended in error) is revoked; a token sent with a call the provider answers with
 * {@code needs_information} is kept until the answer, which may have to carry the same payment
 * credentials, and revoked when the flow ends without using it.
 *
 * <p><b>Needs information.</b> The protocol publishes no call to answer {@code needs_information};
 * providers take the answer in one of two forms ({@link InformationAnswer}). When the provider named
 * the resource, the answer goes as {@code POST /provisioning/resources/{id}/update_service} with the
 * answers as {@code configuration} (for a domain, {@code {"domain": "my-app.com"}}) and, when
 * billable, {@code payment_credentials}; a provider that refuses that form
 * ({@link InformationAnswerRefusedException}), or that named no resource, gets a new
 * {@code POST /provisioning/resources} with the original configuration, every answer so far and
 * the payment credentials, and later answers go to it in that form at once. A provider may ask
 * again after an answer; each round returns a new {@link io.agentprovision.core.orchestration.InformationRequest}. A resource the
 * provider did not name lives only in this instance, under an id starting {@code unassigned:}.
 *
 * <p><b>Removal</b> is idempotent: removing a removed resource (the provider answers
 * {@code removed} again, 404, or {@code invalid_state} for a resource a read shows removed) is done.
 *
 * <p>Credentials come in the provider's {@code complete} answers ({@code access_configuration}); the
 * latest generation of each resource is kept here and returned by {@link #revealCredentials}.
 * Thread-safe.
 */
public final class DirectOrchestrator implements Orchestrator {
  /** The longest margin before expiry at which an access token is refreshed (at most half its lifetime). */
  public static final Duration DEFAULT_REFRESH_SKEW = Duration.ofSeconds(60);
  /** How long an account request (and the person's consent) may take. */
  public static final Duration DEFAULT_ACCOUNT_REQUEST_TTL = Duration.ofMinutes(15);
  /** How long a catalog read is reused (dropped sooner when a call at the provider is refused). */
  public static final Duration DEFAULT_CATALOG_TTL = CatalogCache.DEFAULT_TTL;
  /** What this orchestrator's client can do: send the person to a browser. */
  public static final List<String> DEFAULT_CLIENT_CAPABILITIES = List.of("browser");
  /** The {@code orchestrator} object sent with account requests unless configured. */
  public static final Map<String, Object> DEFAULT_ORCHESTRATOR_IDENTITY =
      Map.of("type", "direct", "direct", Map.of("name", "agentprovision"));

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirectOrchestrator.class);

  private final Map<String, ProviderBinding> providers;
  private final boolean pkce;
  private final boolean checkVersion;
  private final CatalogCache<Catalog> catalogs;
  private final Map<String, Boolean> versionChecked = new ConcurrentHashMap<>();
  private final AccountSessions sessions;
  private final AccountLinking linking;
  private final PaidRequests paid;
  private final Resources resources;

  private DirectOrchestrator(Builder b) {
    this.providers = Map.copyOf(b.providers);
    this.pkce = b.pkce;
    this.checkVersion = b.checkVersion;
    this.catalogs = CatalogCache.of(b.catalogTtl, b.clock);
    this.sessions = new AccountSessions(this::binding, b.clock, b.refreshSkew, b.sessionVault);
    this.linking = new AccountLinking(sessions, this::ensureVersion, b.clock, b.ids, b.random, b.pkce,
        b.accountRequestTtl, b.clientCapabilities, b.orchestratorIdentity);
    this.paid = new PaidRequests(b.payments, b.clock, b.paymentMethodSetupUrl);
    this.resources = new Resources(sessions, paid, this::service, this::binding, b.clock, b.pollBackoff);
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
    ProviderBinding b = binding(provider);
    return catalogs.get(provider, p -> {
      ensureVersion(b);
      return new Catalog(b.info, withStripePrices(b.client.allServices()));
    });
  }

  /**
   * Services priced only by a Stripe Price id ({@code stripe_price}) get that price's amount and
   * interval from the payment-token provider ({@link PaymentTokenProvider#lookUpPrice}), which knows
   * Stripe's prices; one it cannot find stays unknown before buying, never guessed.
   */
  private List<ServiceOffering> withStripePrices(List<ServiceOffering> services) {
    PaymentTokenProvider payments = paid.provider();
    if (payments == null) {
      return services;
    }
    Map<String, java.util.Optional<io.agentprovision.core.catalog.Pricing>> found = new LinkedHashMap<>();
    List<ServiceOffering> out = new java.util.ArrayList<>(services.size());
    for (ServiceOffering s : services) {
      io.agentprovision.core.catalog.Pricing p = s.pricing();
      String priceId = p.stripePrice();
      if (priceId == null || p.kind() != io.agentprovision.core.catalog.Pricing.Kind.UNKNOWN) {
        out.add(s);
        continue;
      }
      java.util.Optional<io.agentprovision.core.catalog.Pricing> known = found.computeIfAbsent(priceId, id -> {
        try {
          return payments.lookUpPrice(id);
        } catch (RuntimeException e) {
          LOG.warn("could not look up Stripe price {} for {}: {}", id, s.id(), e.toString());
          return java.util.Optional.empty();
        }
      });
      out.add(known.map(k -> s.toBuilder().pricing(k).build()).orElse(s));
    }
    return out;
  }

  // ---------------------------------------------------------------- accounts

  @Override
  public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    return linking.link(binding(request.provider()), request, ctx);
  }

  @Override
  public boolean supportsAccountUnlink() {
    return true;
  }

  /**
   * Forgets the account: its provider tokens leave this orchestrator and its session vault. The
   * account and its resources stay at the provider; the protocol has no call to revoke the tokens,
   * which lapse when they expire.
   */
  @Override
  public void unlinkAccount(ProviderAccount account, StepContext ctx) {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(ctx, "ctx");
    binding(account.provider());
    boolean known = sessions.forget(account.provider(), account.accountId());
    ctx.audit("direct.account.unlink", known ? "forgotten" : "absent", Map.of("provider", account.provider(),
        "account", account.accountId()));
  }

  /** A link into the provider's own interface for the account, such as its dashboard. Single use, short-lived. */
  public DeepLink deepLink(ProviderAccount account, String purpose) {
    Objects.requireNonNull(account, "account");
    AccountSessions.Session s = sessions.session(account.provider(), account.accountId());
    return sessions.withAccess(s, s.binding.client, t -> s.binding.client.deepLink(t, purpose));
  }

  @Override
  public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    binding(provider);
    return paid.ensurePaymentMethod(provider, usageCap, ctx);
  }

  // ---------------------------------------------------------------- resources

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    try {
      return resources.provision(request, ctx);
    } catch (RuntimeException e) {
      staleCatalog(request.provider(), e);
      throw e;
    }
  }

  /** A call the provider refused may have relied on a service or price it no longer lists: read the catalog again. */
  private void staleCatalog(String provider, RuntimeException e) {
    if (!(e instanceof AgentProvisionException a && a.retryable())) {
      catalogs.invalidate(provider);
    }
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    return resources.submitInformation(resource, information, payment, ctx);
  }

  @Override
  public ResourceState resource(ResourceRef resource, StepContext ctx) {
    return resources.resource(resource, ctx);
  }

  @Override
  public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    try {
      return resources.update(resource, newServiceId, configuration, payment, ctx);
    } catch (RuntimeException e) {
      staleCatalog(resource.provider(), e);
      throw e;
    }
  }

  @Override
  public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    return resources.revealCredentials(resource, ctx);
  }

  @Override
  public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    return resources.rotateCredentials(resource, ctx);
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    resources.remove(resource, ctx);
  }

  // ---------------------------------------------------------------- internals

  private void ensureVersion(ProviderBinding b) {
    if (checkVersion && versionChecked.get(b.name) == null) {
      b.client.checkVersion();
      versionChecked.put(b.name, Boolean.TRUE);
    }
  }

  private ServiceOffering service(String provider, String serviceId) {
    return catalog(provider).service(serviceId).orElseThrow(() -> new InvalidRequestException("serviceId", provider
        + " has no service '" + serviceId + "'", "choose one of its catalog's services"));
  }

  private ProviderBinding binding(String provider) {
    ProviderBinding b = providers.get(Objects.requireNonNull(provider, "provider"));
    if (b == null) {
      throw new InvalidRequestException("provider", "'" + provider + "' is not configured on this orchestrator",
          "configure it with DirectOrchestrator.builder().provider(…); configured: " + providers.keySet());
    }
    return b;
  }

  @Override
  public String toString() {
    PaymentTokenProvider p = paid.provider();
    return "DirectOrchestrator{providers=" + providers.keySet() + ", payments=" + (p == null ? "none" : p.name())
        + ", pkce=" + pkce + "}";
  }


  /** Builds a {@link DirectOrchestrator}; setters validate and name the field. */
  public static final class Builder {
    private final Map<String, ProviderBinding> providers = new LinkedHashMap<>();
    private @Nullable CredentialVault sessionVault;
    private @Nullable PaymentTokenProvider payments;
    private Clock clock = Clock.systemUTC();
    private IdGenerator ids = IdGenerator.RANDOM;
    private SecureRandom random = StripedSecureRandom.SHARED;
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
      providers.put(client.name(), new ProviderBinding(client, info, seller));
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

    /**
     * Refresh access tokens this long before they expire (zero or more), but never earlier than half
     * their lifetime, so short-lived tokens are not refreshed before every call.
     */
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

    /** Backoff between polls of a pending resource ({@link Polling.Backoff} checks itself). */
    public Builder pollBackoff(Polling.Backoff backoff) {
      this.pollBackoff = Objects.requireNonNull(backoff, "pollBackoff");
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
