package io.agentprovision.testing;

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
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Deployer} for Cloudflare Workers that deploys nothing but remembers everything: the
 * narrow tokens it minted (permissions, IP conditions, expiry), what became of the broad token, each
 * upload (script, modules, bindings, domain), which scripts are live, and every roll and deletion.
 * It checks what Cloudflare would check: a deploy needs a token it minted, not deleted, not expired,
 * holding the current value, for the same account, with the permissions the deploy needs, or it is
 * refused with a {@link ProviderException} (403, code {@code "10000"}, Cloudflare's authentication
 * error). Thread-safe; idempotent where the SPI says so ({@code prepareCredentials} and
 * {@code rotate} on {@link StepContext#idempotencyKey()}, a redeploy of a script replaces it).
 *
 * <p>Permissions are derived from the app and the domain: {@value #SCRIPTS_WRITE} always;
 * {@value #ROUTES_WRITE} and {@value #ZONE_READ} when a custom domain is bound;
 * {@value #KV_WRITE} for a KV binding, {@value #D1_WRITE} for a D1 binding; plus the spec's extra
 * permissions. The token expires at {@code now + spec.ttl()}.
 *
 * <pre>{@code
 * RecordingDeployer deployer = RecordingDeployer.builder().accountSubdomain("acme").build();
 * // ... run the flow ...
 * assertThat(deployer.tokens()).singleElement()
 *     .satisfies(t -> assertThat(t.permissions()).containsExactly("Workers Scripts Write",
 *         "Workers Routes Write", "Zone Read"));
 * assertThat(deployer.liveScripts()).extracting(RecordingDeployer.Upload::scriptName).containsExactly("my-app");
 * }</pre>
 */
public final class RecordingDeployer implements Deployer {
  /** The provider when none is given. */
  public static final String DEFAULT_PROVIDER = "cloudflare";
  /** The deployable catalog service when none is given. */
  public static final String DEFAULT_SERVICE = "workers";
  /** The account's workers.dev subdomain when none is given. */
  public static final String DEFAULT_ACCOUNT_SUBDOMAIN = "fake-account";
  /** Permission to upload scripts: every deploy token holds it. */
  public static final String SCRIPTS_WRITE = "Workers Scripts Write";
  /** Permission to bind routes and custom domains. */
  public static final String ROUTES_WRITE = "Workers Routes Write";
  /** Permission to read the zone a custom domain lives in. */
  public static final String ZONE_READ = "Zone Read";
  /** Permission for a KV namespace binding. */
  public static final String KV_WRITE = "Workers KV Storage Write";
  /** Permission for a D1 binding. */
  public static final String D1_WRITE = "D1 Write";
  /** The methods that are recorded and can be faulted. */
  public static final List<String> METHODS = List.of("prepareCredentials", "deploy", "verify", "undeploy", "rotate",
      "revoke", "stopAutoRenew");

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String provider;
  private final String service;
  private final String subdomain;
  private final FaultInjector faults = new FaultInjector(METHODS);
  private final Object lock = new Object();
  private final Map<String, Token> tokens = new LinkedHashMap<>();
  private final Map<String, PreparedCredentials> prepared = new HashMap<>();
  private final Map<String, DeployCredentials> rotations = new HashMap<>();
  private final Map<String, Upload> live = new LinkedHashMap<>();
  private final List<Upload> uploads = new ArrayList<>();
  private final List<BroadTokenAction> broadActions = new ArrayList<>();
  private final List<Undeployment> undeployments = new ArrayList<>();
  private final Map<String, Instant> renewalsOff = new LinkedHashMap<>();
  private final boolean renewalSupported;
  private boolean answering;
  private int failStatus;
  private int notLiveLeft;
  private int nextId;

  private RecordingDeployer(Builder b) {
    this.provider = b.provider;
    this.service = b.service;
    this.subdomain = b.subdomain;
    this.answering = b.live;
    this.failStatus = b.failStatus;
    this.notLiveLeft = b.notLiveFor;
    this.renewalSupported = b.renewalSupported;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A deployer with every default. */
  public static RecordingDeployer create() {
    return builder().build();
  }

  @Override
  public String provider() {
    return provider;
  }

  @Override
  public String deployableService() {
    return service;
  }

  @Override
  public PreparedCredentials prepareCredentials(CredentialRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("prepareCredentials", true, () -> {
      String key = ctx.idempotencyKey();
      synchronized (lock) {
        PreparedCredentials prior = prepared.get(key);
        if (prior != null) {
          return prior;
        }
      }
      String accountId = request.account().accountId();
      if (!request.account().provider().equals(provider)) {
        throw new InvalidRequestException("account", "is at " + request.account().provider() + ", not " + provider,
            "link a " + provider + " account first");
      }
      String prefix = provider.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
      if (request.broad().value(prefix + "_API_TOKEN") == null) {
        throw new InvalidRequestException("broad", "has no " + prefix + "_API_TOKEN",
            "pass the access configuration revealed for the " + service + " resource");
      }
      Secret broadAccount = request.broad().value(prefix + "_ACCOUNT_ID");
      if (broadAccount != null && !broadAccount.matches(accountId)) {
        throw new InvalidRequestException("broad", "belongs to another account than " + accountId,
            "reveal the credentials of a resource in the linked account");
      }
      TokenSpec spec = request.spec();
      List<String> permissions = permissions(request.app(), request.domain(), spec);
      Instant now = ctx.clock().instant();
      Instant expiresAt = now.plus(spec.ttl());
      PreparedCredentials result;
      Token t;
      synchronized (lock) {
        PreparedCredentials prior = prepared.get(key);
        if (prior != null) {
          return prior;
        }
        t = new Token("tok_fake_" + (++nextId), accountId, Secret.of("cf_fake_narrow_" + randomHex(20)), permissions,
            spec.allowIps(), spec.denyIps(), expiresAt, request.domain());
        tokens.put(t.id, t);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("allow_ips", String.join(",", spec.allowIps()));
        attributes.put("deny_ips", String.join(",", spec.denyIps()));
        if (request.domain() != null) {
          attributes.put("zone", request.domain());
        }
        DeployCredentials creds = new DeployCredentials(provider, accountId, t.id, t.value, expiresAt, permissions,
            attributes);
        PreparedCredentials.BroadOutcome outcome = switch (spec.broadToken()) {
          case KEEP -> PreparedCredentials.BroadOutcome.KEPT;
          case ROLL -> PreparedCredentials.BroadOutcome.ROLLED;
          case DELETE -> PreparedCredentials.BroadOutcome.DELETED;
        };
        AccessConfiguration rolled = null;
        if (outcome == PreparedCredentials.BroadOutcome.ROLLED) {
          Map<String, Secret> values = new LinkedHashMap<>(request.broad().values());
          values.put(prefix + "_API_TOKEN", Secret.of("cf_fake_broad_" + randomHex(20)));
          rolled = new AccessConfiguration(values, request.broad().expiresAt(), now, request.broad().generation() + 1);
        }
        broadActions.add(new BroadTokenAction(accountId, outcome, now));
        result = new PreparedCredentials(creds, outcome, rolled);
        prepared.put(key, result);
      }
      Map<String, String> details = new LinkedHashMap<>();
      details.put("token_id", t.id);
      details.put("account_id", accountId);
      details.put("permissions", String.join(", ", permissions));
      details.put("expires_at", expiresAt.toString());
      details.put("allow_ips", String.join(",", spec.allowIps()));
      details.put("deny_ips", String.join(",", spec.denyIps()));
      ctx.audit("token.create", "ok", details);
      switch (result.broadOutcome()) {
        case ROLLED -> ctx.audit("token.roll", "ok", Map.of("token", "broad", "account_id", accountId));
        case DELETED -> ctx.audit("token.delete", "ok", Map.of("token", "broad", "account_id", accountId));
        default -> { }
      }
      return result;
    });
  }

  /** The permission names a deploy of {@code app} to {@code domain} needs under {@code spec}, in a stable order. */
  public static List<String> permissions(WorkerApp app, @Nullable String domain, TokenSpec spec) {
    Set<String> p = new LinkedHashSet<>();
    p.add(SCRIPTS_WRITE);
    if (domain != null) {
      p.add(ROUTES_WRITE);
      p.add(ZONE_READ);
    }
    for (WorkerApp.Binding b : app.bindings()) {
      if (b.type().equals("kv_namespace")) {
        p.add(KV_WRITE);
      } else if (b.type().equals("d1")) {
        p.add(D1_WRITE);
      }
    }
    p.addAll(new java.util.TreeSet<>(spec.extraPermissions()));
    return List.copyOf(p);
  }

  @Override
  public DeployedApp deploy(DeployRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("deploy", true, () -> {
      WorkerApp app = request.app();
      String domain = request.domain();
      Instant now = ctx.clock().instant();
      Upload upload;
      DeployedApp deployed;
      synchronized (lock) {
        List<String> needed = new ArrayList<>(List.of(SCRIPTS_WRITE));
        if (domain != null) {
          needed.add(ROUTES_WRITE);
        }
        Token t = authorize(request.credentials(), needed, now);
        if (domain != null && t.domain != null && !t.domain.equals(domain)) {
          throw authError("token " + t.id + " is scoped to " + t.domain + ", not " + domain);
        }
        String versionId = "ver_fake_" + (++nextId);
        upload = new Upload(t.accountId, app.name(), app.mainModule(),
            app.modules().stream().map(WorkerApp.Module::path).toList(),
            app.bindings().stream().map(WorkerApp.Binding::name).toList(), domain, t.id, versionId, now);
        uploads.add(upload);
        live.put(t.accountId + "/" + app.name(), upload);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("version_id", versionId);
        if (domain != null) {
          attributes.put("zone", domain);
        }
        deployed = new DeployedApp(provider, t.accountId, app.name(),
            URI.create("https://" + app.name() + "." + subdomain + ".workers.dev"),
            domain == null ? null : URI.create("https://" + domain), attributes);
      }
      ctx.audit("worker.upload", "ok", Map.of("script", app.name(), "account_id", upload.accountId(), "version_id",
          upload.versionId(), "modules", String.valueOf(upload.modules().size())));
      if (domain != null) {
        ctx.audit("worker.domain.bind", "ok", Map.of("script", app.name(), "hostname", domain));
      }
      return deployed;
    });
  }

  @Override
  public Verification verify(DeployedApp app, StepContext ctx) {
    Objects.requireNonNull(app, "app");
    return faults.call("verify", false, () -> {
      URI url = app.primaryUrl();
      synchronized (lock) {
        Upload u = live.get(app.accountId() + "/" + app.scriptName());
        if (u == null) {
          return new Verification(url, false, 404, null, "script " + app.scriptName() + " is not deployed");
        }
        if (notLiveLeft > 0) {
          notLiveLeft--;
          return new Verification(url, false, 522, null, "not answering yet");
        }
        if (!answering) {
          return new Verification(url, false, failStatus, "error", "the fake deployer is set not to answer");
        }
        return new Verification(url, true, 200, "Hello from " + app.scriptName() + " (" + u.versionId() + ")", null);
      }
    });
  }

  @Override
  public void undeploy(DeployedApp app, DeployCredentials credentials, StepContext ctx) {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(ctx, "ctx");
    faults.run("undeploy", true, () -> {
      boolean removed;
      synchronized (lock) {
        Token t = authorize(credentials, List.of(SCRIPTS_WRITE), ctx.clock().instant());
        if (!t.accountId.equals(app.accountId())) {
          throw authError("token " + t.id + " is for account " + t.accountId + ", not " + app.accountId());
        }
        removed = live.remove(app.accountId() + "/" + app.scriptName()) != null;
        if (removed) {
          undeployments.add(new Undeployment(app.accountId(), app.scriptName(), ctx.clock().instant()));
        }
      }
      if (removed) {
        ctx.audit("worker.delete", "ok", Map.of("script", app.scriptName(), "account_id", app.accountId()));
      }
    });
  }

  /** Rolls the token's value; with {@link RotationRequest#renewFor()} also moves its expiry to now plus that. */
  @Override
  public DeployCredentials rotate(RotationRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    DeployCredentials current = request.current();
    return faults.call("rotate", true, () -> {
      String key = ctx.idempotencyKey();
      DeployCredentials next;
      synchronized (lock) {
        DeployCredentials prior = rotations.get(key);
        if (prior != null) {
          return prior;
        }
        Token t = tokens.get(current.tokenId());
        if (t == null || t.revoked) {
          throw new ProviderException(provider, 404, "1003", null, "token " + current.tokenId()
              + " does not exist or was deleted", false);
        }
        t.value = Secret.of("cf_fake_narrow_" + randomHex(20));
        t.rolls++;
        if (request.renewFor() != null) {
          t.expiresAt = ctx.clock().instant().plus(request.renewFor());
        }
        next = new DeployCredentials(provider, t.accountId, t.id, t.value, t.expiresAt, t.permissions,
            current.attributes());
        rotations.put(key, next);
      }
      ctx.audit("token.roll", "ok", Map.of("token_id", current.tokenId(), "account_id", current.accountId()));
      return next;
    });
  }

  @Override
  public void revoke(DeployCredentials credentials, @Nullable AccessConfiguration broad, StepContext ctx) {
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(ctx, "ctx");
    faults.run("revoke", true, () -> {
      boolean deleted = false;
      synchronized (lock) {
        Token t = tokens.get(credentials.tokenId());
        if (t != null && !t.revoked) {
          t.revoked = true;
          deleted = true;
        }
      }
      if (deleted) {
        ctx.audit("token.delete", "ok", Map.of("token_id", credentials.tokenId(), "account_id", credentials.accountId()));
      }
    });
  }

  /**
   * Turns a domain's renewal off, as a registrar that allows it does: the registration expires a
   * year after the first call. Built with {@link Builder#renewalUnsupported()}, says it cannot.
   */
  @Override
  public DomainRenewal stopAutoRenew(RenewalRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("stopAutoRenew", true, () -> {
      if (!renewalSupported) {
        return DomainRenewal.unsupported(request.domain(), "the fake registrar does not let anyone change renewals");
      }
      synchronized (lock) {
        Instant expires = renewalsOff.get(request.domain());
        boolean changed = expires == null;
        if (changed) {
          expires = ctx.clock().instant().plus(java.time.Duration.ofDays(365));
          renewalsOff.put(request.domain(), expires);
        }
        return DomainRenewal.off(request.domain(), expires, changed);
      }
    });
  }

  /** The domains whose automatic renewal was turned off, with when they expire. */
  public Map<String, Instant> renewalsOff() {
    synchronized (lock) {
      return Map.copyOf(renewalsOff);
    }
  }

  private Token authorize(DeployCredentials creds, List<String> needed, Instant now) {
    if (!creds.provider().equals(provider)) {
      throw authError("the credential is for " + creds.provider() + ", not " + provider);
    }
    Token t = tokens.get(creds.tokenId());
    if (t == null || t.revoked) {
      throw authError("token " + creds.tokenId() + " does not exist or was deleted");
    }
    if (!t.value.matches(creds.token())) {
      throw authError("token " + t.id + "'s value was rolled; use the current value");
    }
    if (!now.isBefore(t.expiresAt)) {
      throw authError("token " + t.id + " expired at " + t.expiresAt);
    }
    if (!t.accountId.equals(creds.accountId())) {
      throw authError("token " + t.id + " is for account " + t.accountId + ", not " + creds.accountId());
    }
    for (String p : needed) {
      if (!t.permissions.contains(p)) {
        throw authError("token " + t.id + " lacks the permission '" + p + "'");
      }
    }
    return t;
  }

  private ProviderException authError(String message) {
    return new ProviderException(provider, 403, "10000", "cf-ray-fake-" + (++nextId), "Authentication error: " + message,
        false);
  }

  // ---------------------------------------------------------------- observation

  /** Every token minted, in order, as it stands now. */
  public List<MintedToken> tokens() {
    synchronized (lock) {
      return tokens.values().stream().map(Token::view).toList();
    }
  }

  /** Every upload, in order, including ones a later redeploy replaced. */
  public List<Upload> uploads() {
    synchronized (lock) {
      return List.copyOf(uploads);
    }
  }

  /** The scripts deployed now: the latest upload of each, not undeployed. */
  public List<Upload> liveScripts() {
    synchronized (lock) {
      return List.copyOf(live.values());
    }
  }

  /** What was done with the broad token each time credentials were prepared. */
  public List<BroadTokenAction> broadTokenActions() {
    synchronized (lock) {
      return List.copyOf(broadActions);
    }
  }

  /** Every script removed by {@link #undeploy}, in order. */
  public List<Undeployment> undeployments() {
    synchronized (lock) {
      return List.copyOf(undeployments);
    }
  }

  /** Every call made, in order. */
  public List<FaultInjector.Call> calls() {
    return faults.calls();
  }

  /** Makes {@link #verify} report the app as answering (true) or failing with {@code status} (false). */
  public RecordingDeployer setLive(boolean live, int status) {
    synchronized (lock) {
      this.answering = live;
      this.failStatus = status;
    }
    return this;
  }

  /** The {@code nth} call of {@code method} from now on throws {@code error} without doing anything. */
  public RecordingDeployer failOn(String method, int nth, RuntimeException error) {
    faults.failOn(method, nth, error);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on throws {@link SimulatedCrash} without doing anything. */
  public RecordingDeployer crashBefore(String method, int nth) {
    faults.crashBefore(method, nth);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on does its work, then throws {@link SimulatedCrash}. */
  public RecordingDeployer crashAfter(String method, int nth) {
    faults.crashAfter(method, nth);
    return this;
  }

  /** The call recorder and fault injector behind this fake. */
  public FaultInjector faults() {
    return faults;
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  // ---------------------------------------------------------------- records

  /**
   * A deploy token the deployer minted. Holds no secret.
   *
   * @param tokenId its id
   * @param accountId the account it acts on
   * @param permissions its permission names
   * @param allowIps the addresses it may be used from (empty: any)
   * @param denyIps the addresses it may not be used from
   * @param expiresAt when it expires
   * @param domain the zone it was scoped to, when a domain was given
   * @param rolls how many times its value was rolled
   * @param revoked whether it was deleted
   */
  public record MintedToken(String tokenId, String accountId, List<String> permissions, List<String> allowIps,
      List<String> denyIps, Instant expiresAt, @Nullable String domain, int rolls, boolean revoked) {}

  /**
   * One upload of a script.
   *
   * @param accountId the account
   * @param scriptName the script
   * @param mainModule the main module's path
   * @param modules every module's path
   * @param bindings the binding names
   * @param domain the custom domain bound, when one was
   * @param tokenId the token that uploaded it
   * @param versionId the version this upload created
   * @param at when
   */
  public record Upload(String accountId, String scriptName, String mainModule, List<String> modules, List<String> bindings,
      @Nullable String domain, String tokenId, String versionId, Instant at) {}

  /**
   * What was done with the broad token.
   *
   * @param accountId the account
   * @param outcome kept, rolled or deleted
   * @param at when
   */
  public record BroadTokenAction(String accountId, PreparedCredentials.BroadOutcome outcome, Instant at) {}

  /**
   * A script removed.
   *
   * @param accountId the account
   * @param scriptName the script
   * @param at when
   */
  public record Undeployment(String accountId, String scriptName, Instant at) {}

  private static final class Token {
    final String id;
    final String accountId;
    Secret value;
    final List<String> permissions;
    final List<String> allowIps;
    final List<String> denyIps;
    Instant expiresAt;
    final @Nullable String domain;
    int rolls;
    boolean revoked;

    Token(String id, String accountId, Secret value, List<String> permissions, List<String> allowIps, List<String> denyIps,
        Instant expiresAt, @Nullable String domain) {
      this.id = id;
      this.accountId = accountId;
      this.value = value;
      this.permissions = List.copyOf(permissions);
      this.allowIps = List.copyOf(allowIps);
      this.denyIps = List.copyOf(denyIps);
      this.expiresAt = expiresAt;
      this.domain = domain;
    }

    MintedToken view() {
      return new MintedToken(id, accountId, permissions, allowIps, denyIps, expiresAt, domain, rolls, revoked);
    }
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link RecordingDeployer}. */
  public static final class Builder {
    private String provider = DEFAULT_PROVIDER;
    private String service = DEFAULT_SERVICE;
    private String subdomain = DEFAULT_ACCOUNT_SUBDOMAIN;
    private boolean live = true;
    private int failStatus = 500;
    private int notLiveFor;
    private boolean renewalSupported = true;

    private Builder() {}

    /** Makes {@link RecordingDeployer#stopAutoRenew} say the registrar does not let it change renewals. */
    public Builder renewalUnsupported() {
      this.renewalSupported = false;
      return this;
    }

    /** The provider it deploys to; {@value RecordingDeployer#DEFAULT_PROVIDER} by default. */
    public Builder provider(String name) {
      this.provider = nonBlank("provider", name);
      return this;
    }

    /** The catalog service to provision before deploying; {@value RecordingDeployer#DEFAULT_SERVICE} by default. */
    public Builder deployableService(String serviceId) {
      this.service = nonBlank("deployableService", serviceId);
      return this;
    }

    /** The account's workers.dev subdomain, as in {@code https://<script>.<subdomain>.workers.dev}. */
    public Builder accountSubdomain(String sub) {
      String s = nonBlank("accountSubdomain", sub).toLowerCase(Locale.ROOT);
      if (!s.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
        throw new InvalidRequestException("accountSubdomain", "'" + sub + "' is not a DNS label", "pass such as \"acme\"");
      }
      this.subdomain = s;
      return this;
    }

    /** Makes every {@link #verify} fail with {@code status} (the app never answers). */
    public Builder notLive(int status) {
      this.live = false;
      this.failStatus = status;
      return this;
    }

    /** Makes the first {@code checks} verifications fail with 522 before the app answers. */
    public Builder notLiveFor(int checks) {
      if (checks < 0) {
        throw new InvalidRequestException("notLiveFor", "must be 0 or more (was " + checks + ")", "pass 0 to answer at once");
      }
      this.notLiveFor = checks;
      return this;
    }

    private static String nonBlank(String field, String v) {
      if (v == null || v.isBlank()) {
        throw new InvalidRequestException(field, "is empty", "pass a non-empty value");
      }
      return v;
    }

    public RecordingDeployer build() {
      return new RecordingDeployer(this);
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "RecordingDeployer{" + provider + ", tokens=" + tokens.size() + ", live=" + live.keySet() + "}";
    }
  }
}
