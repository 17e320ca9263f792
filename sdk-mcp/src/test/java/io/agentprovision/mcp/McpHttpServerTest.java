package io.agentprovision.mcp;

import static io.agentprovision.mcp.McpStdioSubprocessTest.structured;
import static io.agentprovision.mcp.McpStdioSubprocessTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.wire.Json;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP server in process, over streamable HTTP (the servlet mounted in an embedded Tomcat), with
 * the MCP SDK's own client: a run provisioned with the client's user confirming through elicitation,
 * a user who declines (nothing is bought), and a client that cannot elicit (the host's own gate
 * decides).
 */
class McpHttpServerTest {
  @TempDir
  Path dir;

  private SandboxHost host;
  private Tomcat tomcat;
  private McpSyncServer server;
  private final List<McpSchema.CallToolResult> results = new ArrayList<>();

  private String start(Consumer<io.agentprovision.testing.ScriptedApprovalGate> script) throws Exception {
    host = new SandboxHost(false, script, e -> {});
    HttpServletStreamableServerTransportProvider servlet = AgentProvisionMcp.httpTransport("/mcp");
    server = host.mcp().serve(servlet);
    tomcat = new Tomcat();
    tomcat.setBaseDir(dir.toString());
    tomcat.setPort(0);
    Context ctx = tomcat.addContext("", dir.toString());
    Wrapper w = Tomcat.addServlet(ctx, "mcp", servlet);
    w.setAsyncSupported(true);
    ctx.addServletMappingDecoded("/*", "mcp");
    tomcat.getConnector();
    tomcat.start();
    return "http://localhost:" + tomcat.getConnector().getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.closeGracefully();
    }
    if (tomcat != null) {
      tomcat.stop();
      tomcat.destroy();
    }
    if (host != null) {
      host.close();
    }
  }

  private static McpSyncClient client(String base, McpSchema.ElicitResult.Action answer,
      List<McpSchema.ElicitFormRequest> asked) {
    McpClient.SyncSpec spec = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
        .requestTimeout(Duration.ofSeconds(120));
    if (answer != null) {
      spec.capabilities(McpSchema.ClientCapabilities.builder().elicitation().build()).elicitation(r -> {
        asked.add(r);
        return new McpSchema.ElicitResult(answer, answer == McpSchema.ElicitResult.Action.ACCEPT
            ? Map.of(ElicitingApprovalGate.APPROVE_FIELD, true) : null);
      });
    }
    McpSyncClient c = spec.build();
    c.initialize();
    return c;
  }

  private McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
    McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest(tool, args));
    results.add(r);
    return r;
  }

  /** Plans, provisions and follows the run until it ends; returns the last status. */
  private Map<String, Object> provision(McpSyncClient client, Map<String, Object> planInput) {
    McpSchema.CallToolResult plan = call(client, "plan", planInput);
    assertThat(plan.isError()).as(text(plan)).isFalse();
    String planId = (String) structured(plan).get("plan_id");
    Map<String, Object> status = structured(call(client, "provision", Map.of("plan_id", planId)));
    for (int i = 0; i < 10 && !List.of("succeeded", "failed").contains(status.get("status")); i++) {
      status = structured(call(client, "status", Map.of("run_id", planId, "wait_seconds", 30)));
    }
    return status;
  }

  private void assertNoSecretInAnyResult() {
    List<String> canaries = host.canaries();
    assertThat(canaries).isNotEmpty();
    for (McpSchema.CallToolResult r : results) {
      String all = text(r) + " " + (r.structuredContent() == null ? "" : Json.canonical(r.structuredContent()));
      for (String canary : canaries) {
        assertThat(all).doesNotContain(canary);
      }
    }
  }

  @Test
  void aDatabaseAndAKvNamespace_overStreamableHttp_withTheUsersConfirmationsElicited() throws Exception {
    String base = start(g -> {});
    List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
    try (McpSyncClient client = client(base, McpSchema.ElicitResult.Action.ACCEPT, asked)) {
      Map<String, Object> status = provision(client, Map.of("plan", "workers:paid", "services", List.of(
          Map.of("service", "d1", "configuration", Map.of("name", "orders")),
          Map.of("service", "kv", "configuration", Map.of("title", "sessions")))));

      assertThat(status.get("status")).isEqualTo("succeeded");
      @SuppressWarnings("unchecked")
      Map<String, Object> result = (Map<String, Object>) status.get("result");
      assertThat(result).doesNotContainKey("url");
      assertThat(result.get("env").toString()).contains("D1_CLOUDFLARE_API_TOKEN").contains("KV_CLOUDFLARE_API_TOKEN");
      assertThat(asked).extracting(McpSchema.ElicitFormRequest::message).anyMatch(m -> m.contains("PLAN_APPROVAL"));
      // what the host does not let a client confirm still went to the host's gate
      assertThat(host.host.requests(CheckpointKind.PLAN_APPROVAL)).isEmpty();
      assertThat(host.host.requests(CheckpointKind.PAYMENT_METHOD)).isNotEmpty();
      McpSchema.CallToolResult spend = call(client, "spend", Map.of());
      assertThat(text(spend)).contains("USD 5.00");
    }
    assertNoSecretInAnyResult();
  }

  /** Follows a run with status until it ends; returns the last status. */
  private Map<String, Object> follow(McpSyncClient client, Map<String, Object> status) {
    Map<String, Object> now = status;
    for (int i = 0; i < 10 && !List.of("succeeded", "failed").contains(now.get("status")); i++) {
      now = structured(call(client, "status", Map.of("run_id", now.get("run_id"), "wait_seconds", 30)));
    }
    return now;
  }

  @Test
  void removeThenTeardown_overStreamableHttp_areApprovedByTheHostsGateNotTheClient_andTakeTheResourcesDown()
      throws Exception {
    String base = start(g -> {});
    List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
    try (McpSyncClient client = client(base, McpSchema.ElicitResult.Action.ACCEPT, asked)) {
      List<String> listed = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertThat(listed).contains("remove", "teardown");
      assertThat(client.listTools().tools()).filteredOn(t -> List.of("remove", "teardown").contains(t.name()))
          .allSatisfy(t -> assertThat(t.annotations().destructiveHint()).isTrue());
      Map<String, Object> run = provision(client, Map.of("plan", "workers:free", "services", List.of(
          Map.of("service", "d1", "configuration", Map.of("name", "orders")),
          Map.of("service", "kv", "configuration", Map.of("title", "sessions")))));
      assertThat(run.get("status")).isEqualTo("succeeded");
      String runId = (String) run.get("run_id");
      List<String> secrets = host.canaries(); // before the removals take the resources' credentials away

      Map<String, Object> removed = follow(client, structured(call(client, "remove", Map.of("run_id", runId,
          "service", "kv", "reason", "sessions live in d1 now"))));
      Map<String, Object> tornDown = follow(client, structured(call(client, "teardown", Map.of("run_id", runId))));

      assertThat(removed.get("status")).as(removed.toString()).isEqualTo("succeeded");
      assertThat(removed.get("change").toString()).contains("RESOURCE_REMOVED", "CREDENTIAL_DELETED");
      assertThat(tornDown.get("status")).as(tornDown.toString()).isEqualTo("succeeded");
      // a change that cannot be taken back is the host's gate's to approve, never the client's
      assertThat(host.host.requests(CheckpointKind.CHANGE_APPROVAL)).hasSize(2);
      assertThat(asked).extracting(McpSchema.ElicitFormRequest::message).noneMatch(m -> m.contains("CHANGE_APPROVAL"));
      assertThat(host.sb.stripe().resources()).isNotEmpty().extracting(r -> r.get("status")).containsOnly("removed");
      assertThat(host.vault.keys("runs/" + runId + "/")).isEmpty();
      for (McpSchema.CallToolResult r : results) {
        String all = text(r) + " " + (r.structuredContent() == null ? "" : Json.canonical(r.structuredContent()));
        for (String canary : secrets) {
          assertThat(all).doesNotContain(canary);
        }
      }
    }
    assertNoSecretInAnyResult();
  }

  @Test
  void aUserWhoDeclinesTheElicitation_stopsTheRun_andNothingIsBought() throws Exception {
    String base = start(g -> {});
    List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
    try (McpSyncClient client = client(base, McpSchema.ElicitResult.Action.DECLINE, asked)) {
      Map<String, Object> status = provision(client, Map.of("plan", "workers:paid"));

      assertThat(status.get("status")).isEqualTo("failed");
      assertThat(status.get("failure").toString()).contains("approval_denied");
      assertThat(asked).hasSize(1);
      assertThat(host.sb.provider().charges()).isEmpty();
      assertThat(host.sb.stripe().resources()).isEmpty();
    }
    assertNoSecretInAnyResult();
  }

  @Test
  void aClientThatCannotElicit_leavesEveryCheckpointToTheHostsGate() throws Exception {
    String base = start(g -> g.deny(CheckpointKind.PLAN_APPROVAL, "not this month"));
    try (McpSyncClient client = client(base, null, List.of())) {
      Map<String, Object> status = provision(client, Map.of("plan", "workers:paid"));

      assertThat(status.get("status")).isEqualTo("failed");
      assertThat(host.host.requests(CheckpointKind.PLAN_APPROVAL)).hasSize(1);
      assertThat(host.sb.provider().charges()).isEmpty();
    }
    assertNoSecretInAnyResult();
  }
}
