package io.agentprovision.testing.provider2;

import com.squareup.moshi.Moshi;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.testing.protocol.Backend;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import io.agentprovision.testing.protocol.PaymentCharger;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second provider of the provisioning protocol (Layer B, {@code 0.1d}), written from the protocol
 * description alone and independently of {@link io.agentprovision.testing.protocol.ProviderSandbox}:
 * where the description leaves a choice open, this one may choose differently, and each shape a real
 * provider may send can be switched on as a {@link Variant}. It is stateful and runs on loopback
 * (the JDK's HTTP server), with a Cloudflare-like catalog, accounts, consent with PKCE, OAuth
 * tokens, resources with idempotency keys, payment through a {@link PaymentCharger}, and a record
 * of every request and charge for tests to assert on.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.create();
 * InMemoryPaymentCharger charger = new InMemoryPaymentCharger(time);
 * try (IndependentProviderSimulator provider = IndependentProviderSimulator.builder()
 *     .clock(time)
 *     .charger(charger)
 *     .variants(EnumSet.of(Variant.PRICING_PRICE_LIST, Variant.NEEDS_INFO_MULTI_ROUND))
 *     .pendingPolls(2)
 *     .start()) {
 *   ProtocolClient client = ProtocolClient.builder().provider("cloudflare")
 *       .baseUrl(provider.baseUrl()).sharedSecret(provider.sharedSecret()).clock(time).build();
 *   client.checkVersion();
 *   assertThat(provider.requests()).extracting(RecordedExchange::call)
 *       .containsExactly("GET /provisioning/health");
 * }
 * }</pre>
 *
 * <p><b>What every request must carry.</b> Protocol calls are refused with
 * {@code {error:{code:"invalid_signature"}}} (401) unless {@code Stripe-Signature} holds an
 * HMAC-SHA256 of {@code "<t>.<body>"} with the shared secret, {@code t} within
 * {@link #DEFAULT_SIGNATURE_TOLERANCE} of the simulator's clock, and with
 * {@code {error:{code:"invalid_api_version"}}} (400) unless {@code API-Version} is a supported
 * version. Resource calls and deep links need {@code Authorization: Bearer} with a live access token
 * (else 401 {@code invalid_token}); every {@code POST} under {@code /provisioning/resources} needs an
 * {@code Idempotency-Key} (else {@code idempotency_key_required}). JSON bodies must be sent as
 * {@code application/json}, the token request as a form.
 *
 * <p><b>Choices this provider makes where the description is silent</b> (each a place a client may
 * trip): unions are nested under their discriminator ({@code {status:"complete",
 * complete:{access_configuration}}}, {@code {type:"oauth", oauth:{code}}}); {@code token_type} is
 * {@code "Bearer"}; a consent's callback goes to the {@link Builder#callbackUrl configured}
 * orchestrator URL with {@code code} and {@code state}; an authorization code is spent by its first
 * redemption, right or wrong; a verifier sent for a code issued without a challenge is refused (as
 * OAuth 2.1 asks); deployables need a plan in the account ({@code plan_required}); errors about the
 * request carry no resource id while errors about a resource's state ({@code invalid_state},
 * {@code destructive_update}) carry it; a refusal that changed nothing is not kept under its
 * idempotency key, so a retry with the same key is judged again; usage-priced services
 * ({@code r2:bucket}) charge nothing up front.
 *
 * <p>Thread-safe; one lock guards the state, so the {@link Backend} and {@link PaymentCharger} are
 * called one at a time. {@link #close()} stops the server.
 */
public final class IndependentProviderSimulator implements Closeable {
  /** The protocol version supported unless configured otherwise. */
  public static final String DEFAULT_API_VERSION = "0.1d";
  /** The seller name charges are made for unless configured otherwise. */
  public static final String DEFAULT_SELLER = "cloudflare";
  /** Services per page of {@code GET /provisioning/services}. */
  public static final int DEFAULT_PAGE_SIZE = 5;
  /** How long an access token lives without {@link Variant#SHORT_LIVED_ACCESS_TOKENS}. */
  public static final Duration DEFAULT_ACCESS_TOKEN_TTL = Duration.ofHours(1);
  /** How long an access token lives with {@link Variant#SHORT_LIVED_ACCESS_TOKENS}. */
  public static final Duration SHORT_ACCESS_TOKEN_TTL = Duration.ofSeconds(20);
  /** How long an authorization code may wait to be redeemed (the description's "~5 min"). */
  public static final Duration DEFAULT_CODE_TTL = Duration.ofMinutes(5);
  /** How far a signature's timestamp may be from the simulator's clock, either way. */
  public static final Duration DEFAULT_SIGNATURE_TOLERANCE = Duration.ofSeconds(300);
  /** How long a deep link may wait for its single use. */
  public static final Duration DEFAULT_DEEP_LINK_TTL = Duration.ofMinutes(5);
  /** Where a consent sends the person back, with {@code code} and {@code state}, unless configured. */
  /**
   * The Stripe Price id that prices {@code workers:paid} with {@link Variant#PRICING_STRIPE_PRICE}: USD
   * 5.00 a month, which the provider charges and a client can only learn from Stripe
   * ({@code GET /v1/prices/{id}}; {@code LocalSandbox} adds it to its Stripe sandbox).
   */
  public static final String WORKERS_PAID_STRIPE_PRICE = SimulatorCatalog.PAID_STRIPE_PRICE;
  /** What {@link #WORKERS_PAID_STRIPE_PRICE} costs every month. */
  public static final io.agentprovision.core.Money WORKERS_PAID_MONTHLY = SimulatorCatalog.PAID_MONTHLY;
  public static final URI DEFAULT_CALLBACK_URL = URI.create("https://orchestrator.example/provisioning/callback");

  private static final Logger LOG = LoggerFactory.getLogger(IndependentProviderSimulator.class);
  private static final Pattern HIDDEN_CONSENT = Pattern.compile("name=\"consent\" value=\"([^\"]+)\"");

  private final Clock clock;
  private final Secret sharedSecret;
  private final Set<Variant> variants;
  private final Backend backend;
  private final PaymentCharger charger;
  private final ProviderState state;
  private final List<RecordedExchange> exchanges = new ArrayList<>();
  private final AtomicInteger requestCounter = new AtomicInteger();
  /** The person's browser for consent pages: one per simulator, redirects read rather than followed. */
  private final HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private @Nullable HttpServer server;
  private @Nullable ExecutorService executor;
  private @Nullable URI baseUrl;
  private boolean closed;

  private IndependentProviderSimulator(Builder b) {
    this.clock = b.clock;
    this.sharedSecret = b.sharedSecret != null ? b.sharedSecret : Secret.of("whsec_sim2_" + randomHex());
    this.variants = Set.copyOf(Variant.checkCompatible(b.variants));
    this.backend = b.backend != null ? b.backend : new InMemoryBackend();
    this.charger = b.charger != null ? b.charger : new InMemoryPaymentCharger(b.clock);
    List<Secret> secrets = new ArrayList<>();
    secrets.add(sharedSecret);
    secrets.addAll(b.previousSecrets);
    this.state = new ProviderState(new ProviderState.Settings(clock, variants, secrets, b.tolerance, backend, charger,
        b.seller, b.pendingPolls, b.accessTokenTtl, b.codeTtl, b.pageSize, List.copyOf(b.versions), b.callbackUrl,
        b.deepLinkTtl), new Moshi.Builder().build());
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder already wired to {@code backend} (accounts, credentials, domains) and {@code charger}
   * (payment tokens) under {@code seller}, as {@code LocalSandbox} wires the first provider to the
   * Cloudflare and Stripe sandboxes; add a clock, variants and start it.
   *
   * <pre>{@code
   * IndependentProviderSimulator p = IndependentProviderSimulator.wiredTo(backend, charger, "profile_cloudflare_sbx")
   *     .clock(time).variants(EnumSet.of(Variant.ROTATING_REFRESH_TOKENS)).start();
   * }</pre>
   */
  public static Builder wiredTo(Backend backend, PaymentCharger charger, String seller) {
    return builder().backend(backend).charger(charger).seller(seller);
  }

  /** Starts the server on a free loopback port; starting again does nothing. */
  public synchronized IndependentProviderSimulator start() {
    if (closed) {
      throw new IllegalStateException("the simulator was closed; build a new one");
    }
    if (server != null) {
      return this;
    }
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "provider2-simulator");
        t.setDaemon(true);
        return t;
      });
      s.setExecutor(pool);
      s.createContext("/", this::serve);
      s.start();
      this.server = s;
      this.executor = pool;
      this.baseUrl = URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":"
          + s.getAddress().getPort());
      state.baseUrl(baseUrl);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the provider simulator on loopback", e);
    }
  }

  /** Where the simulator listens, such as {@code http://127.0.0.1:53124}. */
  public synchronized URI baseUrl() {
    if (baseUrl == null) {
      throw new IllegalStateException("the simulator has not started; call start()");
    }
    return baseUrl;
  }

  /** The secret an orchestrator signs requests with. */
  public Secret sharedSecret() {
    return sharedSecret;
  }

  /** The variants switched on. */
  public Set<Variant> variants() {
    return variants;
  }

  /** Where accounts, credentials and domains are kept. */
  public Backend backend() {
    return backend;
  }

  /** What charges payment tokens. */
  public PaymentCharger charger() {
    return charger;
  }

  /** The simulator's clock. */
  public Clock clock() {
    return clock;
  }

  // ---------------------------------------------------------------- records

  /** Every request received, in order, including those refused and the person's browser pages. */
  public List<RecordedExchange> requests() {
    synchronized (exchanges) {
      return List.copyOf(exchanges);
    }
  }

  /** The requests whose {@link RecordedExchange#call()} satisfies {@code filter}, such as {@code c -> c.endsWith("/remove")}. */
  public List<RecordedExchange> requests(Predicate<String> filter) {
    return requests().stream().filter(e -> filter.test(e.call())).toList();
  }

  /** Every charge that moved money, in order. */
  public List<SimulatorCharge> charges() {
    return state.charges().stream().filter(SimulatorCharge::succeeded).toList();
  }

  /** Every charge attempted, declined ones included, in order. */
  public List<SimulatorCharge> chargeAttempts() {
    return state.charges();
  }

  /** The resource with {@code id} as the provider holds it now, if any (removed and forgotten ones too). */
  public Optional<ResourceSnapshot> resource(String id) {
    return Optional.ofNullable(state.snapshot(id));
  }

  /** Every resource ever created, in order. */
  public List<ResourceSnapshot> resources() {
    return state.snapshots();
  }

  /**
   * A resource as the simulator holds it.
   *
   * @param id its id
   * @param accountId the account it belongs to
   * @param serviceId its current service
   * @param status {@code pending}, {@code needs_information}, {@code complete}, {@code error} or {@code removed}
   * @param configuration its configuration
   * @param credentialNames the names in its access configuration (the values are not shown)
   * @param forgotten whether a {@link Variant#REMOVE_AGAIN_NOT_FOUND} provider has forgotten it
   */
  public record ResourceSnapshot(String id, String accountId, String serviceId, String status,
      Map<String, Object> configuration, Set<String> credentialNames, boolean forgotten) {
    public ResourceSnapshot {
      Objects.requireNonNull(id, "id");
      configuration = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
      credentialNames = Set.copyOf(credentialNames);
    }
  }

  // ---------------------------------------------------------------- the person's browser

  /**
   * Does what the person does in a browser at a {@code requires_auth} redirect: loads the consent
   * page, presses Allow, and returns the parameters of the callback the provider redirects to
   * ({@code code} and {@code state}). Only this simulator's pages are visited.
   *
   * @throws IllegalStateException when the page or the form does not answer as a consent page does
   */
  public Map<String, String> approveConsent(URI redirectUrl) {
    return consent(redirectUrl, "approve");
  }

  /** As {@link #approveConsent}, pressing Deny: the callback carries {@code error=access_denied} and {@code state}. */
  public Map<String, String> denyConsent(URI redirectUrl) {
    return consent(redirectUrl, "deny");
  }

  private Map<String, String> consent(URI url, String decision) {
    URI base = baseUrl();
    if (!Objects.equals(url.getHost(), base.getHost()) || url.getPort() != base.getPort()) {
      throw new IllegalStateException("this browser visits only the simulator's own pages, not " + url.getHost());
    }
    HttpClient http = browser;
    try {
      HttpResponse<String> page = http.send(HttpRequest.newBuilder(url).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (page.statusCode() != 200) {
        throw new IllegalStateException("the consent page answered HTTP " + page.statusCode());
      }
      Matcher m = HIDDEN_CONSENT.matcher(page.body());
      if (!m.find()) {
        throw new IllegalStateException("the consent page has no consent form");
      }
      String form = "consent=" + m.group(1) + "&decision=" + decision;
      HttpResponse<String> answer = http.send(HttpRequest.newBuilder(base.resolve("/oauth/authorize"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
      String location = answer.headers().firstValue("Location").orElse(null);
      if (answer.statusCode() != 302 || location == null) {
        throw new IllegalStateException("the consent form answered HTTP " + answer.statusCode() + " without a redirect");
      }
      Map<String, String> out = new LinkedHashMap<>();
      String query = URI.create(location).getRawQuery();
      if (query != null) {
        for (String pair : query.split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0) {
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("could not load the consent page", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading the consent page", e);
    }
  }

  // ---------------------------------------------------------------- serving

  private void serve(HttpExchange ex) throws IOException {
    try {
      byte[] body = ex.getRequestBody().readAllBytes();
      Map<String, List<String>> headers = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
      String path = ex.getRequestURI().getRawPath();
      String query = ex.getRequestURI().getRawQuery();
      Reply reply;
      try {
        reply = state.handle(new ProviderState.Request(ex.getRequestMethod(), path, query, headers, body));
      } catch (RuntimeException e) {
        LOG.warn("the provider simulator failed on {} {}: {}", ex.getRequestMethod(), path, e.toString());
        reply = Reply.json(500, Map.of("error", Map.of("code", "internal_error", "message",
            "the simulator failed: " + e.getClass().getSimpleName())));
      }
      String text = reply.json() != null ? state.toJson(reply.json()) : reply.html() == null ? "" : reply.html();
      byte[] out = text.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", reply.json() != null ? "application/json; charset=utf-8"
          : "text/html; charset=utf-8");
      ex.getResponseHeaders().set("Request-Id", "req_sim2_" + requestCounter.incrementAndGet());
      reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      synchronized (exchanges) {
        exchanges.add(new RecordedExchange(clock.instant(), ex.getRequestMethod(), path, query, headers,
            new String(body, StandardCharsets.UTF_8), reply.status(), text));
      }
      ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    } finally {
      ex.close();
    }
  }

  /** Stops the server; calling it again does nothing. */
  @Override
  public synchronized void close() {
    closed = true;
    if (server != null) {
      server.stop(0);
      server = null;
    }
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }

  @Override
  public String toString() {
    return "IndependentProviderSimulator{baseUrl=" + baseUrl + ", variants=" + variants + ", secret=[redacted]}";
  }

  private static String randomHex() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Builds an {@link IndependentProviderSimulator}; setters check their argument and name it. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private @Nullable Secret sharedSecret;
    private final List<Secret> previousSecrets = new ArrayList<>();
    private Duration tolerance = DEFAULT_SIGNATURE_TOLERANCE;
    private @Nullable Backend backend;
    private @Nullable PaymentCharger charger;
    private String seller = DEFAULT_SELLER;
    private final EnumSet<Variant> variants = EnumSet.noneOf(Variant.class);
    private int pendingPolls;
    private Duration accessTokenTtl = DEFAULT_ACCESS_TOKEN_TTL;
    private Duration codeTtl = DEFAULT_CODE_TTL;
    private Duration deepLinkTtl = DEFAULT_DEEP_LINK_TTL;
    private int pageSize = DEFAULT_PAGE_SIZE;
    private List<String> versions = List.of(DEFAULT_API_VERSION);
    private URI callbackUrl = DEFAULT_CALLBACK_URL;

    private Builder() {}

    /** The clock for signatures, token and code expiry, and records (default system UTC); a {@code VirtualTime} in tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The secret requests are signed with (default: a random one, read back with {@link #sharedSecret()}). */
    public Builder sharedSecret(Secret secret) {
      this.sharedSecret = Objects.requireNonNull(secret, "sharedSecret");
      return this;
    }

    /** Also accepts signatures made with {@code secret}, as a provider rotating its secret does for a while. */
    public Builder previousSharedSecret(Secret secret) {
      this.previousSecrets.add(Objects.requireNonNull(secret, "previousSharedSecret"));
      return this;
    }

    /** How far a signature's timestamp may be from the clock (default {@link #DEFAULT_SIGNATURE_TOLERANCE}). */
    public Builder signatureTolerance(Duration tolerance) {
      this.tolerance = positive("signatureTolerance", tolerance);
      return this;
    }

    /** Where accounts, credentials and domains are kept (default a new {@link InMemoryBackend}). */
    public Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** What charges payment tokens (default a new {@link InMemoryPaymentCharger} on the clock). */
    public Builder charger(PaymentCharger charger) {
      this.charger = Objects.requireNonNull(charger, "charger");
      return this;
    }

    /** The seller charges are made for; payment tokens must be issued to it (default {@link #DEFAULT_SELLER}). */
    public Builder seller(String seller) {
      if (seller == null || seller.isBlank()) {
        throw new InvalidRequestException("seller", "is empty", "pass the seller profile tokens are issued to");
      }
      this.seller = seller;
      return this;
    }

    /** Switches on these variants (adding to any already on). */
    public Builder variants(Set<Variant> variants) {
      Objects.requireNonNull(variants, "variants").forEach(v -> this.variants.add(Objects.requireNonNull(v, "variant")));
      return this;
    }

    /** Switches on these variants (adding to any already on). */
    public Builder variant(Variant... variants) {
      return variants(Set.of(variants));
    }

    /**
     * How many polls ({@code GET}) of a resource answer {@code pending} after it is created or changed,
     * before it shows where it got to; 0 (the default) answers the outcome at once. 0 to 20.
     */
    public Builder pendingPolls(int polls) {
      if (polls < 0 || polls > 20) {
        throw new InvalidRequestException("pendingPolls", "must be 0 to 20 (was " + polls + ")", "pass 0, 1 or 2");
      }
      this.pendingPolls = polls;
      return this;
    }

    /** How long an access token lives without {@link Variant#SHORT_LIVED_ACCESS_TOKENS} (default one hour). */
    public Builder accessTokenTtl(Duration ttl) {
      this.accessTokenTtl = positive("accessTokenTtl", ttl);
      return this;
    }

    /** How long an authorization code may wait (default {@link #DEFAULT_CODE_TTL}). */
    public Builder codeTtl(Duration ttl) {
      this.codeTtl = positive("codeTtl", ttl);
      return this;
    }

    /** How long a deep link may wait (default {@link #DEFAULT_DEEP_LINK_TTL}). */
    public Builder deepLinkTtl(Duration ttl) {
      this.deepLinkTtl = positive("deepLinkTtl", ttl);
      return this;
    }

    /** Services per page, 1 to 100 (default {@link #DEFAULT_PAGE_SIZE}; the catalog has twelve). */
    public Builder pageSize(int size) {
      if (size < 1 || size > 100) {
        throw new InvalidRequestException("pageSize", "must be 1 to 100 (was " + size + ")", "pass 5");
      }
      this.pageSize = size;
      return this;
    }

    /** The protocol versions accepted in {@code API-Version} and listed by health (default {@code 0.1d}). */
    public Builder supportedVersions(String... versions) {
      if (versions.length == 0) {
        throw new InvalidRequestException("supportedVersions", "is empty", "pass at least \"0.1d\"");
      }
      for (String v : versions) {
        if (v == null || v.isBlank()) {
          throw new InvalidRequestException("supportedVersions", "holds an empty version", "pass \"0.1d\"");
        }
      }
      this.versions = List.of(versions);
      return this;
    }

    /** Where a consent sends the person back with {@code code} and {@code state} (default {@link #DEFAULT_CALLBACK_URL}). */
    public Builder callbackUrl(URI url) {
      this.callbackUrl = Objects.requireNonNull(url, "callbackUrl");
      if (!url.isAbsolute()) {
        throw new InvalidRequestException("callbackUrl", "'" + url + "' is not absolute",
            "pass a URL such as https://orchestrator.example/callback");
      }
      return this;
    }

    /** A simulator not yet listening; {@link IndependentProviderSimulator#start()} it. */
    public IndependentProviderSimulator build() {
      return new IndependentProviderSimulator(this);
    }

    /** Builds and starts the simulator. */
    public IndependentProviderSimulator start() {
      return build().start();
    }

    private static Duration positive(String field, Duration d) {
      Objects.requireNonNull(d, field);
      if (d.isNegative() || d.isZero()) {
        throw new InvalidRequestException(field, "must be positive (was " + d + ")", "pass a duration such as 5 minutes");
      }
      return d;
    }
  }
}
