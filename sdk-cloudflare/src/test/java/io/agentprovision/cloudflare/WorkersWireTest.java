package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.MultipartReader;
import okio.Buffer;
import org.junit.jupiter.api.Test;

class WorkersWireTest extends WireSupport {
  private static final String ZONE = "9a7806061c88ada191ed06f989cc3dac";

  /** One part of a multipart body, as read back. */
  record Part(String disposition, String contentType, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  static List<Part> parts(RecordedRequest r) throws Exception {
    MediaType type = MediaType.get(r.getHeaders().get("Content-Type"));
    List<Part> out = new ArrayList<>();
    try (MultipartReader reader = new MultipartReader(new Buffer().write(r.getBody()), type.parameter("boundary"))) {
      MultipartReader.Part p;
      while ((p = reader.nextPart()) != null) {
        try (MultipartReader.Part part = p) {
          out.add(new Part(part.headers().get("Content-Disposition"), part.headers().get("Content-Type"),
              part.body().readByteArray()));
        }
      }
    }
    return out;
  }

  @Test
  void upload_sendsOneJsonMetadataPartThenOnePartPerModule() throws Exception {
    ok("{\"id\":\"hello\",\"etag\":\"e1\",\"startup_time_ms\":3,\"compatibility_date\":\"2025-09-01\"}");
    WorkerApp app = WorkerApp.builder("hello")
        .module("index.js", "import t from './copy.txt'; export default { fetch() { return new Response(t); } };")
        .module("copy.txt", "hi")
        .module("data/config.json", "{\"a\":1}")
        .compatibilityDate("2025-09-01")
        .compatibilityFlag("nodejs_compat")
        .plainText("GREETING", "ada")
        .secretText("API_KEY", Secret.of("sk-live-abc"))
        .binding(WorkerApp.Binding.kvNamespace("CACHE", "0f2ac74b498b48028cb68387c421e279"))
        .binding(WorkerApp.Binding.d1("DB", "c6a4dd47-6a2c-4c1c-9d6d-5f7b0b0f9d6e"))
        .binding(WorkerApp.Binding.of("json", "SETTINGS", Map.of("json", "{\"tier\":\"gold\",\"n\":2}")))
        .build();

    Workers.WorkerScript s = client.workers(ACCOUNT).upload(app);

    assertThat(s.etag()).isEqualTo("e1");
    assertThat(s.startupTimeMs()).isEqualTo(3);
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("PUT");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/workers/scripts/hello");
    assertThat(r.getHeaders().get("Content-Type")).startsWith("multipart/form-data; boundary=");
    List<Part> parts = parts(r);
    assertThat(parts).hasSize(4);

    Part metadata = parts.get(0);
    assertThat(metadata.disposition()).isEqualTo("form-data; name=\"metadata\"");
    // the type okhttp put on the JSON text part: kept exactly
    assertThat(metadata.contentType()).isEqualTo("application/json; charset=utf-8");
    assertThat(Json.parse(metadata.text())).isEqualTo(Json.parse("{\"main_module\":\"index.js\","
        + "\"compatibility_date\":\"2025-09-01\",\"compatibility_flags\":[\"nodejs_compat\"],\"bindings\":["
        + "{\"type\":\"plain_text\",\"name\":\"GREETING\",\"text\":\"ada\"},"
        + "{\"type\":\"secret_text\",\"name\":\"API_KEY\",\"text\":\"sk-live-abc\"},"
        + "{\"type\":\"kv_namespace\",\"name\":\"CACHE\",\"namespace_id\":\"0f2ac74b498b48028cb68387c421e279\"},"
        + "{\"type\":\"d1\",\"name\":\"DB\",\"database_id\":\"c6a4dd47-6a2c-4c1c-9d6d-5f7b0b0f9d6e\"},"
        + "{\"type\":\"json\",\"name\":\"SETTINGS\",\"json\":{\"tier\":\"gold\",\"n\":2}}]}"));

    assertThat(parts.get(1).disposition()).isEqualTo("form-data; name=\"index.js\"; filename=\"index.js\"");
    assertThat(parts.get(1).contentType()).isEqualTo("application/javascript+module");
    assertThat(parts.get(1).text()).startsWith("import t from './copy.txt';");
    assertThat(parts.get(2).disposition()).isEqualTo("form-data; name=\"copy.txt\"; filename=\"copy.txt\"");
    assertThat(parts.get(2).contentType()).isEqualTo("text/plain");
    assertThat(parts.get(3).disposition()).isEqualTo("form-data; name=\"data/config.json\"; filename=\"data/config.json\"");
    assertThat(parts.get(3).contentType()).isEqualTo("application/json");
    assertThat(parts).noneMatch(p -> p.disposition().contains("metadata["));
  }

  @Test
  void ensureSubdomain_whenNoneExists_createsThePreferredOne() throws Exception {
    fail(404, 10007, "This account does not have a workers.dev subdomain yet");
    ok("{\"subdomain\":\"ada\"}");

    assertThat(client.workers(ACCOUNT).ensureSubdomain("ada")).isEqualTo("ada");

    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/workers/subdomain");
    RecordedRequest put = take();
    assertThat(put.getMethod()).isEqualTo("PUT");
    assertThat(body(put)).isEqualTo("{\"subdomain\":\"ada\"}");
  }

  @Test
  void ensureSubdomain_whenOneExists_keepsIt() {
    ok("{\"subdomain\":\"acme\"}");

    assertThat(client.workers(ACCOUNT).ensureSubdomain("ada")).isEqualTo("acme");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void enableOnSubdomain_postsEnabledTrue() throws Exception {
    ok("{\"enabled\":true,\"previews_enabled\":false}");

    assertThat(client.workers(ACCOUNT).enableOnSubdomain("hello").enabled()).isTrue();

    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/workers/scripts/hello/subdomain");
    assertThat(body(r)).isEqualTo("{\"enabled\":true,\"previews_enabled\":false}");
  }

  @Test
  void attachDomain_putsHostnameServiceAndZone() throws Exception {
    ok("{\"id\":\"dbe10b4bc17c295377eabd600e1787fd\",\"hostname\":\"app.example.com\",\"service\":\"hello\","
        + "\"zone_id\":\"" + ZONE + "\",\"zone_name\":\"example.com\",\"cert_id\":\"c1\"}");

    Workers.WorkerDomain d = client.workers(ACCOUNT).attachDomain("App.Example.com", "hello", ZONE);

    assertThat(d.id()).isEqualTo("dbe10b4bc17c295377eabd600e1787fd");
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("PUT");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/workers/domains");
    assertThat(Json.parse(body(r))).isEqualTo(Map.of("hostname", "app.example.com", "service", "hello", "zone_id", ZONE));
  }

  @Test
  void domains_filtersByHostname() throws Exception {
    ok("[]");

    client.workers(ACCOUNT).domains("app.example.com", null);

    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/workers/domains?hostname=app.example.com");
  }

  @Test
  void detachDomain_andDeleteScript_acceptAnEmptyBody() throws Exception {
    queue.enqueue(new MockResponse.Builder().code(200).build());
    queue.enqueue(new MockResponse.Builder().code(200).build());

    assertThat(client.workers(ACCOUNT).detachDomain("d1")).isTrue();
    assertThat(client.workers(ACCOUNT).deleteScript("hello")).isTrue();

    RecordedRequest detach = take();
    assertThat(detach.getMethod()).isEqualTo("DELETE");
    assertThat(target(detach)).isEqualTo("/accounts/" + ACCOUNT + "/workers/domains/d1");
    RecordedRequest delete = take();
    assertThat(delete.getMethod()).isEqualTo("DELETE");
    assertThat(target(delete)).isEqualTo("/accounts/" + ACCOUNT + "/workers/scripts/hello?force=true");
  }

  @Test
  void deleteScript_whenMissing_returnsFalse() {
    fail(404, 10007, "workers.api.error.script_not_found");

    assertThat(client.workers(ACCOUNT).deleteScript("hello")).isFalse();
  }

  @Test
  void createRoute_postsPatternAndScript() throws Exception {
    ok("{\"id\":\"023e105f4ecef8ad9ca31a8372d0c353\"}");

    Workers.WorkerRoute route = client.workers(ACCOUNT).createRoute(ZONE, "app.example.com/*", "hello");

    assertThat(route.id()).isEqualTo("023e105f4ecef8ad9ca31a8372d0c353");
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(target(r)).isEqualTo("/zones/" + ZONE + "/workers/routes");
    assertThat(Json.parse(body(r))).isEqualTo(Map.of("pattern", "app.example.com/*", "script", "hello"));
  }

  @Test
  void deleteRoute_deletesById() throws Exception {
    ok("{\"id\":\"r1\"}");

    assertThat(client.workers(ACCOUNT).deleteRoute(ZONE, "r1")).isTrue();
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("DELETE");
    assertThat(target(r)).isEqualTo("/zones/" + ZONE + "/workers/routes/r1");
  }
}
