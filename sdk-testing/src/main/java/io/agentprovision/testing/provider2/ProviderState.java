package io.agentprovision.testing.provider2;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.Moshi;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.testing.protocol.Backend;
import io.agentprovision.testing.protocol.PaymentCharger;
import io.agentprovision.testing.provider2.internal.WireBodies;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
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
 * Everything the {@link IndependentProviderSimulator} knows and does behind its HTTP server: the
 * checks every protocol request passes, accounts and consents, OAuth grants, resources with their
 * idempotency keys, charges, and deep links. One lock (this object's monitor) guards it all, so the
 * backend and the charger are called one at a time, as {@link Backend} expects.
 */
final class ProviderState {
  /** The settings the builder fixed. */
  record Settings(Clock clock, Set<Variant> variants, List<Secret> secrets, Duration tolerance, Backend backend,
      PaymentCharger charger, String seller, int pendingPolls, Duration accessTokenTtl, Duration codeTtl,
      int pageSize, List<String> supportedVersions, URI callbackUrl, Duration deepLinkTtl) {}

  /** One request as the server read it; header names in lower case. */
  record Request(String method, String path, @Nullable String query, Map<String, List<String>> headers, byte[] body) {
    @Nullable String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  private static final String JSON_TYPE = "application/json";
  private static final String FORM_TYPE = "application/x-www-form-urlencoded";

  private final Settings s;
  private final RequestSignature signature;
  private final SimulatorCatalog catalog;
  private final SecureRandom random = new SecureRandom();
  private final JsonAdapter<Object> anyJson;
  private final JsonAdapter<WireBodies.AccountRequestBody> accountRequestJson;
  private final JsonAdapter<WireBodies.CreateResourceBody> createJson;
  private final JsonAdapter<WireBodies.UpdateServiceBody> updateJson;
  private final JsonAdapter<WireBodies.DeepLinkBody> deepLinkJson;
  private @Nullable URI baseUrl;

  private final Map<String, AccountAnswer> accountAnswers = new HashMap<>();
  private final Map<String, Consent> consents = new HashMap<>();
  private final Map<String, AuthCode> codes = new HashMap<>();
  private final Map<String, AccessGrant> accessTokens = new HashMap<>();
  private final Map<String, RefreshGrant> refreshTokens = new HashMap<>();
  private final Map<String, Resource> resources = new LinkedHashMap<>();
  private final Map<String, Kept> idempotent = new HashMap<>();
  private final Map<String, DeepLink> deepLinks = new HashMap<>();
  private final List<SimulatorCharge> charges = new ArrayList<>();
  private int resourceCounter;
  private int consentCounter;

  ProviderState(Settings settings, Moshi moshi) {
    this.s = settings;
    this.signature = new RequestSignature(settings.secrets(), settings.tolerance());
    this.catalog = new SimulatorCatalog(settings.variants(), settings.clock().instant().getEpochSecond());
    this.anyJson = moshi.adapter(Object.class).serializeNulls();
    this.accountRequestJson = moshi.adapter(WireBodies.AccountRequestBody.class);
    this.createJson = moshi.adapter(WireBodies.CreateResourceBody.class);
    this.updateJson = moshi.adapter(WireBodies.UpdateServiceBody.class);
    this.deepLinkJson = moshi.adapter(WireBodies.DeepLinkBody.class);
  }

  synchronized void baseUrl(URI url) {
    this.baseUrl = url;
  }

  private boolean on(Variant v) {
    return s.variants().contains(v);
  }

  private Instant now() {
    return s.clock().instant();
  }

  // ================================================================ routing

  synchronized Reply handle(Request r) {
    try {
      return route(r);
    } catch (Refused e) {
      return e.reply;
    }
  }

  private Reply route(Request r) {
    String path = r.path();
    // The person's browser reaches these pages; the orchestrator's signature is not theirs to send.
    if (path.equals("/oauth/authorize")) {
      return consentPage(r);
    }
    if (path.startsWith("/dashboard/")) {
      return dashboard(r, path.substring("/dashboard/".length()));
    }
    RequestSignature.Outcome sig = signature.check(r.header("stripe-signature"), r.body(), now());
    if (sig != RequestSignature.Outcome.VALID) {
      return protocolError(401, "invalid_signature", sig.reason);
    }
    String version = r.header("api-version");
    if (version == null || !s.supportedVersions().contains(version)) {
      return protocolError(400, "invalid_api_version", (version == null ? "the request has no API-Version header"
          : "API-Version '" + version + "' is not supported") + "; this provider speaks " + s.supportedVersions());
    }
    String[] parts = path.split("/", -1);
    if (path.equals("/provisioning/health")) {
      return method(r, "GET") ? health() : notAllowed("GET");
    }
    if (path.equals("/provisioning/services")) {
      return method(r, "GET") ? services(queryParam(r.query(), "cursor")) : notAllowed("GET");
    }
    if (path.equals("/provisioning/account_requests")) {
      return method(r, "POST") ? jsonOnly(r, () -> accountRequest(r)) : notAllowed("POST");
    }
    if (path.equals("/oauth/token")) {
      return method(r, "POST") ? token(r) : notAllowed("POST");
    }
    if (path.equals("/provisioning/deep_links")) {
      if (!method(r, "POST")) {
        return notAllowed("POST");
      }
      return withAccount(r, account -> jsonOnly(r, () -> deepLink(account, r)));
    }
    if (path.equals("/provisioning/resources")) {
      if (!method(r, "POST")) {
        return notAllowed("POST");
      }
      return withAccount(r, account -> jsonOnly(r, () -> idempotently(account, r, () -> create(account, r))));
    }
    if (parts.length == 4 && path.startsWith("/provisioning/resources/") && !parts[3].isEmpty()) {
      if (!method(r, "GET")) {
        return notAllowed("GET");
      }
      return withAccount(r, account -> get(account, decode(parts[3])));
    }
    if (parts.length == 5 && path.startsWith("/provisioning/resources/") && !parts[3].isEmpty()) {
      String id = decode(parts[3]);
      String action = parts[4];
      if (!action.equals("update_service") && !action.equals("rotate_credentials") && !action.equals("remove")) {
        return protocolError(404, "not_found", "no such resource action: " + action);
      }
      if (!method(r, "POST")) {
        return notAllowed("POST");
      }
      return withAccount(r, account -> jsonOnly(r, () -> idempotently(account, r, () -> switch (action) {
        case "update_service" -> updateService(account, id, r);
        case "rotate_credentials" -> rotate(account, id);
        default -> remove(account, id);
      })));
    }
    return protocolError(404, "not_found", "no such endpoint: " + r.method() + " " + path);
  }

  // ================================================================ health and catalog

  private Reply health() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("supported_versions", s.supportedVersions());
    m.put("status", "ok");
    extra(m, "build", "2026.11.0-sim2", "time", now().getEpochSecond());
    return Reply.json(200, m);
  }

  private Reply services(@Nullable String cursor) {
    List<SimulatorCatalog.Service> all = catalog.all();
    int from = 0;
    if (cursor != null) {
      Integer decoded = decodeCursor(cursor);
      if (decoded == null || decoded <= 0 || decoded >= all.size()) {
        return statusError(400, "invalid_cursor", "cursor '" + cursor + "' was not issued by this provider; "
            + "start again without a cursor", null);
      }
      from = decoded;
    }
    int to = Math.min(all.size(), from + s.pageSize());
    List<Object> data = new ArrayList<>();
    for (SimulatorCatalog.Service svc : all.subList(from, to)) {
      data.add(svc.listing());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("data", data);
    m.put("next_cursor", to < all.size() ? encodeCursor(to) : null);
    extra(m, "object", "list", "has_more", to < all.size(), "total_count", all.size());
    return Reply.json(200, m);
  }

  /** Opaque to the client; it only has to send it back. */
  private static String encodeCursor(int offset) {
    return "cur_" + Base64.getUrlEncoder().withoutPadding().encodeToString(("svc:" + offset)
        .getBytes(StandardCharsets.UTF_8));
  }

  private static @Nullable Integer decodeCursor(String cursor) {
    if (!cursor.startsWith("cur_")) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor.substring(4)), StandardCharsets.UTF_8);
      return text.startsWith("svc:") ? Integer.valueOf(text.substring(4)) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  // ================================================================ account requests and consent

  private record AccountAnswer(String email, Reply reply) {}

  private static final class Consent {
    final String id;
    final String accountId;
    final String state;
    final @Nullable String challenge;
    final Instant expiresAt;
    @Nullable String decision;

    Consent(String id, String accountId, String state, @Nullable String challenge, Instant expiresAt) {
      this.id = id;
      this.accountId = accountId;
      this.state = state;
      this.challenge = challenge;
      this.expiresAt = expiresAt;
    }
  }

  private Reply accountRequest(Request r) {
    WireBodies.AccountRequestBody b;
    try {
      b = read(accountRequestJson, BodySchemas.ACCOUNT_REQUEST, r,
          message -> new Refused(accountError(400, "invalid_request", message)));
    } catch (Refused e) {
      return e.reply;
    }
    if (blank(b.id())) {
      return accountError(400, "invalid_request", "id is required: the orchestrator's id for this request");
    }
    String email = b.email();
    if (email == null || email.isBlank() || !email.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
      return accountError(400, "invalid_request", "email is required and must be an e-mail address");
    }
    String confirmationSecret = b.confirmationSecret();
    if (confirmationSecret == null || confirmationSecret.isBlank() || confirmationSecret.length() < 16) {
      return accountError(400, "invalid_request",
          "confirmation_secret is required, at least 16 characters; it comes back as the consent's state");
    }
    Long expiresAtSeconds = b.expiresAt();
    if (expiresAtSeconds == null) {
      return accountError(400, "invalid_request", "expires_at (unix seconds) is required");
    }
    if (b.codeChallenge() != null) {
      if (!"S256".equals(b.codeChallengeMethod())) {
        return accountError(400, "invalid_request", "code_challenge_method must be S256 (was "
            + b.codeChallengeMethod() + ")");
      }
      if (!b.codeChallenge().matches("[A-Za-z0-9_-]{43}")) {
        return accountError(400, "invalid_request",
            "code_challenge must be the base64url SHA-256 of the verifier, 43 characters without padding");
      }
    }
    AccountAnswer previous = accountAnswers.get(b.id());
    if (previous != null) {
      if (!previous.email().equalsIgnoreCase(email)) {
        return accountError(409, "invalid_request", "account request " + b.id() + " was made for another e-mail");
      }
      return previous.reply();
    }
    Reply reply = answerAccount(b, email, confirmationSecret, expiresAtSeconds);
    accountAnswers.put(b.id(), new AccountAnswer(email, reply));
    return reply;
  }

  /** Answers a request {@link #accountRequest} checked, given the fields it found present. */
  private Reply answerAccount(WireBodies.AccountRequestBody b, String email, String confirmationSecret,
      long expiresAtSeconds) {
    Instant expiresAt = Instant.ofEpochSecond(expiresAtSeconds);
    if (!now().isBefore(expiresAt)) {
      return accountError(200, "expired", "the account request expired at " + expiresAt + "; send a new one");
    }
    String existing = s.backend().findAccount(email);
    if (existing != null) {
      List<String> caps = b.clientCapabilities() == null ? List.of() : b.clientCapabilities();
      if (!caps.contains("browser")) {
        return accountError(200, "browser_required", email + " already has an account; linking it needs the "
            + "person's consent in a browser, and client_capabilities does not include \"browser\"");
      }
      String id = "cns_" + (++consentCounter) + "_" + randomHex(4);
      consents.put(id, new Consent(id, existing, confirmationSecret, b.codeChallenge(), expiresAt));
      Map<String, Object> redirect = new LinkedHashMap<>();
      redirect.put("url", base() + "/oauth/authorize?consent=" + id);
      extra(redirect, "expires_at", expiresAt.getEpochSecond());
      Map<String, Object> auth = new LinkedHashMap<>();
      auth.put("type", "redirect");
      auth.put("redirect", redirect);
      return Reply.json(200, union("type", "requires_auth", auth));
    }
    String accountId = s.backend().createAccount(email, b.name());
    if (on(Variant.NEW_ACCOUNT_AS_OAUTH_CODE)) {
      String code = newCode(accountId, b.codeChallenge());
      return Reply.json(200, union("type", "oauth", new LinkedHashMap<>(Map.of("code", code))));
    }
    Map<String, Object> bearer = tokenBody(accountId, newRefreshToken(accountId));
    bearer.remove("token_type");
    Map<String, Object> credentials = new LinkedHashMap<>();
    credentials.put("type", "bearer");
    credentials.put("bearer", bearer);
    return Reply.json(200, union("type", "credentials", credentials));
  }

  private Reply accountError(int status, String code, String message) {
    return Reply.json(status, union("type", "error", errorBody(code, message)));
  }

  /** The consent page and its form, as a person's browser sees them. */
  private Reply consentPage(Request r) {
    Map<String, String> params = r.method().equals("POST") ? form(r.body()) : queryParams(r.query());
    Consent c = consents.get(params.getOrDefault("consent", ""));
    if (c == null) {
      return Reply.html(404, page("Unknown consent", "<p>This consent link is not known.</p>"));
    }
    if (!now().isBefore(c.expiresAt)) {
      return Reply.html(410, page("Expired", "<p>This consent request has expired.</p>"));
    }
    if (c.decision != null) {
      return Reply.html(409, page("Already answered", "<p>This consent request was already " + c.decision + ".</p>"));
    }
    if (r.method().equals("GET")) {
      return Reply.html(200, page("Allow access to your account?",
          "<p>An orchestrator asks to provision services in account " + c.accountId + ".</p>"
              + "<form method=\"post\" action=\"/oauth/authorize\">"
              + "<input type=\"hidden\" name=\"consent\" value=\"" + c.id + "\">"
              + "<button name=\"decision\" value=\"approve\">Allow</button>"
              + "<button name=\"decision\" value=\"deny\">Deny</button></form>"));
    }
    if (!r.method().equals("POST")) {
      return Reply.html(405, page("Not allowed", "<p>GET or POST only.</p>"));
    }
    String decision = params.get("decision");
    String callback = s.callbackUrl().toString();
    String sep = callback.contains("?") ? "&" : "?";
    if ("approve".equals(decision)) {
      c.decision = "approved";
      String code = newCode(c.accountId, c.challenge);
      return Reply.redirect(callback + sep + "code=" + enc(code) + "&state=" + enc(c.state));
    }
    if ("deny".equals(decision)) {
      c.decision = "denied";
      return Reply.redirect(callback + sep + "error=access_denied&state=" + enc(c.state));
    }
    return Reply.html(400, page("Choose", "<p>Answer with decision=approve or decision=deny.</p>"));
  }

  private static String page(String title, String body) {
    return "<!doctype html><html><head><title>" + title + "</title></head><body><h1>" + title + "</h1>" + body
        + "</body></html>";
  }

  // ================================================================ OAuth

  private record AuthCode(String accountId, @Nullable String challenge, Instant expiresAt) {}

  private record AccessGrant(String accountId, Instant expiresAt) {}

  private static final class RefreshGrant {
    final String accountId;
    boolean active = true;

    RefreshGrant(String accountId) {
      this.accountId = accountId;
    }
  }

  private String newCode(String accountId, @Nullable String challenge) {
    String code = "code_" + randomHex(16);
    codes.put(code, new AuthCode(accountId, challenge, now().plus(s.codeTtl())));
    return code;
  }

  private String newRefreshToken(String accountId) {
    String value = "rt_" + randomHex(24);
    refreshTokens.put(value, new RefreshGrant(accountId));
    return value;
  }

  private Duration accessTtl() {
    return on(Variant.SHORT_LIVED_ACCESS_TOKENS) ? IndependentProviderSimulator.SHORT_ACCESS_TOKEN_TTL
        : s.accessTokenTtl();
  }

  /** A fresh access token with {@code refreshToken}, as the token endpoint answers. */
  private Map<String, Object> tokenBody(String accountId, String refreshToken) {
    String access = "at_" + randomHex(24);
    accessTokens.put(access, new AccessGrant(accountId, now().plus(accessTtl())));
    Map<String, Object> account = new LinkedHashMap<>();
    account.put("id", accountId);
    account.put("payment_credentials", "orchestrator");
    extra(account, "display_name", accountId + " (simulated)", "created", now().getEpochSecond());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("token_type", "Bearer");
    m.put("access_token", access);
    m.put("refresh_token", refreshToken);
    m.put("expires_in", accessTtl().toSeconds());
    m.put("account", account);
    extra(m, "scope", "provisioning:read provisioning:write", "issued_at", now().getEpochSecond());
    return m;
  }

  private Reply token(Request r) {
    String type = r.header("content-type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(FORM_TYPE)) {
      return oauthError("invalid_request", "send the token request as " + FORM_TYPE);
    }
    Map<String, String> f = form(r.body());
    String grant = f.get("grant_type");
    if (grant == null) {
      return oauthError("invalid_request", "grant_type is required");
    }
    switch (grant) {
      case "authorization_code": {
        String code = f.get("code");
        if (blank(code)) {
          return oauthError("invalid_request", "code is required");
        }
        // single use: a code is spent by the first attempt, right or wrong, as RFC 6749 asks
        AuthCode c = codes.remove(code);
        if (c == null) {
          return oauthError("invalid_grant", "the code is unknown or was already used");
        }
        if (!now().isBefore(c.expiresAt())) {
          return oauthError("invalid_grant", "the code expired");
        }
        String verifier = f.get("code_verifier");
        if (c.challenge() == null) {
          if (verifier != null) {
            // OAuth 2.1: a verifier for a code issued without a challenge is refused
            return oauthError("invalid_grant", "code_verifier was sent for a code issued without code_challenge");
          }
        } else {
          if (verifier == null) {
            return oauthError("invalid_grant", "code_verifier is required: the account request sent a code_challenge");
          }
          if (!verifier.matches("[A-Za-z0-9._~-]{43,128}")) {
            return oauthError("invalid_grant", "code_verifier must be 43 to 128 unreserved characters");
          }
          if (!MessageDigest.isEqual(s256(verifier).getBytes(StandardCharsets.US_ASCII),
              c.challenge().getBytes(StandardCharsets.US_ASCII))) {
            return oauthError("invalid_grant", "code_verifier does not match the code_challenge");
          }
        }
        return Reply.json(200, tokenBody(c.accountId(), newRefreshToken(c.accountId())))
            .withHeader("Cache-Control", "no-store");
      }
      case "refresh_token": {
        String value = f.get("refresh_token");
        if (value == null || value.isBlank()) {
          return oauthError("invalid_request", "refresh_token is required");
        }
        RefreshGrant g = refreshTokens.get(value);
        if (g == null || !g.active) {
          return oauthError("invalid_grant", g == null ? "the refresh token is unknown"
              : "the refresh token was already used; use the one issued with it");
        }
        String next = value;
        if (on(Variant.ROTATING_REFRESH_TOKENS)) {
          g.active = false;
          next = newRefreshToken(g.accountId);
        }
        return Reply.json(200, tokenBody(g.accountId, next)).withHeader("Cache-Control", "no-store");
      }
      default:
        return Reply.json(400, oauthBody("unsupported_grant_type", "grant_type '" + grant
            + "' is not supported; use authorization_code or refresh_token"));
    }
  }

  private static String s256(String verifier) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private Reply oauthError(String error, String description) {
    return Reply.json(400, oauthBody(error, description)).withHeader("Cache-Control", "no-store");
  }

  private Map<String, Object> oauthBody(String error, String description) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", error);
    m.put("error_description", description);
    extra(m, "error_uri", "https://developers.cloudflare.com/oauth/errors/#" + error);
    return m;
  }

  /** Runs {@code then} for the account of a valid, unexpired bearer token, or refuses with 401. */
  private Reply withAccount(Request r, java.util.function.Function<String, Reply> then) {
    String auth = r.header("authorization");
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
      return bearerRefusal("the request has no bearer token; send Authorization: Bearer <access token>");
    }
    AccessGrant g = accessTokens.get(auth.substring(7).trim());
    if (g == null) {
      return bearerRefusal("the access token is not known");
    }
    if (!now().isBefore(g.expiresAt())) {
      return bearerRefusal("the access token expired; refresh it at /oauth/token");
    }
    return then.apply(g.accountId());
  }

  private Reply bearerRefusal(String message) {
    return protocolError(401, "invalid_token", message)
        .withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  }

  // ================================================================ resources

  private static final class Resource {
    final String id;
    final String accountId;
    String serviceId;
    Map<String, Object> configuration;
    final @Nullable String orchestratorResourceId;
    final Instant created;
    /** The state reached, shown once {@link #pendingLeft} polls have answered pending. */
    String status;
    int pendingLeft;
    Map<String, String> access = Map.of();
    @Nullable Map<String, Object> informationSchema;
    @Nullable String paymentToken;
    @Nullable String errorCode;
    @Nullable String errorMessage;
    boolean forgotten;

    Resource(String id, String accountId, String serviceId, Map<String, Object> configuration,
        @Nullable String orchestratorResourceId, Instant created) {
      this.id = id;
      this.accountId = accountId;
      this.serviceId = serviceId;
      this.configuration = configuration;
      this.orchestratorResourceId = orchestratorResourceId;
      this.created = created;
      this.status = "pending";
    }
  }

  private record Kept(String fingerprint, Reply reply) {}

  /** A refusal of the request itself, before any change: never kept under the idempotency key. */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Reply reply;

    Refused(Reply reply) {
      super(null, null, false, false);
      this.reply = reply;
    }
  }

  /** The Idempotency-Key of a request {@link #idempotently} let through (it answers one without it itself). */
  private static String idempotencyKey(Request r) {
    return Objects.requireNonNull(r.header("idempotency-key"), "Idempotency-Key, checked by idempotently");
  }

  private Reply idempotently(String account, Request r, java.util.function.Supplier<Reply> action) {
    String key = r.header("idempotency-key");
    if (blank(key)) {
      return statusError(400, "idempotency_key_required",
          "send an Idempotency-Key header with every resource call that changes something", null);
    }
    String slot = account + " " + key;
    String fingerprint = r.method() + " " + r.path() + " " + sha256Hex(r.body());
    Kept kept = idempotent.get(slot);
    if (kept != null) {
      if (!kept.fingerprint().equals(fingerprint)) {
        return statusError(422, "idempotency_key_reused", "Idempotency-Key '" + key
            + "' was used for another request; use a new key for a new request", null);
      }
      return kept.reply().withHeader("Idempotent-Replayed", "true");
    }
    Reply reply;
    try {
      reply = action.get();
    } catch (Refused e) {
      return e.reply;
    }
    if (reply.replayable()) {
      idempotent.put(slot, new Kept(fingerprint, reply));
    }
    return reply;
  }

  private Reply create(String account, Request r) {
    WireBodies.CreateResourceBody b = read(createJson, BodySchemas.CREATE, r);
    String serviceId = b.serviceId();
    if (serviceId == null || serviceId.isBlank()) {
      throw refuse(400, "invalid_request", "service_id is required");
    }
    SimulatorCatalog.Service svc = catalog.get(serviceId);
    if (svc == null) {
      throw refuse(400, "unknown_service", "service_id '" + serviceId + "' is not in this provider's catalog");
    }
    Map<String, Object> config = b.configuration() == null ? new LinkedHashMap<>()
        : new LinkedHashMap<>(b.configuration());
    checkConfiguration(svc, config);
    String token = paymentToken(b.paymentCredentials());
    if (svc.needsPlan() && !hasPlan(account)) {
      throw refuse(409, "plan_required", svc.id() + " runs under a plan; create workers:free or workers:paid first");
    }
    if (svc.id().equals(SimulatorCatalog.DOMAIN)) {
      return createDomain(account, b, config, token, idempotencyKey(r));
    }
    Money price = catalog.upfrontPrice(svc.id(), config);
    if (price != null && token == null) {
      throw requiresPayment(svc.id(), price);
    }
    Resource res = newResource(account, svc.id(), config, b.orchestratorResourceId());
    if (price != null && token != null) { // a price without a token was refused above
      charge(res, svc.id(), price, token, idempotencyKey(r), svc.id() + " " + period(config));
    }
    resources.put(res.id, res);
    res.access = s.backend().issueCredentials(account, res.id, svc.id(), config);
    settle(res, "complete");
    return answer(res, true);
  }

  private Reply createDomain(String account, WireBodies.CreateResourceBody b, Map<String, Object> config,
      @Nullable String token, String key) {
    if (token == null && on(Variant.DOMAIN_REQUIRES_PAYMENT_UPFRONT)) {
      throw refuse(402, "requires_payment_credentials", "registrar:domain needs payment_credentials on the first "
          + "request; send a stripe_payment_token that covers the domain you may choose");
    }
    if (!(config.get("domain") instanceof String domain)) {
      Map<String, Object> question = nextQuestion(account, config);
      if (on(Variant.NEEDS_INFO_WITHOUT_ID)) {
        // nothing is kept: the next request carries everything answered so far
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "needs_information");
        m.put("needs_information", informationBody(question));
        extra(m, "object", "provisioning.resource", "livemode", false);
        return Reply.json(200, m);
      }
      Resource res = newResource(account, SimulatorCatalog.DOMAIN, config, b.orchestratorResourceId());
      res.status = "needs_information";
      res.informationSchema = question;
      res.paymentToken = token;
      resources.put(res.id, res);
      return answer(res, true);
    }
    Resource res = newResource(account, SimulatorCatalog.DOMAIN, config, b.orchestratorResourceId());
    purchaseDomain(res, domain, token, key);
    resources.put(res.id, res);
    return answer(res, true);
  }

  /**
   * The next thing to ask about a domain, from the configuration alone (so both ways of answering
   * reach the same rounds): the query when there is none; with {@link Variant#NEEDS_INFO_MULTI_ROUND}
   * the TLD; then the name.
   */
  private Map<String, Object> nextQuestion(String account, Map<String, Object> config) {
    Object query = config.get("domain_query");
    if (!(query instanceof String q) || q.isBlank()) {
      Map<String, Object> prop = new LinkedHashMap<>();
      prop.put("type", "string");
      prop.put("minLength", 1);
      prop.put("title", "What name are you looking for?");
      return questionSchema("domain_query", prop);
    }
    List<Backend.DomainOffer> offers = new ArrayList<>();
    for (Backend.DomainOffer o : s.backend().searchDomains(account, q)) {
      if (o.available()) {
        offers.add(o);
      }
    }
    Object tld = config.get("tld");
    if (on(Variant.NEEDS_INFO_MULTI_ROUND) && !(tld instanceof String)) {
      Map<String, Money> cheapest = new LinkedHashMap<>();
      for (Backend.DomainOffer o : offers) {
        cheapest.merge(tldOf(o.name()), o.price(), (a, c) -> c.lessThan(a) ? c : a);
      }
      if (cheapest.isEmpty()) {
        throw refuse(409, "domain_unavailable", "no domain is available for '" + q + "'; try another domain_query");
      }
      List<Choice> choices = new ArrayList<>();
      cheapest.forEach((t, price) -> choices.add(new Choice(t, "." + t, price, "from ")));
      return questionSchema("tld", choiceSchema(choices, "Which top-level domain?"));
    }
    List<Choice> choices = new ArrayList<>();
    for (Backend.DomainOffer o : offers) {
      if (!(tld instanceof String t) || tldOf(o.name()).equals(t)) {
        choices.add(new Choice(o.name(), o.name(), o.price(), ""));
      }
    }
    if (choices.isEmpty()) {
      throw refuse(409, "domain_unavailable", "no domain is available for '" + q + "'"
          + (tld instanceof String t ? " under ." + t : "") + "; try another domain_query");
    }
    return questionSchema("domain", choiceSchema(choices, "Which domain?"));
  }

  private record Choice(String value, String title, Money price, String pricePrefix) {}

  private Map<String, Object> choiceSchema(List<Choice> choices, String title) {
    Map<String, Object> prop = new LinkedHashMap<>();
    prop.put("type", "string");
    prop.put("title", title);
    if (on(Variant.NEEDS_INFO_PLAIN_ENUM)) {
      List<String> values = new ArrayList<>();
      for (Choice c : choices) {
        values.add(c.value());
      }
      prop.put("enum", values);
      return prop;
    }
    List<Object> oneOf = new ArrayList<>();
    for (Choice c : choices) {
      Map<String, Object> paid = new LinkedHashMap<>();
      paid.put("type", "freeform");
      paid.put("freeform", c.pricePrefix() + dollars(c.price()) + "/year");
      Map<String, Object> pricing = new LinkedHashMap<>();
      pricing.put("type", "paid");
      pricing.put("paid", paid);
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("const", c.value());
      entry.put("title", c.title());
      entry.put("pricing", pricing);
      extra(entry, "premium", false, "renewal", Map.of("freeform", dollars(c.price()) + "/year"));
      oneOf.add(entry);
    }
    prop.put("oneOf", oneOf);
    return prop;
  }

  private static Map<String, Object> questionSchema(String property, Map<String, Object> propertySchema) {
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("required", List.of(property));
    schema.put("properties", Map.of(property, propertySchema));
    return schema;
  }

  private Map<String, Object> informationBody(Map<String, Object> schema) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schema", schema);
    extra(m, "message", "More information is needed to register a domain", "expires_at",
        now().plus(Duration.ofHours(1)).getEpochSecond());
    return m;
  }

  /**
   * Buys {@code domain} (the resource's {@code config.domain}): price from the backend's offer, charged once, then
   * registered.
   */
  private void purchaseDomain(Resource res, String domain, @Nullable String token, String key) {
    String name = domain.toLowerCase(Locale.ROOT);
    Backend.DomainOffer offer = null;
    for (Backend.DomainOffer o : s.backend().searchDomains(res.accountId, name)) {
      if (o.name().equalsIgnoreCase(name)) {
        offer = o;
      }
    }
    if (offer == null || !offer.available()) {
      throw refuse(409, "domain_unavailable", name + " cannot be registered; ask again with another domain_query");
    }
    if (token == null) {
      throw requiresPayment(SimulatorCatalog.DOMAIN, offer.price());
    }
    long years = res.configuration.get("years") instanceof Number n ? n.longValue() : 1;
    Money amount = offer.price().times(years);
    charge(res, SimulatorCatalog.DOMAIN, amount, token, key, "registrar:domain " + name + ", " + years
        + (years == 1 ? " year" : " years"));
    res.informationSchema = null;
    try {
      s.backend().registerDomain(res.accountId, name);
    } catch (RuntimeException e) {
      // paid for and not registered: the resource says so, and the money stays charged (as Registrar's does)
      res.status = "error";
      res.errorCode = "registration_failed";
      res.errorMessage = "the registry refused " + name + "; contact support for a refund";
      return;
    }
    res.access = s.backend().issueCredentials(res.accountId, res.id, SimulatorCatalog.DOMAIN, res.configuration);
    settle(res, "complete");
  }

  private Reply get(String account, String id) {
    Resource res = find(account, id);
    if (res == null) {
      return statusError(404, "resource_not_found", "no resource " + id + " in this account", null);
    }
    if (res.pendingLeft > 0) {
      res.pendingLeft--;
      return pendingAnswer(res);
    }
    return answer(res, false);
  }

  private Reply updateService(String account, String id, Request r) {
    Resource res = found(account, id);
    WireBodies.UpdateServiceBody b = read(updateJson, BodySchemas.UPDATE, r);
    String key = idempotencyKey(r);
    if (res.status.equals("removed")) {
      return stateError(res, "invalid_state", "the resource was removed");
    }
    if (res.pendingLeft > 0) {
      return stateError(res, "invalid_state", "the resource is still pending; poll it until it settles");
    }
    if (res.status.equals("error")) {
      return stateError(res, "invalid_state", "the resource is in error (" + res.errorCode + ")");
    }
    String token = paymentToken(b.paymentCredentials());
    if (res.status.equals("needs_information")) {
      return answerInformation(res, b, token, key);
    }
    SimulatorCatalog.Service current = catalog.get(res.serviceId);
    String target = b.serviceId() == null ? res.serviceId : b.serviceId();
    SimulatorCatalog.Service next = catalog.get(target);
    if (next == null) {
      throw refuse(400, "unknown_service", "service_id '" + target + "' is not in this provider's catalog");
    }
    if (!target.equals(res.serviceId) && (current == null || !current.allowedTargets().contains(target))) {
      return stateError(res, "destructive_update", res.serviceId + " cannot become " + target
          + "; allowed: " + (current == null ? List.of() : current.allowedTargets())
          + ". Remove it and create the other service instead");
    }
    Map<String, Object> config = b.configuration() != null ? new LinkedHashMap<>(b.configuration())
        : target.equals(res.serviceId) ? res.configuration : new LinkedHashMap<>();
    checkConfiguration(next, config);
    if (target.equals(SimulatorCatalog.DOMAIN) && b.configuration() != null
        && !String.valueOf(config.get("domain")).equals(String.valueOf(res.configuration.get("domain")))) {
      return stateError(res, "destructive_update", "a registered domain cannot be renamed; register another one");
    }
    Money before = catalog.upfrontPrice(res.serviceId, res.configuration);
    Money after = catalog.upfrontPrice(target, config);
    if (after != null && !after.equals(before)) {
      if (token == null) {
        throw requiresPayment(target, after);
      }
      charge(res, target, after, token, key, target + " " + period(config));
    }
    res.serviceId = target;
    res.configuration = config;
    settle(res, "complete");
    return answer(res, true);
  }

  /** An answer to needs_information sent as update_service: merged into what was asked before. */
  private Reply answerInformation(Resource res, WireBodies.UpdateServiceBody b, @Nullable String token, String key) {
    if (on(Variant.ANSWER_BY_NEW_REQUEST_ONLY)) {
      return stateError(res, "invalid_state", "this provider takes the answer to needs_information only as a new "
          + "POST /provisioning/resources with the chosen configuration and the payment_credentials");
    }
    if (b.serviceId() != null && !b.serviceId().equals(res.serviceId)) {
      throw refuse(400, "invalid_request", "the resource waits for information about " + res.serviceId
          + "; answer without changing service_id");
    }
    if (b.configuration() == null || b.configuration().isEmpty()) {
      throw refuse(400, "invalid_request", "configuration is required: the answers to needs_information");
    }
    Map<String, Object> merged = new LinkedHashMap<>(res.configuration);
    merged.putAll(b.configuration());
    if (res.informationSchema != null) {
      List<String> problems = SchemaCheck.problems(res.informationSchema, merged, "configuration");
      if (!problems.isEmpty()) {
        throw refuse(400, "invalid_configuration", String.join("; ", problems));
      }
    }
    checkConfiguration(catalog.get(res.serviceId), merged);
    String pay = token != null ? token : res.paymentToken;
    if (!(merged.get("domain") instanceof String domain)) {
      Map<String, Object> question = nextQuestion(res.accountId, merged);
      res.configuration = merged;
      res.informationSchema = question;
      if (token != null) {
        res.paymentToken = token;
      }
      return answer(res, true);
    }
    Map<String, Object> asked = res.configuration;
    res.configuration = merged;
    try {
      purchaseDomain(res, domain, pay, key);
    } catch (Refused e) {
      res.configuration = asked; // still waiting: the refused answer changed nothing
      throw e;
    }
    return answer(res, true);
  }

  private Reply rotate(String account, String id) {
    Resource res = found(account, id);
    if (!res.status.equals("complete") || res.pendingLeft > 0) {
      return stateError(res, "invalid_state", "only a complete resource has credentials to rotate (it is "
          + (res.pendingLeft > 0 ? "pending" : res.status) + ")");
    }
    res.access = s.backend().issueCredentials(account, res.id, res.serviceId, res.configuration);
    return answer(res, true);
  }

  private Reply remove(String account, String id) {
    Resource res = found(account, id);
    if (res.status.equals("removed")) {
      if (on(Variant.REMOVE_AGAIN_INVALID_STATE)) {
        return stateError(res, "invalid_state", "the resource was already removed");
      }
      return answer(res, true);
    }
    if (res.status.equals("complete") || res.status.equals("error")) {
      s.backend().revokeCredentials(account, res.id);
      s.backend().deprovision(account, res.id, res.serviceId);
    }
    res.status = "removed";
    res.pendingLeft = 0;
    res.access = Map.of();
    res.informationSchema = null;
    res.paymentToken = null;
    Reply reply = answer(res, true);
    if (on(Variant.REMOVE_AGAIN_NOT_FOUND)) {
      res.forgotten = true;
    }
    return reply;
  }

  private Resource newResource(String account, String serviceId, Map<String, Object> config,
      @Nullable String orchestratorResourceId) {
    String id = String.format("res_%04d%s", ++resourceCounter, randomHex(3));
    return new Resource(id, account, serviceId, config, orchestratorResourceId, now());
  }

  private void settle(Resource res, String status) {
    res.status = status;
    res.pendingLeft = s.pendingPolls();
  }

  private @Nullable Resource find(String account, String id) {
    Resource res = resources.get(id);
    return res == null || res.forgotten || !res.accountId.equals(account) ? null : res;
  }

  private Resource found(String account, String id) {
    Resource res = find(account, id);
    if (res == null) {
      throw refuse(404, "resource_not_found", "no resource " + id + " in this account");
    }
    return res;
  }

  private boolean hasPlan(String account) {
    for (Resource r : resources.values()) {
      SimulatorCatalog.Service svc = catalog.get(r.serviceId);
      if (r.accountId.equals(account) && r.status.equals("complete") && svc != null && svc.plan()) {
        return true;
      }
    }
    return false;
  }

  private void checkConfiguration(SimulatorCatalog.@Nullable Service svc, Map<String, Object> config) {
    if (svc == null) {
      return;
    }
    List<String> problems = SchemaCheck.problems(svc.schema(), config, "configuration");
    if (!problems.isEmpty()) {
      throw refuse(400, "invalid_configuration", String.join("; ", problems));
    }
  }

  private @Nullable String paymentToken(WireBodies.@Nullable PaymentCredentials p) {
    if (p == null) {
      return null;
    }
    if (!"stripe_payment_token".equals(p.type())) {
      throw refuse(400, "invalid_request", "payment_credentials.type must be \"stripe_payment_token\" (was "
          + (p.type() == null ? "missing" : "\"" + p.type() + "\"") + ")");
    }
    if (blank(p.stripePaymentToken())) {
      throw refuse(400, "invalid_request", "payment_credentials.stripe_payment_token is required");
    }
    return p.stripePaymentToken();
  }

  private void charge(Resource res, String serviceId, Money amount, String token, String requestKey,
      String description) {
    String key = "sim2:" + res.accountId + ":" + requestKey;
    try {
      PaymentCharger.Charge c = s.charger().charge(Secret.of(token), amount, s.seller(), description, key);
      charges.add(new SimulatorCharge(now(), res.accountId, serviceId, res.id, description, amount, key, c.id(), null));
    } catch (PaymentCharger.Declined d) {
      charges.add(new SimulatorCharge(now(), res.accountId, serviceId, res.id, description, amount, key, null,
          d.code()));
      Map<String, Object> err = errorBody("payment_declined", "the payment token was declined for " + amount + ": "
          + d.code());
      err.put("decline_code", d.code());
      throw new Refused(errorReply(402, err, null));
    }
  }

  private Refused requiresPayment(String serviceId, Money price) {
    return refuse(402, "requires_payment_credentials", serviceId + " costs " + price + "; send payment_credentials "
        + "{type:\"stripe_payment_token\", stripe_payment_token:\"spt_…\"} covering it");
  }

  private String period(Map<String, Object> config) {
    return config.get("billing_period") instanceof String p ? p : "monthly";
  }

  // ================================================================ deep links

  private record DeepLink(String accountId, String purpose, Instant expiresAt) {}

  private final Set<String> usedDeepLinks = new LinkedHashSet<>();

  private Reply deepLink(String account, Request r) {
    WireBodies.DeepLinkBody b;
    try {
      b = read(deepLinkJson, BodySchemas.DEEP_LINK, r);
    } catch (Refused e) {
      return e.reply;
    }
    if (b.purpose() == null || !(b.purpose().equals("dashboard") || b.purpose().equals("billing"))) {
      return statusError(400, "unsupported_purpose", "purpose must be \"dashboard\" or \"billing\" (was "
          + b.purpose() + ")", null);
    }
    String token = "dl_" + randomHex(16);
    Instant expires = now().plus(s.deepLinkTtl());
    deepLinks.put(token, new DeepLink(account, b.purpose(), expires));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("purpose", b.purpose());
    m.put("url", base() + "/dashboard/" + token);
    m.put("expires_at", expires.getEpochSecond());
    extra(m, "single_use", true, "object", "provisioning.deep_link");
    return Reply.json(200, m);
  }

  private Reply dashboard(Request r, String token) {
    DeepLink link = deepLinks.get(token);
    if (link == null) {
      return Reply.html(404, page("Not found", "<p>This link is not known.</p>"));
    }
    if (!now().isBefore(link.expiresAt()) || !usedDeepLinks.add(token)) {
      return Reply.html(410, page("Link used or expired", "<p>Ask for a new link.</p>"));
    }
    return Reply.html(200, page("Dashboard of " + link.accountId(), "<p>Signed in for " + link.purpose() + ".</p>"));
  }

  // ================================================================ answers

  /** A resource as the wire shows it: {@code {id, service_id, status, <status>:{…}}}. */
  private Reply answer(Resource res, boolean replayable) {
    if (res.pendingLeft > 0 && !res.status.equals("removed")) {
      Reply p = pendingAnswer(res);
      return replayable ? p.keptForReplay() : p;
    }
    Map<String, Object> m = resourceHead(res, res.status);
    switch (res.status) {
      case "complete" -> {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("access_configuration", new LinkedHashMap<>(res.access));
        extra(c, "rotated_at", now().getEpochSecond());
        m.put("complete", c);
      }
      case "needs_information" -> m.put("needs_information",
          informationBody(res.informationSchema == null ? Map.of() : res.informationSchema));
      case "error" -> m.put("error", errorBody(res.errorCode, res.errorMessage));
      default -> { }
    }
    Reply reply = Reply.json(200, m);
    return replayable ? reply.keptForReplay() : reply;
  }

  private Reply pendingAnswer(Resource res) {
    Map<String, Object> m = resourceHead(res, "pending");
    extra(m, "pending", Map.of("reason", "provisioning", "retry_after", 1));
    return Reply.json(200, m);
  }

  private Map<String, Object> resourceHead(Resource res, String status) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", res.id);
    m.put("service_id", res.serviceId);
    m.put("status", status);
    if (res.orchestratorResourceId != null) {
      m.put("orchestrator_resource_id", res.orchestratorResourceId);
    }
    extra(m, "object", "provisioning.resource", "created", res.created.getEpochSecond(), "livemode", false,
        "metadata", Map.of());
    return m;
  }

  /** An error about an existing resource's state: carries its id; the resource is unchanged. */
  private Reply stateError(Resource res, String code, String message) {
    return errorReply(409, errorBody(code, message), res);
  }

  private Refused refuse(int status, String code, String message) {
    return new Refused(statusError(status, code, message, null));
  }

  private Reply statusError(int status, String code, String message, @Nullable Resource res) {
    return errorReply(status, errorBody(code, message), res);
  }

  /** {@code {status:"error", error:{code,message}}}, with the resource's id when it is about one. */
  private Reply errorReply(int status, Map<String, Object> error, @Nullable Resource res) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (res != null) {
      m.put("id", res.id);
      m.put("service_id", res.serviceId);
    }
    m.put("status", "error");
    m.put("error", error);
    extra(m, "object", res == null ? "error" : "provisioning.resource");
    return Reply.json(on(Variant.ERRORS_WITH_HTTP_200) ? 200 : status, m);
  }

  private Map<String, Object> errorBody(@Nullable String code, @Nullable String message) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("code", code == null ? "unknown" : code);
    e.put("message", message == null ? "" : message);
    extra(e, "doc_url", "https://developers.cloudflare.com/provisioning/errors/#" + code, "request_log_id",
        "log_" + randomHex(4));
    return e;
  }

  /** {@code {error:{code,message}}}: a refusal of the request before the protocol looks at it. */
  private Reply protocolError(int status, String code, String message) {
    return Reply.json(status, new LinkedHashMap<>(Map.of("error", errorBody(code, message))));
  }

  private Reply notAllowed(String allowed) {
    return protocolError(405, "method_not_allowed", "use " + allowed).withHeader("Allow", allowed);
  }

  private Map<String, Object> union(String discriminator, String value, Map<String, Object> member) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(discriminator, value);
    m.put(value, member);
    extra(m, "livemode", false, "request_id", "req_" + randomHex(6));
    return m;
  }

  /** Adds fields no client was told about, when {@link Variant#UNKNOWN_FIELDS} is on. */
  private void extra(Map<String, Object> m, Object... pairs) {
    if (on(Variant.UNKNOWN_FIELDS)) {
      for (int i = 0; i < pairs.length; i += 2) {
        m.put((String) pairs[i], pairs[i + 1]);
      }
    }
  }

  // ================================================================ reading requests

  private Reply jsonOnly(Request r, java.util.function.Supplier<Reply> then) {
    String type = r.header("content-type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(JSON_TYPE)) {
      return statusError(415, "unsupported_media_type", "send the body as " + JSON_TYPE + " (was "
          + (type == null ? "no Content-Type" : type) + ")", null);
    }
    return then.get();
  }

  /**
   * Reads a body: JSON, an object, of the field types {@code schema} gives (moshi alone would turn
   * a number into a string), then bound to its record. A problem is refused through {@code refusal}.
   */
  private <T> T read(JsonAdapter<T> adapter, Map<String, Object> schema, Request r,
      java.util.function.Function<String, Refused> refusal) {
    Object tree;
    try {
      tree = anyJson.fromJson(text(r));
    } catch (IOException | JsonDataException e) {
      throw refusal.apply("the body is not JSON: " + e.getMessage());
    }
    if (!(tree instanceof Map<?, ?>)) {
      throw refusal.apply("the body must be a JSON object");
    }
    List<String> problems = SchemaCheck.problems(schema, tree, "request");
    if (!problems.isEmpty()) {
      throw refusal.apply(String.join("; ", problems));
    }
    try {
      T value = adapter.fromJsonValue(tree);
      if (value == null) {
        throw refusal.apply("the body must be a JSON object");
      }
      return value;
    } catch (JsonDataException e) {
      throw refusal.apply("the body could not be read: " + e.getMessage());
    }
  }

  private <T> T read(JsonAdapter<T> adapter, Map<String, Object> schema, Request r) {
    return read(adapter, schema, r, message -> refuse(400, "invalid_request", message));
  }

  private static String text(Request r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  /** Whether {@code r} uses {@code m}; parses nothing. */
  private static boolean method(Request r, String m) {
    return r.method().equals(m);
  }

  private static Map<String, String> form(byte[] body) {
    return queryParams(new String(body, StandardCharsets.US_ASCII));
  }

  private static Map<String, String> queryParams(@Nullable String query) {
    Map<String, String> out = new LinkedHashMap<>();
    if (query == null || query.isEmpty()) {
      return out;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.putIfAbsent(k, v);
    }
    return out;
  }

  private static @Nullable String queryParam(@Nullable String query, String name) {
    return queryParams(query).get(name);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static boolean blank(@Nullable String s) {
    return s == null || s.isBlank();
  }

  private String base() {
    if (baseUrl == null) {
      throw new IllegalStateException("the simulator has not started");
    }
    String b = baseUrl.toString();
    return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  private String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static String sha256Hex(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private static String tldOf(String domain) {
    return domain.substring(domain.lastIndexOf('.') + 1);
  }

  private static String dollars(Money m) {
    return (m.currencyCode().equals("USD") ? "$" : m.currencyCode() + " ") + m.toDecimal().toPlainString();
  }

  // ================================================================ for the simulator's accessors

  synchronized List<SimulatorCharge> charges() {
    return List.copyOf(charges);
  }

  synchronized IndependentProviderSimulator.@Nullable ResourceSnapshot snapshot(String id) {
    Resource r = resources.get(id);
    return r == null ? null : snapshotOf(r);
  }

  synchronized List<IndependentProviderSimulator.ResourceSnapshot> snapshots() {
    List<IndependentProviderSimulator.ResourceSnapshot> out = new ArrayList<>();
    for (Resource r : resources.values()) {
      out.add(snapshotOf(r));
    }
    return out;
  }

  private static IndependentProviderSimulator.ResourceSnapshot snapshotOf(Resource r) {
    return new IndependentProviderSimulator.ResourceSnapshot(r.id, r.accountId, r.serviceId,
        r.pendingLeft > 0 && !r.status.equals("removed") ? "pending" : r.status, r.configuration, r.access.keySet(),
        r.forgotten);
  }

  /** {@code value} as JSON text, nulls written (so a last page says {@code "next_cursor": null}). */
  String toJson(Object value) {
    return anyJson.toJson(value);
  }
}
