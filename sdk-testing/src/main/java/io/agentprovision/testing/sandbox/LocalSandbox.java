package io.agentprovision.testing.sandbox;

import io.agentprovision.testing.VirtualTime;
import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.stripe.StripeProjects;
import io.agentprovision.stripe.StripeSharedPaymentTokens;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.oidc.OidcIssuerSandbox;
import io.agentprovision.testing.protocol.ProviderSandbox;
import io.agentprovision.testing.provider2.IndependentProviderSimulator;
import io.agentprovision.testing.provider2.Variant;
import io.agentprovision.testing.stripe.ProviderLink;
import io.agentprovision.testing.stripe.StripeSandbox;
import io.agentprovision.core.wire.Digests;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system on loopback, wired as the real one is, so that an {@code AgentProvisioner} built
 * from the SDK's real adapters goes from nothing to a live app without any network:
 *
 * <ul>
 *   <li>a Cloudflare v4 sandbox ({@link #cloudflare()}), whose Workers run in workerd when it is
 *       installed ({@link #workerdAvailable()});</li>
 *   <li>a provider that speaks the provisioning protocol ({@link #provider()}), backed by that
 *       Cloudflare sandbox: an account is a Cloudflare account, the credentials it issues are broad
 *       account-owned Cloudflare API tokens ({@code CLOUDFLARE_API_TOKEN}, {@code CLOUDFLARE_ACCOUNT_ID}),
 *       domains are priced by Cloudflare's Registrar and registering one creates its zone;</li>
 *   <li>a Stripe sandbox ({@link #stripe()}) that reaches that provider over the protocol, as Stripe
 *       Projects does, and whose Shared Payment Tokens the provider charges (so a token's amount,
 *       currency, expiry and seller are enforced where Stripe enforces them);</li>
 *   <li>an OpenID Connect issuer ({@link #oidc()}) for the human.</li>
 * </ul>
 *
 * <pre>{@code
 * try (LocalSandbox sb = LocalSandbox.start()) {
 *   AgentProvisioner provisioner = AgentProvisioner.builder()
 *       .orchestrator(sb.stripeProjects())                       // or sb.directOrchestrator()
 *       .deployer(sb.cloudflareDeployer())
 *       .identity(sb.identityProvider())
 *       .approvals(sb.browser(ApprovalGates.console(System.in, System.out, Clock.systemUTC())))  // decide, then act
 *       .build();
 *   Deployment d = provisioner.provisionAndDeploy(ProvisionRequest.builder()
 *       .agent(AgentId.of("coding-agent-7")).provider("cloudflare").plan("workers:paid")
 *       .domain(DomainRequest.query("my-app"))
 *       .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
 *       .identityToken(sb.signIn("ada@example.com"))
 *       .app(app).build());
 * }
 * }</pre>
 *
 * <p><b>The human's steps.</b> By default no card is on file at Stripe, so a run meets every human
 * checkpoint a first-time user meets: the provider's terms, the plan and its price, a card (the
 * {@code PAYMENT_METHOD} checkpoint, whose Stripe checkout page {@link #browser} completes), and the
 * domain at its price. {@link Builder#cardOnFile(boolean)} starts with a card instead. The Stripe
 * sandbox attests its account holder as {@code ada@example.com}: with {@link #stripeProjects()} the
 * provider account is made for that e-mail, with {@link #directOrchestrator()} for the e-mail of the
 * person {@link #signIn signed in}. {@link #existingAccount} makes linking an account need consent.
 *
 * <p>Pending states last one poll by default, and the adapters handed out poll every
 * {@link #DEFAULT_POLL_BACKOFF quarter second}, so runs in real time stay quick. {@link #close()}
 * stops every server and workerd process.
 */
public final class LocalSandbox implements AutoCloseable {
  /** The provider's catalog name. */
  public static final String PROVIDER = "cloudflare";
  /** The provider's seller profile: Shared Payment Tokens are issued to it and charged by it. */
  public static final String SELLER = "profile_cloudflare_sbx";
  /** The provider's terms of service, shown at the terms checkpoint. */
  public static final URI TERMS_OF_SERVICE = URI.create("https://www.cloudflare.com/terms/");
  /** The address every sandbox sees requests from, as a CIDR for {@code TokenSpec.allowIps}. */
  public static final String LOOPBACK_CIDR = "127.0.0.1/32";
  /** How many polls a new or changed resource stays pending at the provider. */
  public static final int DEFAULT_PENDING_POLLS = 1;
  /** How the orchestrators handed out poll pending objects. */
  public static final Polling.Backoff DEFAULT_POLL_BACKOFF =
      new Polling.Backoff(Duration.ofMillis(250), Duration.ofSeconds(2));

  private static final Logger LOG = LoggerFactory.getLogger(LocalSandbox.class);

  private final Clock clock;
  private final Sleeper sleeper;
  private final HttpStack http;
  private final Secret sharedSecret;
  private final List<AutoCloseable> started = new ArrayList<>();
  private final CloudflareSandbox cloudflare;
  private final OidcIssuerSandbox oidc;
  private final CloudflareProviderBackend backend;
  private final ProviderSandbox provider;
  private final StripeSandbox stripe;
  private final URI checkoutUrl;
  /** Where orchestrators made here keep linked accounts, as a host keeps them in its vault. */
  private final CredentialVault hostVault = CredentialVault.inMemory();
  private final OkHttpClient browserHttp = new OkHttpClient();
  /** Second providers started on demand, each with the vault its orchestrators keep linked accounts in. */
  private final List<IndependentProviderSimulator> independentProviders = new CopyOnWriteArrayList<>();
  private final Map<IndependentProviderSimulator, CredentialVault> independentVaults = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private LocalSandbox(Builder b) {
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.http = b.http;
    this.sharedSecret = Secret.of("whsec_local_" + randomHex());
    try {
      cloudflare = CloudflareSandbox.builder().clock(clock)
          .workerd(b.workerd ? CloudflareSandbox.WorkerdMode.AUTO : CloudflareSandbox.WorkerdMode.OFF).build();
      started.add(cloudflare);
      oidc = OidcIssuerSandbox.start(clock);
      started.add(oidc);
      backend = new CloudflareProviderBackend(cloudflare);
      ProviderSandbox.Builder pb = ProviderSandbox.builder();
      b.descriptions.forEach(pb::serviceDescription);
      provider = pb.sharedSecret(sharedSecret).clock(clock).backend(backend)
          .charger(new StripePaymentCharger(() -> stripe().charger())).seller(SELLER).pendingPolls(b.pendingPolls)
          .start();
      started.add(provider);
      ProviderLink link = new ProtocolProviderLink(ProtocolClient.builder().provider(PROVIDER)
          .baseUrl(provider.baseUrl()).sharedSecret(sharedSecret).clock(clock).sleeper(sleeper).build(),
          new ProviderLink.Listing(PROVIDER, "Workers, storage and domains", List.of("compute", "domains"), SELLER,
              TERMS_OF_SERVICE.toString()), clock, provider::approveConsent);
      // pending is the provider's alone: Stripe passes it on without hiding a settled state behind it
      stripe = StripeSandbox.builder().time(clock).provider(link).pendingReads(0).start();
      started.add(stripe);
      checkoutUrl = stripe.checkoutUrl();
      // the price a provider may name instead of an amount ({@code stripe_price}) is Stripe's to tell
      stripe.addPrice(IndependentProviderSimulator.WORKERS_PAID_STRIPE_PRICE,
          IndependentProviderSimulator.WORKERS_PAID_MONTHLY, "month");
      if (b.cardOnFile) {
        stripe.completeCheckout(checkoutUrl.toString());
      }
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** A sandbox with every default: system clock and sleeper, workerd when installed, no card on file. */
  public static LocalSandbox start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- the adapters, pointed here

  /** A new {@link StripeProjects} on the Stripe sandbox, with the API key and preview versions it accepts. */
  public StripeProjects stripeProjects() {
    return StripeProjects.builder().api(stripeApi()).pollBackoff(DEFAULT_POLL_BACKOFF).build();
  }

  /**
   * A new {@link DirectOrchestrator} speaking the protocol to the provider sandbox, paying with
   * {@link StripeSharedPaymentTokens} issued by the Stripe sandbox on the card {@link StripeSandbox#checkoutUrl
   * its checkout} puts on file; its payment-method checkpoint sends the human to that checkout.
   * Linked accounts' provider tokens are kept in a vault that lives as long as this sandbox, as a
   * host keeps them in its own vault: a new instance (a restarted host) resumes runs without asking
   * the human to link again.
   */
  public DirectOrchestrator directOrchestrator() {
    return directOrchestrator(protocolClient(), hostVault);
  }

  /**
   * {@link #directOrchestrator()} with its protocol client's resilience set to {@code resilience}
   * (for a test that wants read timeouts in milliseconds, or no retries in the HTTP layer).
   */
  public DirectOrchestrator directOrchestrator(io.agentprovision.core.http.ResiliencePolicy resilience) {
    Objects.requireNonNull(resilience, "resilience");
    return directOrchestrator(ProtocolClient.builder().provider(PROVIDER).baseUrl(provider.baseUrl())
        .sharedSecret(sharedSecret).clock(clock).sleeper(sleeper).resilience(resilience).build(), hostVault);
  }

  /**
   * Starts a second provider of the protocol, {@link IndependentProviderSimulator} (written from the
   * protocol description independently of {@link #provider()}), wired as {@link #provider()} is: the
   * same Cloudflare accounts, credentials and domains behind it, Shared Payment Tokens charged in the
   * Stripe sandbox as {@link #SELLER}, this sandbox's clock. {@code configure} adds variants and
   * settings; the simulator stops with this sandbox, and {@link #browser} answers its consent pages.
   *
   * <pre>{@code
   * IndependentProviderSimulator other = sb.startIndependentProvider(b -> b
   *     .variants(EnumSet.of(Variant.NEEDS_INFO_WITHOUT_ID, Variant.ROTATING_REFRESH_TOKENS)).pendingPolls(1));
   * DirectOrchestrator orchestrator = sb.directOrchestrator(other);
   * }</pre>
   */
  public synchronized IndependentProviderSimulator startIndependentProvider(
      Consumer<IndependentProviderSimulator.Builder> configure) {
    Objects.requireNonNull(configure, "configure");
    if (closed) {
      throw new IllegalStateException("the sandbox was closed");
    }
    IndependentProviderSimulator.Builder b = IndependentProviderSimulator.wiredTo(backend,
        new StripePaymentCharger(() -> stripe().charger()), SELLER).clock(clock);
    configure.accept(b);
    IndependentProviderSimulator p = b.start();
    started.add(p);
    independentProviders.add(p);
    independentVaults.put(p, CredentialVault.inMemory());
    return p;
  }

  /** {@link #startIndependentProvider(Consumer)} with {@code variants} switched on and every other default. */
  public IndependentProviderSimulator startIndependentProvider(Set<Variant> variants) {
    Objects.requireNonNull(variants, "variants");
    return startIndependentProvider(b -> b.variants(variants));
  }

  /**
   * A new {@link DirectOrchestrator} as {@link #directOrchestrator()}, speaking to {@code provider}, a
   * simulator {@link #startIndependentProvider started by this sandbox}, with a vault of its own for
   * linked accounts (its tokens are not the first provider's).
   */
  public DirectOrchestrator directOrchestrator(IndependentProviderSimulator provider) {
    CredentialVault vault = independentVaults.get(Objects.requireNonNull(provider, "provider"));
    if (vault == null) {
      throw new InvalidRequestException("provider", "was not started by this sandbox",
          "start it with startIndependentProvider(...)");
    }
    return directOrchestrator(ProtocolClient.builder().provider(PROVIDER).baseUrl(provider.baseUrl())
        .sharedSecret(provider.sharedSecret()).clock(clock).sleeper(sleeper).http(http).build(), vault);
  }

  /** The independent provider listening at {@code url}'s origin, if this sandbox started one there. */
  Optional<IndependentProviderSimulator> independentProviderAt(URI url) {
    for (IndependentProviderSimulator p : independentProviders) {
      URI base = p.baseUrl();
      if (Objects.equals(base.getHost(), url.getHost()) && base.getPort() == url.getPort()) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private DirectOrchestrator directOrchestrator(ProtocolClient client, CredentialVault vault) {
    return DirectOrchestrator.builder()
        .sessionVault(vault)
        .provider(client, new ProviderInfo(PROVIDER, null, "Cloudflare", "Workers, storage and domains",
            TERMS_OF_SERVICE, null, null), SELLER)
        .paymentTokens(StripeSharedPaymentTokens.builder().api(stripeApi())
            .paymentMethod(StripeSandbox.CHECKOUT_PAYMENT_METHOD).clock(clock).build())
        .paymentMethodSetupUrl(checkoutUrl)
        .clock(clock)
        .pollBackoff(DEFAULT_POLL_BACKOFF)
        .build();
  }

  /** A new {@link CloudflareDeployer} on the Cloudflare sandbox, reaching deployed apps through workerd. */
  public CloudflareDeployer cloudflareDeployer() {
    return CloudflareDeployer.builder().baseUrl(cloudflare.baseUrl()).http(http)
        .appClient(cloudflare.appClient(http.okHttpClient())).build();
  }

  /** A new {@link OidcIdentityProvider} for the sandbox issuer and the client id its tokens are for. */
  public OidcIdentityProvider identityProvider() {
    return OidcIdentityProvider.builder().issuer(oidc.issuer()).audience(OidcIssuerSandbox.DEFAULT_AUDIENCE)
        .clock(clock).sleeper(sleeper).http(http).build();
  }

  /**
   * A protocol client for the provider sandbox, signed with the secret they share, on the stack of
   * the adapters handed out (the Stripe sandbox's own link to the provider is the other side of the
   * network and keeps the default stack).
   */
  private ProtocolClient protocolClient() {
    return ProtocolClient.builder().provider(PROVIDER).baseUrl(provider.baseUrl()).sharedSecret(sharedSecret)
        .clock(clock).sleeper(sleeper).http(http).build();
  }

  /** The Stripe sandbox's client, on this sandbox's HTTP stack. */
  private io.agentprovision.stripe.StripeApi stripeApi() {
    return stripe.api().toBuilder().http(http).build();
  }

  // ---------------------------------------------------------------- the human

  /**
   * A fresh ID token for {@code email}, verified, signed in with {@code amr} ({@code "pwd"} when none
   * is given; {@code "pwd", "otp"} is a second factor). The same e-mail always has the same subject.
   */
  public Secret signIn(String email, String... amr) {
    return signInWithNonce(email, null, amr);
  }

  /** {@link #signIn} answering an authentication request's {@code nonce}, as a step-up does. */
  Secret signInWithNonce(String email, @Nullable String nonce, String... amr) {
    if (email == null || !email.contains("@") || email.isBlank()) {
      throw new InvalidRequestException("email", "'" + email + "' is not an e-mail address", "pass one such as "
          + "\"ada@example.com\"");
    }
    return oidc.idToken().subject(subject(email)).email(email, true).name(null)
        .amr(amr.length == 0 ? new String[] {"pwd"} : amr).nonce(nonce).signSecret();
  }

  /**
   * The human's browser for redirect checkpoints, acting only after {@code decisions} (the human's
   * yes or no: a console gate, a scripted one) approved: {@code ACCOUNT_CONSENT} visits the consent
   * page and returns the callback's {@code code} and {@code state}; {@code PAYMENT_AUTHENTICATION} passes the
   * payment's 3-D Secure page of the Stripe sandbox; {@code PAYMENT_METHOD} completes
   * the Stripe checkout; {@code STEP_UP} signs the same person in again with {@code "pwd", "otp"} and
   * returns the fresh ID token. Every other checkpoint, and any denial, is {@code decisions}' answer
   * as it is.
   */
  public ApprovalGate browser(ApprovalGate decisions) {
    return new SandboxBrowser(this, decisions, browserHttp);
  }

  /**
   * Gives {@code email} an account at the provider before any run, as someone who signed up earlier:
   * linking it then needs the human's consent. Returns the Cloudflare account id.
   */
  public String existingAccount(String email) {
    String id = backend.findAccount(email);
    return id != null ? id : backend.createAccount(email, null);
  }

  // ---------------------------------------------------------------- facts

  /** Whether deployed apps really run (workerd was found and started). */
  public boolean workerdAvailable() {
    return cloudflare.runtime().isPresent();
  }

  /** The CIDR the sandboxes see requests from (loopback), for {@code TokenSpec.allowIps}. */
  public String defaultAllowedIps() {
    return LOOPBACK_CIDR;
  }

  /** The Cloudflare v4 sandbox, for assertions (accounts, tokens, scripts, zones, registrations). */
  public CloudflareSandbox cloudflare() {
    return cloudflare;
  }

  /** The provisioning-protocol provider, for assertions (requests, charges, resource states). */
  public ProviderSandbox provider() {
    return provider;
  }

  /** The Stripe sandbox, for assertions (payment intents, tokens, resources) and human controls. */
  public StripeSandbox stripe() {
    return stripe;
  }

  /** The OpenID Connect issuer, for minting unusual tokens. */
  public OidcIssuerSandbox oidc() {
    return oidc;
  }

  /** The clock every sandbox dates with. */
  public Clock clock() {
    return clock;
  }

  /** Stops every server and workerd process; calling it again does nothing. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        LOG.warn("could not stop {}: {}", started.get(i), e.toString());
      }
    }
    browserHttp.dispatcher().executorService().shutdown();
    browserHttp.connectionPool().evictAll();
  }

  @Override
  public String toString() {
    return "LocalSandbox{cloudflare=" + cloudflare.baseUrl() + ", provider=" + provider.baseUrl() + ", stripe="
        + stripe.baseUrl() + ", oidc=" + oidc.issuer() + ", workerd=" + workerdAvailable() + "}";
  }

  private static String subject(String email) {
    return "user-" + HexFormat.of().formatHex(Digests.sha256(email.trim().toLowerCase(Locale.ROOT)), 0, 8);
  }

  private static String randomHex() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Builds and starts a {@link LocalSandbox}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private boolean workerd = true;
    private boolean cardOnFile;
    private int pendingPolls = DEFAULT_PENDING_POLLS;
    private HttpStack http = HttpStack.shared();
    private final Map<String, String> descriptions = new java.util.LinkedHashMap<>();

    private Builder() {}

    /**
     * The HTTP stack of every adapter this sandbox hands out (default {@link HttpStack#shared()}),
     * and the base of the client that reaches deployed apps: a stack built on an okhttp client with
     * interceptors sees, or shapes, all of their traffic (a recorder, a simulated network delay).
     * The sandbox does not close it.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
      return this;
    }

    /**
     * Has the provider list {@code serviceId} with {@code text} as its description: text a provider
     * wrote, which reaches the agent through the catalog (for tests of prompt injection, say).
     */
    public Builder serviceDescription(String serviceId, String text) {
      descriptions.put(Objects.requireNonNull(serviceId, "serviceId"), Objects.requireNonNull(text, "text"));
      return this;
    }

    /** The clock of every sandbox and adapter (default system UTC); pass a {@link VirtualTime} in tests. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** How the adapters wait between retries (default {@link Sleeper#SYSTEM}); a {@link VirtualTime} in tests. */
    public Builder sleeper(Sleeper s) {
      this.sleeper = Objects.requireNonNull(s, "sleeper");
      return this;
    }

    /** Whether to run deployed apps in workerd when {@code WorkerdRuntime.locate()} finds it (default true). */
    public Builder workerd(boolean use) {
      this.workerd = use;
      return this;
    }

    /** Whether Stripe has a card on file from the start (default false: the human adds one at a checkout). */
    public Builder cardOnFile(boolean onFile) {
      this.cardOnFile = onFile;
      return this;
    }

    /** How many polls a new or changed resource stays pending at the provider, 0 to 10 (default 1). */
    public Builder pendingPolls(int polls) {
      if (polls < 0 || polls > 10) {
        throw new InvalidRequestException("pendingPolls", "must be 0 to 10 (was " + polls + ")", "pass 1");
      }
      this.pendingPolls = polls;
      return this;
    }

    /** Starts every server on loopback ports. */
    public LocalSandbox start() {
      return new LocalSandbox(this);
    }
  }
}
