package io.agentprovision.testing.cloudflare;

import com.sun.net.httpserver.HttpServer;
import io.agentprovision.core.Secret;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.cloudflare.SandboxApi.Reply;
import io.agentprovision.testing.cloudflare.SandboxModel.Account;
import io.agentprovision.testing.cloudflare.SandboxModel.Policy;
import io.agentprovision.testing.cloudflare.SandboxModel.Registration;
import io.agentprovision.testing.cloudflare.SandboxModel.Script;
import io.agentprovision.testing.cloudflare.SandboxModel.Token;
import io.agentprovision.testing.cloudflare.SandboxModel.Zone;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful loopback simulator of the Cloudflare v4 API subset the SDK calls. It checks bearer
 * tokens, their policies and their {@code condition.request_ip} (against a client address the
 * test sets, else the socket's), expiry and validity window, and answers refusals with
 * Cloudflare's errors (10000 authentication error, 9109 wrong location, 1000 invalid token, 6003
 * with an {@code error_chain} for a malformed header). It keeps accounts, account- and user-owned
 * tokens with a permission-group table, Worker scripts (the multipart upload is parsed and
 * validated as Cloudflare does: a JSON {@code metadata} part is required, flattened
 * {@code metadata[...]} fields get 10021), workers.dev subdomains, custom domains (the hostname
 * must be in a zone of the same account), routes, zones (1061 on a duplicate), the 2026 Registrar
 * (search, check with pricing, registrations whose workflow goes through {@code pending} and
 * {@code in_progress}, and can be told to need action or fail; the {@code registrar-sandbox} path),
 * notification policies, and 429/971/{@code Retry-After} on demand. With workerd installed
 * ({@link WorkerdRuntime}), uploaded Workers really run, and {@link #appClient()} reaches them by
 * hostname.
 *
 * <pre>{@code
 * try (CloudflareSandbox cf = CloudflareSandbox.start()) {
 *   String account = cf.createAccount("Ada's account");
 *   Secret broad = cf.mintBroadToken(account);
 *   String zoneId = cf.registerDomain(account, "ada.dev");
 *   CloudflareDeployer deployer = CloudflareDeployer.builder()
 *       .baseUrl(cf.baseUrl()).appClient(cf.appClient()).build();
 *   ...
 *   assertThat(cf.scripts(account)).extracting(CloudflareSandbox.ScriptView::name).contains("hello");
 * }
 * }</pre>
 */
public final class CloudflareSandbox implements AutoCloseable {
  /** The id of the sandbox's single user. */
  public static final String USER_ID = "7c5dae5552338874e5053f2534d2767a";
  /** The sandbox user's e-mail. */
  public static final String USER_EMAIL = "ada@example.com";
  /** Cloudflare's per-token limit: requests per five-minute window. */
  public static final int RATE_LIMIT = 1200;
  /** Registration prices (first year, renewal) per TLD, in USD. */
  public static final Map<String, String[]> DEFAULT_PRICES = Map.of(
      "com", new String[] {"10.44", "10.44"},
      "net", new String[] {"11.86", "11.86"},
      "org", new String[] {"10.11", "10.11"},
      "dev", new String[] {"12.00", "12.00"},
      "app", new String[] {"14.00", "14.00"},
      "io", new String[] {"49.00", "49.00"});

  private static final Logger LOG = LoggerFactory.getLogger(CloudflareSandbox.class);

  static {
    // Without TCP_NODELAY the JDK server's header and body writes meet delayed ACKs: ~40 ms a call.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }
  private static final List<String> SUGGESTION_TLDS = List.of("com", "net", "dev", "app", "org", "io");

  /** How a registration's workflow runs. */
  public enum RegistrationScript {
    /** {@code pending}, then {@code in_progress}, then {@code succeeded} (one step per poll). */
    SUCCEED,
    /** As {@link #SUCCEED} but stops at {@code action_required} until {@link #resolveAction}. */
    ACTION_REQUIRED,
    /** {@code pending}, {@code in_progress}, then {@code failed}. */
    FAIL,
    /** Done at once: 201 unless the client asked for {@code Prefer: respond-async}. */
    INSTANT
  }

  /** Whether to run uploaded Workers with workerd. */
  public enum WorkerdMode {
    /** Use workerd when {@link WorkerdRuntime#locate()} finds it. */
    AUTO,
    /** Never. */
    OFF
  }

  final Object lock = new Object();
  final Clock clock;
  final Map<String, Account> accounts = new LinkedHashMap<>();
  final Map<String, Token> tokens = new LinkedHashMap<>();
  final Map<String, Token> tokensByValue = new LinkedHashMap<>();
  final Map<String, Zone> zones = new LinkedHashMap<>();
  private final Map<String, String[]> prices;
  private final Set<String> taken = new LinkedHashSet<>();
  private final Set<String> premium = new LinkedHashSet<>();
  private final Map<String, RegistrationScript> registrationScripts = new LinkedHashMap<>();
  private volatile RegistrationScript defaultRegistration = RegistrationScript.SUCCEED;
  private final Map<String, long[]> windows = new LinkedHashMap<>();
  private final AtomicInteger pending429 = new AtomicInteger();
  private volatile @Nullable Duration retryAfter429;
  private volatile @Nullable String clientIp;
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final SecureRandom random = new SecureRandom();
  private final HttpServer server;
  private final ExecutorService executor;
  private final @Nullable WorkerdRuntime runtime;
  private final int frontPort;
  private final SandboxApi api;

  private CloudflareSandbox(Builder b) {
    this.clock = b.clock;
    this.prices = new LinkedHashMap<>(b.prices);
    this.api = new SandboxApi(this);
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the sandbox's loopback port", e);
    }
    executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "cloudflare-sandbox");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", api);
    server.start();
    WorkerdRuntime rt = null;
    int front = -1;
    Path bin = b.workerdBinary != null ? b.workerdBinary
        : b.workerd == WorkerdMode.AUTO ? WorkerdRuntime.locate().orElse(null) : null;
    if (bin != null) {
      try {
        rt = WorkerdRuntime.create(bin, Files.createTempDirectory("cf-sandbox-workerd"));
        front = rt.startFront(this::scriptKeyForHost);
      } catch (IOException | RuntimeException e) {
        LOG.warn("workerd found at {} but unusable: {}", bin, e.getMessage());
        if (rt != null) {
          rt.close();
        }
        rt = null;
      }
    }
    this.runtime = rt;
    this.frontPort = front;
  }

  /** A sandbox on a free loopback port, with the system clock, using workerd when it is installed. */
  public static CloudflareSandbox start() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The API base to give the client: {@code http://127.0.0.1:<port>/client/v4}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + SandboxApi.PREFIX;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  // ---- admin: accounts, tokens, zones, domains ---------------------------------------------

  /** Creates an account with a generated 32-hex-digit id, returned. */
  public String createAccount(String name) {
    return createAccount(hexId(), name);
  }

  /** Creates an account with {@code id} (32 lower-case hex digits, as Cloudflare's). */
  public String createAccount(String id, String name) {
    if (id == null || !id.matches("[0-9a-f]{32}")) {
      throw new IllegalArgumentException("account ids are 32 lower-case hex digits: " + id);
    }
    synchronized (lock) {
      if (accounts.containsKey(id)) {
        throw new IllegalArgumentException("account " + id + " exists");
      }
      accounts.put(id, new Account(id, Objects.requireNonNull(name, "name"), clock.instant()));
    }
    return id;
  }

  /**
   * Mints an account-owned token with every account permission on the account and every zone
   * permission on all its zones, as an orchestrator hands out: the broad credential.
   */
  public Secret mintBroadToken(String accountId) {
    Map<String, Object> accountRes = Map.of(SandboxPermissions.ACCOUNT + "." + accountId, "*");
    Map<String, Object> zoneRes = Map.of(SandboxPermissions.ACCOUNT + "." + accountId,
        Map.of(SandboxPermissions.ZONE + ".*", "*"));
    List<Policy> policies = List.of(
        new Policy(hexId(), "allow", ids(SandboxPermissions.accountGroups()), accountRes),
        new Policy(hexId(), "allow", ids(SandboxPermissions.zoneGroups()), zoneRes));
    return mint(accountId, "broad token for " + accountId, policies, List.of(), null);
  }

  /** Mints a user-owned token with the same reach as {@link #mintBroadToken} plus user token management. */
  public Secret mintUserToken(String accountId) {
    account(accountId);
    List<Policy> policies = List.of(
        new Policy(hexId(), "allow", ids(SandboxPermissions.accountGroups()), Map.of(SandboxPermissions.ACCOUNT + "." + accountId, "*")),
        new Policy(hexId(), "allow", ids(SandboxPermissions.zoneGroups()), Map.of(SandboxPermissions.ACCOUNT + "." + accountId,
            Map.of(SandboxPermissions.ZONE + ".*", "*"))),
        new Policy(hexId(), "allow", ids(SandboxPermissions.userGroups()), Map.of(SandboxPermissions.USER + "." + USER_ID, "*")));
    return mint(null, "user token", policies, List.of(), null);
  }

  /**
   * Mints an account-owned token granting, per resource key ({@code com.cloudflare.api.account.<id>},
   * {@code com.cloudflare.api.account.zone.<id>}), the named permission groups.
   */
  public Secret mintToken(String accountId, String name, Map<String, List<String>> groupsByResource, List<String> allowIps,
      @Nullable Instant expiresOn) {
    List<Policy> policies = new ArrayList<>();
    groupsByResource.forEach((resource, names) -> {
      List<String> gids = new ArrayList<>();
      for (String n : names) {
        gids.add(SandboxPermissions.byName(n).id());
      }
      policies.add(new Policy(hexId(), "allow", gids, Map.of(resource, "*")));
    });
    return mint(accountId, name, policies, allowIps, expiresOn);
  }

  private Secret mint(@Nullable String accountId, String name, List<Policy> policies, List<String> allowIps,
      @Nullable Instant expiresOn) {
    synchronized (lock) {
      if (accountId != null) {
        account(accountId);
      }
      Token t = new Token(hexId(), accountId, name, tokenValue(), policies, List.copyOf(allowIps), List.of(), null, expiresOn,
          clock.instant());
      tokens.put(t.id, t);
      tokensByValue.put(t.value, t);
      return Secret.of(t.value);
    }
  }

  private static List<String> ids(List<SandboxPermissions.Group> groups) {
    return groups.stream().map(SandboxPermissions.Group::id).toList();
  }

  /**
   * Registers {@code domain} for the account without the API, as if bought earlier: an active
   * registration and an active zone. Returns the zone id.
   */
  public String registerDomain(String accountId, String domain) {
    synchronized (lock) {
      Account a = account(accountId);
      String d = domain.toLowerCase(Locale.ROOT);
      // as at Cloudflare, a registration renews itself unless someone turns that off
      Registration reg = new Registration(d, 1, true, clock.instant(), RegistrationScript.INSTANT, false);
      reg.state = "succeeded";
      a.registrations.put(d, reg);
      taken.add(d);
      Zone existing = zoneByName(d);
      return existing != null ? existing.id : addZone(accountId, d, "active", true).id;
    }
  }

  /**
   * What the Registrar would answer a search for {@code query}: the same names, availability and
   * decimal prices as {@code GET …/registrar/domain-search}, read without a token.
   */
  public List<DomainQuote> quoteDomains(String query) {
    Objects.requireNonNull(query, "query");
    synchronized (lock) {
      List<DomainQuote> out = new ArrayList<>();
      for (String name : suggestions(query, List.of(), 20)) {
        Map<String, Object> a = availability(name, false);
        Map<?, ?> pricing = a.get("pricing") instanceof Map<?, ?> m ? m : Map.of();
        out.add(new DomainQuote(name, Boolean.TRUE.equals(a.get("registrable")), (String) a.get("reason"),
            (String) pricing.get("currency"), (String) pricing.get("registration_cost")));
      }
      return out;
    }
  }

  /**
   * A name the Registrar offers.
   *
   * @param name the full domain name
   * @param registrable whether the API can register it now
   * @param reason why not, when it cannot ({@code domain_unavailable}, {@code domain_premium}…)
   * @param currency the price's currency, when priced
   * @param registrationCost the first year's price as a decimal string, when priced
   */
  public record DomainQuote(String name, boolean registrable, @Nullable String reason, @Nullable String currency,
      @Nullable String registrationCost) {}

  /** Adds a zone by hand (status {@code pending} until {@link #activateZone}); returns its id. */
  public String addZone(String accountId, String name) {
    synchronized (lock) {
      account(accountId);
      return addZone(accountId, name.toLowerCase(Locale.ROOT), "pending", false).id;
    }
  }

  /** Marks a zone active, as when its name servers point at Cloudflare. */
  public void activateZone(String zoneId) {
    synchronized (lock) {
      Zone z = zones.get(zoneId);
      if (z == null) {
        throw new IllegalArgumentException("no zone " + zoneId);
      }
      z.status = "active";
      z.activatedOn = clock.instant();
    }
  }

  /** Makes {@code domain} unavailable, as if someone else owned it. */
  public void takeDomain(String domain) {
    synchronized (lock) {
      taken.add(domain.toLowerCase(Locale.ROOT));
    }
  }

  /** Makes {@code domain} a premium name the API cannot register. */
  public void premiumDomain(String domain) {
    synchronized (lock) {
      premium.add(domain.toLowerCase(Locale.ROOT));
    }
  }

  /** How the registration of {@code domain} will run. */
  public void scriptRegistration(String domain, RegistrationScript script) {
    synchronized (lock) {
      registrationScripts.put(domain.toLowerCase(Locale.ROOT), Objects.requireNonNull(script, "script"));
    }
  }

  /** How registrations not scripted one by one run ({@link RegistrationScript#SUCCEED} unless set). */
  public void defaultRegistration(RegistrationScript script) {
    defaultRegistration = Objects.requireNonNull(script, "script");
  }

  /** The human did what {@code action_required} asked: the next poll moves the workflow on to success. */
  public void resolveAction(String domain) {
    synchronized (lock) {
      String d = domain.toLowerCase(Locale.ROOT);
      for (Account a : accounts.values()) {
        for (Map<String, Registration> regs : List.of(a.registrations, a.sandboxRegistrations)) {
          Registration r = regs.get(d);
          if (r != null) {
            r.actionResolved = true;
          }
        }
      }
    }
  }

  /** The client address the sandbox sees for {@code condition.request_ip} checks (null: the socket's). */
  public void clientIp(@Nullable String ip) {
    if (ip != null && Cidr.parse(ip) == null) {
      throw new IllegalArgumentException("not an IP address: " + ip);
    }
    this.clientIp = ip;
  }

  /**
   * The next {@code count} requests get 429 with error 971; with {@code retryAfter}, also a
   * {@code Retry-After} header and {@code Ratelimit: "default";r=0;t=<seconds>}.
   */
  public void rateLimitNext(int count, @Nullable Duration retryAfter) {
    this.retryAfter429 = retryAfter;
    pending429.set(count);
  }

  // ---- views for assertions -----------------------------------------------------------------

  /** A stored script. Secret binding values are shown as {@code [redacted]}. */
  public record ScriptView(String name, String mainModule, String compatibilityDate, List<String> compatibilityFlags,
      Map<String, ModuleView> modules, List<Map<String, Object>> bindings, boolean subdomainEnabled, String etag,
      int uploads) {}

  /** A stored module. */
  public record ModuleView(String contentType, String text) {}

  /** A token as stored, without its value. */
  public record TokenView(String id, String name, String status, @Nullable String accountId, List<PolicyView> policies,
      List<String> allowIps, List<String> denyIps, @Nullable Instant notBefore, @Nullable Instant expiresOn) {}

  /** One token policy: effect, permission group names, resources. */
  public record PolicyView(String effect, List<String> permissions, Map<String, Object> resources) {}

  /** A custom domain. */
  public record DomainView(String id, String hostname, String service, String zoneId, String zoneName) {}

  /** A zone. */
  public record ZoneView(String id, String name, String status, String accountId) {}

  /** A route. */
  public record RouteView(String id, String pattern, String script) {}

  /** A registration and its workflow state. */
  public record RegistrationView(String domain, String state, int polls, boolean sandbox, boolean autoRenew) {}

  /**
   * One request as the sandbox saw it (never the Authorization header).
   *
   * @param method the method
   * @param path the path below {@code /client/v4}, with the query
   * @param contentType the request's content type, when given
   * @param body the raw body
   * @param clientIp the address the IP conditions were checked against
   * @param status the status answered
   * @param responseBody the JSON answered, when any
   * @param tokenId the calling token's id, when it authenticated
   */
  public record RecordedRequest(String method, String path, @Nullable String contentType, byte[] body, String clientIp,
      int status, @Nullable String responseBody, @Nullable String tokenId) {
    /** The body as UTF-8 text. */
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /** The path without the query. */
    public String pathOnly() {
      int q = path.indexOf('?');
      return q < 0 ? path : path.substring(0, q);
    }
  }

  public List<ScriptView> scripts(String accountId) {
    synchronized (lock) {
      List<ScriptView> out = new ArrayList<>();
      for (Script s : account(accountId).scripts.values()) {
        out.add(view(s));
      }
      return out;
    }
  }

  public Optional<ScriptView> script(String accountId, String name) {
    synchronized (lock) {
      Script s = account(accountId).scripts.get(name);
      return Optional.ofNullable(s == null ? null : view(s));
    }
  }

  /** Whether the script's secret binding {@code binding} holds {@code value}. */
  public boolean secretBindingMatches(String accountId, String script, String binding, Secret value) {
    synchronized (lock) {
      Script s = account(accountId).scripts.get(script);
      if (s == null) {
        return false;
      }
      for (Map<String, Object> b : s.bindings) {
        if (binding.equals(b.get("name")) && "secret_text".equals(b.get("type")) && b.get("text") instanceof String t) {
          return value.matches(t);
        }
      }
      return false;
    }
  }

  private static ScriptView view(Script s) {
    Map<String, ModuleView> modules = new LinkedHashMap<>();
    s.modules.forEach((k, m) -> modules.put(k, new ModuleView(m.contentType(), new String(m.content(), StandardCharsets.UTF_8))));
    List<Map<String, Object>> bindings = new ArrayList<>();
    for (Map<String, Object> b : s.bindings) {
      Map<String, Object> copy = new LinkedHashMap<>(b);
      if ("secret_text".equals(copy.get("type"))) {
        copy.put("text", "[redacted]");
      }
      bindings.add(copy);
    }
    return new ScriptView(s.name, s.mainModule, s.compatibilityDate, s.compatibilityFlags, modules, bindings,
        s.subdomainEnabled, s.etag, s.uploads);
  }

  /** The account-owned tokens of the account. */
  public List<TokenView> tokens(String accountId) {
    synchronized (lock) {
      account(accountId);
      List<TokenView> out = new ArrayList<>();
      for (Token t : tokens.values()) {
        if (accountId.equals(t.accountId)) {
          out.add(view(t));
        }
      }
      return out;
    }
  }

  /** The token {@code id}, if it exists. */
  public Optional<TokenView> token(String id) {
    synchronized (lock) {
      Token t = tokens.get(id);
      return Optional.ofNullable(t == null ? null : view(t));
    }
  }

  /** The token whose secret value is {@code value}, if it exists. */
  public Optional<TokenView> tokenByValue(Secret value) {
    Objects.requireNonNull(value, "value");
    synchronized (lock) {
      Token t = tokensByValue.get(value.reveal());
      return Optional.ofNullable(t == null ? null : view(t));
    }
  }

  /** Deletes the token {@code id} without the API, as its owner would in the dashboard; false when there is none. */
  public boolean revokeToken(String id) {
    synchronized (lock) {
      Token t = tokens.get(id);
      if (t == null) {
        return false;
      }
      deleteToken(t);
      return true;
    }
  }

  /** The user-owned tokens. */
  public List<TokenView> userTokens() {
    synchronized (lock) {
      List<TokenView> out = new ArrayList<>();
      for (Token t : tokens.values()) {
        if (t.accountId == null) {
          out.add(view(t));
        }
      }
      return out;
    }
  }

  private static TokenView view(Token t) {
    List<PolicyView> policies = new ArrayList<>();
    for (Policy p : t.policies) {
      List<String> names = new ArrayList<>();
      for (String gid : p.groupIds()) {
        SandboxPermissions.Group g = SandboxPermissions.byId(gid);
        names.add(g == null ? gid : g.name());
      }
      policies.add(new PolicyView(p.effect(), names, p.resources()));
    }
    return new TokenView(t.id, t.name, t.status, t.accountId, policies, t.allowIps, t.denyIps, t.notBefore, t.expiresOn);
  }

  public List<DomainView> workerDomains(String accountId) {
    synchronized (lock) {
      List<DomainView> out = new ArrayList<>();
      for (SandboxModel.WorkerDomain d : account(accountId).domains.values()) {
        out.add(new DomainView(d.id(), d.hostname(), d.service(), d.zoneId(), d.zoneName()));
      }
      return out;
    }
  }

  public List<ZoneView> zones(String accountId) {
    synchronized (lock) {
      List<ZoneView> out = new ArrayList<>();
      for (Zone z : zones.values()) {
        if (z.accountId.equals(accountId)) {
          out.add(new ZoneView(z.id, z.name, z.status, z.accountId));
        }
      }
      return out;
    }
  }

  public List<RouteView> routes(String zoneId) {
    synchronized (lock) {
      Zone z = zones.get(zoneId);
      if (z == null) {
        return List.of();
      }
      return z.routes.values().stream().map(r -> new RouteView(r.id(), r.pattern(), r.script())).toList();
    }
  }

  /** Registrations of the account, the registrar-sandbox ones included. */
  public List<RegistrationView> registrations(String accountId) {
    synchronized (lock) {
      Account a = account(accountId);
      List<RegistrationView> out = new ArrayList<>();
      for (Registration r : a.registrations.values()) {
        out.add(new RegistrationView(r.domain, r.state, r.polls, false, r.autoRenew));
      }
      for (Registration r : a.sandboxRegistrations.values()) {
        out.add(new RegistrationView(r.domain, r.state, r.polls, true, r.autoRenew));
      }
      return out;
    }
  }

  public Optional<String> workersSubdomain(String accountId) {
    synchronized (lock) {
      return Optional.ofNullable(account(accountId).subdomain);
    }
  }

  /** The notification policies of the account, as created. */
  public List<Map<String, Object>> notificationPolicies(String accountId) {
    synchronized (lock) {
      return List.copyOf(account(accountId).notificationPolicies);
    }
  }

  /** Every request so far, in order. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  public void clearRequests() {
    requests.clear();
  }

  /** The permission group names the sandbox offers. */
  public List<String> permissionGroupNames() {
    return SandboxPermissions.all().stream().map(SandboxPermissions.Group::name).toList();
  }

  /** The id the sandbox gives the permission group {@code name}. */
  public String permissionGroupId(String name) {
    return SandboxPermissions.byName(name).id();
  }

  // ---- the app side -------------------------------------------------------------------------

  /** The local workerd runtime, when one was found. */
  public Optional<WorkerdRuntime> runtime() {
    return Optional.ofNullable(runtime);
  }

  /**
   * An okhttp client that reaches deployed apps: {@code https://<host>/path} goes to the loopback
   * front (plain HTTP, {@code Host} kept), which dispatches to the Worker bound to that host. Without
   * workerd every call fails with an {@link IOException} saying "no local runtime".
   */
  public OkHttpClient appClient() {
    return appClient(new OkHttpClient());
  }

  /**
   * {@link #appClient()} derived from {@code base} with {@code newBuilder()}: it shares the base's
   * pools, and the base's interceptors see every exchange with the apps (a test's recorder, a
   * simulated network delay).
   */
  public OkHttpClient appClient(OkHttpClient base) {
    return base.newBuilder().addInterceptor(chain -> {
      Request req = chain.request();
      if (runtime == null) {
        throw new IOException("no local runtime: workerd was not found (set " + WorkerdRuntime.ENV_BINARY
            + " or run npm install --prefix .workerd workerd at the repository root)");
      }
      HttpUrl target = req.url().newBuilder().scheme("http").host("127.0.0.1").port(frontPort).build();
      return chain.proceed(req.newBuilder().url(target).header("Host", req.url().host()).build());
    }).build();
  }

  /** The key ({@code <account>/<script>}) of the Worker serving {@code host}, or null. */
  @Nullable String scriptKeyForHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    synchronized (lock) {
      if (h.endsWith(".workers.dev")) {
        String[] parts = h.substring(0, h.length() - ".workers.dev".length()).split("\\.");
        if (parts.length == 2) {
          for (Account a : accounts.values()) {
            Script s = a.scripts.get(parts[0]);
            if (parts[1].equals(a.subdomain) && s != null && s.subdomainEnabled) {
              return a.id + "/" + s.name;
            }
          }
        }
        return null;
      }
      for (Account a : accounts.values()) {
        for (SandboxModel.WorkerDomain d : a.domains.values()) {
          if (d.hostname().equals(h) && a.scripts.containsKey(d.service())) {
            return a.id + "/" + d.service();
          }
        }
      }
      for (Zone z : zones.values()) {
        for (SandboxModel.Route r : z.routes.values()) {
          String rh = r.pattern().replaceFirst("^https?://", "").split("/")[0].toLowerCase(Locale.ROOT);
          boolean match = rh.equals(h) || (rh.startsWith("*.") && h.endsWith(rh.substring(1)))
              || (rh.startsWith("*") && !rh.startsWith("*.") && h.endsWith(rh.substring(1)));
          if (match && !r.script().isEmpty()) {
            return z.accountId + "/" + r.script();
          }
        }
      }
      return null;
    }
  }

  /** The key of the Worker serving {@code host} ({@code <account>/<script>}), if any. */
  public Optional<String> workerForHost(String host) {
    return Optional.ofNullable(scriptKeyForHost(host));
  }

  void scriptUploaded(String accountId, Script s) {
    if (runtime == null) {
      return;
    }
    List<WorkerdRuntime.Module> modules = new ArrayList<>();
    s.modules.values().forEach(m -> modules.add(new WorkerdRuntime.Module(m.name(), m.contentType(), m.content())));
    List<WorkerdRuntime.Binding> bindings = new ArrayList<>();
    for (Map<String, Object> b : s.bindings) {
      Object type = b.get("type");
      String name = String.valueOf(b.get("name"));
      if ("plain_text".equals(type) || "secret_text".equals(type)) {
        bindings.add(new WorkerdRuntime.Binding("text", name, String.valueOf(b.get("text"))));
      } else if ("json".equals(type)) {
        bindings.add(new WorkerdRuntime.Binding("json", name, Json.write(b.get("json"))));
      } else {
        LOG.debug("workerd runs {} without its {} binding {}", s.name, type, name);
      }
    }
    try {
      runtime.deploy(accountId + "/" + s.name, new WorkerdRuntime.Worker(s.mainModule, modules, s.compatibilityDate,
          s.compatibilityFlags, bindings));
    } catch (IllegalStateException e) {
      LOG.warn("workerd could not run {}: {}", s.name, e.getMessage());
    }
  }

  void scriptRemoved(String accountId, String name) {
    if (runtime != null) {
      runtime.remove(accountId + "/" + name);
    }
  }

  void routingChanged() {
    // The front resolves hosts on each request; nothing is cached to invalidate.
  }

  // ---- internals used by the API ------------------------------------------------------------

  String clientIpFor(String socketAddress) {
    String ip = clientIp;
    return ip != null ? ip : socketAddress;
  }

  @Nullable Reply takeRateLimit() {
    while (true) {
      int n = pending429.get();
      if (n <= 0) {
        return null;
      }
      if (pending429.compareAndSet(n, n - 1)) {
        break;
      }
    }
    Reply r = SandboxApi.failure(ApiError.of(429, 971, "Please wait and consider throttling your request speed"));
    Duration ra = retryAfter429;
    if (ra != null) {
      r.headers().put("Retry-After", String.valueOf(ra.toSeconds()));
      r.headers().put("Ratelimit", "\"default\";r=0;t=" + ra.toSeconds());
      r.headers().put("Ratelimit-Policy", "\"default\";q=" + RATE_LIMIT + ";w=300");
    }
    return r;
  }

  /** Counts a request against the token's five-minute window; the headers to send. */
  Map<String, String> rateHeaders(String tokenId) {
    long now = clock.instant().getEpochSecond();
    long[] w = windows.computeIfAbsent(tokenId, k -> new long[] {now, 0});
    if (now >= w[0] + 300) {
      w[0] = now;
      w[1] = 0;
    }
    w[1]++;
    long remaining = Math.max(0, RATE_LIMIT - w[1]);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Ratelimit", "\"default\";r=" + remaining + ";t=" + (w[0] + 300 - now));
    h.put("Ratelimit-Policy", "\"default\";q=" + RATE_LIMIT + ";w=300");
    return h;
  }

  void record(SandboxApi.Req req, Reply reply, @Nullable String tokenId) {
    String path = req.rawPath().startsWith(SandboxApi.PREFIX) ? req.rawPath().substring(SandboxApi.PREFIX.length())
        : req.rawPath();
    StringBuilder q = new StringBuilder();
    req.query().forEach((k, vs) -> vs.forEach(v -> q.append(q.length() == 0 ? "?" : "&").append(k).append('=').append(v)));
    requests.add(new RecordedRequest(req.method(), path + q, req.header("Content-Type"), req.body(), req.clientIp(),
        reply.status(), reply.body(), tokenId));
  }

  String rayId() {
    byte[] b = new byte[8];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b) + "-SJC";
  }

  String hexId() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private String tokenValue() {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    StringBuilder sb = new StringBuilder("cfat_");
    for (int i = 0; i < 40; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  Account account(String id) {
    Account a = accounts.get(id);
    if (a == null) {
      throw new IllegalArgumentException("no account " + id);
    }
    return a;
  }

  Zone addZone(String accountId, String name, String status, boolean registrar) {
    Zone z = new Zone(hexId(), name, accountId, status, clock.instant(), registrar);
    if (status.equals("active")) {
      z.activatedOn = clock.instant();
    }
    zones.put(z.id, z);
    return z;
  }

  private @Nullable Zone zoneByName(String name) {
    for (Zone z : zones.values()) {
      if (z.name.equals(name)) {
        return z;
      }
    }
    return null;
  }

  /** The zone of the account that holds {@code host} (the longest matching name). */
  @Nullable Zone zoneForHost(String accountId, String host) {
    Zone best = null;
    for (Zone z : zones.values()) {
      if (z.accountId.equals(accountId) && (host.equals(z.name) || host.endsWith("." + z.name))
          && (best == null || z.name.length() > best.name.length())) {
        best = z;
      }
    }
    return best;
  }

  // ---- tokens -------------------------------------------------------------------------------

  Token createToken(@Nullable String accountId, Map<String, Object> body, boolean fresh) {
    Parsed p = parseToken(accountId, body);
    Token t = new Token(hexId(), accountId, p.name, tokenValue(), p.policies, p.allowIps, p.denyIps, p.notBefore,
        p.expiresOn, clock.instant());
    t.legacyConditionKey = p.legacy;
    tokens.put(t.id, t);
    tokensByValue.put(t.value, t);
    return t;
  }

  void updateToken(Token t, Map<String, Object> body) {
    Parsed p = parseToken(t.accountId, body);
    t.name = p.name;
    t.policies = p.policies;
    t.allowIps = p.allowIps;
    t.denyIps = p.denyIps;
    t.notBefore = p.notBefore;
    t.expiresOn = p.expiresOn;
    if (body.get("status") instanceof String s) {
      if (!List.of("active", "disabled", "expired").contains(s)) {
        throw ApiError.invalid("status must be active, disabled or expired", "/status");
      }
      t.status = s;
    }
    t.modifiedOn = clock.instant();
  }

  String rollToken(Token t) {
    tokensByValue.remove(t.value);
    t.value = tokenValue();
    tokensByValue.put(t.value, t);
    t.modifiedOn = clock.instant();
    return t.value;
  }

  void deleteToken(Token t) {
    tokens.remove(t.id);
    tokensByValue.remove(t.value);
  }

  private record Parsed(String name, List<Policy> policies, List<String> allowIps, List<String> denyIps,
      @Nullable Instant notBefore, @Nullable Instant expiresOn, boolean legacy) {}

  private Parsed parseToken(@Nullable String accountId, Map<String, Object> body) {
    if (!(body.get("name") instanceof String name) || name.isBlank() || name.length() > 120) {
      throw ApiError.invalid("name is required (at most 120 characters)", "/name");
    }
    if (!(body.get("policies") instanceof List<?> rawPolicies) || rawPolicies.isEmpty()) {
      throw ApiError.invalid("policies must hold at least one policy", "/policies");
    }
    List<Policy> policies = new ArrayList<>();
    for (int i = 0; i < rawPolicies.size(); i++) {
      String at = "/policies/" + i;
      if (!(rawPolicies.get(i) instanceof Map<?, ?> pm)) {
        throw ApiError.invalid("a policy must be an object", at);
      }
      if (!(pm.get("effect") instanceof String effect) || (!effect.equals("allow") && !effect.equals("deny"))) {
        throw ApiError.invalid("effect must be allow or deny", at + "/effect");
      }
      if (!(pm.get("permission_groups") instanceof List<?> groups) || groups.isEmpty()) {
        throw ApiError.invalid("permission_groups must not be empty", at + "/permission_groups");
      }
      if (!(pm.get("resources") instanceof Map<?, ?> res) || res.isEmpty()) {
        throw ApiError.invalid("resources must not be empty", at + "/resources");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> resources = new LinkedHashMap<>((Map<String, Object>) res);
      boolean zoneResources = checkResources(accountId, resources, at + "/resources");
      List<String> gids = new ArrayList<>();
      for (int g = 0; g < groups.size(); g++) {
        Object gid = groups.get(g) instanceof Map<?, ?> gm ? gm.get("id") : null;
        SandboxPermissions.Group group = gid instanceof String s ? SandboxPermissions.byId(s) : null;
        if (group == null) {
          throw ApiError.of(400, 1003, "Invalid permission group id", at + "/permission_groups/" + g + "/id");
        }
        boolean fits = group.userScoped() ? accountId == null && resources.keySet().stream()
            .allMatch(k -> k.startsWith(SandboxPermissions.USER + "."))
            : group.zoneScoped() == zoneResources;
        if (!fits) {
          throw ApiError.of(400, 1003, "Permission group " + group.name() + " does not apply to these resources",
              at + "/permission_groups/" + g + "/id");
        }
        gids.add(group.id());
      }
      policies.add(new Policy(hexId(), effect, gids, resources));
    }
    List<String> allow = new ArrayList<>();
    List<String> deny = new ArrayList<>();
    boolean legacy = false;
    if (body.get("condition") instanceof Map<?, ?> cond) {
      Object ip = cond.get("request_ip");
      if (ip == null && cond.get("request.ip") != null) {
        ip = cond.get("request.ip");
        legacy = true;
      }
      if (ip instanceof Map<?, ?> ipm) {
        cidrs(ipm.get("in"), allow, "/condition/request_ip/in");
        cidrs(ipm.get("not_in"), deny, "/condition/request_ip/not_in");
      }
    }
    Instant notBefore = instant(body.get("not_before"), "/not_before");
    Instant expiresOn = instant(body.get("expires_on"), "/expires_on");
    if (expiresOn != null && !expiresOn.isAfter(clock.instant())) {
      throw ApiError.invalid("expires_on must be in the future", "/expires_on");
    }
    if (expiresOn != null && notBefore != null && !expiresOn.isAfter(notBefore)) {
      throw ApiError.invalid("expires_on must be after not_before", "/expires_on");
    }
    return new Parsed(name, policies, allow, deny, notBefore, expiresOn, legacy);
  }

  /** Checks resource keys belong to the account; returns whether they name zones. */
  private boolean checkResources(@Nullable String accountId, Map<String, Object> resources, String at) {
    boolean zone = false;
    boolean account = false;
    for (Map.Entry<String, Object> e : resources.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(SandboxPermissions.ZONE + ".")) {
        String id = key.substring(SandboxPermissions.ZONE.length() + 1);
        Zone z = zones.get(id);
        if (!id.equals("*") && (z == null || (accountId != null && !z.accountId.equals(accountId)))) {
          throw ApiError.invalid("resource " + key + " is not a zone of this account", at);
        }
        zone = true;
      } else if (key.startsWith(SandboxPermissions.ACCOUNT + ".")) {
        String id = key.substring(SandboxPermissions.ACCOUNT.length() + 1);
        if (accountId != null && !id.equals(accountId)) {
          throw ApiError.invalid("an account-owned token can only reach its own account", at);
        }
        if (e.getValue() instanceof Map<?, ?>) {
          zone = true;
        } else {
          account = true;
        }
      } else if (!key.startsWith(SandboxPermissions.USER + ".")) {
        throw ApiError.invalid("unknown resource " + key, at);
      }
      if (!(e.getValue() instanceof String) && !(e.getValue() instanceof Map<?, ?>)) {
        throw ApiError.invalid("resource values are \"*\" or a map of zones", at);
      }
    }
    if (zone && account) {
      throw ApiError.invalid("one policy cannot mix account and zone resources", at);
    }
    return zone;
  }

  private static void cidrs(@Nullable Object list, List<String> out, String at) {
    if (list == null) {
      return;
    }
    if (!(list instanceof List<?> l)) {
      throw ApiError.invalid("must be a list of CIDRs", at);
    }
    for (int i = 0; i < l.size(); i++) {
      String c = String.valueOf(l.get(i));
      if (Cidr.parse(c) == null) {
        throw ApiError.invalid("'" + c + "' is not an IP address or CIDR range", at + "/" + i);
      }
      out.add(c);
    }
  }

  private static @Nullable Instant instant(@Nullable Object v, String at) {
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(String.valueOf(v));
    } catch (DateTimeParseException e) {
      throw ApiError.invalid("must be an RFC 3339 date-time", at);
    }
  }

  // ---- registrar ----------------------------------------------------------------------------

  List<String> suggestions(String q, List<String> exts, int limit) {
    String text = q.trim().toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    String base = text;
    if (text.contains(".")) {
      out.add(text);
      base = text.substring(0, text.indexOf('.'));
    }
    base = base.replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
    if (base.isEmpty()) {
      return out;
    }
    List<String> tlds = exts.isEmpty() ? SUGGESTION_TLDS : exts;
    for (String tld : tlds) {
      String name = base + "." + tld;
      if (!out.contains(name)) {
        out.add(name);
      }
    }
    for (String variant : List.of("get" + base + ".com", base + "-app.com", base + "hq.com")) {
      if ((exts.isEmpty() || exts.contains("com")) && !out.contains(variant)) {
        out.add(variant);
      }
    }
    return out.size() > limit ? new ArrayList<>(out.subList(0, limit)) : out;
  }

  Map<String, Object> availability(String name, boolean sandboxPath) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    String tld = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1) : "";
    String[] price = prices.get(tld);
    if (!name.matches("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}")) {
      m.put("registrable", false);
      m.put("reason", "domain_unavailable");
    } else if (sandboxPath && !tld.equals("com") && !tld.equals("net")) {
      m.put("registrable", false);
      m.put("reason", "extension_not_supported_via_api");
    } else if (price == null) {
      m.put("registrable", false);
      m.put("reason", "extension_not_supported");
    } else if (premium.contains(name)) {
      m.put("registrable", false);
      m.put("reason", "domain_premium");
      m.put("tier", "premium");
      m.put("pricing", Map.of("currency", "USD", "registration_cost", "2500.00", "renewal_cost", price[1]));
    } else if (!sandboxPath && taken.contains(name)) {
      m.put("registrable", false);
      m.put("reason", "domain_unavailable");
    } else if (sandboxPath && sandboxTaken(name)) {
      m.put("registrable", false);
      m.put("reason", "domain_unavailable");
    } else {
      m.put("registrable", true);
      m.put("tier", "standard");
      m.put("pricing", Map.of("currency", "USD", "registration_cost", price[0], "renewal_cost", price[1]));
    }
    return m;
  }

  private boolean sandboxTaken(String name) {
    for (Account a : accounts.values()) {
      Registration r = a.sandboxRegistrations.get(name);
      if (r != null && !r.state.equals("failed")) {
        return true;
      }
    }
    return false;
  }

  Registration startRegistration(Account a, String domain, int years, boolean autoRenew, boolean sandboxPath) {
    RegistrationScript script = registrationScripts.getOrDefault(domain, defaultRegistration);
    Registration reg = new Registration(domain, years, autoRenew, clock.instant(), script, sandboxPath);
    (sandboxPath ? a.sandboxRegistrations : a.registrations).put(domain, reg);
    if (!sandboxPath) {
      taken.add(domain);
    }
    return reg;
  }

  /** Moves a workflow one step, as a poll observes it. */
  void advance(Account a, Registration reg) {
    reg.polls++;
    String before = reg.state;
    switch (reg.state) {
      case "pending":
        reg.state = reg.script == RegistrationScript.INSTANT ? "succeeded" : "in_progress";
        break;
      case "in_progress":
        switch (reg.script) {
          case ACTION_REQUIRED:
            reg.state = reg.actionResolved ? "succeeded" : "action_required";
            break;
          case FAIL:
            reg.state = "failed";
            reg.errorCode = "registry_rejected";
            reg.errorMessage = "The registry refused the registration";
            break;
          default:
            reg.state = "succeeded";
        }
        break;
      case "action_required":
        if (reg.actionResolved) {
          reg.state = "succeeded";
        }
        break;
      default:
        break;
    }
    if (!before.equals(reg.state)) {
      reg.updatedAt = clock.instant();
      if (reg.state.equals("succeeded") && !reg.sandbox && zoneByName(reg.domain) == null) {
        addZone(a.id, reg.domain, "active", true);
      }
      if (reg.state.equals("failed") && !reg.sandbox) {
        taken.remove(reg.domain);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    if (runtime != null) {
      runtime.close();
    }
  }

  @Override
  public String toString() {
    return "CloudflareSandbox{" + baseUrl() + ", workerd=" + (runtime == null ? "none" : runtime.version()) + "}";
  }

  /** Builds a {@link CloudflareSandbox}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private WorkerdMode workerd = WorkerdMode.AUTO;
    private @Nullable Path workerdBinary;
    private final Map<String, String[]> prices = new LinkedHashMap<>(DEFAULT_PRICES);

    private Builder() {}

    /** The clock for token expiry and timestamps (pass the test's {@code VirtualTime}). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public Builder workerd(WorkerdMode mode) {
      this.workerd = Objects.requireNonNull(mode, "workerd");
      return this;
    }

    /** Uses this workerd binary instead of looking for one. */
    public Builder workerdBinary(Path binary) {
      this.workerdBinary = Objects.requireNonNull(binary, "workerdBinary");
      return this;
    }

    /** The registration and renewal price of a TLD, as decimal strings in USD. */
    public Builder price(String tld, String registration, String renewal) {
      prices.put(tld.toLowerCase(Locale.ROOT), new String[] {registration, renewal});
      return this;
    }

    public CloudflareSandbox build() {
      return new CloudflareSandbox(this);
    }
  }
}
