package io.agentprovision.stripe;

import com.stripe.StripeClient;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.stripe.internal.ProjectDirectory;
import io.agentprovision.stripe.internal.StripeCalls;
import io.agentprovision.stripe.internal.StripeErrors;
import io.agentprovision.stripe.internal.StripeTransport;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one stripe-java {@link StripeClient} that every Stripe adapter of this SDK shares, with its
 * settings: API key, API base, timeouts, how often a failed call is retried, the HTTP stack, and the preview
 * {@code Stripe-Version}s of the Provisioning API and of Shared Payment Tokens. Immutable and
 * thread-safe; build it once and hand it to {@link StripeProjects}, {@link StripeSharedPaymentTokens}
 * and {@link StripeAttestedIdentity}.
 *
 * <pre>{@code
 * StripeApi stripe = StripeApi.builder()
 *     .apiKey(Secret.of(System.getenv("STRIPE_SECRET_KEY")))
 *     .provisioningVersion("2026-04-22.preview")
 *     .build();
 * Orchestrator projects = StripeProjects.builder().api(stripe).build();
 * }</pre>
 *
 * <p>Requests go through the {@link HttpStack} ({@link Builder#http}; {@link HttpStack#shared()}
 * without one), whose retry layer is the one owner of Stripe's retries; stripe-java's own retry
 * loop never runs, because it neither retries a 429 nor reads {@code Retry-After}. Retried, up to
 * {@link Builder#maxNetworkRetries} times with the same {@code Idempotency-Key}: connection failures,
 * 409 (lock conflicts), 429 and 5xx, unless {@code Stripe-Should-Retry: false}; anything with
 * {@code Stripe-Should-Retry: true}. Waits honour {@code Retry-After} (up to
 * {@link ResiliencePolicy#DEFAULT_MAX_RETRY_AFTER}; beyond it the call fails retryable with
 * {@code retryAfter()}), else back off from 0.5 s, in the stack's sleeper (virtual time in tests).
 */
public final class StripeApi {
  /** Stripe's production API. */
  public static final String DEFAULT_API_BASE = "https://api.stripe.com";
  /**
   * The preview version the Provisioning API v2 is called with. The API is in private preview and
   * its version strings are not published; override it with the one Stripe gave you.
   */
  public static final String DEFAULT_PROVISIONING_VERSION = "2026-04-22.preview";
  /** The preview version Shared Payment Token calls ({@code /v1/shared_payment/...}) are made with. */
  public static final String DEFAULT_SHARED_PAYMENT_VERSION = "2026-04-22.preview";
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(80);
  /** stripe-java's recommended number of retries after the first attempt. */
  public static final int DEFAULT_MAX_NETWORK_RETRIES = 2;

  private final Secret apiKey;
  private final String apiBase;
  private final String provisioningVersion;
  private final String sharedPaymentVersion;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final int maxNetworkRetries;
  private final int maxConcurrentRequests;
  private final HttpStack http;
  private final StripeClient client;
  private @Nullable ProjectDirectory projects;

  private StripeApi(Builder b) {
    this.apiKey = Objects.requireNonNull(b.apiKey, "apiKey");
    this.apiBase = b.apiBase;
    this.provisioningVersion = b.provisioningVersion;
    this.sharedPaymentVersion = b.sharedPaymentVersion;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.maxNetworkRetries = b.maxNetworkRetries;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.http = b.http;
    this.client = StripeClient.builder()
        .setApiKey(apiKey.reveal())
        .setApiBase(apiBase)
        .setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()))
        .setReadTimeout(Math.toIntExact(readTimeout.toMillis()))
        // the stack retries; stripe-java's loop is bypassed by the transport, and kept at zero besides
        .setMaxNetworkRetries(0)
        .setHttpClient(new StripeTransport(http.client(StripeErrors.PROVIDER, resilience())))
        .build();
  }

  /**
   * The policy the stack applies to Stripe calls: {@code maxNetworkRetries + 1} attempts, Stripe's
   * retried statuses (409 and 429; every 5xx), {@code Stripe-Should-Retry} obeyed, these timeouts,
   * and at most {@link Builder#maxConcurrentRequests} requests in flight to Stripe at once.
   */
  public ResiliencePolicy resilience() {
    return ResiliencePolicy.custom()
        .maxAttempts(maxNetworkRetries + 1)
        .maxConcurrentRequests(maxConcurrentRequests)
        .retryStatuses(409, 429)
        .retryHintHeader("Stripe-Should-Retry")
        .connectTimeout(connectTimeout)
        .readTimeout(readTimeout)
        .callTimeout(connectTimeout.plus(readTimeout).plus(ResiliencePolicy.DEFAULT_MAX_RETRY_AFTER))
        .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.apiKey = apiKey;
    b.apiBase = apiBase;
    b.provisioningVersion = provisioningVersion;
    b.sharedPaymentVersion = sharedPaymentVersion;
    b.connectTimeout = connectTimeout;
    b.readTimeout = readTimeout;
    b.maxNetworkRetries = maxNetworkRetries;
    b.maxConcurrentRequests = maxConcurrentRequests;
    b.http = http;
    return b;
  }

  /** The HTTP stack Stripe calls go through. */
  public HttpStack http() {
    return http;
  }

  /** The shared stripe-java client, for Stripe calls of the host's own. */
  public StripeClient client() {
    return client;
  }

  /**
   * The directory of this account's projects shared by every {@code StripeProjects} on this API,
   * made on first use with {@code clock} (which then measures the age of its listings).
   */
  ProjectDirectory projectDirectory(Clock clock) {
    synchronized (this) {
      ProjectDirectory d = projects;
      if (d == null) {
        d = new ProjectDirectory(new StripeCalls(client), provisioningVersion, clock);
        projects = d;
      }
      return d;
    }
  }

  /** The API key. Reveal it only to send it. */
  public Secret apiKey() {
    return apiKey;
  }

  public String apiBase() {
    return apiBase;
  }

  /** The {@code Stripe-Version} sent on {@code /v2/provisioning/...} calls. */
  public String provisioningVersion() {
    return provisioningVersion;
  }

  /** The {@code Stripe-Version} sent on {@code /v1/shared_payment/...} calls. */
  public String sharedPaymentVersion() {
    return sharedPaymentVersion;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration readTimeout() {
    return readTimeout;
  }

  public int maxNetworkRetries() {
    return maxNetworkRetries;
  }

  @Override
  public String toString() {
    return "StripeApi{apiBase=" + apiBase + ", provisioningVersion=" + provisioningVersion + ", sharedPaymentVersion="
        + sharedPaymentVersion + ", maxNetworkRetries=" + maxNetworkRetries + "}";
  }

  /** Builds a {@link StripeApi}; every setter checks its argument at once. */
  public static final class Builder {
    private @Nullable Secret apiKey;
    private String apiBase = DEFAULT_API_BASE;
    private String provisioningVersion = DEFAULT_PROVISIONING_VERSION;
    private String sharedPaymentVersion = DEFAULT_SHARED_PAYMENT_VERSION;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private int maxNetworkRetries = DEFAULT_MAX_NETWORK_RETRIES;
    private int maxConcurrentRequests = ResiliencePolicy.DEFAULT_MAX_CONCURRENT_REQUESTS;
    private HttpStack http = HttpStack.shared();

    private Builder() {}

    /**
     * The provisioner's HTTP stack: Stripe calls share its connection pool, and its retry layer owns
     * their retries. Without one, {@link HttpStack#shared()}.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
      return this;
    }

    /** A secret ({@code sk_…}) or restricted ({@code rk_…}) key; publishable keys are refused. */
    public Builder apiKey(Secret key) {
      Objects.requireNonNull(key, "apiKey");
      String v = key.reveal();
      if (!(v.startsWith("sk_") || v.startsWith("rk_"))) {
        throw new InvalidRequestException("apiKey", "is not a Stripe secret or restricted key",
            "pass the sk_… or rk_… key from the Stripe dashboard, never a publishable pk_… key");
      }
      this.apiKey = key;
      return this;
    }

    /**
     * Where the API lives, such as {@code https://api.stripe.com} or a loopback sandbox. Plain
     * {@code http} is accepted only for loopback hosts, so the key never crosses a network in clear.
     */
    public Builder apiBase(String base) {
      Objects.requireNonNull(base, "apiBase");
      String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
      URI uri;
      try {
        uri = new URI(b);
      } catch (URISyntaxException e) {
        throw new InvalidRequestException("apiBase", "'" + base + "' is not a URL", "pass a URL such as "
            + DEFAULT_API_BASE);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      String host = uri.getHost() == null ? "" : uri.getHost();
      boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]")
          || host.equals("::1");
      if (!(scheme.equals("https") || (scheme.equals("http") && loopback)) || host.isEmpty()) {
        throw new InvalidRequestException("apiBase", "'" + base + "' is neither https nor a loopback http URL",
            "use https (plain http only for 127.0.0.1 or localhost sandboxes)");
      }
      if (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
        throw new InvalidRequestException("apiBase", "'" + base + "' has a path", "pass scheme, host and port only");
      }
      this.apiBase = b;
      return this;
    }

    /** The preview {@code Stripe-Version} for the Provisioning API, such as {@code 2026-04-22.preview}. */
    public Builder provisioningVersion(String version) {
      this.provisioningVersion = version(version, "provisioningVersion");
      return this;
    }

    /** The preview {@code Stripe-Version} for Shared Payment Tokens. */
    public Builder sharedPaymentVersion(String version) {
      this.sharedPaymentVersion = version(version, "sharedPaymentVersion");
      return this;
    }

    /** Between 1 ms and 5 minutes. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout(timeout, "connectTimeout");
      return this;
    }

    /** Between 1 ms and 5 minutes. */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = timeout(timeout, "readTimeout");
      return this;
    }

    /** How often the HTTP stack retries a failed Stripe call (same idempotency key); 0 to 10. */
    /**
     * At most {@code requests} calls to Stripe in flight at once from this host, shared by every run
     * ({@link ResiliencePolicy#DEFAULT_MAX_CONCURRENT_REQUESTS} unless set; 1 to
     * {@link ResiliencePolicy#MAX_CONCURRENT_REQUESTS_LIMIT}). Stripe limits concurrent requests per
     * account as well as their rate: raise it only within what the account is allowed, for a host
     * that runs many flows at once (more wait for a place otherwise, in the client, not at Stripe).
     */
    public Builder maxConcurrentRequests(int requests) {
      ResiliencePolicy.custom().maxConcurrentRequests(requests); // the policy's own check and message
      this.maxConcurrentRequests = requests;
      return this;
    }

    public Builder maxNetworkRetries(int retries) {
      if (retries < 0 || retries > 10) {
        throw new InvalidRequestException("maxNetworkRetries", "must be between 0 and 10 (was " + retries + ")",
            "pass a small number such as " + DEFAULT_MAX_NETWORK_RETRIES);
      }
      this.maxNetworkRetries = retries;
      return this;
    }

    private static String version(String v, String field) {
      Objects.requireNonNull(v, field);
      if (!v.matches("\\d{4}-\\d{2}-\\d{2}\\.[a-z]+")) {
        throw new InvalidRequestException(field, "'" + v + "' is not a Stripe API version",
            "pass a version such as " + DEFAULT_PROVISIONING_VERSION);
      }
      return v;
    }

    private static Duration timeout(Duration d, String field) {
      Objects.requireNonNull(d, field);
      if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new InvalidRequestException(field, "must be between 1 ms and 5 minutes (was " + d + ")",
            "pass a duration such as Duration.ofSeconds(30)");
      }
      return d;
    }

    public StripeApi build() {
      if (apiKey == null) {
        throw new InvalidRequestException("apiKey", "is not set", "call apiKey(Secret.of(...)) with your Stripe key");
      }
      return new StripeApi(this);
    }
  }
}
