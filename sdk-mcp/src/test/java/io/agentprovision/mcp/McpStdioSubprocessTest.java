package io.agentprovision.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.wire.Json;
import io.agentprovision.tools.AgentTools;
import io.agentprovision.tools.ToolDefinition;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP server as an MCP client meets it: a separate host process ({@link McpStdioHost}, started
 * with {@code ProcessBuilder} by the MCP SDK's own stdio client transport) serving the agent tools
 * over stdio, driven through a whole provision on {@link io.agentprovision.testing.sandbox.LocalSandbox}:
 * catalog, plan, provision, status until the app is deployed on its domain, with the person's
 * confirmations asked through MCP elicitation. No secret the host holds appears in any result.
 */
class McpStdioSubprocessTest {
  @TempDir
  Path dir;

  @Test
  void aWholeProvisionThroughASubprocessOverStdio_withElicitedApprovals_andNoSecretInAnyResult() throws Exception {
    Path canaryFile = dir.resolve("canaries.txt");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ServerParameters params = ServerParameters.builder(java).args("-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", McpStdioHost.class.getName(), canaryFile.toString()).build();
    List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
    List<McpSchema.CallToolResult> results = new ArrayList<>();

    try (McpSyncClient client = McpClient.sync(new StdioClientTransport(params, McpJsonDefaults.getMapper()))
        .requestTimeout(Duration.ofSeconds(120)).initializationTimeout(Duration.ofSeconds(120))
        .capabilities(McpSchema.ClientCapabilities.builder().elicitation().build())
        .elicitation(request -> {
          asked.add(request);
          return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT,
              Map.of(ElicitingApprovalGate.APPROVE_FIELD, true));
        }).build()) {
      McpSchema.InitializeResult init = client.initialize();
      assertThat(init.serverInfo().name()).isEqualTo(AgentProvisionMcp.SERVER_NAME);
      assertThat(init.serverInfo().version()).isEqualTo(AgentTools.VERSION);

      List<McpSchema.Tool> listed = client.listTools().tools();
      assertThat(listed).extracting(McpSchema.Tool::name).containsExactlyElementsOf(
          AgentTools.definitions().stream().map(ToolDefinition::name).toList());
      for (ToolDefinition d : AgentTools.definitions()) {
        McpSchema.Tool t = listed.stream().filter(x -> x.name().equals(d.name())).findFirst().orElseThrow();
        assertThat(Json.canonical(t.inputSchema())).isEqualTo(Json.canonical(d.inputSchema()));
        assertThat(Json.canonical(t.outputSchema())).isEqualTo(Json.canonical(d.outputSchema()));
      }

      results.add(call(client, "catalog", Map.of("kind", "plan")));
      McpSchema.CallToolResult plan = call(client, "plan", Map.of("plan", "workers:paid", "app", "my-app",
          "domain", Map.of("query", "my-app"), "services", List.of(Map.of("service", "kv",
              "configuration", Map.of("title", "sessions")))));
      results.add(plan);
      assertThat(plan.isError()).as(text(plan)).isFalse();
      String planId = (String) structured(plan).get("plan_id");

      McpSchema.CallToolResult started = call(client, "provision", Map.of("plan_id", planId));
      results.add(started);
      McpSchema.CallToolResult status = started;
      for (int i = 0; i < 10 && !"succeeded".equals(structured(status).get("status"))
          && !"failed".equals(structured(status).get("status")); i++) {
        status = call(client, "status", Map.of("run_id", planId, "wait_seconds", 30));
        results.add(status);
      }

      assertThat(structured(status).get("status")).as(text(status)).isEqualTo("succeeded");
      @SuppressWarnings("unchecked")
      Map<String, Object> result = (Map<String, Object>) structured(status).get("result");
      assertThat(result.get("url")).isEqualTo("https://my-app.org/");
      assertThat(result.get("domain")).isEqualTo("my-app.org");
      assertThat(result.get("spent")).isEqualTo(List.of("USD 15.11"));
      assertThat(result.get("env").toString()).contains("vault:runs/" + planId + "/services/service:kv/");
      assertThat(asked).extracting(McpSchema.ElicitFormRequest::message)
          .anyMatch(m -> m.contains("PLAN_APPROVAL")).anyMatch(m -> m.contains("TERMS_OF_SERVICE"));
      assertThat(asked).allSatisfy(a -> assertThat(a.requestedSchema().toString()).contains("approve"));

      McpSchema.CallToolResult refused = call(client, "provision", Map.of("plan_id", planId, "approve", true));
      results.add(refused);
      assertThat(refused.isError()).isTrue();
      assertThat(text(refused)).contains("\"field\":\"approve\"").contains("invalid_input");
    }

    List<String> canaries = Files.readAllLines(canaryFile, StandardCharsets.UTF_8).stream().filter(s -> !s.isBlank())
        .toList();
    assertThat(canaries).as("the host's secrets: Stripe's key, ID tokens, deploy and resource tokens")
        .hasSizeGreaterThanOrEqualTo(4);
    for (McpSchema.CallToolResult r : results) {
      String all = text(r) + " " + (r.structuredContent() == null ? "" : Json.canonical(r.structuredContent()));
      for (String canary : canaries) {
        assertThat(all).doesNotContain(canary);
      }
    }
  }

  private static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
    return client.callTool(new McpSchema.CallToolRequest(tool, args));
  }

  static String text(McpSchema.CallToolResult r) {
    StringBuilder sb = new StringBuilder();
    for (McpSchema.Content c : r.content()) {
      if (c instanceof McpSchema.TextContent t) {
        sb.append(t.text());
      }
    }
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> structured(McpSchema.CallToolResult r) {
    Object s = r.structuredContent();
    return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Json.parseObject(text(r));
  }
}
