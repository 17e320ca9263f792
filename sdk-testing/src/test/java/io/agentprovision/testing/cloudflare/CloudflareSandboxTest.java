package io.agentprovision.testing.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sandbox answers as Cloudflare does, checked with a plain HTTP client. */
class CloudflareSandboxTest {
  private static final MediaType JSON = MediaType.get("application/json");
  private final VirtualTime time = VirtualTime.create();
  private final CloudflareSandbox cf = CloudflareSandbox.builder().clock(time).workerd(CloudflareSandbox.WorkerdMode.OFF)
      .build();
  private final OkHttpClient http = new OkHttpClient();
  private final String account = cf.createAccount("Ada");
  private final Secret broad = cf.mintBroadToken(account);

  @AfterEach
  void close() {
    cf.close();
  }

  private record Answer(int code, Map<String, Object> body, okhttp3.Headers headers) {
    @SuppressWarnings("unchecked")
    Map<String, Object> firstError() {
      return ((List<Map<String, Object>>) body.get("errors")).get(0);
    }
  }

  private Answer call(String method, String path, Secret token, RequestBody body) throws IOException {
    Request.Builder rb = new Request.Builder().url(cf.baseUrl() + path).method(method, body);
    if (token != null) {
      rb.header("Authorization", "Bearer " + token.reveal());
    }
    try (Response r = http.newCall(rb.build()).execute()) {
      String text = r.body().string();
      return new Answer(r.code(), text.isEmpty() ? Map.of() : Json.parseObject(text), r.headers());
    }
  }

  private Answer get(String path, Secret token) throws IOException {
    return call("GET", path, token, null);
  }

  @Test
  void request_withoutABearerToken_gets6003WithAnErrorChain() throws IOException {
    Answer a = call("GET", "/accounts", null, null);

    assertThat(a.code()).isEqualTo(400);
    assertThat(a.firstError()).containsEntry("code", 6003L)
        .containsEntry("error_chain", List.of(Map.of("code", 6111L, "message", "Invalid format for Authorization header")));
  }

  @Test
  void everyAnswer_carriesARayIdAndRatelimitHeaders() throws IOException {
    Answer a = get("/accounts", broad);

    assertThat(a.code()).isEqualTo(200);
    assertThat(a.headers().get("CF-Ray")).matches("[0-9a-f]{16}-SJC");
    assertThat(a.headers().get("Ratelimit")).isEqualTo("\"default\";r=1199;t=300");
    assertThat(a.headers().get("Ratelimit-Policy")).isEqualTo("\"default\";q=1200;w=300");
  }

  @Test
  void rateLimitNext_answers429With971AndRetryAfter() throws IOException {
    cf.rateLimitNext(1, Duration.ofSeconds(12));

    Answer limited = get("/accounts", broad);

    assertThat(limited.code()).isEqualTo(429);
    assertThat(limited.firstError()).containsEntry("code", 971L);
    assertThat(limited.headers().get("Retry-After")).isEqualTo("12");
    assertThat(get("/accounts", broad).code()).isEqualTo(200);
  }

  @Test
  void permissionGroups_haveStableCloudflareLookingIds() throws IOException {
    Answer a = get("/accounts/" + account + "/tokens/permission_groups?name=Workers%20Scripts%20Write", broad);

    assertThat(a.body().get("result")).asList().singleElement().satisfies(g -> {
      assertThat(((Map<?, ?>) g).get("id")).isEqualTo(cf.permissionGroupId("Workers Scripts Write"));
      assertThat((String) ((Map<?, ?>) g).get("id")).matches("[0-9a-f]{32}");
    });
  }

  @Test
  void tokenCreate_withAnUnknownGroup_pointsAtTheField() throws IOException {
    Answer a = call("POST", "/accounts/" + account + "/tokens", broad, RequestBody.create("{\"name\":\"x\",\"policies\":"
        + "[{\"effect\":\"allow\",\"permission_groups\":[{\"id\":\"nope\"}],\"resources\":{\"com.cloudflare.api.account."
        + account + "\":\"*\"}}]}", JSON));

    assertThat(a.code()).isEqualTo(400);
    assertThat(a.firstError()).containsEntry("source", Map.of("pointer", "/policies/0/permission_groups/0/id"));
  }

  @Test
  void tokenCreate_reachingAnotherAccount_isRefused() throws IOException {
    String other = cf.createAccount("Eve");

    Answer a = call("POST", "/accounts/" + account + "/tokens", broad, RequestBody.create("{\"name\":\"x\",\"policies\":"
        + "[{\"effect\":\"allow\",\"permission_groups\":[{\"id\":\"" + cf.permissionGroupId("Workers Scripts Write")
        + "\"}],\"resources\":{\"com.cloudflare.api.account." + other + "\":\"*\"}}]}", JSON));

    assertThat(a.code()).isEqualTo(400);
  }

  @Test
  void token_acceptsTheOlderRequestDotIpKeyAndEnforcesIt() throws IOException {
    Answer created = call("POST", "/accounts/" + account + "/tokens", broad, RequestBody.create("{\"name\":\"x\","
        + "\"policies\":[{\"effect\":\"allow\",\"permission_groups\":[{\"id\":\"" + cf.permissionGroupId("Workers Scripts Read")
        + "\"}],\"resources\":{\"com.cloudflare.api.account." + account + "\":\"*\"}}],"
        + "\"condition\":{\"request.ip\":{\"in\":[\"192.0.2.0/24\"]}}}", JSON));
    Secret t = Secret.of((String) ((Map<?, ?>) created.body().get("result")).get("value"));

    Answer refused = get("/accounts/" + account + "/workers/scripts", t);
    cf.clientIp("192.0.2.10");
    Answer allowed = get("/accounts/" + account + "/workers/scripts", t);

    assertThat(refused.code()).isEqualTo(403);
    assertThat(refused.firstError()).containsEntry("code", 9109L)
        .containsEntry("message", "Cannot use the access token from location: 127.0.0.1");
    assertThat(allowed.code()).isEqualTo(200);
  }

  @Test
  void accountVerify_refusesAUserToken_andUserVerifyAcceptsIt() throws IOException {
    Secret user = cf.mintUserToken(account);

    assertThat(get("/accounts/" + account + "/tokens/verify", user).code()).isEqualTo(401);
    assertThat(get("/user/tokens/verify", user).code()).isEqualTo(200);
    assertThat(get("/user/tokens/verify", broad).code()).isEqualTo(401);
  }

  private static RequestBody module(String source) {
    return RequestBody.create(source, MediaType.get("application/javascript+module"));
  }

  @Test
  void upload_withoutMetadata_orWithFlattenedFields_gets10021() throws IOException {
    MultipartBody flattened = new MultipartBody.Builder().setType(MultipartBody.FORM)
        .addFormDataPart("metadata[main_module]", "index.js")
        .addFormDataPart("index.js", "index.js", module("export default {};")).build();
    MultipartBody missingMain = new MultipartBody.Builder().setType(MultipartBody.FORM)
        .addFormDataPart("metadata", null, RequestBody.create("{\"main_module\":\"worker.js\"}", JSON))
        .addFormDataPart("index.js", "index.js", module("export default {};")).build();
    MultipartBody wrongFilename = new MultipartBody.Builder().setType(MultipartBody.FORM)
        .addFormDataPart("metadata", null, RequestBody.create("{\"main_module\":\"index.js\"}", JSON))
        .addFormDataPart("index.js", "other.js", module("export default {};")).build();

    for (MultipartBody body : List.of(flattened, missingMain, wrongFilename)) {
      Answer a = call("PUT", "/accounts/" + account + "/workers/scripts/hello", broad, body);
      assertThat(a.code()).isEqualTo(400);
      assertThat(a.firstError()).containsEntry("code", 10021L);
    }
    assertThat(cf.scripts(account)).isEmpty();
  }

  @Test
  void customDomain_inAZoneOfAnotherAccount_isRefused() throws IOException {
    String other = cf.createAccount("Eve");
    cf.registerDomain(other, "eve.dev");
    MultipartBody upload = new MultipartBody.Builder().setType(MultipartBody.FORM)
        .addFormDataPart("metadata", null, RequestBody.create("{\"main_module\":\"index.js\"}", JSON))
        .addFormDataPart("index.js", "index.js", module("export default {};")).build();
    assertThat(call("PUT", "/accounts/" + account + "/workers/scripts/hello", broad, upload).code()).isEqualTo(200);

    Answer a = call("PUT", "/accounts/" + account + "/workers/domains", broad,
        RequestBody.create("{\"hostname\":\"www.eve.dev\",\"service\":\"hello\"}", JSON));

    assertThat(a.code()).isEqualTo(400);
    assertThat(a.firstError()).containsEntry("code", 100119L);
    assertThat(cf.workerDomains(account)).isEmpty();
  }

  @Test
  void zoneCreate_twice_gets1061() throws IOException {
    RequestBody body = RequestBody.create("{\"name\":\"ada.blog\",\"account\":{\"id\":\"" + account + "\"}}", JSON);
    assertThat(call("POST", "/zones", broad, body).code()).isEqualTo(200);

    Answer again = call("POST", "/zones", broad, body);

    assertThat(again.code()).isEqualTo(400);
    assertThat(again.firstError()).containsEntry("code", 1061L);
    assertThat(cf.zones(account)).singleElement().satisfies(z -> assertThat(z.status()).isEqualTo("pending"));
  }

  @Test
  void registration_goesThroughPendingAndInProgressBeforeSucceeding() throws IOException {
    Answer started = call("POST", "/accounts/" + account + "/registrar/registrations", broad,
        RequestBody.create("{\"domain_name\":\"ada-new.com\"}", JSON));
    String status = "/accounts/" + account + "/registrar/registrations/ada-new.com/registration-status";

    assertThat(started.code()).isEqualTo(202);
    assertThat(((Map<?, ?>) started.body().get("result")).get("state")).isEqualTo("pending");
    assertThat(((Map<?, ?>) get(status, broad).body().get("result")).get("state")).isEqualTo("in_progress");
    assertThat(((Map<?, ?>) get(status, broad).body().get("result")).get("state")).isEqualTo("succeeded");
    assertThat(cf.zones(account)).extracting(CloudflareSandbox.ZoneView::name).containsExactly("ada-new.com");
  }

  @Test
  void registrarSandbox_onlyRegistersComAndNet() throws IOException {
    Answer a = call("POST", "/accounts/" + account + "/registrar-sandbox/domain-check", broad,
        RequestBody.create("{\"domains\":[\"ada.dev\",\"ada.net\"]}", JSON));

    List<?> domains = (List<?>) ((Map<?, ?>) a.body().get("result")).get("domains");
    List<Object> registrable = domains.stream().map(d -> (Object) ((Map<?, ?>) d).get("registrable")).toList();
    assertThat(registrable).containsExactly(false, true);
  }
}
