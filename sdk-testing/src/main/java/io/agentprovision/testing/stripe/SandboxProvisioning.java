package io.agentprovision.testing.stripe;

import static io.agentprovision.testing.stripe.SandboxHttp.failed;
import static io.agentprovision.testing.stripe.SandboxHttp.invalid;
import static io.agentprovision.testing.stripe.SandboxHttp.missing;
import static io.agentprovision.testing.stripe.SandboxHttp.notFound;
import static io.agentprovision.testing.stripe.SandboxHttp.onlyKnown;
import static io.agentprovision.testing.stripe.SandboxHttp.optionalObject;
import static io.agentprovision.testing.stripe.SandboxHttp.requireAmount;
import static io.agentprovision.testing.stripe.SandboxHttp.requireObject;
import static io.agentprovision.testing.stripe.SandboxHttp.requireString;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.identity.Pkce;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The sandbox's Provisioning API v2: projects, catalog, eligibility, provider connection requests
 * and connections, resources, payment profile and payment method requests. Calls toward providers
 * go through each provider's {@link ProviderLink} and are made outside any lock, so a provider may
 * call back into the sandbox (to charge a token) while Stripe waits for it.
 */
final class SandboxProvisioning {
  private final Clock clock;
  private final Function<String, String> ids;
  private final SandboxPayments payments;
  private final StripeSandbox.Settings settings;
  private final Map<String, ProviderEntry> providers = new LinkedHashMap<>();
  private final Map<String, Map<String, Object>> projects = new LinkedHashMap<>();
  private final Map<String, ConnectionRequest> requests = new LinkedHashMap<>();
  private final Map<String, Connection> connections = new LinkedHashMap<>();
  private final Map<String, Resource> resources = new LinkedHashMap<>();
  private final Map<String, Map<String, Object>> methodRequests = new LinkedHashMap<>();
  private final Map<String, Limit> providerLimits = new LinkedHashMap<>();
  private @Nullable Limit overallLimit;
  private @Nullable String cardPaymentMethod;
  private @Nullable String cardLast4;
  private volatile String baseUrl = "http://127.0.0.1";

  SandboxProvisioning(Clock clock, Function<String, String> ids, SandboxPayments payments, StripeSandbox.Settings settings,
      List<ProviderLink> links) {
    this.clock = clock;
    this.ids = ids;
    this.payments = payments;
    this.settings = settings;
    for (ProviderLink link : links) {
      ProviderEntry p = new ProviderEntry("prvdr_" + link.listing().name().toLowerCase(Locale.ROOT), link);
      providers.put(p.id, p);
    }
  }

  void baseUrl(String url) {
    this.baseUrl = url;
  }

  // ------------------------------------------------------------------ model

  /** A spend limit on the payment profile. */
  record Limit(String currency, long max, String interval) {
    Map<String, Object> json() {
      return Map.of("currency", currency, "max_amount", Long.toString(max), "recurring_interval", interval);
    }
  }

  private static final class ProviderEntry {
    final String id;
    final ProviderLink link;
    final ProviderLink.Listing listing;
    final Map<String, Map<String, Object>> servicesById = new LinkedHashMap<>();

    ProviderEntry(String id, ProviderLink link) {
      this.id = id;
      this.link = link;
      this.listing = link.listing();
    }

    String name() {
      return listing.name();
    }

    String serviceRef(String serviceId) {
      return "prvsvc_" + name().toLowerCase(Locale.ROOT) + "_" + serviceId.replaceAll("[^A-Za-z0-9]", "_");
    }
  }

  private static final class ConnectionRequest {
    final String id;
    final String provider;
    final Map<String, Object> configuration;
    final @Nullable String challenge;
    final Secret secret;
    final Instant created;
    String status = "requested";
    @Nullable Map<String, Object> schema;
    @Nullable String providerRedirect;
    @Nullable String issuedCode;
    @Nullable String connection;
    @Nullable String errorCode;
    @Nullable String errorMessage;
    boolean informationAnswered;

    ConnectionRequest(String id, String provider, Map<String, Object> configuration, @Nullable String challenge,
        Secret secret, Instant created) {
      this.id = id;
      this.provider = provider;
      this.configuration = configuration;
      this.challenge = challenge;
      this.secret = secret;
      this.created = created;
    }
  }

  private static final class Connection {
    final String id;
    final String provider;
    final ProviderLink.Grant grant;
    final String linkAction;
    final Instant created;
    String status = "active";

    Connection(String id, String provider, ProviderLink.Grant grant, String linkAction, Instant created) {
      this.id = id;
      this.provider = provider;
      this.grant = grant;
      this.linkAction = linkAction;
      this.created = created;
    }
  }

  private static final class Resource {
    final String id;
    final String provider;
    final String project;
    final String name;
    final String environment;
    final Instant created;
    String serviceId;
    Map<String, Object> configuration;
    String status = "pending";
    @Nullable String remoteId;
    boolean providerPending;
    int hiddenReads;
    @Nullable Map<String, Object> schema;
    @Nullable String errorCode;
    @Nullable String errorMessage;
    @Nullable Map<String, Secret> access;
    @Nullable Instant accessCreated;
    boolean unlinked;

    Resource(String id, String provider, String serviceId, Map<String, Object> configuration, String project, String name,
        String environment, Instant created) {
      this.id = id;
      this.provider = provider;
      this.serviceId = serviceId;
      this.configuration = configuration;
      this.project = project;
      this.name = name;
      this.environment = environment;
      this.created = created;
    }
  }

  // ------------------------------------------------------------------ projects

  synchronized Map<String, Object> createProject(Map<String, Object> body) {
    onlyKnown(body, Set.of("name", "catalog", "project_profile"));
    String name = requireString(body, "name");
    String catalog = catalog(body.get("catalog"));
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("id", ids.apply("proj"));
    p.put("object", "v2.provisioning.project");
    p.put("name", name);
    p.put("catalog", catalog);
    p.put("created", clock.instant().toString());
    p.put("livemode", false);
    Map<String, Object> profile = new LinkedHashMap<>();
    profile.put("email", settings.email);
    profile.put("verified_fields", settings.verifiedFields);
    p.put("profile", profile);
    p.put("project_profile", settings.profileId);
    projects.put((String) p.get("id"), p);
    return p;
  }

  synchronized Map<String, Object> listProjects() {
    return SandboxHttp.list(new ArrayList<>(projects.values()));
  }

  // ------------------------------------------------------------------ catalog

  synchronized Map<String, Object> listProviders(Map<String, String> query) {
    catalog(query.get("catalog"));
    List<Map<String, Object>> out = new ArrayList<>();
    for (ProviderEntry p : providers.values()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("id", p.id);
      j.put("object", "v2.provisioning.provider");
      j.put("name", p.name());
      j.put("description", p.listing.description());
      j.put("categories", p.listing.categories());
      j.put("configuration_schema", Map.of("type", "object"));
      j.put("tos_url", p.listing.termsOfService());
      j.put("privacy_policy_url", null);
      j.put("website_url", null);
      j.put("livemode", false);
      out.add(j);
    }
    return SandboxHttp.list(out);
  }

  Map<String, Object> listServices(Map<String, String> query) {
    catalog(query.get("catalog"));
    String filter = query.get("provider_name");
    List<ProviderEntry> selected = new ArrayList<>();
    synchronized (this) {
      for (ProviderEntry p : providers.values()) {
        if (filter == null || filter.equalsIgnoreCase(p.name())) {
          selected.add(p);
        }
      }
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (ProviderEntry p : selected) {
      out.addAll(services(p).values());
    }
    return SandboxHttp.list(out);
  }

  /** The provider's services as Stripe's catalog shows them, read from the provider once. */
  private Map<String, Map<String, Object>> services(ProviderEntry p) {
    synchronized (p) {
      if (p.servicesById.isEmpty()) {
        for (Map<String, Object> s : p.link.services()) {
          String serviceId = String.valueOf(s.get("id"));
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("id", p.serviceRef(serviceId));
          d.put("object", "v2.provisioning.provider_service_detail");
          d.put("service_id", serviceId);
          d.put("provider", p.id);
          d.put("provider_name", p.name());
          d.put("description", s.get("description"));
          d.put("categories", s.getOrDefault("categories", List.of()));
          d.put("kind", s.get("kind"));
          d.put("scope", s.getOrDefault("scope", "project"));
          d.put("group", s.get("group"));
          d.put("availability", "available");
          d.put("configuration_schema", s.getOrDefault("configuration_schema", Map.of("type", "object")));
          List<Map<String, Object>> allowed = new ArrayList<>();
          if (s.get("allowed_updates") instanceof List<?> updates) {
            for (Object u : updates) {
              String target = u instanceof Map<?, ?> m ? String.valueOf(m.get("service")) : String.valueOf(u);
              String direction = u instanceof Map<?, ?> m && m.get("direction") != null ? String.valueOf(m.get("direction"))
                  : "upgrade";
              allowed.add(Map.of("service", p.serviceRef(target), "direction", direction));
            }
          }
          d.put("allowed_updates", allowed);
          d.put("pricing", s.getOrDefault("pricing", Map.of("type", "unknown")));
          d.put("livemode", false);
          p.servicesById.put(serviceId, d);
        }
      }
      return new LinkedHashMap<>(p.servicesById);
    }
  }

  synchronized Map<String, Object> eligibility() {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("object", "v2.provisioning.eligibility");
    e.put("is_eligible", settings.eligible);
    e.put("requirements", settings.requirements);
    e.put("livemode", false);
    return e;
  }

  // ------------------------------------------------------------------ connections

  Map<String, Object> createConnectionRequest(Map<String, Object> body) {
    onlyKnown(body, Set.of("provider", "provider_name", "configuration", "code_challenge", "code_challenge_method",
        "project"));
    Object ref = body.get("provider") != null ? body.get("provider") : body.get("provider_name");
    if (!(ref instanceof String providerRef)) {
      throw missing("provider");
    }
    ProviderEntry p = provider(providerRef);
    Map<String, Object> configuration = requireObject(body, "configuration");
    String challenge = body.get("code_challenge") instanceof String s ? s : null;
    Object method = body.get("code_challenge_method");
    if (challenge != null && !"S256".equals(method)) {
      throw invalid("parameter_invalid", "code_challenge_method", "Only S256 is supported.");
    }
    if (challenge != null && !challenge.matches("[A-Za-z0-9_-]{43}")) {
      throw invalid("parameter_invalid", "code_challenge", "A code_challenge is 43 base64url characters.");
    }
    ConnectionRequest r;
    synchronized (this) {
      r = new ConnectionRequest(ids.apply("pcr"), p.id, new LinkedHashMap<>(configuration), challenge,
          Secret.of(ids.apply("cs")), clock.instant());
      requests.put(r.id, r);
      if (settings.linkSchema != null) {
        r.status = "needs_information";
        r.schema = settings.linkSchema;
      }
    }
    if (settings.linkSchema == null) {
      askProvider(r, p);
    }
    synchronized (this) {
      return json(r);
    }
  }

  synchronized Map<String, Object> connectionRequest(String id) {
    return json(request(id));
  }

  Map<String, Object> submitConnectionInformation(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of("information", "confirmation_secret"));
    Map<String, Object> info = requireObject(body, "information");
    ConnectionRequest r;
    String status;
    synchronized (this) {
      r = request(id);
      status = r.status;
    }
    ProviderEntry p = provider(r.provider);
    if ("needs_information".equals(status)) {
      requireAnswers(r.schema, info, "information");
      synchronized (this) {
        r.configuration.putAll(info);
        r.informationAnswered = true;
      }
      askProvider(r, p);
    } else if ("pending_auth".equals(status)) {
      String code = info.get("code") instanceof String s ? s : null;
      if (code == null) {
        throw missing("information[code]");
      }
      synchronized (this) {
        if (r.issuedCode == null || !r.issuedCode.equals(code)) {
          throw invalid("invalid_grant", "information[code]", "The authorization code is not the one issued for this"
              + " request.");
        }
        if (info.get("state") != null && !r.secret.matches(String.valueOf(info.get("state")))) {
          throw invalid("invalid_state", "information[state]", "The state does not match this request.");
        }
        if (r.challenge != null) {
          Object verifier = info.get("code_verifier");
          if (!(verifier instanceof String v) || !Pkce.matches(v, r.challenge)) {
            throw invalid("pkce_verification_failed", "information[code_verifier]",
                "The code_verifier does not match the code_challenge of this request.");
          }
        }
      }
      ProviderLink.Grant grant = p.link.exchangeCode(code);
      connect(r, p, grant, "linked_existing");
    } else {
      throw invalid("request_not_awaiting_information", null, "The connection request is " + status + ".");
    }
    synchronized (this) {
      return json(r);
    }
  }

  /** The human completes consent at the provider; returns the callback parameters. */
  Map<String, String> consent(String id) {
    ConnectionRequest r;
    synchronized (this) {
      r = request(id);
      if (!"pending_auth".equals(r.status)) {
        throw new IllegalStateException("connection request " + id + " is " + r.status + ", not pending_auth");
      }
    }
    ProviderEntry p = provider(r.provider);
    String code = p.link.consent(r.secret.reveal());
    synchronized (this) {
      r.issuedCode = code;
    }
    if (r.challenge == null) {
      // Without PKCE, Stripe's own callback finishes the link.
      connect(r, p, p.link.exchangeCode(code), "linked_existing");
    }
    return Map.of("code", code, "state", r.secret.reveal());
  }

  synchronized void denyConsent(String id) {
    ConnectionRequest r = request(id);
    r.status = "error";
    r.errorCode = "access_denied";
    r.errorMessage = "The account owner declined to link the account.";
  }

  private void askProvider(ConnectionRequest r, ProviderEntry p) {
    ProviderLink.AccountRequest request;
    synchronized (this) {
      request = new ProviderLink.AccountRequest(r.id, settings.email, settings.name, settings.verifiedFields,
          r.configuration, r.secret, clock.instant().plus(Duration.ofMinutes(30)));
    }
    ProviderLink.AccountAnswer a = p.link.requestAccount(request);
    switch (a.type()) {
      case CREDENTIALS:
        connect(r, p, a.grant(), "created");
        break;
      case OAUTH:
        connect(r, p, p.link.exchangeCode(String.valueOf(a.code())), "created");
        break;
      case REQUIRES_AUTH:
        synchronized (this) {
          r.status = "pending_auth";
          r.providerRedirect = String.valueOf(a.redirectUrl());
        }
        break;
      default:
        synchronized (this) {
          r.status = "error";
          r.errorCode = a.errorCode();
          r.errorMessage = a.errorMessage();
        }
    }
  }

  private void connect(ConnectionRequest r, ProviderEntry p, ProviderLink.@Nullable Grant grant, String action) {
    if (grant == null) {
      throw new IllegalStateException("provider " + p.name() + " answered credentials without a grant");
    }
    synchronized (this) {
      Connection c = new Connection(ids.apply("pconn"), p.id, grant, grant.created() ? "created" : action, clock.instant());
      connections.put(c.id, c);
      r.connection = c.id;
      r.status = "complete";
      providerLimits.putIfAbsent(p.id, settings.defaultLimit);
    }
  }

  synchronized Map<String, Object> listConnections() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Connection c : connections.values()) {
      out.add(json(c));
    }
    return SandboxHttp.list(out);
  }

  synchronized Map<String, Object> unlinkConnection(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of());
    Connection c = connections.get(id);
    if (c == null) {
      throw notFound("provider_connection", id);
    }
    c.status = "expired";
    return json(c);
  }

  private Map<String, Object> json(ConnectionRequest r) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("id", r.id);
    j.put("object", "v2.provisioning.provider_connection_request");
    j.put("created", r.created.toString());
    j.put("livemode", false);
    j.put("provider", r.provider);
    j.put("request_status", r.status);
    j.put("scopes", List.of());
    if ("pending_auth".equals(r.status)) {
      j.put("redirect_url", baseUrl + "/sandbox/consent/" + r.id);
    }
    if ("needs_information".equals(r.status)) {
      j.put("needs_information_schema", r.schema);
    }
    if ("error".equals(r.status)) {
      j.put("error", Map.of("code", String.valueOf(r.errorCode), "message", String.valueOf(r.errorMessage)));
    }
    if (r.connection != null) {
      // a request names its connection once it is made, and connections stay
      j.put("provider_connection",
          json(Objects.requireNonNull(connections.get(r.connection), "the request's connection")));
    }
    return j;
  }

  private Map<String, Object> json(Connection c) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("id", c.grant.accountId());
    details.put("display_name", c.grant.displayName());
    details.put("primary_email", c.grant.email() == null ? settings.email : c.grant.email());
    details.put("link_action", c.linkAction);
    List<Map<String, Object>> active = new ArrayList<>();
    for (Resource r : resources.values()) {
      if (r.provider.equals(c.provider) && "complete".equals(r.status) && !r.unlinked) {
        active.add(Map.of("service_id", r.serviceId, "status", "active", "provider_resource_id",
            String.valueOf(r.remoteId)));
      }
    }
    details.put("active_services", active);
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("id", c.id);
    j.put("object", "v2.provisioning.provider_connection");
    j.put("created", c.created.toString());
    j.put("livemode", false);
    j.put("provider", c.provider);
    j.put("provider_account", c.grant.accountId());
    j.put("provider_account_details", details);
    j.put("status", c.status);
    return j;
  }

  private ConnectionRequest request(String id) {
    ConnectionRequest r = requests.get(id);
    if (r == null) {
      throw notFound("provider_connection_request", id);
    }
    return r;
  }

  // ------------------------------------------------------------------ resources

  Map<String, Object> createResource(Map<String, Object> body, @Nullable String idempotencyKey) {
    onlyKnown(body, Set.of("provider", "service_ref", "configuration", "project", "name", "environment", "catalog",
        "livemode"));
    ProviderEntry p = provider(requireString(body, "provider"));
    String serviceId = serviceId(p, requireString(body, "service_ref"));
    Map<String, Object> configuration = requireObject(body, "configuration");
    String environment = body.get("environment") == null ? "prod" : String.valueOf(body.get("environment"));
    if (!Set.of("prod", "dev").contains(environment)) {
      throw invalid("parameter_invalid", "environment", "environment must be one of dev, prod.");
    }
    String project = body.get("project") instanceof String s ? s : null;
    Connection c;
    synchronized (this) {
      if (project != null && !projects.containsKey(project)) {
        throw notFound("project", project);
      }
      c = activeConnection(p);
      if (c == null) {
        throw invalid("provider_connection_required", "provider", "Link a " + p.name()
            + " account before creating resources.");
      }
    }
    Secret spt = paymentTokenFor(p, serviceId, null);
    Resource r;
    synchronized (this) {
      r = new Resource(ids.apply("prvres"), p.id, serviceId, new LinkedHashMap<>(configuration),
          project == null ? "" : project, body.get("name") == null ? serviceId : String.valueOf(body.get("name")),
          environment, clock.instant());
      resources.put(r.id, r);
    }
    ProviderLink.ResourceAnswer a = p.link.createResource(c.grant.accessToken(), new ProviderLink.ResourceCall(r.id,
        serviceId, configuration, spt, r.project, environment, idempotencyKey == null ? r.id : idempotencyKey));
    return applied(r, a);
  }

  Map<String, Object> resource(String id) {
    Resource r;
    ProviderEntry p;
    synchronized (this) {
      r = liveResource(id);
      if (r.hiddenReads > 0) {
        r.hiddenReads--;
        return json(r, true);
      }
      if (!r.providerPending) {
        return json(r, false);
      }
      p = providerOf(r);
    }
    ProviderLink.ResourceAnswer a = p.link.getResource(connectionFor(p).grant.accessToken(), String.valueOf(r.remoteId));
    synchronized (this) {
      apply(r, a);
      return json(r, false);
    }
  }

  Map<String, Object> submitResourceInformation(String id, Map<String, Object> body, @Nullable String idempotencyKey) {
    onlyKnown(body, Set.of("submitted_information"));
    Map<String, Object> info = requireObject(body, "submitted_information");
    Resource r;
    ProviderEntry p;
    Map<String, Object> merged;
    synchronized (this) {
      r = liveResource(id);
      if (!"needs_information".equals(r.status) || r.hiddenReads > 0) {
        throw invalid("resource_not_awaiting_information", null, "The resource is " + r.status + ".");
      }
      requireAnswers(r.schema, info, "submitted_information");
      p = providerOf(r);
      merged = new LinkedHashMap<>(r.configuration);
      merged.putAll(info);
    }
    Secret spt = paymentTokenFor(p, r.serviceId, r.id);
    ProviderLink.ResourceAnswer a = p.link.updateResource(connectionFor(p).grant.accessToken(),
        String.valueOf(r.remoteId), null, merged, spt, idempotencyKey == null ? r.id + ":info" : idempotencyKey);
    synchronized (this) {
      r.configuration = merged;
    }
    return applied(r, a);
  }

  Map<String, Object> updateResource(String id, Map<String, Object> body, @Nullable String idempotencyKey) {
    onlyKnown(body, Set.of("service_ref", "configuration", "catalog"));
    Resource r;
    ProviderEntry p;
    String target = null;
    synchronized (this) {
      r = liveResource(id);
      p = providerOf(r);
    }
    if (body.get("service_ref") != null) {
      target = serviceId(p, String.valueOf(body.get("service_ref")));
      Map<String, Object> current = services(p).get(r.serviceId);
      boolean allowed = false;
      List<?> updates = current != null && current.get("allowed_updates") instanceof List<?> l ? l : List.of();
      for (Object u : updates) {
        if (u instanceof Map<?, ?> m && p.serviceRef(target).equals(m.get("service"))) {
          allowed = true;
        }
      }
      if (!allowed) {
        throw invalid("update_not_allowed", "service_ref", r.serviceId + " cannot be changed to " + target + ".");
      }
    }
    Map<String, Object> configuration = optionalObject(body, "configuration");
    if (target == null && configuration == null) {
      throw invalid("parameter_missing", null, "Pass service_ref, configuration or both.");
    }
    synchronized (this) {
      if (!"complete".equals(r.status)) {
        throw invalid("resource_not_complete", null, "The resource is " + r.status + ".");
      }
    }
    Secret spt = paymentTokenFor(p, target == null ? r.serviceId : target, r.id);
    ProviderLink.ResourceAnswer a = p.link.updateResource(connectionFor(p).grant.accessToken(),
        String.valueOf(r.remoteId), target, configuration == null ? Map.of() : configuration, spt,
        idempotencyKey == null ? r.id + ":update" : idempotencyKey);
    synchronized (this) {
      if (target != null && a.status() != ProviderLink.ResourceAnswer.Status.ERROR) {
        r.serviceId = target;
      }
      if (configuration != null) {
        r.configuration.putAll(configuration);
      }
    }
    return applied(r, a);
  }

  synchronized Map<String, Object> reveal(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of());
    Resource r = liveResource(id);
    if (!"complete".equals(r.status) || r.hiddenReads > 0 || r.access == null) {
      throw invalid("resource_not_complete", null, "Credentials can be revealed once the resource is complete.");
    }
    Map<String, Object> config = new LinkedHashMap<>();
    r.access.forEach((k, v) -> config.put(k, v.reveal()));
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("object", "v2.provisioning.resource_access_configuration");
    j.put("resource", r.id);
    j.put("configuration", config);
    j.put("created", String.valueOf(r.accessCreated));
    j.put("livemode", false);
    return j;
  }

  Map<String, Object> rotate(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of());
    Resource r;
    ProviderEntry p;
    synchronized (this) {
      r = liveResource(id);
      if (!"complete".equals(r.status) || r.hiddenReads > 0) {
        throw invalid("resource_not_complete", null, "Credentials can be rotated once the resource is complete.");
      }
      p = providerOf(r);
    }
    return applied(r, p.link.rotateCredentials(connectionFor(p).grant.accessToken(), String.valueOf(r.remoteId)));
  }

  Map<String, Object> remove(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of());
    Resource r;
    ProviderEntry p;
    synchronized (this) {
      r = liveResource(id);
      if ("removed".equals(r.status)) {
        return json(r, false);
      }
      p = providerOf(r);
    }
    return applied(r, p.link.removeResource(connectionFor(p).grant.accessToken(), String.valueOf(r.remoteId)));
  }

  synchronized Map<String, Object> unlinkResource(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of());
    Resource r = liveResource(id);
    r.unlinked = true;
    return json(r, false);
  }

  private Map<String, Object> applied(Resource r, ProviderLink.ResourceAnswer a) {
    synchronized (this) {
      apply(r, a);
      r.hiddenReads = settings.pendingReads;
      return json(r, settings.pendingReads > 0);
    }
  }

  private void apply(Resource r, ProviderLink.ResourceAnswer a) {
    if (a.id() != null) {
      r.remoteId = a.id();
    }
    r.providerPending = false;
    r.schema = null;
    switch (a.status()) {
      case COMPLETE:
        r.status = "complete";
        if (a.accessConfiguration() != null) {
          r.access = a.accessConfiguration();
          r.accessCreated = clock.instant();
        }
        break;
      case PENDING:
        r.status = "pending";
        r.providerPending = true;
        break;
      case NEEDS_INFORMATION:
        r.status = "needs_information";
        r.schema = a.schema();
        break;
      case REMOVED:
        r.status = "removed";
        break;
      default:
        r.status = "errored";
        r.errorCode = a.errorCode();
        r.errorMessage = a.errorMessage();
    }
  }

  private Map<String, Object> json(Resource r, boolean showPending) {
    String status = showPending ? "pending" : r.status;
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("id", r.id);
    j.put("object", "v2.provisioning.resource");
    j.put("catalog", "prod");
    j.put("created", r.created.toString());
    j.put("environment", r.environment);
    j.put("livemode", false);
    j.put("name", r.name);
    j.put("provider", r.provider);
    j.put("service_ref", providerOf(r).serviceRef(r.serviceId));
    j.put("status", status);
    if ("needs_information".equals(status)) {
      j.put("needs_information_schema", r.schema);
      j.put("user_message", Map.of("message", "The provider needs more information.", "received_at",
          clock.instant().toString()));
    }
    if ("errored".equals(status)) {
      j.put("error_message", r.errorMessage);
      j.put("error_code", r.errorCode);
    }
    return j;
  }

  private Resource liveResource(String id) {
    Resource r = resources.get(id);
    if (r == null || r.unlinked) {
      throw notFound("resource", id);
    }
    return r;
  }

  private synchronized Connection connectionFor(ProviderEntry p) {
    Connection c = activeConnection(p);
    if (c == null) {
      throw failed(400, "invalid_request_error", "provider_connection_required", "The " + p.name()
          + " connection is no longer active.");
    }
    return c;
  }

  private @Nullable Connection activeConnection(ProviderEntry p) {
    for (Connection c : connections.values()) {
      if (c.provider.equals(p.id) && "active".equals(c.status)) {
        return c;
      }
    }
    return null;
  }

  /**
   * The Shared Payment Token Stripe attaches for a service that is not free: issued to the
   * provider's seller profile, capped at what remains of the provider's limit in the current
   * window, short-lived. Null for free services.
   */
  private @Nullable Secret paymentTokenFor(ProviderEntry p, String serviceId, @Nullable String resourceId) {
    Map<String, Object> service = services(p).get(serviceId);
    Object pricing = service == null ? null : service.get("pricing");
    if (pricing instanceof Map<?, ?> m && "free".equals(m.get("type"))) {
      return null;
    }
    String pm;
    Limit limit;
    synchronized (this) {
      if (cardPaymentMethod == null) {
        throw invalid("payment_method_required", null, "Add a payment method before using paid " + p.name()
            + " services.");
      }
      pm = cardPaymentMethod;
      limit = providerLimits.getOrDefault(p.id, settings.defaultLimit);
    }
    Instant now = clock.instant();
    SpendInterval interval = "week".equals(limit.interval()) ? SpendInterval.WEEKLY
        : "year".equals(limit.interval()) ? SpendInterval.YEARLY : SpendInterval.MONTHLY;
    SpendInterval.Window window = interval.windowAt(now, ZoneOffset.UTC);
    long remaining = limit.max() - payments.capturedBy(p.listing.sellerProfile(), window.start(), window.end());
    if (remaining <= 0) {
      throw failed(402, "invalid_request_error", "usage_limit_exceeded", "The payment profile's limit for "
          + p.name() + " is used up for this " + limit.interval() + ".");
    }
    return Secret.of(payments.issueInternal(pm, p.listing.sellerProfile(), Money.ofMinor(remaining, limit.currency()),
        now.plus(settings.tokenLifetime), resourceId));
  }

  // ------------------------------------------------------------------ payment profile

  synchronized Map<String, Object> paymentProfile() {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("object", "v2.provisioning.payment_profile");
    j.put("card_last4", cardLast4);
    j.put("livemode", false);
    j.put("payment_method_owner", "platform");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map.Entry<String, Limit> e : providerLimits.entrySet()) {
      rows.add(Map.of("provider", e.getKey(), "usage_limits", e.getValue().json()));
    }
    j.put("providers", rows);
    j.put("shared_with_providers", new ArrayList<>(providerLimits.keySet()));
    if (overallLimit != null) {
      j.put("usage_limits", overallLimit.json());
    }
    return j;
  }

  Map<String, Object> updateLimit(Map<String, Object> body) {
    onlyKnown(body, Set.of("provider", "usage_limits", "livemode"));
    String provider = body.get("provider") instanceof String s ? provider(s).id : null;
    Limit limit = limit(requireObject(body, "usage_limits"));
    synchronized (this) {
      if (provider == null) {
        overallLimit = limit;
      } else {
        providerLimits.put(provider, limit);
      }
      return paymentProfile();
    }
  }

  Map<String, Object> createPaymentMethodRequest(Map<String, Object> body) {
    onlyKnown(body, Set.of("usage_limits", "livemode", "payment_method_owner", "source_account", "source_customer",
        "source_payment_method"));
    Map<String, Object> usage = optionalObject(body, "usage_limits");
    Limit limit = usage == null ? null : limit(usage);
    synchronized (this) {
      Map<String, Object> j = new LinkedHashMap<>();
      String id = ids.apply("pmreq");
      j.put("id", id);
      j.put("object", "v2.provisioning.payment_method_request");
      j.put("checkout_session_url", baseUrl + "/sandbox/checkout/" + id);
      j.put("status", "checkout_initiated");
      j.put("livemode", false);
      j.put("usage_limits", limit == null ? null : limit.json());
      methodRequests.put(id, j);
      return j;
    }
  }

  /** The human finishes the checkout page: a card is on file and the requested limit applies. */
  synchronized Map<String, Object> completeCheckout(String id) {
    Map<String, Object> req = methodRequests.get(id);
    if (req == null) {
      throw new IllegalArgumentException("no payment method request " + id);
    }
    req.put("status", "complete");
    addCard(StripeSandbox.CHECKOUT_PAYMENT_METHOD, "4242");
    if (req.get("usage_limits") instanceof Map<?, ?> u) {
      overallLimit = new Limit(String.valueOf(u.get("currency")), Long.parseLong(String.valueOf(u.get("max_amount"))),
          String.valueOf(u.get("recurring_interval")));
    }
    return req;
  }

  synchronized void addCard(String paymentMethod, String last4) {
    payments.addPaymentMethod(paymentMethod, "visa", last4);
    cardPaymentMethod = paymentMethod;
    cardLast4 = last4;
  }

  synchronized void setProviderLimit(String provider, Money max, String interval) {
    providerLimits.put(provider(provider).id, new Limit(max.currencyCode().toLowerCase(Locale.ROOT), max.minorUnits(),
        interval));
  }

  synchronized @Nullable String latestId(String prefix) {
    String last = null;
    Map<String, ?> source = prefix.equals("pcr") ? requests : prefix.equals("pmreq") ? methodRequests
        : prefix.equals("prvres") ? resources : Map.of();
    for (String k : source.keySet()) {
      last = k;
    }
    return last;
  }

  synchronized List<Map<String, Object>> resourcesSnapshot() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Resource r : resources.values()) {
      Map<String, Object> j = json(r, false);
      j.put("remote_id", r.remoteId);
      j.put("unlinked", r.unlinked);
      out.add(j);
    }
    return out;
  }

  // ------------------------------------------------------------------ helpers

  private static Limit limit(Map<String, Object> usage) {
    onlyKnown(usage, Set.of("currency", "max_amount", "recurring_interval"));
    Object currency = usage.get("currency");
    if (!(currency instanceof String c) || c.isBlank()) {
      throw missing("usage_limits[currency]");
    }
    try {
      Money.zero(c);
    } catch (InvalidRequestException e) {
      throw invalid("parameter_invalid", "usage_limits[currency]", "Invalid currency: " + c);
    }
    long max = requireAmount(usage, "max_amount", "usage_limits[max_amount]");
    Object interval = usage.get("recurring_interval");
    if (!(interval instanceof String i)) {
      throw missing("usage_limits[recurring_interval]");
    }
    if (!Set.of("week", "month", "year").contains(i)) {
      throw invalid("parameter_invalid", "usage_limits[recurring_interval]", "recurring_interval must be one of week,"
          + " month, year.");
    }
    return new Limit(c.toLowerCase(Locale.ROOT), max, i);
  }

  /** The provider a resource was made with: resources are made only with registered providers, which stay. */
  private synchronized ProviderEntry providerOf(Resource r) {
    return Objects.requireNonNull(providers.get(r.provider), "the provider of resource " + r.id);
  }

  private synchronized ProviderEntry provider(String ref) {
    ProviderEntry p = providers.get(ref);
    if (p != null) {
      return p;
    }
    for (ProviderEntry e : providers.values()) {
      if (e.name().equalsIgnoreCase(ref)) {
        return e;
      }
    }
    throw notFound("provider", ref);
  }

  private String serviceId(ProviderEntry p, String ref) {
    for (Map.Entry<String, Map<String, Object>> e : services(p).entrySet()) {
      if (e.getKey().equals(ref) || ref.equals(e.getValue().get("id"))) {
        return e.getKey();
      }
    }
    throw notFound("service", ref);
  }

  private static String catalog(@Nullable Object value) {
    if (value == null) {
      return "prod";
    }
    String c = String.valueOf(value);
    if (!Set.of("dev", "prod", "testing").contains(c)) {
      throw invalid("parameter_invalid", "catalog", "catalog must be one of dev, prod, testing.");
    }
    return c;
  }

  private static void requireAnswers(@Nullable Map<String, Object> schema, Map<String, Object> answers, String param) {
    if (schema != null && schema.get("required") instanceof List<?> required) {
      for (Object f : required) {
        if (answers.get(String.valueOf(f)) == null) {
          throw missing(param + "[" + f + "]");
        }
      }
    }
  }

  /** The consent URL the provider gave for a request (for assertions), or null. */
  synchronized @Nullable URI providerRedirect(String id) {
    ConnectionRequest r = requests.get(id);
    return r == null || r.providerRedirect == null ? null : URI.create(r.providerRedirect);
  }
}
