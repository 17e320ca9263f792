package io.agentprovision.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentExampleTest {
  private static String run(Map<String, String> env, int[] exit) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      exit[0] = AgentExample.run(env, out);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theScriptedAgent_provisionsThePlanTheDatabaseAndTheAppOnItsDomain_throughTheTools() {
    int[] exit = new int[1];
    String out = run(Map.of(), exit);

    assertThat(exit[0]).as(out).isZero();
    assertThat(out).contains("model: scripted")
        .contains("agent  -> catalog").contains("agent  -> plan").contains("agent  -> provision")
        .contains("agent: Your app is live at https://my-app.org/").contains("name=CLOUDFLARE_API_TOKEN, service=d1")
        .contains("vault:runs/").doesNotContain("(refused)");
  }

  @Test
  void aKeyWithoutItsModule_fallsBackToTheScriptedModel_andSaysWhichModuleToAdd() {
    int[] exit = new int[1];
    String out = run(Map.of("OPENAI_API_KEY", "sk-test-not-used"), exit);

    assertThat(out).contains("dev.langchain4j:langchain4j-open-ai (1.19.0) is not on the class path")
        .contains("Using the scripted model instead").doesNotContain("sk-test-not-used");
    assertThat(exit[0]).isZero();
  }
}
