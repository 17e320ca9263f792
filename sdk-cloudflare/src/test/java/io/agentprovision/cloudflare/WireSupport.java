package io.agentprovision.cloudflare;

import io.agentprovision.core.Secret;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A MockWebServer that fails fast on unexpected calls, and a client pointed at it in virtual time. */
abstract class WireSupport {
  static final String ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
  static final Secret TOKEN = Secret.of("cfat_WireTestToken0123456789abcdefghijklmnopq");

  final VirtualTime time = VirtualTime.create();
  final MockWebServer server = new MockWebServer();
  final QueueDispatcher queue = new QueueDispatcher();
  CloudflareClient client;

  @BeforeEach
  void startServer() throws IOException {
    queue.setFailFast(true);
    server.setDispatcher(queue);
    server.start(0);
    client = CloudflareClient.builder().baseUrl(server.url("/client/v4").toString()).token(TOKEN).clock(time).sleeper(time)
        .build();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  void enqueue(int code, String body) {
    queue.enqueue(new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json")
        .addHeader("CF-Ray", "8f1e2d3c4b5a6978-SJC").body(body).build());
  }

  void enqueue(MockResponse response) {
    queue.enqueue(response);
  }

  /** A success envelope around {@code resultJson}. */
  void ok(String resultJson) {
    enqueue(200, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + resultJson + "}");
  }

  void okPage(String resultJson, String resultInfoJson) {
    enqueue(200, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + resultJson + ",\"result_info\":"
        + resultInfoJson + "}");
  }

  void fail(int status, int code, String message) {
    enqueue(status, "{\"success\":false,\"errors\":[{\"code\":" + code + ",\"message\":\"" + message
        + "\"}],\"messages\":[],\"result\":null}");
  }

  RecordedRequest take() throws InterruptedException {
    RecordedRequest r = server.takeRequest(5, java.util.concurrent.TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no request arrived");
    }
    return r;
  }

  static String body(RecordedRequest r) {
    return r.getBody() == null ? "" : r.getBody().string(StandardCharsets.UTF_8);
  }

  /** The path and query below {@code /client/v4}. */
  static String target(RecordedRequest r) {
    return r.getTarget().replaceFirst("^/client/v4", "");
  }
}
