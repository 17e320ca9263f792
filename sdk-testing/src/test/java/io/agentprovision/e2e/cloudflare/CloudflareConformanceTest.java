package io.agentprovision.e2e.cloudflare;

import io.agentprovision.cloudflare.Accounts;
import io.agentprovision.cloudflare.ApiTokens;
import io.agentprovision.cloudflare.CloudflareClient;
import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.cloudflare.CloudflareException;
import io.agentprovision.cloudflare.CloudflareResponse;
import io.agentprovision.cloudflare.DomainPurchase;
import io.agentprovision.cloudflare.LeastPrivilege;
import io.agentprovision.cloudflare.PermissionGroup;
import io.agentprovision.cloudflare.TokenDraft;
import io.agentprovision.cloudflare.Workers;
import io.agentprovision.cloudflare.Zones;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.path.NodePath;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.cloudflare.CloudflareSandbox.RecordedRequest;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.MediaType;
import okhttp3.MultipartReader;
import okio.Buffer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Checks the wire against Cloudflare's own schema: every request body the client builds and every
 * answer the sandbox gives, validated against Cloudflare's OpenAPI subset
 * ({@code cloudflare-openapi-subset.json}, read in {@code ../shared/conformance} beside the checkout
 * or in the folder {@code -Dagentprovision.conformance.dir} names, never copied into the project;
 * without it the tests report themselves skipped). Where the subset marks a 2024 shape as stale
 * ({@code x-subset-drift}), the current {@code x26_} shape is used.
 */
class CloudflareConformanceTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();
  /** Current request shapes where the 2024 ones are stale, by "METHOD template". */
  private static final Map<String, String> REQUEST_OVERRIDES = Map.of(
      "PUT /accounts/{account_id}/workers/domains", "#/components/schemas/x26_WorkerDomainRequest",
      "POST /user/tokens", "#/components/schemas/x26_TokenCreateRequest",
      "PUT /user/tokens/{token_id}", "#/components/schemas/x26_TokenUpdateRequest");
  /** Current result shapes where the 2024 ones are stale. */
  private static final Map<String, String> RESULT_OVERRIDES = Map.of(
      "PUT /accounts/{account_id}/workers/domains", "#/components/schemas/x26_WorkerDomain",
      "PUT /accounts/{account_id}/workers/scripts/{script_name}", "#/components/schemas/x26_WorkerScriptUploadResult");

  /** Names a folder holding the subset, instead of ../shared/conformance beside the checkout. */
  static final String DIR_PROPERTY = "agentprovision.conformance.dir";
  private static final String SUBSET = "cloudflare-openapi-subset.json";

  private static @Nullable Path subset;
  private static JsonNode doc;
  private static SchemaRegistry registry;

  @BeforeAll
  static void load() throws IOException {
    subset = locateSubset();
    if (subset != null) {
      doc = MAPPER.readTree(subset.toFile());
      // the subset is handed over by its address, so nothing is fetched, not even from the file system
      Map<String, String> documents = Map.of(subset.toUri().toString(), Files.readString(subset));
      registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30(), b -> b.schemas(documents)
          .schemaLoader(l -> l.fetchRemoteResources(false)));
    }
  }

  /**
   * Each test, not the class, checks for the subset: an assumption failing in {@code @BeforeAll}
   * aborts the class before any test starts, and the build then shows "Tests run: 0" instead of
   * three tests skipped with this reason.
   */
  @BeforeEach
  void subsetPresent() {
    assumeTrue(subset != null, "Cloudflare's OpenAPI subset " + SUBSET + " is not in "
        + (System.getProperty(DIR_PROPERTY, "").isBlank() ? "../shared/conformance beside this checkout"
            : System.getProperty(DIR_PROPERTY) + " (-D" + DIR_PROPERTY + ")")
        + "; it is Cloudflare's data and is never copied into the project");
  }

  /**
   * The subset: in the folder the system property {@value #DIR_PROPERTY} names, else in
   * {@code ../shared/conformance} beside the checkout (the repository root is the first parent
   * holding the Maven wrapper); null when it is not there.
   */
  private static @Nullable Path locateSubset() {
    String override = System.getProperty(DIR_PROPERTY);
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override).resolve(SUBSET).toAbsolutePath().normalize();
      return Files.isRegularFile(p) ? p : null;
    }
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (int i = 0; i < 5 && dir != null; i++, dir = dir.getParent()) {
      if (Files.exists(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("sdk-core"))) {
        Path p = dir.resolve("../shared/conformance").resolve(SUBSET).normalize();
        return Files.isRegularFile(p) ? p : null;
      }
    }
    return null;
  }

  private static Schema schema(String pointer) {
    return SCHEMAS.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(subset.toUri() + p)));
  }

  private static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  private static List<String> validate(String pointer, String json, String what) {
    List<String> out = new ArrayList<>();
    for (Error e : schema(pointer).validate(json, InputFormat.JSON)) {
      String m = pointer(e.getInstanceLocation()) + ": " + e.getMessage();
      if (!knownSchemaFlaw(m)) {
        out.add(what + ": " + m);
      }
    }
    return out;
  }

  /** Where in the instance, as a JSON pointer such as {@code /result/0/id}. */
  private static String pointer(NodePath at) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < at.getNameCount(); i++) {
      sb.append('/').append(at.getElement(i));
    }
    return sb.toString();
  }

  /**
   * The verbatim 2024 notification-policy schema types a mechanism {@code id} as oneOf(string of at
   * most 36 characters, string): every short id matches both, so oneOf can never hold for it.
   */
  private static boolean knownSchemaFlaw(String message) {
    return message.matches("/(result/\\d+/)?mechanisms/\\w+/\\d+/id: must be valid to one and only one schema, "
        + "but 2 are valid with indexes '0, 1'");
  }

  /** One operation of the subset. */
  private record Operation(String method, String template, JsonNode node) {
    String key() {
      return method + " " + template;
    }

    String pointer() {
      return "#/paths/" + escape(template) + "/" + method.toLowerCase();
    }
  }

  private static @Nullable Operation match(String method, String path) {
    String p = path.replace("/registrar-sandbox/", "/registrar/");
    String[] segs = p.substring(1).split("/");
    Operation best = null;
    int bestLiterals = -1;
    for (String template : doc.get("paths").propertyNames()) {
      JsonNode op = doc.get("paths").get(template).get(method.toLowerCase());
      String[] t = template.substring(1).split("/");
      if (op == null || t.length != segs.length) {
        continue;
      }
      int literals = 0;
      boolean ok = true;
      for (int i = 0; i < t.length && ok; i++) {
        if (t[i].startsWith("{")) {
          continue;
        }
        ok = t[i].equals(URLDecoder.decode(segs[i], StandardCharsets.UTF_8));
        literals++;
      }
      if (ok && literals > bestLiterals) {
        best = new Operation(method, template, op);
        bestLiterals = literals;
      }
    }
    return best;
  }

  private static JsonNode deref(JsonNode n) {
    while (n != null && n.has("$ref")) {
      JsonNode cur = doc;
      for (String part : n.get("$ref").asString().substring(2).split("/")) {
        cur = cur.get(part.replace("~1", "/").replace("~0", "~"));
      }
      n = cur;
    }
    return n;
  }

  private static Set<String> queryParams(Operation op) {
    Set<String> names = new LinkedHashSet<>();
    JsonNode params = op.node().get("parameters");
    if (params != null) {
      for (JsonNode p : params) {
        JsonNode d = deref(p);
        if ("query".equals(d.path("in").asString())) {
          names.add(d.get("name").asString());
        }
      }
    }
    return names;
  }

  /** Every violation of one recorded exchange. */
  private static List<String> check(RecordedRequest r) throws IOException {
    List<String> problems = new ArrayList<>();
    String what = r.method() + " " + r.path() + " -> " + r.status();
    Operation op = match(r.method(), r.pathOnly());
    if (op == null) {
      problems.add(what + ": no operation of the subset");
      return problems;
    }
    int q = r.path().indexOf('?');
    if (q >= 0) {
      Set<String> declared = queryParams(op);
      for (String pair : r.path().substring(q + 1).split("&")) {
        String name = URLDecoder.decode(pair.split("=", 2)[0], StandardCharsets.UTF_8);
        if (!declared.contains(name)) {
          problems.add(what + ": query parameter '" + name + "' is not declared " + declared);
        }
      }
    }
    String ct = r.contentType();
    if (ct != null && ct.startsWith("application/json") && r.body().length > 0) {
      String pointer = REQUEST_OVERRIDES.get(op.key());
      if (pointer == null && deref(op.node().path("requestBody")).path("content").path("application/json").has("schema")) {
        pointer = op.pointer() + "/requestBody/content/application~1json/schema";
      }
      if (pointer != null) {
        problems.addAll(validate(pointer, r.bodyText(), what + " request"));
      }
    } else if (ct != null && ct.startsWith("multipart/form-data")) {
      problems.addAll(checkMultipart(r, ct, what));
    }
    if (r.responseBody() != null) {
      JsonNode responses = op.node().get("responses");
      String code = String.valueOf(r.status());
      String key = responses.has(code) ? code : responses.has(code.charAt(0) + "XX") ? code.charAt(0) + "XX" : null;
      if (key == null) {
        problems.add(what + ": status " + code + " is not documented " + responses.propertyNames());
        return problems;
      }
      if (r.status() == 429) {
        problems.addAll(checkRateLimited(r.responseBody(), what));
        return problems;
      }
      String result = RESULT_OVERRIDES.get(op.key());
      String schemaPointer = op.pointer() + "/responses/" + key + "/content/application~1json/schema";
      JsonNode failure = deref(responses.get(key)).path("content").path("application/json").path("schema");
      if (r.status() >= 400 && failure.has("allOf")) {
        // The verbatim 2024 failure schemas are allOf(<the success shape>, <…common-failure>), which no body can
        // satisfy (success true and false at once); the failure member is the documented error shape.
        for (int i = 0; i < failure.get("allOf").size(); i++) {
          if (failure.get("allOf").get(i).path("$ref").asString().contains("failure")) {
            problems.addAll(validate(schemaPointer + "/allOf/" + i, r.responseBody(), what + " failure"));
          }
        }
      } else if (result != null && r.status() < 300) {
        problems.addAll(validate("#/components/schemas/x26_EnvelopeSuccess", r.responseBody(), what + " envelope"));
        problems.addAll(validate(result, MAPPER.readTree(r.responseBody()).get("result").toString(), what + " result"));
      } else if (deref(responses.get(key)).path("content").path("application/json").has("schema")) {
        problems.addAll(validate(schemaPointer, r.responseBody(), what + " response"));
      }
    }
    return problems;
  }

  private static List<String> checkMultipart(RecordedRequest r, String ct, String what) throws IOException {
    List<String> problems = new ArrayList<>();
    String metadata = null;
    List<String> names = new ArrayList<>();
    try (MultipartReader reader = new MultipartReader(new Buffer().write(r.body()), MediaType.get(ct).parameter("boundary"))) {
      MultipartReader.Part next;
      while ((next = reader.nextPart()) != null) {
        try (MultipartReader.Part part = next) {
          String disposition = part.headers().get("Content-Disposition");
          String body = part.body().readUtf8();
          if ("form-data; name=\"metadata\"".equals(disposition)) {
            metadata = body;
          } else {
            names.add(disposition);
          }
        }
      }
    }
    if (metadata == null) {
      problems.add(what + ": no metadata part");
      return problems;
    }
    problems.addAll(validate("#/components/schemas/x26_WorkerScriptMetadata", metadata, what + " metadata"));
    String main = String.valueOf(Json.parseObject(metadata).get("main_module"));
    if (!names.contains("form-data; name=\"" + main + "\"; filename=\"" + main + "\"")) {
      problems.add(what + ": no module part named " + main + " with that filename, parts " + names);
    }
    return problems;
  }

  /** A 429 must look like the subset's documented failure example (its code 971 sits below the schema's minimum). */
  private static List<String> checkRateLimited(String body, String what) throws IOException {
    JsonNode example = deref(MAPPER.readTree("{\"$ref\":\"#/components/schemas/x26_EnvelopeFailure\"}")).get("example");
    JsonNode actual = MAPPER.readTree(body);
    List<String> problems = new ArrayList<>();
    if (!actual.equals(example)) {
      problems.add(what + ": 429 body " + actual + " differs from the documented " + example);
    }
    return problems;
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void sandboxScenario_everyRequestAndEveryAnswerMatchesTheSubset() throws Exception {
    List<RecordedRequest> recorded;
    Set<String> operations = new LinkedHashSet<>();
    try (SandboxFixture f = new SandboxFixture()) {
      runScenario(f);
      recorded = f.cf.requests();
    }
    List<String> problems = new ArrayList<>();
    for (RecordedRequest r : recorded) {
      problems.addAll(check(r));
      Operation op = match(r.method(), r.pathOnly());
      if (op != null) {
        operations.add(op.node().get("operationId").asString());
      }
    }
    assertThat(problems).isEmpty();
    assertThat(operations).contains("accounts-list-accounts", "x26-account-tokens-permission-groups",
        "x26-account-tokens-create", "x26-account-tokens-verify", "x26-account-tokens-list", "x26-account-tokens-get",
        "x26-account-tokens-update", "x26-account-tokens-roll", "x26-account-tokens-delete", "user-api-tokens-verify-token",
        "worker-subdomain-get-subdomain", "worker-subdomain-create-subdomain", "worker-script-upload-worker-module",
        "x26-worker-script-subdomain-set", "worker-domain-attach-to-domain", "worker-domain-list-domains",
        "worker-domain-detach-from-domain", "worker-script-delete-worker", "worker-routes-create-route",
        "worker-routes-list-routes", "worker-routes-delete-route", "zones-get", "zones-post", "zones-0-get",
        "put-zones-zone_id-activation_check", "x26-registrar-domain-search", "x26-registrar-domain-check",
        "x26-registrar-registrations-create", "x26-registrar-registration-status", "x26-registrar-registrations-get",
        "x26-registrar-registrations-list", "notification-policies-create-a-notification-policy",
        "notification-policies-list-notification-policies", "worker-script-list-workers");
    assertThat(recorded).anyMatch(r -> r.status() == 429).anyMatch(r -> r.status() == 403)
        .anyMatch(r -> r.status() == 401).anyMatch(r -> r.status() == 400);
  }

  private static void runScenario(SandboxFixture f) {
    FakeStepContext ctx = f.ctx();
    WorkerApp app = SandboxFixture.helloApp().toBuilder()
        .binding(WorkerApp.Binding.kvNamespace("CACHE", "0f2ac74b498b48028cb68387c421e279"))
        .binding(WorkerApp.Binding.d1("DB", "c6a4dd47-6a2c-4c1c-9d6d-5f7b0b0f9d6e"))
        .binding(WorkerApp.Binding.of("json", "SETTINGS", Map.of("json", "{\"tier\":\"gold\"}")))
        .build();
    CloudflareClient broad = f.client(f.broad);

    // Credentials, deploy with a custom domain, then with a route, undeploy.
    f.cf.clientIp("203.0.113.7");
    DeployCredentials creds = f.deployer.prepareCredentials(f.credentialRequest(TokenSpec.leastPrivilege()
        .allowIps("203.0.113.0/24").denyIps("203.0.113.99").extraPermission("DNS Read"), app, SandboxFixture.HOST), ctx)
        .deploy();
    DeployedApp deployed = f.deployer.deploy(new DeployRequest(app, creds, SandboxFixture.HOST), ctx);
    f.deployer.deploy(new DeployRequest(app, creds, SandboxFixture.HOST), ctx);
    CloudflareClient narrow = f.client(creds.token());
    narrow.workers(f.account).scripts();
    narrow.workers(f.account).scriptSubdomain("hello");
    Workers.WorkerRoute route = narrow.workers(f.account).createRoute(f.zoneId, "api.ada-app.dev/*", "hello");
    narrow.workers(f.account).routes(f.zoneId);
    narrow.workers(f.account).deleteRoute(f.zoneId, route.id());
    f.deployer.undeploy(deployed, creds, ctx);

    // Token management with the broad token; user-token verify as the fallback path does it.
    ApiTokens tokens = broad.accountTokens(f.account);
    tokens.list();
    tokens.get(creds.tokenId());
    tokens.extend(creds.tokenId(), f.time.instant().plus(Duration.ofDays(3)));
    tokens.roll(creds.tokenId());
    tokens.delete(creds.tokenId());
    f.client(f.cf.mintUserToken(f.account)).userTokens().verify();

    // Refusals: out of the IP range, outside the token's permissions, an invalid token, a flattened upload.
    CloudflareDeployer.builder().build(); // the defaults build without a network
    f.cf.clientIp("198.51.100.1");
    String fenced = f.cf.mintToken(f.account, "fenced", Map.of("com.cloudflare.api.account." + f.account,
        List.of("Workers Scripts Read")), List.of("203.0.113.0/24"), null).reveal();
    assertThatThrownBy(() -> f.client(Secret.of(fenced)).workers(f.account).scripts()).isInstanceOf(CloudflareException.class);
    f.cf.clientIp(null);
    assertThatThrownBy(() -> f.client(Secret.of(fenced)).workers(f.account).scripts()).isInstanceOf(CloudflareException.class);
    Secret reader = f.cf.mintToken(f.account, "reader", Map.of("com.cloudflare.api.account." + f.account,
        List.of("Workers Scripts Read")), List.of(), null);
    assertThatThrownBy(() -> f.client(reader).workers(f.account).upload(app)).isInstanceOf(CloudflareException.class);
    assertThatThrownBy(() -> f.client(Secret.of("cfat_not-a-real-token-0123456789abcdefghijklm")).accounts().list())
        .isInstanceOf(CloudflareException.class);

    // Accounts, zones, the registrar, notifications, a rate limit.
    broad.accounts().list();
    broad.accounts().get(f.account);
    Zones.Zone zone = broad.zones().create("ada-blog.com", f.account);
    assertThatThrownBy(() -> broad.zones().create("ada-blog.com", f.account))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.hasCode(1061)).isTrue());
    broad.zones().get(zone.id());
    broad.zones().activationCheck(zone.id());
    broad.zones().list(f.account);
    new DomainPurchase(broad.registrar(f.account)).purchase(DomainRequest.query("ada-store").preferTlds("com")
        .maxPrice(Money.usd("15.00")), ctx);
    new DomainPurchase(broad.registrar(f.account).sandbox()).purchase(DomainRequest.exact("ada-store.net"), ctx);
    broad.registrar(f.account).registration("ada-store.com");
    broad.registrar(f.account).registrations();
    broad.notificationPolicies(f.account).createBillingUsageAlert("usage", List.of("ada@example.com"),
        Map.of("product", List.of("worker_requests")));
    broad.notificationPolicies(f.account).list();
    f.cf.rateLimitNext(1, Duration.ofSeconds(1));
    broad.workers(f.account).subdomain();
  }

  @Test
  void clientBodies_forEveryBindingKindAndTokenShape_matchTheCurrentSchemas() {
    WorkerApp app = WorkerApp.builder("all-bindings")
        .module("index.js", "export default {};")
        .module("lib/a.mjs", "export const a = 1;")
        .compatibilityFlag("nodejs_compat")
        .plainText("A", "a")
        .secretText("B", Secret.of("b-secret"))
        .binding(WorkerApp.Binding.kvNamespace("C", "ns"))
        .binding(WorkerApp.Binding.d1("D", "db"))
        .binding(WorkerApp.Binding.of("json", "E", Map.of("json", "[1,2]")))
        .build();
    List<String> problems = new ArrayList<>();
    try (SandboxFixture f = new SandboxFixture()) {
      // the metadata as the client really sends it: uploaded to the sandbox and read back off the wire
      f.client(f.broad).workers(f.account).upload(app);
      RecordedRequest upload = f.cf.requests().get(f.cf.requests().size() - 1);
      assertThat(upload.pathOnly()).endsWith("/workers/scripts/all-bindings");
      problems.addAll(checkMultipart(upload, String.valueOf(upload.contentType()), "metadata"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    PermissionGroup scripts = new PermissionGroup("g1", LeastPrivilege.WORKERS_SCRIPTS_WRITE, List.of());
    PermissionGroup routes = new PermissionGroup("g2", LeastPrivilege.WORKERS_ROUTES_WRITE, List.of());
    TokenDraft draft = LeastPrivilege.deployToken("deploy", "023e105f4ecef8ad9ca31a8372d0c353", "zone1",
        TokenSpec.leastPrivilege().allowIps("2001:db8::/32").denyIps("10.0.0.1"),
        Map.of(LeastPrivilege.WORKERS_SCRIPTS_WRITE, scripts, LeastPrivilege.WORKERS_ROUTES_WRITE, routes),
        java.time.Instant.parse("2026-11-02T09:00:00Z"));
    problems.addAll(validate("#/components/schemas/x26_TokenCreateRequest", Json.write(draft.toJson()), "token"));
    problems.addAll(validate("#/paths/~1accounts~1{account_id}~1tokens/post/requestBody/content/application~1json/schema",
        Json.write(draft.toJson()), "token via the operation"));

    assertThat(problems).isEmpty();
    assertThat(validate("#/components/schemas/x26_TokenCreateRequest", "{\"name\":\"x\",\"policies\":[{\"effect\":"
        + "\"maybe\"}]}", "bad token")).isNotEmpty(); // the validator does bite
  }

  @Test
  void sandbox_refusesAFlattenedMetadataUploadWith10021() throws Exception {
    try (SandboxFixture f = new SandboxFixture()) {
      okhttp3.MultipartBody body = new okhttp3.MultipartBody.Builder().setType(okhttp3.MultipartBody.FORM)
          .addFormDataPart("metadata[main_module]", "index.js")
          .addFormDataPart("index.js", "index.js", okhttp3.RequestBody.create("export default {};",
              MediaType.get("application/javascript+module")))
          .build();
      // sent with plain okhttp: the SDK's client cannot build this (wrong) shape
      okhttp3.Request put = new okhttp3.Request.Builder()
          .url(f.cf.baseUrl() + "/accounts/" + f.account + "/workers/scripts/flat")
          .header("Authorization", "Bearer " + f.broad.reveal())
          .put(body)
          .build();
      try (okhttp3.Response resp = new okhttp3.OkHttpClient().newCall(put).execute()) {
        assertThat(resp.code()).isEqualTo(400);
        Map<String, Object> envelope = Json.parseObject(resp.body().string());
        assertThat(envelope.get("success")).isEqualTo(false);
        assertThat(String.valueOf(envelope.get("errors"))).contains("10021");
      }
      RecordedRequest r = f.cf.requests().get(f.cf.requests().size() - 1);
      assertThat(check(r)).anyMatch(p -> p.contains("no metadata part"));
      assertThat(f.cf.scripts(f.account)).isEmpty();
    }
  }
}
