package io.agentprovision.testing.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerdRuntimeTest {
  @TempDir
  Path dir;

  private static Path binary() {
    Optional<Path> bin = WorkerdRuntime.locate();
    assumeTrue(bin.isPresent(), "workerd is not installed (set WORKERD_BIN or run "
        + "`npm install --no-save --prefix .workerd workerd` at the repository root): skipped");
    return bin.get();
  }

  private static WorkerdRuntime.Module js(String name, String source) {
    return new WorkerdRuntime.Module(name, "application/javascript+module", source.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void config_quotesStringsForCapnp() {
    WorkerdRuntime.Worker w = new WorkerdRuntime.Worker("index.js", List.of(js("index.js", "")), "2025-09-01",
        List.of("nodejs_compat"), List.of(new WorkerdRuntime.Binding("text", "GREETING", "say \"hi\"\\\n\u00e9")));

    String config = WorkerdRuntime.config(w, 8787);

    assertThat(config).contains("address = \"127.0.0.1:8787\"")
        .contains("(name = \"index.js\", esModule = embed \"modules/m0\")")
        .contains("compatibilityFlags = [\"nodejs_compat\"]")
        .contains("(name = \"GREETING\", text = \"say \\\"hi\\\"\\\\\\n\\xc3\\xa9\")");
  }

  @Test
  void deploy_servesTheWorkerAndTheFrontDispatchesByHost() throws Exception {
    try (WorkerdRuntime rt = WorkerdRuntime.create(binary(), dir)) {
      rt.deploy("a/one", new WorkerdRuntime.Worker("index.js", List.of(js("index.js",
          "export default { fetch(req, env) { return new Response('one ' + env.WHO + ' ' + new URL(req.url).hostname); } };")),
          "2025-09-01", List.of(), List.of(new WorkerdRuntime.Binding("text", "WHO", "ada"))));
      int front = rt.startFront(host -> host.equals("one.example.com") ? "a/one" : null);
      OkHttpClient http = new OkHttpClient();

      try (Response r = http.newCall(new Request.Builder().url("http://127.0.0.1:" + front + "/")
          .header("Host", "one.example.com").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("one ada one.example.com");
      }
      try (Response r = http.newCall(new Request.Builder().url("http://127.0.0.1:" + front + "/")
          .header("Host", "other.example.com").build()).execute()) {
        assertThat(r.code()).isEqualTo(404);
      }
      rt.remove("a/one");
      assertThat(rt.port("a/one")).isEmpty();
    }
  }

  @Test
  void deploy_withABrokenModule_failsWithWorkerdsMessage() throws Exception {
    try (WorkerdRuntime rt = WorkerdRuntime.create(binary(), dir)) {
      assertThatThrownBy(() -> rt.deploy("a/bad", new WorkerdRuntime.Worker("index.js",
          List.of(js("index.js", "export default { fetch( { ")), "2025-09-01", List.of(), List.of())))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("workerd");
      assertThat(rt.failure("a/bad")).isPresent();
    }
    assertThat(Files.exists(dir)).isFalse();
  }
}
