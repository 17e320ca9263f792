package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.Workers.WorkerDomain;
import io.agentprovision.cloudflare.Workers.WorkerRoute;
import io.agentprovision.cloudflare.Workers.WorkerScript;
import io.agentprovision.cloudflare.Zones.Zone;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.DomainRenewal;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.RenewalRequest;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.StepContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Deployer} for Cloudflare Workers. From the broad credential the orchestrator revealed
 * (an API token and an account id) it mints a narrow deploy token ({@link LeastPrivilege}: Workers
 * Scripts Write on the account, plus Workers Routes Write on the one zone of a custom domain; the
 * spec's IP allow/deny lists; a short TTL), and keeps, rolls or deletes the broad one as the
 * {@link TokenSpec} says. With the narrow token it makes sure the account has a workers.dev
 * subdomain, uploads the ES-module Worker, serves it on workers.dev, and binds the custom domain
 * (or a route). The narrow token is verified ({@code GET …/tokens/verify}, from this host) before
 * anything depends on it working: before the broad one is rolled or deleted, else beside the
 * deploy's first calls (which use it anyway), so that the check is not one more round trip the
 * deployment waits for; nothing is bound with a token that did not verify. Every mint, roll,
 * delete, upload and binding is audited through the step context, by ids and permission names,
 * never values. Deploying the same script name again replaces it in
 * place and reuses its bindings.
 *
 * <pre>{@code
 * Deployer deployer = CloudflareDeployer.builder().http(http).build();  // api.cloudflare.com, the provisioner's stack
 * Deployer forTests = CloudflareDeployer.builder()
 *     .baseUrl(sandbox.baseUrl())
 *     .appClient(sandbox.appClient())                                    // reach the app on loopback
 *     .build();
 * }</pre>
 *
 * <p>API calls go through one {@link HttpStack}: the one given to {@link Builder#http}, else the
 * provisioner's ({@link StepContext#http()}), which is {@link HttpStack#shared()} unless the host
 * set one. Cloudflare's rate limit (per token) and the circuit breaker therefore last as long as
 * the stack, across steps, and the stack is the only place a call is retried.
 *
 * <p>Least privilege has a consequence for rotation: the narrow token holds no API Tokens
 * permission, so it cannot roll or delete itself. {@link #rotate(RotationRequest, StepContext)} and
 * {@link #revoke(DeployCredentials, AccessConfiguration, StepContext)} call with the broad credential
 * the engine passes (from the vault), else the {@link Builder#rotationAuthority rotation authority}
 * when one is configured, else try the token itself; the overloads taking an {@code authority} say
 * it explicitly. With {@link TokenSpec.BroadToken#DELETE} nothing can
 * revoke the deploy token early: it ends at its expiry.
 */
public final class CloudflareDeployer implements Deployer {
  /** How custom domains are bound. */
  public enum BindMode {
    /** A Worker custom domain: Cloudflare creates the DNS record and the certificate. */
    CUSTOM_DOMAIN,
    /** A route {@code <domain>/*} on the zone: needs a proxied DNS record the caller manages. */
    ROUTE
  }

  /** The deployable service whose credentials this deployer starts from. */
  public static final String DEPLOYABLE_SERVICE = CloudflareCatalog.WORKERS;
  /** Prefix of the names of minted tokens. */
  public static final String DEFAULT_TOKEN_NAME_PREFIX = "agentprovision deploy";

  private static final int EXCERPT = 300;
  /**
   * What the app client's I/O failure says when no runtime here can run the app (the loopback
   * sandbox without workerd): {@link #verify} reports it as {@link Verification.Result#NO_RUNTIME},
   * deployed and not run, which is not a failure to answer.
   */
  public static final String NO_RUNTIME = "no local runtime";

  private final String baseUrl;
  /** {@link #baseUrl} parsed once, for the client each step builds (the builder checked that it parses). */
  private final HttpUrl apiBase;
  private final @Nullable HttpStack http;
  private final @Nullable OkHttpClient appClient;
  private final ResiliencePolicy resilience;
  private final String tokenKey;
  private final String accountIdKey;
  private final @Nullable String workersSubdomain;
  private final BindMode bindMode;
  private final boolean registrarSandbox;
  private final String tokenNamePrefix;
  private final @Nullable Function<DeployCredentials, @Nullable Secret> rotationAuthority;

  private CloudflareDeployer(Builder b) {
    this.baseUrl = b.baseUrl;
    this.apiBase = HttpUrl.get(b.baseUrl);
    this.http = b.http;
    this.appClient = b.appClient;
    this.resilience = b.resilience;
    this.tokenKey = b.tokenKey;
    this.accountIdKey = b.accountIdKey;
    this.workersSubdomain = b.workersSubdomain;
    this.bindMode = b.bindMode;
    this.registrarSandbox = b.registrarSandbox;
    this.tokenNamePrefix = b.tokenNamePrefix;
    this.rotationAuthority = b.rotationAuthority;
  }

  /** A deployer for the real Cloudflare API with every default. */
  public static CloudflareDeployer create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String provider() {
    return CloudflareClient.PROVIDER;
  }

  @Override
  public String deployableService() {
    return DEPLOYABLE_SERVICE;
  }

  /**
   * A client for one step: the deployer's (or the provisioner's) HTTP stack, whose breaker and
   * per-token rate limit outlast the step; the step's clock and sleeper; retries reported as events.
   * Building it costs no connection pool or breaker of its own.
   */
  public CloudflareClient client(Secret token, StepContext ctx) {
    return CloudflareClient.builder()
        .baseUrl(apiBase)
        .http(stack(ctx))
        .resilience(resilience)
        .clock(ctx.clock())
        .sleeper(ctx.sleeper())
        .retryObserver(ctx::retrying)
        .token(token)
        .build();
  }

  // ---- credentials --------------------------------------------------------------------------

  @Override
  public PreparedCredentials prepareCredentials(CredentialRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    TokenSpec spec = request.spec();
    Secret broad = broadToken(request.broad());
    String hostname = request.domain() == null ? null : hostname(request.domain());
    CloudflareClient client = client(broad, ctx);
    String accountId = accountId(request, client);
    ApiTokens tokens = client.accountTokens(accountId);
    String name = tokenNamePrefix + " " + request.app().name() + " " + ctx.runId();
    // The zone, the permission groups and the account's tokens are three independent reads: one round trip
    StepContext.Forked<Optional<Zone>> zoneLookup = hostname == null ? null
        : ctx.fork(() -> client.zones().findForHostname(hostname, accountId));
    // Read before create: a token of this name is a leftover of an interrupted attempt whose value is lost.
    // Only the matches are kept: the account's token list grows with every app deployed to it. Cloudflare
    // lists tokens only page by page (no filter by name), so on the step's first attempt, when no earlier
    // attempt can have made one, the walk is skipped: on an account shared by many apps it costs a request
    // per 50 tokens, for every run.
    StepContext.Forked<List<ApiToken>> existing = request.firstAttempt() ? null : ctx.fork(() -> tokens.named(name));
    // the names depend only on whether there is a zone to bind, which the hostname says
    Map<String, PermissionGroup> groups = tokens.permissionGroups(LeastPrivilege.permissionNames(
        hostname == null ? null : "zone", spec));
    Zone zone = null;
    if (zoneLookup != null) {
      zone = zoneLookup.join().orElseThrow(() -> new AgentProvisionException(
          "no zone in Cloudflare account " + accountId + " holds " + hostname + "; register the domain (DomainPurchase) "
              + "or add its zone before binding it"));
    }
    String zoneId = zone == null ? null : zone.id();
    TokenDraft draft = LeastPrivilege.deployToken(name, accountId, zoneId, spec, groups, ctx.clock().instant());

    for (ApiToken old : existing == null ? List.<ApiToken>of() : existing.join()) {
      if (old.name().equals(draft.name())) {
        tokens.delete(old.id());
        ctx.audit("cloudflare.token.delete", "deleted", Map.of("token_id", old.id(), "reason", "leftover of an earlier attempt"));
      }
    }
    CreatedToken created = tokens.create(draft);
    List<String> permissions = permissionNames(draft);
    Map<String, String> mint = new LinkedHashMap<>();
    mint.put("token_id", created.token().id());
    mint.put("account_id", accountId);
    mint.put("permissions", String.join(", ", permissions));
    mint.put("resources", String.join(", ", resources(draft)));
    mint.put("allow_ips", String.join(",", spec.allowIps()));
    mint.put("deny_ips", String.join(",", spec.denyIps()));
    mint.put("expires_on", String.valueOf(draft.expiresOn()));
    ctx.audit("cloudflare.token.mint", "created", mint);

    if (spec.broadToken() != TokenSpec.BroadToken.KEEP) {
      // The broad credential is about to be retired: the token that replaces it must work first. When
      // the broad one is kept, the deploy verifies the token beside its first calls instead, off the
      // flow's chain of requests (see deploy).
      try {
        checkVerified(client.withToken(created.value()).accountTokens(accountId).verify(), created.token().id());
      } catch (AgentProvisionException e) {
        tokens.delete(created.token().id());
        ctx.audit("cloudflare.token.delete", "deleted", Map.of("token_id", created.token().id(), "reason",
            "failed its own verification"));
        throw e instanceof CloudflareException ce ? notFromThisHost(ce) : e;
      }
    }

    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("token_owner", "account");
    attributes.put("resources", String.join(", ", resources(draft)));
    if (!spec.allowIps().isEmpty()) {
      attributes.put("allow_ips", String.join(",", spec.allowIps()));
    }
    if (!spec.denyIps().isEmpty()) {
      attributes.put("deny_ips", String.join(",", spec.denyIps()));
    }
    if (zone != null) {
      attributes.put("zone_id", zone.id());
      attributes.put("zone_name", zone.name());
      attributes.put("hostname", hostname);
    }
    DeployCredentials deploy = new DeployCredentials(CloudflareClient.PROVIDER, accountId, created.token().id(),
        created.value(), draft.expiresOn(), permissions, attributes);

    switch (spec.broadToken()) {
      case ROLL: {
        BroadTokenRef ref = broadTokenRef(client, accountId);
        Secret rolled = ref.tokens().roll(ref.id());
        ctx.audit("cloudflare.token.roll", "rolled", Map.of("token_id", ref.id(), "owner", ref.tokens().owner().name()
            .toLowerCase(Locale.ROOT), "reason", "broad credential retired by TokenSpec"));
        Map<String, Secret> values = new java.util.LinkedHashMap<>(request.broad().values());
        values.put(tokenKey, rolled);
        return new PreparedCredentials(deploy, PreparedCredentials.BroadOutcome.ROLLED, new AccessConfiguration(values,
            request.broad().expiresAt(), ctx.clock().instant(), request.broad().generation() + 1));
      }
      case DELETE: {
        BroadTokenRef ref = broadTokenRef(client, accountId);
        ref.tokens().delete(ref.id());
        ctx.audit("cloudflare.token.delete", "deleted", Map.of("token_id", ref.id(), "owner", ref.tokens().owner().name()
            .toLowerCase(Locale.ROOT), "reason", "broad credential retired by TokenSpec"));
        return new PreparedCredentials(deploy, PreparedCredentials.BroadOutcome.DELETED, null);
      }
      default:
        return new PreparedCredentials(deploy, PreparedCredentials.BroadOutcome.KEPT, null);
    }
  }

  private record BroadTokenRef(ApiTokens tokens, String id) {}

  /** Refuses a token that {@code GET …/tokens/verify} reports as not active, or as another token. */
  private static void checkVerified(TokenVerification v, String tokenId) {
    if (!v.active() || !v.id().equals(tokenId)) {
      throw new AgentProvisionException("the deploy token " + tokenId + " verified as " + v.status() + " (id " + v.id()
          + "); prepare the credentials again", null, false);
    }
  }

  /** What a token that Cloudflare refused on its own verification means for the caller. */
  private static AgentProvisionException notFromThisHost(CloudflareException e) {
    return new AgentProvisionException("the minted deploy token does not work from this host (" + e.getMessage()
        + "); if TokenSpec.allowIps is set, include this host's address", e, false);
  }

  /** Finds the broad token's id: account-owned first, then user-owned. */
  private static BroadTokenRef broadTokenRef(CloudflareClient client, String accountId) {
    try {
      ApiTokens t = client.accountTokens(accountId);
      return new BroadTokenRef(t, t.verify().id());
    } catch (CloudflareException e) {
      ApiTokens t = client.userTokens();
      return new BroadTokenRef(t, t.verify().id());
    }
  }

  private Secret broadToken(AccessConfiguration broad) {
    Secret s = broad.value(tokenKey);
    if (s == null) {
      throw new InvalidRequestException("broad", "the access configuration has no value named " + tokenKey
          + " (it has " + broad.values().keySet() + ")", "configure CloudflareDeployer.builder().tokenKey(...) with the "
          + "name the orchestrator uses");
    }
    return s;
  }

  private String accountId(CredentialRequest request, CloudflareClient client) {
    Secret id = request.broad().value(accountIdKey);
    if (id != null && !id.reveal().isBlank()) {
      return id.reveal().trim();
    }
    List<Accounts.Account> accounts = client.accounts().list();
    for (Accounts.Account a : accounts) {
      if (a.id().equals(request.account().accountId())) {
        return a.id();
      }
    }
    if (accounts.size() == 1) {
      return accounts.get(0).id();
    }
    throw new AgentProvisionException("the access configuration names no account (" + accountIdKey + ") and the token "
        + "sees " + accounts.size() + " accounts; configure accountIdKey(...) to the name the orchestrator uses");
  }

  private static List<String> permissionNames(TokenDraft draft) {
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    for (TokenPolicy p : draft.policies()) {
      names.addAll(p.permissionNames());
    }
    return List.copyOf(names);
  }

  private static List<String> resources(TokenDraft draft) {
    java.util.LinkedHashSet<String> keys = new java.util.LinkedHashSet<>();
    for (TokenPolicy p : draft.policies()) {
      keys.addAll(p.resources().keySet());
    }
    return List.copyOf(keys);
  }

  // ---- deploy -------------------------------------------------------------------------------

  @Override
  public DeployedApp deploy(DeployRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    WorkerApp app = request.app();
    DeployCredentials creds = request.credentials();
    String hostname = request.domain() == null ? null : hostname(request.domain());
    CloudflareClient client = client(creds.token(), ctx);
    Workers workers = client.workers(creds.accountId());

    // The account's subdomain, the hostname's current binding and the upload do not wait for each
    // other; enabling the script on workers.dev and binding the hostname then need the script.
    StepContext.Forked<String> subdomainCall = ctx.fork(() -> workers.ensureSubdomain(
        workersSubdomain != null ? workersSubdomain : defaultSubdomain(creds.accountId())));
    String boundZoneId = creds.attributes().get("zone_id");
    if (hostname != null && bindMode == BindMode.ROUTE && boundZoneId == null) {
      throw new InvalidRequestException("credentials", "have no zone_id, which a route needs",
          "prepare the credentials with the domain so its zone is looked up");
    }
    StepContext.Forked<List<WorkerDomain>> boundDomains = hostname == null || bindMode == BindMode.ROUTE ? null
        : ctx.fork(() -> workers.domains(hostname, null));
    StepContext.Forked<List<WorkerRoute>> boundRoutes = hostname == null || bindMode != BindMode.ROUTE ? null
        : ctx.fork(() -> workers.routes(Objects.requireNonNull(boundZoneId, "zone_id")));
    // The token was minted by the step before without a request of its own to verify it (unless the
    // broad credential was retired): it is verified here beside the first calls, which use it anyway,
    // and nothing is bound with it until it has verified.
    StepContext.Forked<TokenVerification> verified = ctx.fork(() -> client.accountTokens(creds.accountId()).verify());
    WorkerScript script;
    try {
      script = workers.upload(app);
    } catch (RuntimeException uploadFailed) {
      // the upload's own refusal (403 from outside the allowed IPs, say) is the error to report; the
      // verification is still collected so that no call outlives the step
      try {
        verified.join();
      } catch (RuntimeException alsoFailed) {
        uploadFailed.addSuppressed(alsoFailed);
      }
      throw uploadFailed;
    }
    try {
      checkVerified(verified.join(), creds.tokenId());
    } catch (CloudflareException e) {
      if (e.retryable()) {
        throw e;
      }
      throw notFromThisHost(e);
    }
    String subdomain = subdomainCall.join();
    StepContext.Forked<Workers.ScriptSubdomain> enabled = ctx.fork(() -> workers.enableOnSubdomain(app.name()));
    Map<String, String> upload = new LinkedHashMap<>();
    upload.put("script", app.name());
    upload.put("account_id", creds.accountId());
    upload.put("modules", String.valueOf(app.modules().size()));
    upload.put("bytes", String.valueOf(app.totalBytes()));
    upload.put("bindings", String.join(",", app.bindings().stream().map(b -> b.type() + ":" + b.name()).toList()));
    if (script.etag() != null) {
      upload.put("etag", script.etag());
    }
    ctx.audit("cloudflare.worker.upload", "deployed", upload);
    URI url = URI.create("https://" + app.name() + "." + subdomain + ".workers.dev/");

    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("subdomain", subdomain);
    attributes.put("bind_mode", bindMode.name().toLowerCase(Locale.ROOT));
    if (script.etag() != null) {
      attributes.put("etag", script.etag());
    }
    URI custom = null;
    WorkerRoute route = null;
    WorkerDomain domain = null;
    if (hostname != null) {
      if (boundRoutes != null) {
        route = bindRoute(workers, Objects.requireNonNull(boundZoneId, "zone_id"), hostname + "/*", app.name(),
            boundRoutes.join());
      } else if (boundDomains != null) {
        domain = bindDomain(workers, hostname, app.name(), boundZoneId, boundDomains.join());
      }
    }
    enabled.join();
    // audited in the order a person reads them, whichever call answered first
    ctx.audit("cloudflare.worker.subdomain", "enabled", Map.of("script", app.name(), "url", url.toString()));
    if (hostname != null) {
      if (route != null) {
        String zoneId = Objects.requireNonNull(boundZoneId, "zone_id");
        attributes.put("route_id", route.id());
        attributes.put("zone_id", zoneId);
        ctx.audit("cloudflare.worker.route", "bound", Map.of("script", app.name(), "pattern", route.pattern(),
            "route_id", route.id(), "zone_id", zoneId));
      } else if (domain != null) {
        attributes.put("domain_id", domain.id());
        if (domain.zoneId() != null) {
          attributes.put("zone_id", domain.zoneId());
        }
        ctx.audit("cloudflare.worker.domain", "attached", Map.of("script", app.name(), "hostname", hostname,
            "domain_id", domain.id(), "zone_id", String.valueOf(domain.zoneId())));
      }
      attributes.put("hostname", hostname);
      custom = URI.create("https://" + hostname + "/");
    }
    return new DeployedApp(CloudflareClient.PROVIDER, creds.accountId(), app.name(), url, custom, attributes);
  }

  private static WorkerDomain bindDomain(Workers workers, String hostname, String script, @Nullable String zoneId,
      List<WorkerDomain> bound) {
    for (WorkerDomain d : bound) {
      if (d.hostname().equalsIgnoreCase(hostname) && d.service().equals(script)) {
        return d;
      }
    }
    return workers.attachDomain(hostname, script, zoneId);
  }

  private static WorkerRoute bindRoute(Workers workers, String zoneId, String pattern, String script,
      List<WorkerRoute> existing) {
    for (WorkerRoute r : existing) {
      if (r.pattern().equalsIgnoreCase(pattern)) {
        return r.script().equals(script) ? r : workers.updateRoute(zoneId, r.id(), pattern, script);
      }
    }
    return workers.createRoute(zoneId, pattern, script);
  }

  /** The workers.dev subdomain chosen for an account that has none: stable per account. */
  static String defaultSubdomain(String accountId) {
    String clean = accountId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    return "ap-" + (clean.length() > 12 ? clean.substring(0, 12) : clean);
  }

  private static String hostname(String domain) {
    String h = domain.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("https://") || h.startsWith("http://")) {
      HttpUrl u = HttpUrl.parse(h);
      if (u == null) {
        throw new InvalidRequestException("domain", "'" + domain + "' is not a host name", "pass a name such as \"app.example.com\"");
      }
      h = u.host();
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return DomainNames.defaults().validateHostName("domain", h);
  }

  // ---- verify, undeploy ---------------------------------------------------------------------

  private HttpStack stack(StepContext ctx) {
    return http != null ? http : ctx.http();
  }

  /**
   * Requests the app's primary URL once with the {@link Builder#appClient app client} (else the
   * stack's plain client, which retries nothing). The engine polls this while a fresh deployment
   * propagates, up to its verify timeout: one request per poll, so there is one owner of the
   * repetition. A client that cannot reach any runtime (the sandbox without workerd) answers with an
   * I/O error whose message becomes the note.
   */
  @Override
  public Verification verify(DeployedApp app, StepContext ctx) {
    URI url = app.primaryUrl();
    Verification v = fetch(url, HttpUrl.get(url.toString()), appClient != null ? appClient : stack(ctx).okHttpClient());
    ctx.audit("cloudflare.worker.verify", v.live() ? "live" : "not-live", Map.of("url", url.toString(),
        "status", String.valueOf(v.status())));
    return v;
  }

  private static Verification fetch(URI url, HttpUrl target, OkHttpClient appClient) {
    Request req = new Request.Builder().url(target).header("User-Agent", "agentprovision-verify/0.1").get().build();
    try (Response r = appClient.newCall(req).execute()) {
      okio.BufferedSource source = r.body().source();
      source.request(EXCERPT * 4L);
      okio.Buffer buffer = source.getBuffer();
      String text = buffer.readString(Math.min(buffer.size(), EXCERPT * 4L), StandardCharsets.UTF_8);
      String excerpt = text.length() > EXCERPT ? text.substring(0, EXCERPT) : text;
      boolean ok = r.isSuccessful();
      return new Verification(url, ok, r.code(), excerpt, ok ? null : "HTTP " + r.code());
    } catch (IOException e) {
      String m = e.getMessage();
      if (m != null && m.contains(NO_RUNTIME)) {
        return Verification.noRuntime(url, m); // deployed where nothing here can run it: not a failure to answer
      }
      return new Verification(url, false, 0, null, m == null || m.isBlank() ? e.getClass().getSimpleName() : m);
    }
  }

  @Override
  public void undeploy(DeployedApp app, DeployCredentials credentials, StepContext ctx) {
    CloudflareClient client = client(credentials.token(), ctx);
    Workers workers = client.workers(credentials.accountId());
    String domainId = app.attributes().get("domain_id");
    if (domainId != null) {
      boolean done = workers.detachDomain(domainId);
      ctx.audit("cloudflare.worker.domain", done ? "detached" : "absent", Map.of("script", app.scriptName(),
          "domain_id", domainId));
    } else {
      for (WorkerDomain d : workers.domains(null, app.scriptName())) {
        workers.detachDomain(d.id());
        ctx.audit("cloudflare.worker.domain", "detached", Map.of("script", app.scriptName(), "domain_id", d.id()));
      }
    }
    String routeId = app.attributes().get("route_id");
    String zoneId = app.attributes().get("zone_id");
    if (routeId != null && zoneId != null) {
      boolean done = workers.deleteRoute(zoneId, routeId);
      ctx.audit("cloudflare.worker.route", done ? "deleted" : "absent", Map.of("script", app.scriptName(),
          "route_id", routeId));
    }
    boolean deleted = workers.deleteScript(app.scriptName());
    ctx.audit("cloudflare.worker.delete", deleted ? "deleted" : "absent", Map.of("script", app.scriptName(),
        "account_id", credentials.accountId()));
  }

  // ---- rotation -----------------------------------------------------------------------------

  /**
   * Rolls the token, or renews it when {@link RotationRequest#renewFor()} is given, calling with the
   * broad credential when the request carries one, else the {@link Builder#rotationAuthority}, else
   * the token itself (which least privilege leaves without the right to do it).
   */
  @Override
  public DeployCredentials rotate(RotationRequest request, StepContext ctx) {
    Secret authority = authority(request.current(), request.broad());
    return request.renewFor() != null
        ? renew(request.current(), authority, request.renewFor(), ctx)
        : rotate(request.current(), authority, ctx);
  }

  /** Rolls {@code current}'s value, calling with {@code authority} (a token allowed to manage API tokens). */
  public DeployCredentials rotate(DeployCredentials current, Secret authority, StepContext ctx) {
    ApiTokens tokens = client(authority, ctx).accountTokens(current.accountId());
    Secret rolled = tokens.roll(current.tokenId());
    ctx.audit("cloudflare.token.roll", "rolled", Map.of("token_id", current.tokenId(), "account_id", current.accountId()));
    return new DeployCredentials(current.provider(), current.accountId(), current.tokenId(), rolled, current.expiresAt(),
        current.permissions(), current.attributes());
  }

  /**
   * Renews {@code current} before it expires: moves its expiry to now + {@code ttl} (same
   * permissions and IP condition), then rolls its value. Returns the credential with both.
   */
  public DeployCredentials renew(DeployCredentials current, Secret authority, Duration ttl, StepContext ctx) {
    TokenSpec.leastPrivilege().ttl(ttl); // validates the range
    ApiTokens tokens = client(authority, ctx).accountTokens(current.accountId());
    Instant expires = ctx.clock().instant().plus(ttl);
    tokens.extend(current.tokenId(), expires);
    Secret rolled = tokens.roll(current.tokenId());
    ctx.audit("cloudflare.token.renew", "renewed", Map.of("token_id", current.tokenId(), "account_id", current.accountId(),
        "expires_on", expires.toString()));
    return new DeployCredentials(current.provider(), current.accountId(), current.tokenId(), rolled, expires,
        current.permissions(), current.attributes());
  }

  @Override
  public void revoke(DeployCredentials credentials, @Nullable AccessConfiguration broad, StepContext ctx) {
    revoke(credentials, authority(credentials, broad), ctx);
  }

  /** Deletes the token, calling with {@code authority}; deleting a deleted token is not an error. */
  public void revoke(DeployCredentials credentials, Secret authority, StepContext ctx) {
    boolean deleted = client(authority, ctx).accountTokens(credentials.accountId()).delete(credentials.tokenId());
    ctx.audit("cloudflare.token.delete", deleted ? "deleted" : "absent", Map.of("token_id", credentials.tokenId(),
        "account_id", credentials.accountId()));
  }

  private Secret authority(DeployCredentials current, @Nullable AccessConfiguration broad) {
    Secret b = broad == null ? null : broad.value(tokenKey);
    if (b != null) {
      return b;
    }
    Secret a = rotationAuthority == null ? null : rotationAuthority.apply(current);
    return a != null ? a : current.token();
  }

  // ---- domains ------------------------------------------------------------------------------

  /**
   * Turns the registration's automatic renewal off through the Registrar API ({@code PATCH
   * …/registrar/registrations/{domain}}), with the broad credential (the deploy token is
   * least-privilege and may not touch the registrar), polling the update's workflow in the step's
   * time, then reads the registration back for its expiry. Without a broad credential, it says the
   * renewal could not be changed, and why.
   */
  @Override
  public DomainRenewal stopAutoRenew(RenewalRequest request, StepContext ctx) {
    AccessConfiguration broad = request.broad();
    Secret authority = broad == null ? null : broad.value(tokenKey);
    if (broad == null || authority == null) {
      return DomainRenewal.unsupported(request.domain(), "the vault no longer holds a credential allowed to reach "
          + "the registrar (the deploy token may only deploy)");
    }
    Secret configured = broad.value(accountIdKey);
    String account = configured != null && !configured.reveal().isBlank() ? configured.reveal().trim()
        : request.accountId();
    Registrar registrar = client(authority, ctx).registrar(account);
    if (registrarSandbox) {
      registrar = registrar.sandbox();
    }
    Registrar.Registration before = registrar.registration(request.domain());
    if (!before.autoRenew()) {
      return DomainRenewal.off(request.domain(), before.expiresAt(), false);
    }
    Registrar r = registrar;
    Registrar.RegistrationWorkflow wf = registrar.setAutoRenew(request.domain(), false);
    if (!wf.terminal()) {
      Registrar.RegistrationWorkflow first = wf;
      wf = Polling.until(ctx, "auto-renew of " + request.domain(), () -> r.follow(first),
          Registrar.RegistrationWorkflow::terminal, Polling.Backoff.DEFAULT);
    }
    if (wf.state() == Registrar.RegistrationWorkflow.State.FAILED) {
      throw new ProviderException(CloudflareClient.PROVIDER, 0,
          wf.errorCode() == null ? "auto_renew_failed" : wf.errorCode(), null,
          "turning automatic renewal of " + request.domain() + " off failed"
              + (wf.errorMessage() != null ? ": " + wf.errorMessage() : ""), false);
    }
    Registrar.Registration after = registrar.registration(request.domain());
    ctx.audit("cloudflare.registrar.auto_renew", after.autoRenew() ? "still_on" : "off", Map.of("domain",
        request.domain(), "account_id", account, "expires_at", String.valueOf(after.expiresAt())));
    return after.autoRenew()
        ? new DomainRenewal(request.domain(), true, after.expiresAt(), true, false, "the registrar still reports it on")
        : DomainRenewal.off(request.domain(), after.expiresAt(), true);
  }

  /**
   * Registers a domain with the broad credential, as a paid step ({@link DomainPurchase}: quote,
   * spend policy and approval, registration, workflow polling, settlement), through the registrar
   * sandbox when {@link Builder#registrarSandbox} is on, and fills in the zone Cloudflare created.
   */
  public PurchasedDomain registerDomain(DomainRequest domain, AccessConfiguration broad, String accountId, StepContext ctx) {
    CloudflareClient client = client(broadToken(broad), ctx);
    Secret configured = broad.value(accountIdKey);
    String account = configured != null ? configured.reveal().trim() : accountId;
    Registrar registrar = client.registrar(account);
    PurchasedDomain bought = new DomainPurchase(registrarSandbox ? registrar.sandbox() : registrar).purchase(domain, ctx);
    if (bought.sandbox()) {
      return bought;
    }
    Optional<Zone> zone = client.zones().find(bought.domain(), account);
    return bought.withZoneId(zone.map(Zone::id).orElse(null));
  }

  @Override
  public String toString() {
    return "CloudflareDeployer{" + baseUrl + ", bind=" + bindMode + ", registrarSandbox=" + registrarSandbox + "}";
  }

  /** Builds a {@link CloudflareDeployer}; setters validate and name the field. */
  public static final class Builder {
    private String baseUrl = CloudflareClient.DEFAULT_BASE_URL;
    private @Nullable HttpStack http;
    private @Nullable OkHttpClient appClient;
    private ResiliencePolicy resilience = CloudflareClient.DEFAULT_RESILIENCE;
    private String tokenKey = CloudflareCatalog.DEFAULT_TOKEN_KEY;
    private String accountIdKey = CloudflareCatalog.DEFAULT_ACCOUNT_ID_KEY;
    private @Nullable String workersSubdomain;
    private BindMode bindMode = BindMode.CUSTOM_DOMAIN;
    private boolean registrarSandbox;
    private String tokenNamePrefix = DEFAULT_TOKEN_NAME_PREFIX;
    private @Nullable Function<DeployCredentials, @Nullable Secret> rotationAuthority;

    private Builder() {}

    /** The Cloudflare API base ({@link CloudflareClient#DEFAULT_BASE_URL} unless a sandbox is used). */
    public Builder baseUrl(String url) {
      if (url == null || HttpUrl.parse(url) == null) {
        throw new InvalidRequestException("baseUrl", "'" + url + "' is not an http(s) URL",
            "pass a URL such as " + CloudflareClient.DEFAULT_BASE_URL);
      }
      this.baseUrl = url;
      return this;
    }

    /**
     * The HTTP stack for API calls (and, without an {@link #appClient}, for verifying the app).
     * Without one, the provisioner's ({@code StepContext.http()}), itself {@link HttpStack#shared()}
     * unless the host set one: never a client per call or per deployer.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
      return this;
    }

    /**
     * The okhttp client {@link CloudflareDeployer#verify} requests the app with (a sandbox routes it
     * to loopback); by default the stack's plain client.
     */
    public Builder appClient(OkHttpClient client) {
      this.appClient = Objects.requireNonNull(client, "appClient");
      return this;
    }

    public Builder resilience(ResiliencePolicy policy) {
      this.resilience = Objects.requireNonNull(policy, "resilience");
      return this;
    }

    /** The access-configuration name of the API token ({@code CLOUDFLARE_API_TOKEN} by default). */
    public Builder tokenKey(String name) {
      this.tokenKey = nonBlank("tokenKey", name);
      return this;
    }

    /** The access-configuration name of the account id ({@code CLOUDFLARE_ACCOUNT_ID} by default). */
    public Builder accountIdKey(String name) {
      this.accountIdKey = nonBlank("accountIdKey", name);
      return this;
    }

    /** The workers.dev subdomain to create when the account has none (default: derived from the account id). */
    public Builder workersSubdomain(String name) {
      if (name == null || !name.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
        throw new InvalidRequestException("workersSubdomain", "'" + name + "' is not a valid subdomain",
            "use lower-case letters, digits and inner hyphens");
      }
      this.workersSubdomain = name;
      return this;
    }

    public Builder bindMode(BindMode mode) {
      this.bindMode = Objects.requireNonNull(mode, "bindMode");
      return this;
    }

    /** Registers domains through the free registrar sandbox ({@code com}/{@code net}, no zone), for tests. */
    public Builder registrarSandbox(boolean on) {
      this.registrarSandbox = on;
      return this;
    }

    public Builder tokenNamePrefix(String prefix) {
      this.tokenNamePrefix = nonBlank("tokenNamePrefix", prefix);
      return this;
    }

    /**
     * Supplies a token allowed to manage API tokens (usually the broad one, from the vault) for
     * rotating and revoking a deploy credential, which cannot do that itself.
     */
    public Builder rotationAuthority(Function<DeployCredentials, @Nullable Secret> authority) {
      this.rotationAuthority = Objects.requireNonNull(authority, "rotationAuthority");
      return this;
    }

    private static String nonBlank(String field, String v) {
      if (v == null || v.isBlank()) {
        throw new InvalidRequestException(field, "is empty", "pass a name");
      }
      return v;
    }

    public CloudflareDeployer build() {
      return new CloudflareDeployer(this);
    }
  }
}
