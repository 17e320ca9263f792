package io.agentprovision.testing.cloudflare;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.cloudflare.SandboxModel.Account;
import io.agentprovision.testing.cloudflare.SandboxModel.Policy;
import io.agentprovision.testing.cloudflare.SandboxModel.Registration;
import io.agentprovision.testing.cloudflare.SandboxModel.Route;
import io.agentprovision.testing.cloudflare.SandboxModel.Script;
import io.agentprovision.testing.cloudflare.SandboxModel.Token;
import io.agentprovision.testing.cloudflare.SandboxModel.WorkerDomain;
import io.agentprovision.testing.cloudflare.SandboxModel.Zone;
import io.agentprovision.testing.cloudflare.SandboxPermissions.Need;
import io.agentprovision.testing.cloudflare.SandboxPermissions.OnAccount;
import io.agentprovision.testing.cloudflare.SandboxPermissions.OnAllZones;
import io.agentprovision.testing.cloudflare.SandboxPermissions.OnUser;
import io.agentprovision.testing.cloudflare.SandboxPermissions.OnZone;
import io.agentprovision.testing.cloudflare.SandboxPermissions.Target;
import io.agentprovision.core.wire.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.MultipartReader;
import okio.Buffer;
import org.jspecify.annotations.Nullable;

/** The sandbox's HTTP handler: routes Cloudflare v4 paths to the state, checking tokens first. */
final class SandboxApi implements HttpHandler {
  static final String PREFIX = "/client/v4";
  private static final Pattern ZONE_NAME = Pattern.compile("^([a-zA-Z0-9][\\-a-zA-Z0-9]*\\.)+[\\-a-zA-Z0-9]{2,20}$");
  private static final Pattern SCRIPT_NAME = Pattern.compile("^[a-z0-9_][a-z0-9-_]*$");
  private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern DISPOSITION_PARAM = Pattern.compile(";\\s*([a-zA-Z*]+)=(\"((?:[^\"\\\\]|\\\\.)*)\"|[^;]*)");

  private final CloudflareSandbox sb;

  SandboxApi(CloudflareSandbox sandbox) {
    this.sb = sandbox;
  }

  /** One incoming call. */
  record Req(String method, List<String> path, Map<String, List<String>> query, Map<String, String> headers, byte[] body,
      String clientIp, String rawPath) {
    @Nullable String q(String name) {
      List<String> v = query.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    @Nullable String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String seg(int i) {
      return path.get(i);
    }
  }

  /** One answer. */
  record Reply(int status, @Nullable String body, Map<String, String> headers) {}

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      Map<String, String> headers = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.isEmpty() ? "" : v.get(0)));
      String rawPath = ex.getRequestURI().getRawPath();
      String ip = sb.clientIpFor(ex.getRemoteAddress().getAddress().getHostAddress());
      Req req = new Req(ex.getRequestMethod().toUpperCase(Locale.ROOT), segments(rawPath), query(ex.getRequestURI().getRawQuery()),
          headers, body, ip, rawPath);
      Reply reply;
      String tokenId = null;
      try {
        if (!rawPath.startsWith(PREFIX + "/") && !rawPath.equals(PREFIX)) {
          throw ApiError.of(404, 7000, "No route for that URI");
        }
        Reply limited = sb.takeRateLimit();
        if (limited != null) {
          reply = limited;
        } else {
          synchronized (sb.lock) {
            Token caller = authenticate(req);
            tokenId = caller.id;
            reply = route(req, caller);
            reply = withRateHeaders(reply, caller);
          }
        }
      } catch (ApiError e) {
        reply = failure(e);
      } catch (RuntimeException e) {
        reply = failure(ApiError.of(500, 10002, "Unexpected internal server error: " + e.getClass().getSimpleName()));
      }
      sb.record(req, reply, tokenId);
      byte[] out = reply.body() == null ? new byte[0] : reply.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("CF-Ray", sb.rayId());
      reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      if (reply.body() != null) {
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      }
      ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  private static List<String> segments(String rawPath) {
    String p = rawPath.startsWith(PREFIX) ? rawPath.substring(PREFIX.length()) : rawPath;
    List<String> out = new ArrayList<>();
    for (String s : p.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Map<String, List<String>> query(@Nullable String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  // ---- envelope -----------------------------------------------------------------------------

  static Reply ok(@Nullable Object result) {
    return ok(200, result, null);
  }

  static Reply ok(int status, @Nullable Object result, @Nullable Map<String, Object> resultInfo) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("success", true);
    env.put("errors", List.of());
    env.put("messages", List.of());
    env.put("result", result);
    if (resultInfo != null) {
      env.put("result_info", resultInfo);
    }
    return new Reply(status, Json.write(env), new LinkedHashMap<>());
  }

  static Reply empty() {
    return new Reply(200, null, new LinkedHashMap<>());
  }

  static Reply failure(ApiError e) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("success", false);
    env.put("errors", e.errors);
    env.put("messages", List.of());
    env.put("result", null);
    return new Reply(e.status, Json.write(env), new LinkedHashMap<>());
  }

  private Reply withRateHeaders(Reply r, Token caller) {
    Map<String, String> h = new LinkedHashMap<>(r.headers());
    h.putAll(sb.rateHeaders(caller.id));
    return new Reply(r.status(), r.body(), h);
  }

  // ---- authentication and permission --------------------------------------------------------

  private Token authenticate(Req req) {
    String auth = req.header("Authorization");
    if (auth == null || !auth.startsWith("Bearer ") || auth.substring(7).isBlank()) {
      throw ApiError.chained(400, 6003, "Invalid request headers", 6111, "Invalid format for Authorization header");
    }
    Token t = sb.tokensByValue.get(auth.substring(7).trim());
    Instant now = sb.clock.instant();
    if (t == null || !t.status.equals("active") || (t.expiresOn != null && !now.isBefore(t.expiresOn))
        || (t.notBefore != null && now.isBefore(t.notBefore))) {
      throw ApiError.of(401, 1000, "Invalid API Token");
    }
    if (!ipAllowed(t, req.clientIp())) {
      throw ApiError.of(403, 9109, "Cannot use the access token from location: " + req.clientIp());
    }
    t.lastUsedOn = now;
    return t;
  }

  private static boolean ipAllowed(Token t, String ip) {
    for (String deny : t.denyIps) {
      Cidr c = Cidr.parse(deny);
      if (c != null && c.contains(ip)) {
        return false;
      }
    }
    if (t.allowIps.isEmpty()) {
      return true;
    }
    for (String allow : t.allowIps) {
      Cidr c = Cidr.parse(allow);
      if (c != null && c.contains(ip)) {
        return true;
      }
    }
    return false;
  }

  private static void require(Token caller, Target target, String... anyOf) {
    if (!SandboxPermissions.granted(caller.policies, new Need(List.of(anyOf), target))) {
      throw ApiError.forbidden();
    }
  }

  private static void requireAccountPerm(Token caller, Account a, String... anyOf) {
    require(caller, new OnAccount(a.id), anyOf);
  }

  // ---- routing ------------------------------------------------------------------------------

  private Reply route(Req r, Token caller) {
    List<String> p = r.path();
    String m = r.method();
    int n = p.size();
    if (n == 0) {
      throw ApiError.of(404, 7000, "No route for that URI");
    }
    switch (p.get(0)) {
      case "accounts":
        if (n == 1) {
          return method(m, "GET") ? listAccounts(r, caller) : notAllowed();
        }
        Account a = account(p.get(1));
        if (n == 2) {
          if (method(m, "GET")) {
            requireAccountPerm(caller, a, "Account Settings Read", "Account Settings Write");
            return ok(accountJson(a));
          }
          return notAllowed();
        }
        switch (p.get(2)) {
          case "tokens":
            return tokens(r, caller, a, p.subList(3, n));
          case "workers":
            return workers(r, caller, a, p.subList(3, n));
          case "registrar":
            return registrar(r, caller, a, p.subList(3, n), false);
          case "registrar-sandbox":
            return registrar(r, caller, a, p.subList(3, n), true);
          case "alerting":
            if (n == 5 && p.get(3).equals("v3") && p.get(4).equals("policies")) {
              return alerting(r, caller, a);
            }
            break;
          default:
            break;
        }
        break;
      case "user":
        if (n >= 2 && p.get(1).equals("tokens")) {
          return tokens(r, caller, null, p.subList(2, n));
        }
        break;
      case "zones":
        return zones(r, caller, p.subList(1, n));
      default:
        break;
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private static boolean method(String actual, String wanted) {
    return actual.equals(wanted);
  }

  private static Reply notAllowed() {
    throw ApiError.of(405, 10405, "Method not allowed");
  }

  private Account account(String id) {
    Account a = sb.accounts.get(id);
    if (a == null) {
      throw ApiError.notFound("/accounts/" + id);
    }
    return a;
  }

  // ---- accounts -----------------------------------------------------------------------------

  private Reply listAccounts(Req r, Token caller) {
    List<Map<String, Object>> visible = new ArrayList<>();
    for (Account a : sb.accounts.values()) {
      if (sees(caller, a)) {
        visible.add(accountJson(a));
      }
    }
    return page(r, visible);
  }

  private static boolean sees(Token caller, Account a) {
    if (caller.accountId != null) {
      return caller.accountId.equals(a.id);
    }
    for (Policy p : caller.policies) {
      for (String key : p.resources().keySet()) {
        if (key.equals(SandboxPermissions.ACCOUNT + "." + a.id) || key.equals(SandboxPermissions.ACCOUNT + ".*")) {
          return true;
        }
      }
    }
    return false;
  }

  private Map<String, Object> accountJson(Account a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", a.id);
    m.put("name", a.name);
    m.put("type", "standard");
    m.put("created_on", ts(a.createdOn));
    m.put("settings", Map.of("enforce_twofactor", false));
    return m;
  }

  private static Reply page(Req r, List<Map<String, Object>> all) {
    int perPage = intParam(r, "per_page", 20);
    if (perPage < 5 || perPage > 50) {
      throw ApiError.of(400, 1004, "per_page must be between 5 and 50");
    }
    int page = intParam(r, "page", 1);
    if (page < 1) {
      throw ApiError.of(400, 1004, "page must be at least 1");
    }
    int from = Math.min(all.size(), (page - 1) * perPage);
    int to = Math.min(all.size(), from + perPage);
    List<Map<String, Object>> slice = new ArrayList<>(all.subList(from, to));
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("page", page);
    info.put("per_page", perPage);
    info.put("count", slice.size());
    info.put("total_count", all.size());
    info.put("total_pages", (all.size() + perPage - 1) / perPage);
    return ok(200, slice, info);
  }

  private static int intParam(Req r, String name, int fallback) {
    String v = r.q(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return (int) Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw ApiError.of(400, 1004, name + " must be a number");
    }
  }

  // ---- tokens -------------------------------------------------------------------------------

  private Reply tokens(Req r, Token caller, @Nullable Account a, List<String> rest) {
    String m = r.method();
    Target target = a == null ? new OnUser(CloudflareSandbox.USER_ID) : new OnAccount(a.id);
    String read = a == null ? "API Tokens Read" : "Account API Tokens Read";
    String write = a == null ? "API Tokens Write" : "Account API Tokens Write";
    if (rest.isEmpty()) {
      if (method(m, "POST")) {
        require(caller, target, write);
        Map<String, Object> body = jsonBody(r);
        Token t = sb.createToken(a == null ? null : a.id, body, true);
        Map<String, Object> json = tokenJson(t);
        json.put("value", t.value);
        return ok(json);
      }
      if (method(m, "GET")) {
        require(caller, target, read, write);
        List<Map<String, Object>> all = new ArrayList<>();
        for (Token t : sb.tokens.values()) {
          if (ownedBy(t, a)) {
            all.add(tokenJson(t));
          }
        }
        return page(r, all);
      }
      return notAllowed();
    }
    String first = rest.get(0);
    if (rest.size() == 1 && first.equals("permission_groups") && method(m, "GET")) {
      require(caller, target, read, write);
      List<Map<String, Object>> out = new ArrayList<>();
      String nameFilter = r.q("name");
      for (SandboxPermissions.Group g : SandboxPermissions.all()) {
        boolean forOwner = a == null ? true : !g.userScoped();
        if (forOwner && (nameFilter == null || g.name().equalsIgnoreCase(nameFilter))) {
          Map<String, Object> gm = new LinkedHashMap<>();
          gm.put("id", g.id());
          gm.put("name", g.name());
          gm.put("category", g.category());
          gm.put("scopes", g.scopes());
          out.add(gm);
        }
      }
      return ok(out);
    }
    if (rest.size() == 1 && first.equals("verify") && method(m, "GET")) {
      if (!ownedBy(caller, a)) {
        throw ApiError.of(401, 1000, "Invalid API Token");
      }
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("id", caller.id);
      v.put("status", caller.status);
      if (caller.expiresOn != null) {
        v.put("expires_on", ts(caller.expiresOn));
      }
      if (caller.notBefore != null) {
        v.put("not_before", ts(caller.notBefore));
      }
      return ok(v);
    }
    Token t = sb.tokens.get(first);
    if (t == null || !ownedBy(t, a)) {
      throw ApiError.of(404, 1003, "Invalid token id");
    }
    if (rest.size() == 1) {
      switch (m) {
        case "GET":
          require(caller, target, read, write);
          return ok(tokenJson(t));
        case "PUT": {
          require(caller, target, write);
          sb.updateToken(t, jsonBody(r));
          return ok(tokenJson(t));
        }
        case "DELETE":
          require(caller, target, write);
          sb.deleteToken(t);
          return ok(Map.of("id", t.id));
        default:
          return notAllowed();
      }
    }
    if (rest.size() == 2 && rest.get(1).equals("value") && method(m, "PUT")) {
      require(caller, target, write);
      return ok(sb.rollToken(t));
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private static boolean ownedBy(Token t, @Nullable Account a) {
    return a == null ? t.accountId == null : a.id.equals(t.accountId);
  }

  Map<String, Object> tokenJson(Token t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.id);
    m.put("name", t.name);
    m.put("status", t.status);
    m.put("issued_on", ts(t.issuedOn));
    m.put("modified_on", ts(t.modifiedOn));
    if (t.lastUsedOn != null) {
      m.put("last_used_on", ts(t.lastUsedOn));
    }
    if (t.notBefore != null) {
      m.put("not_before", ts(t.notBefore));
    }
    if (t.expiresOn != null) {
      m.put("expires_on", ts(t.expiresOn));
    }
    List<Object> policies = new ArrayList<>();
    for (Policy p : t.policies) {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("id", p.id());
      pm.put("effect", p.effect());
      List<Object> groups = new ArrayList<>();
      for (String gid : p.groupIds()) {
        SandboxPermissions.Group g = SandboxPermissions.byId(gid);
        Map<String, Object> gm = new LinkedHashMap<>();
        gm.put("id", gid);
        if (g != null) {
          gm.put("name", g.name());
        }
        groups.add(gm);
      }
      pm.put("permission_groups", groups);
      pm.put("resources", p.resources());
      policies.add(pm);
    }
    m.put("policies", policies);
    if (!t.allowIps.isEmpty() || !t.denyIps.isEmpty()) {
      Map<String, Object> ip = new LinkedHashMap<>();
      if (!t.allowIps.isEmpty()) {
        ip.put("in", t.allowIps);
      }
      if (!t.denyIps.isEmpty()) {
        ip.put("not_in", t.denyIps);
      }
      m.put("condition", Map.of("request_ip", ip));
    }
    if (t.accountId != null) {
      m.put("creator_email_at_creation", CloudflareSandbox.USER_EMAIL);
    }
    return m;
  }

  // ---- workers ------------------------------------------------------------------------------

  private Reply workers(Req r, Token caller, Account a, List<String> rest) {
    String m = r.method();
    if (rest.isEmpty()) {
      throw ApiError.of(404, 7000, "No route for that URI");
    }
    switch (rest.get(0)) {
      case "subdomain":
        if (rest.size() != 1) {
          break;
        }
        if (method(m, "GET")) {
          requireAccountPerm(caller, a, "Workers Scripts Read", "Workers Scripts Write");
          if (a.subdomain == null) {
            throw ApiError.of(404, 10007, "This account does not have a workers.dev subdomain yet");
          }
          return ok(Map.of("subdomain", a.subdomain));
        }
        if (method(m, "PUT")) {
          requireAccountPerm(caller, a, "Workers Scripts Write");
          Map<String, Object> body = jsonBody(r);
          Object name = body.get("subdomain");
          if (!(name instanceof String s) || !SUBDOMAIN.matcher(s).matches()) {
            throw ApiError.invalid("subdomain must be a DNS label", "/subdomain");
          }
          for (Account other : sb.accounts.values()) {
            if (other != a && s.equals(other.subdomain)) {
              throw ApiError.of(409, 10032, "The subdomain " + s + ".workers.dev is not available");
            }
          }
          a.subdomain = s;
          sb.routingChanged();
          return ok(Map.of("subdomain", s));
        }
        return notAllowed();
      case "scripts":
        return scripts(r, caller, a, rest.subList(1, rest.size()));
      case "domains":
        return domains(r, caller, a, rest.subList(1, rest.size()));
      default:
        break;
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private Reply scripts(Req r, Token caller, Account a, List<String> rest) {
    String m = r.method();
    if (rest.isEmpty()) {
      if (!method(m, "GET")) {
        return notAllowed();
      }
      requireAccountPerm(caller, a, "Workers Scripts Read", "Workers Scripts Write");
      List<Map<String, Object>> out = new ArrayList<>();
      for (Script s : a.scripts.values()) {
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("id", s.name);
        sm.put("etag", s.etag);
        sm.put("created_on", ts(s.createdOn));
        sm.put("modified_on", ts(s.modifiedOn));
        out.add(sm);
      }
      return ok(out);
    }
    String name = rest.get(0);
    if (rest.size() == 1) {
      if (method(m, "PUT")) {
        requireAccountPerm(caller, a, "Workers Scripts Write");
        if (!SCRIPT_NAME.matcher(name).matches() || name.length() > 63) {
          throw ApiError.of(400, 10016, "Invalid Worker name");
        }
        Script s = upload(r, a, name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", s.name);
        out.put("etag", s.etag);
        out.put("startup_time_ms", 1);
        out.put("compatibility_date", s.compatibilityDate);
        out.put("compatibility_flags", s.compatibilityFlags);
        out.put("created_on", ts(s.createdOn));
        out.put("modified_on", ts(s.modifiedOn));
        out.put("entry_point", s.mainModule);
        out.put("handlers", List.of("fetch"));
        out.put("has_modules", true);
        out.put("has_assets", false);
        out.put("logpush", false);
        return ok(out);
      }
      if (method(m, "DELETE")) {
        requireAccountPerm(caller, a, "Workers Scripts Write");
        Script s = a.scripts.get(name);
        if (s == null) {
          throw ApiError.of(404, 10007, "workers.api.error.script_not_found");
        }
        boolean force = "true".equalsIgnoreCase(r.q("force"));
        boolean bound = a.domains.values().stream().anyMatch(d -> d.service().equals(name))
            || sb.zones.values().stream().anyMatch(z -> z.accountId.equals(a.id)
                && z.routes.values().stream().anyMatch(rt -> rt.script().equals(name)));
        if (bound && !force) {
          throw ApiError.of(400, 10064, "Cannot delete a Worker that custom domains or routes point at; pass force=true");
        }
        a.domains.values().removeIf(d -> d.service().equals(name));
        for (Zone z : sb.zones.values()) {
          if (z.accountId.equals(a.id)) {
            z.routes.values().removeIf(rt -> rt.script().equals(name));
          }
        }
        a.scripts.remove(name);
        sb.scriptRemoved(a.id, name);
        return empty();
      }
      return notAllowed();
    }
    if (rest.size() == 2 && rest.get(1).equals("subdomain")) {
      Script s = a.scripts.get(name);
      if (method(m, "GET")) {
        requireAccountPerm(caller, a, "Workers Scripts Read", "Workers Scripts Write");
      } else if (method(m, "POST") || method(m, "DELETE")) {
        requireAccountPerm(caller, a, "Workers Scripts Write");
      } else {
        return notAllowed();
      }
      if (s == null) {
        throw ApiError.of(404, 10007, "workers.api.error.script_not_found");
      }
      if (method(m, "POST")) {
        Map<String, Object> body = jsonBody(r);
        if (!(body.get("enabled") instanceof Boolean enabled)) {
          throw ApiError.invalid("enabled is required and must be a boolean", "/enabled");
        }
        if (enabled && a.subdomain == null) {
          throw ApiError.of(400, 10054, "Register a workers.dev subdomain for the account first");
        }
        s.subdomainEnabled = enabled;
        if (body.get("previews_enabled") instanceof Boolean pv) {
          s.previewsEnabled = pv;
        }
        sb.routingChanged();
      } else if (method(m, "DELETE")) {
        s.subdomainEnabled = false;
        sb.routingChanged();
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("enabled", s.subdomainEnabled);
      out.put("previews_enabled", s.previewsEnabled);
      return ok(out);
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private Script upload(Req r, Account a, String name) {
    String ct = r.header("Content-Type");
    if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      throw ApiError.of(400, 10001, "Unsupported or unexpected Content Type");
    }
    Matcher bm = Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(ct);
    if (!bm.find()) {
      throw ApiError.of(400, 10001, "multipart/form-data without a boundary");
    }
    Map<String, SandboxModel.Module> parts = new LinkedHashMap<>();
    String metadataText = null;
    List<String> flattened = new ArrayList<>();
    try (MultipartReader reader = new MultipartReader(new Buffer().write(r.body()), bm.group(1))) {
      MultipartReader.Part next;
      while ((next = reader.nextPart()) != null) {
        try (MultipartReader.Part part = next) {
          String disposition = part.headers().get("Content-Disposition");
          Map<String, String> params = dispositionParams(disposition);
          String partName = params.get("name");
          byte[] bytes = part.body().readByteArray();
          if (partName == null) {
            throw ApiError.of(400, 10021, "Every part needs a Content-Disposition with a name");
          }
          if (partName.equals("metadata")) {
            metadataText = new String(bytes, StandardCharsets.UTF_8);
            continue;
          }
          if (partName.startsWith("metadata[")) {
            flattened.add(partName);
            continue;
          }
          String filename = params.get("filename");
          if (filename == null || !filename.equals(partName)) {
            throw ApiError.of(400, 10021, "Module part \"" + partName + "\" must have a filename equal to its name");
          }
          String partType = part.headers().get("Content-Type");
          parts.put(partName, new SandboxModel.Module(partName, partType == null ? "application/octet-stream"
              : partType.split(";")[0].trim(), bytes));
        }
      }
    } catch (IOException e) {
      throw ApiError.of(400, 10006, "Unparseable multipart body: " + e.getMessage());
    }
    if (metadataText == null) {
      throw ApiError.of(400, 10021, flattened.isEmpty()
          ? "Script content failed validation checks: the upload has no part named \"metadata\""
          : "Script content failed validation checks: metadata must be one JSON part named \"metadata\", not fields "
              + flattened);
    }
    Map<String, Object> meta;
    try {
      meta = Json.parseObject(metadataText);
    } catch (IllegalArgumentException e) {
      throw ApiError.of(400, 10021, "Script content failed validation checks: the metadata part is not a JSON object");
    }
    Object main = meta.get("main_module");
    if (!(main instanceof String mainModule) || mainModule.isBlank()) {
      throw ApiError.of(400, 10021, "Script content failed validation checks: metadata has no main_module (body_part "
          + "service-worker scripts are not supported here)");
    }
    SandboxModel.Module mainPart = parts.get(mainModule);
    if (mainPart == null) {
      throw ApiError.of(400, 10021, "Uncaught Error: No such module \"" + mainModule + "\".");
    }
    if (!mainPart.contentType().equals("application/javascript+module")) {
      throw ApiError.of(400, 10021, "The main module \"" + mainModule + "\" must be sent as application/javascript+module");
    }
    String date = meta.get("compatibility_date") instanceof String d ? d : "2021-11-02";
    try {
      LocalDate parsed = LocalDate.parse(date);
      if (parsed.isAfter(LocalDate.ofInstant(sb.clock.instant(), java.time.ZoneOffset.UTC).plusDays(1))) {
        throw ApiError.of(400, 10021, "The compatibility date " + date + " is in the future");
      }
    } catch (DateTimeParseException e) {
      throw ApiError.invalid("compatibility_date must be YYYY-MM-DD", "/compatibility_date");
    }
    List<String> flags = new ArrayList<>();
    if (meta.get("compatibility_flags") instanceof List<?> fl) {
      for (Object f : fl) {
        flags.add(String.valueOf(f));
      }
    }
    List<Map<String, Object>> bindings = new ArrayList<>();
    if (meta.get("bindings") instanceof List<?> bl) {
      int i = 0;
      for (Object o : bl) {
        if (!(o instanceof Map<?, ?> raw)) {
          throw ApiError.invalid("each binding must be an object", "/bindings/" + i);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> b = (Map<String, Object>) raw;
        if (!(b.get("name") instanceof String) || !(b.get("type") instanceof String type)) {
          throw ApiError.invalid("a binding needs a name and a type", "/bindings/" + i);
        }
        if ((type.equals("plain_text") || type.equals("secret_text")) && !(b.get("text") instanceof String)) {
          throw ApiError.invalid(type + " binding needs text", "/bindings/" + i + "/text");
        }
        if (type.equals("kv_namespace") && !(b.get("namespace_id") instanceof String)) {
          throw ApiError.invalid("kv_namespace binding needs namespace_id", "/bindings/" + i + "/namespace_id");
        }
        if (type.equals("d1") && !(b.get("database_id") instanceof String) && !(b.get("id") instanceof String)) {
          throw ApiError.invalid("d1 binding needs database_id", "/bindings/" + i + "/database_id");
        }
        bindings.add(new LinkedHashMap<>(b));
        i++;
      }
    }
    Instant now = sb.clock.instant();
    Script s = a.scripts.get(name);
    if (s == null) {
      s = new Script(name, now);
      a.scripts.put(name, s);
    }
    s.mainModule = mainModule;
    s.compatibilityDate = date;
    s.compatibilityFlags = List.copyOf(flags);
    s.bindings = List.copyOf(bindings);
    s.modules = Map.copyOf(parts);
    s.modifiedOn = now;
    s.uploads++;
    s.etag = etag(metadataText, parts);
    sb.scriptUploaded(a.id, s);
    return s;
  }

  private static Map<String, String> dispositionParams(@Nullable String disposition) {
    Map<String, String> out = new LinkedHashMap<>();
    if (disposition == null) {
      return out;
    }
    Matcher m = DISPOSITION_PARAM.matcher(disposition);
    while (m.find()) {
      String v = m.group(3) != null ? m.group(3).replace("\\\"", "\"") : m.group(2).trim();
      out.put(m.group(1).toLowerCase(Locale.ROOT), v.replace("%22", "\"").replace("%0D", "\r").replace("%0A", "\n"));
    }
    return out;
  }

  private static String etag(String metadata, Map<String, SandboxModel.Module> parts) {
    MessageDigest d = Digests.newSha256();
    d.update(metadata.getBytes(StandardCharsets.UTF_8));
    for (SandboxModel.Module mod : parts.values()) {
      d.update(mod.name().getBytes(StandardCharsets.UTF_8));
      d.update(mod.content());
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private Reply domains(Req r, Token caller, Account a, List<String> rest) {
    String m = r.method();
    if (rest.isEmpty()) {
      if (method(m, "PUT")) {
        Map<String, Object> body = jsonBody(r);
        if (!(body.get("hostname") instanceof String hostRaw) || hostRaw.isBlank()) {
          throw ApiError.invalid("hostname is required", "/hostname");
        }
        if (!(body.get("service") instanceof String service) || service.isBlank()) {
          throw ApiError.invalid("service is required", "/service");
        }
        requireAccountPerm(caller, a, "Workers Scripts Write");
        String host = hostRaw.toLowerCase(Locale.ROOT);
        Zone zone;
        if (body.get("zone_id") instanceof String zid) {
          zone = sb.zones.get(zid);
          if (zone == null || !zone.accountId.equals(a.id)) {
            throw ApiError.of(400, 100121, "The zone " + zid + " is not a zone of this account");
          }
          if (!host.equals(zone.name) && !host.endsWith("." + zone.name)) {
            throw ApiError.of(400, 100117, "The hostname " + host + " is not in the zone " + zone.name);
          }
        } else {
          zone = sb.zoneForHost(a.id, host);
          if (zone == null) {
            throw ApiError.of(400, 100119, "The hostname " + host + " is not in a zone of this account");
          }
        }
        require(caller, new OnZone(a.id, zone.id), "Workers Routes Write");
        if (!a.scripts.containsKey(service)) {
          throw ApiError.of(404, 10007, "workers.api.error.script_not_found");
        }
        for (WorkerDomain d : a.domains.values()) {
          if (d.hostname().equals(host)) {
            if (d.service().equals(service)) {
              return ok(domainJson(d));
            }
            throw ApiError.of(409, 100100, "The hostname " + host + " is already attached to the Worker " + d.service());
          }
        }
        WorkerDomain d = new WorkerDomain(sb.hexId(), host, service, zone.id, zone.name, sb.hexId());
        a.domains.put(d.id(), d);
        sb.routingChanged();
        return ok(domainJson(d));
      }
      if (method(m, "GET")) {
        requireAccountPerm(caller, a, "Workers Scripts Read", "Workers Scripts Write");
        List<Map<String, Object>> out = new ArrayList<>();
        for (WorkerDomain d : a.domains.values()) {
          if (matches(r.q("hostname"), d.hostname()) && matches(r.q("service"), d.service())
              && matches(r.q("zone_id"), d.zoneId()) && matches(r.q("zone_name"), d.zoneName())) {
            out.add(domainJson(d));
          }
        }
        return ok(out);
      }
      return notAllowed();
    }
    if (rest.size() == 1) {
      WorkerDomain d = a.domains.get(rest.get(0));
      if (method(m, "GET")) {
        requireAccountPerm(caller, a, "Workers Scripts Read", "Workers Scripts Write");
        if (d == null) {
          throw ApiError.of(404, 100114, "Domain not found");
        }
        return ok(domainJson(d));
      }
      if (method(m, "DELETE")) {
        requireAccountPerm(caller, a, "Workers Scripts Write");
        if (d == null) {
          throw ApiError.of(404, 100114, "Domain not found");
        }
        require(caller, new OnZone(a.id, d.zoneId()), "Workers Routes Write");
        a.domains.remove(d.id());
        sb.routingChanged();
        return empty();
      }
      return notAllowed();
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private static boolean matches(@Nullable String filter, String value) {
    return filter == null || filter.equalsIgnoreCase(value);
  }

  private static Map<String, Object> domainJson(WorkerDomain d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", d.id());
    m.put("hostname", d.hostname());
    m.put("service", d.service());
    m.put("zone_id", d.zoneId());
    m.put("zone_name", d.zoneName());
    m.put("cert_id", d.certId());
    m.put("environment", "production");
    return m;
  }

  // ---- zones and routes ---------------------------------------------------------------------

  private Reply zones(Req r, Token caller, List<String> rest) {
    String m = r.method();
    if (rest.isEmpty()) {
      if (method(m, "GET")) {
        List<Map<String, Object>> out = new ArrayList<>();
        String name = r.q("name");
        String accountId = r.q("account.id");
        String status = r.q("status");
        for (Zone z : sb.zones.values()) {
          if ((name == null || z.name.equalsIgnoreCase(name)) && (accountId == null || z.accountId.equals(accountId))
              && (status == null || z.status.equals(status))
              && SandboxPermissions.granted(caller.policies, new Need(List.of("Zone Read", "Zone Write"),
                  new OnZone(z.accountId, z.id)))) {
            out.add(zoneJson(z));
          }
        }
        return page(r, out);
      }
      if (method(m, "POST")) {
        Map<String, Object> body = jsonBody(r);
        if (!(body.get("name") instanceof String name) || !ZONE_NAME.matcher(name).matches() || name.length() > 253) {
          throw ApiError.invalid("name must be a domain name", "/name");
        }
        Map<?, ?> acct = body.get("account") instanceof Map<?, ?> am ? am : Map.of();
        if (!(acct.get("id") instanceof String accountId)) {
          throw ApiError.invalid("account.id is required", "/account/id");
        }
        Account a = account(accountId);
        require(caller, new OnAllZones(a.id), "Zone Write");
        Object type = body.getOrDefault("type", "full");
        if (!List.of("full", "partial", "secondary").contains(type)) {
          throw ApiError.invalid("type must be full, partial or secondary", "/type");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        for (Zone z : sb.zones.values()) {
          if (z.name.equals(lower)) {
            throw ApiError.of(400, 1061, lower + " already exists");
          }
        }
        Zone z = sb.addZone(a.id, lower, "pending", false);
        return ok(zoneJson(z));
      }
      return notAllowed();
    }
    Zone z = sb.zones.get(rest.get(0));
    if (z == null) {
      throw ApiError.notFound("/zones/" + rest.get(0));
    }
    if (rest.size() == 1) {
      if (method(m, "GET")) {
        require(caller, new OnZone(z.accountId, z.id), "Zone Read", "Zone Write");
        return ok(zoneJson(z));
      }
      if (method(m, "DELETE")) {
        require(caller, new OnZone(z.accountId, z.id), "Zone Write");
        sb.zones.remove(z.id);
        sb.routingChanged();
        return ok(Map.of("id", z.id));
      }
      return notAllowed();
    }
    if (rest.size() == 2 && rest.get(1).equals("activation_check") && method(m, "PUT")) {
      require(caller, new OnZone(z.accountId, z.id), "Zone Write");
      return ok(Map.of("id", z.id));
    }
    if (rest.size() >= 3 && rest.get(1).equals("workers") && rest.get(2).equals("routes")) {
      return routes(r, caller, z, rest.subList(3, rest.size()));
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  Map<String, Object> zoneJson(Zone z) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", z.id);
    m.put("name", z.name);
    m.put("status", z.status);
    m.put("paused", false);
    m.put("type", "full");
    m.put("development_mode", 0);
    m.put("name_servers", List.of("ada.ns.cloudflare.com", "bob.ns.cloudflare.com"));
    m.put("original_name_servers", z.registrar ? null : List.of("ns1.example-dns.net", "ns2.example-dns.net"));
    m.put("original_registrar", z.registrar ? "cloudflare, inc." : null);
    m.put("original_dnshost", null);
    m.put("created_on", ts(z.createdOn));
    m.put("modified_on", ts(z.activatedOn != null ? z.activatedOn : z.createdOn));
    m.put("activated_on", z.activatedOn == null ? null : ts(z.activatedOn));
    Account a = sb.accounts.get(z.accountId);
    m.put("account", Map.of("id", z.accountId, "name", a == null ? "" : a.name));
    m.put("owner", Map.of("id", CloudflareSandbox.USER_ID, "type", "user", "name", CloudflareSandbox.USER_EMAIL));
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("step", 2);
    meta.put("custom_certificate_quota", 0);
    meta.put("page_rule_quota", 3);
    meta.put("phishing_detected", false);
    meta.put("cdn_only", false);
    meta.put("dns_only", false);
    meta.put("foundation_dns", false);
    m.put("meta", meta);
    return m;
  }

  private Reply routes(Req r, Token caller, Zone z, List<String> rest) {
    String m = r.method();
    OnZone target = new OnZone(z.accountId, z.id);
    if (rest.isEmpty()) {
      if (method(m, "GET")) {
        require(caller, target, "Workers Routes Read", "Workers Routes Write");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Route rt : z.routes.values()) {
          out.add(routeJson(rt));
        }
        return ok(out);
      }
      if (method(m, "POST")) {
        require(caller, target, "Workers Routes Write");
        Map<String, Object> body = jsonBody(r);
        Route rt = validRoute(z, body, sb.hexId());
        for (Route existing : z.routes.values()) {
          if (existing.pattern().equalsIgnoreCase(rt.pattern())) {
            throw ApiError.of(409, 10020, "A route with the same pattern already exists");
          }
        }
        z.routes.put(rt.id(), rt);
        sb.routingChanged();
        return ok(Map.of("id", rt.id()));
      }
      return notAllowed();
    }
    Route rt = z.routes.get(rest.get(0));
    if (rt == null) {
      throw ApiError.of(404, 10020, "Route not found");
    }
    switch (m) {
      case "GET":
        require(caller, target, "Workers Routes Read", "Workers Routes Write");
        return ok(routeJson(rt));
      case "PUT": {
        require(caller, target, "Workers Routes Write");
        Route updated = validRoute(z, jsonBody(r), rt.id());
        z.routes.put(rt.id(), updated);
        sb.routingChanged();
        return ok(routeJson(updated));
      }
      case "DELETE":
        require(caller, target, "Workers Routes Write");
        z.routes.remove(rt.id());
        sb.routingChanged();
        return ok(Map.of("id", rt.id()));
      default:
        return notAllowed();
    }
  }

  private Route validRoute(Zone z, Map<String, Object> body, String id) {
    if (!(body.get("pattern") instanceof String pattern) || pattern.isBlank()) {
      throw ApiError.invalid("pattern is required", "/pattern");
    }
    String host = pattern.replaceFirst("^https?://", "").split("/")[0].toLowerCase(Locale.ROOT);
    String bare = host.startsWith("*.") ? host.substring(2) : host.startsWith("*") ? host.substring(1) : host;
    if (!bare.equals(z.name) && !bare.endsWith("." + z.name)) {
      throw ApiError.of(400, 10022, "The route pattern " + pattern + " does not belong to the zone " + z.name);
    }
    String script = body.get("script") instanceof String s ? s : "";
    if (!script.isEmpty()) {
      if (!SCRIPT_NAME.matcher(script).matches()) {
        throw ApiError.invalid("script is not a Worker name", "/script");
      }
      Account a = sb.accounts.get(z.accountId);
      if (a == null || !a.scripts.containsKey(script)) {
        throw ApiError.of(404, 10007, "workers.api.error.script_not_found");
      }
    }
    return new Route(id, pattern, script);
  }

  private static Map<String, Object> routeJson(Route rt) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", rt.id());
    m.put("pattern", rt.pattern());
    m.put("script", rt.script());
    return m;
  }

  // ---- registrar ----------------------------------------------------------------------------

  private Reply registrar(Req r, Token caller, Account a, List<String> rest, boolean sandboxPath) {
    String m = r.method();
    if (rest.isEmpty()) {
      throw ApiError.of(404, 7000, "No route for that URI");
    }
    String read = "Registrar Domains Read";
    String write = "Registrar Domains Write";
    switch (rest.get(0)) {
      case "domain-search": {
        if (rest.size() != 1 || !method(m, "GET")) {
          break;
        }
        requireAccountPerm(caller, a, read, write);
        String q = r.q("q");
        if (q == null || q.isBlank()) {
          throw ApiError.of(400, 1004, "The query parameter q is required");
        }
        int limit = intParam(r, "limit", 20);
        List<String> exts = new ArrayList<>();
        for (String e : r.query().getOrDefault("extensions", List.of())) {
          for (String part : e.split(",")) {
            if (!part.isBlank()) {
              exts.add(part.trim().toLowerCase(Locale.ROOT));
            }
          }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String name : sb.suggestions(q, exts, limit)) {
          out.add(sb.availability(name, sandboxPath));
        }
        return ok(Map.of("domains", out));
      }
      case "domain-check": {
        if (rest.size() != 1 || !method(m, "POST")) {
          break;
        }
        requireAccountPerm(caller, a, read, write);
        Map<String, Object> body = jsonBody(r);
        if (!(body.get("domains") instanceof List<?> list) || list.isEmpty() || list.size() > 20) {
          throw ApiError.invalid("domains must hold 1 to 20 names", "/domains");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : list) {
          out.add(sb.availability(String.valueOf(o).toLowerCase(Locale.ROOT), sandboxPath));
        }
        return ok(Map.of("domains", out));
      }
      case "registrations":
        return registrations(r, caller, a, rest.subList(1, rest.size()), sandboxPath);
      default:
        break;
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private Reply registrations(Req r, Token caller, Account a, List<String> rest, boolean sandboxPath) {
    String m = r.method();
    Map<String, Registration> regs = sandboxPath ? a.sandboxRegistrations : a.registrations;
    String base = "/accounts/" + a.id + (sandboxPath ? "/registrar-sandbox" : "/registrar") + "/registrations/";
    if (rest.isEmpty()) {
      if (method(m, "POST")) {
        requireAccountPerm(caller, a, "Registrar Domains Write");
        Map<String, Object> body = jsonBody(r);
        if (!(body.get("domain_name") instanceof String domainRaw) || domainRaw.isBlank()) {
          throw ApiError.invalid("domain_name is required", "/domain_name");
        }
        String domain = domainRaw.toLowerCase(Locale.ROOT);
        int years = body.get("years") instanceof Number n ? n.intValue() : 1;
        if (years < 1 || years > 10) {
          throw ApiError.invalid("years must be 1 to 10", "/years");
        }
        Map<String, Object> avail = sb.availability(domain, sandboxPath);
        if (!Boolean.TRUE.equals(avail.get("registrable"))) {
          throw ApiError.of(400, 1004, "The domain " + domain + " cannot be registered ("
              + avail.getOrDefault("reason", "unavailable") + ")", "/domain_name");
        }
        Registration reg = sb.startRegistration(a, domain, years, Boolean.TRUE.equals(body.get("auto_renew")), sandboxPath);
        boolean async = "respond-async".equalsIgnoreCase(String.valueOf(r.header("Prefer")).trim());
        if (!async && reg.script == CloudflareSandbox.RegistrationScript.INSTANT) {
          sb.advance(a, reg);
        }
        return ok(reg.state.equals("succeeded") ? 201 : 202, workflowJson(a, reg, base), null);
      }
      if (method(m, "GET")) {
        requireAccountPerm(caller, a, "Registrar Domains Read", "Registrar Domains Write");
        List<Map<String, Object>> all = new ArrayList<>();
        for (Registration reg : regs.values()) {
          all.add(registrationJson(reg));
        }
        int perPage = intParam(r, "per_page", 20);
        int from = 0;
        String cursor = r.q("cursor");
        if (cursor != null && !cursor.isEmpty()) {
          try {
            from = Integer.parseInt(new String(java.util.Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
          } catch (IllegalArgumentException e) {
            throw ApiError.of(400, 1004, "Invalid cursor");
          }
        }
        int to = Math.min(all.size(), from + Math.max(1, perPage));
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("count", to - from);
        info.put("per_page", perPage);
        info.put("cursor", to < all.size() ? java.util.Base64.getUrlEncoder().withoutPadding()
            .encodeToString(String.valueOf(to).getBytes(StandardCharsets.UTF_8)) : "");
        return ok(200, new ArrayList<>(all.subList(Math.min(from, all.size()), to)), info);
      }
      return notAllowed();
    }
    Registration reg = regs.get(rest.get(0).toLowerCase(Locale.ROOT));
    if (rest.size() == 1 && method(m, "PATCH")) {
      requireAccountPerm(caller, a, "Registrar Domains Write");
      if (reg == null) {
        throw ApiError.of(404, 1006, "No registration for " + rest.get(0) + " in this account");
      }
      Map<String, Object> body = jsonBody(r);
      for (String k : body.keySet()) {
        if (!k.equals("auto_renew")) {
          throw ApiError.invalid("only auto_renew can be changed", "/" + k);
        }
      }
      if (!(body.get("auto_renew") instanceof Boolean renew)) {
        throw ApiError.invalid("auto_renew must be a boolean", "/auto_renew");
      }
      reg.autoRenew = renew;
      reg.updatedAt = sb.clock.instant();
      Map<String, Object> wf = new LinkedHashMap<>();
      wf.put("completed", true);
      wf.put("created_at", ts(reg.updatedAt));
      wf.put("updated_at", ts(reg.updatedAt));
      wf.put("links", Map.of("self", base + reg.domain + "/update-status", "resource", base + reg.domain));
      wf.put("state", "succeeded");
      wf.put("context", Map.of("domain_name", reg.domain, "registration", registrationJson(reg)));
      wf.put("error", null);
      return ok(wf);
    }
    if (!method(m, "GET")) {
      return notAllowed();
    }
    requireAccountPerm(caller, a, "Registrar Domains Read", "Registrar Domains Write");
    if (reg == null) {
      throw ApiError.of(404, 1006, "No registration for " + rest.get(0) + " in this account");
    }
    if (rest.size() == 1) {
      return ok(registrationJson(reg));
    }
    if (rest.size() == 2 && rest.get(1).equals("registration-status")) {
      sb.advance(a, reg);
      return ok(workflowJson(a, reg, base));
    }
    throw ApiError.of(404, 7000, "No route for that URI");
  }

  private Map<String, Object> workflowJson(Account a, Registration reg, String base) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("completed", reg.state.equals("succeeded") || reg.state.equals("failed"));
    m.put("created_at", ts(reg.createdAt));
    m.put("updated_at", ts(reg.updatedAt));
    m.put("links", Map.of("self", base + reg.domain + "/registration-status", "resource", base + reg.domain));
    m.put("state", reg.state);
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("domain_name", reg.domain);
    if (reg.state.equals("action_required")) {
      ctx.put("action", "confirm_registrant_email");
      ctx.put("confirmation_sent_to", CloudflareSandbox.USER_EMAIL);
    }
    if (reg.state.equals("succeeded")) {
      ctx.put("registration", registrationJson(reg));
    }
    m.put("context", ctx);
    if (reg.errorCode != null) {
      m.put("error", Map.of("code", reg.errorCode, "message", String.valueOf(reg.errorMessage)));
    } else {
      m.put("error", null);
    }
    return m;
  }

  private static Map<String, Object> registrationJson(Registration reg) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("domain_name", reg.domain);
    m.put("status", reg.state.equals("succeeded") ? "active" : "registration_pending");
    m.put("auto_renew", reg.autoRenew);
    m.put("created_at", ts(reg.createdAt));
    m.put("expires_at", reg.state.equals("succeeded") ? ts(reg.createdAt.plus(Duration.ofDays(365L * reg.years))) : null);
    m.put("locked", true);
    m.put("privacy_mode", "redaction");
    return m;
  }

  // ---- alerting -----------------------------------------------------------------------------

  private Reply alerting(Req r, Token caller, Account a) {
    if (method(r.method(), "POST")) {
      requireAccountPerm(caller, a, "Notifications Write");
      Map<String, Object> body = jsonBody(r);
      for (String f : List.of("name", "alert_type", "enabled", "mechanisms")) {
        if (!body.containsKey(f)) {
          throw ApiError.invalid(f + " is required", "/" + f);
        }
      }
      String id = java.util.UUID.nameUUIDFromBytes(sb.hexId().getBytes(StandardCharsets.UTF_8)).toString();
      Map<String, Object> stored = new LinkedHashMap<>(body);
      stored.put("id", id);
      stored.put("created", ts(sb.clock.instant()));
      a.notificationPolicies.add(stored);
      return ok(Map.of("id", id));
    }
    if (method(r.method(), "GET")) {
      requireAccountPerm(caller, a, "Notifications Read", "Notifications Write");
      return ok(200, new ArrayList<>(a.notificationPolicies), Map.of("page", 1, "per_page", 25,
          "count", a.notificationPolicies.size(), "total_count", a.notificationPolicies.size()));
    }
    return notAllowed();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Map<String, Object> jsonBody(Req r) {
    String text = new String(r.body(), StandardCharsets.UTF_8);
    if (text.isBlank()) {
      return new LinkedHashMap<>();
    }
    try {
      return Json.parseObject(text);
    } catch (IllegalArgumentException e) {
      throw ApiError.of(400, 6007, "Malformed JSON in request body");
    }
  }

  static String ts(Instant i) {
    return i.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
