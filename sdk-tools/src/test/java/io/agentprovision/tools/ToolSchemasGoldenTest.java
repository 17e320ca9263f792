package io.agentprovision.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.wire.JsonSchemas;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tool set's contract, frozen: names, descriptions and input and output schemas, written
 * canonically (keys sorted, two-space indent) in {@code src/test/resources/golden/tools-v1.json}.
 * Any change to a tool fails here. To change the contract on purpose: bump {@link AgentTools#VERSION}
 * when a change is not backwards compatible, then regenerate the file with
 *
 * <pre>./mvnw -B -q -pl sdk-tools -am test -Dtest=ToolSchemasGoldenTest -Dsurefire.failIfNoSpecifiedTests=false -Dagentprovision.golden.update=true</pre>
 *
 * and commit it with the change, so that the review shows the contract's diff.
 */
class ToolSchemasGoldenTest {
  static final String UPDATE_PROPERTY = "agentprovision.golden.update";
  private static final Path GOLDEN = Path.of("src/test/resources/golden/tools-v1.json");

  @Test
  void theToolSet_isExactlyTheGoldenFile() throws IOException {
    String now = AgentTools.describe();
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      Files.createDirectories(GOLDEN.getParent());
      Files.writeString(GOLDEN, now, StandardCharsets.UTF_8);
    }
    assertThat(Files.exists(GOLDEN)).as("the golden file %s is missing; create it with -D%s=true", GOLDEN.toAbsolutePath(),
        UPDATE_PROPERTY).isTrue();
    String golden = Files.readString(GOLDEN, StandardCharsets.UTF_8);
    assertThat(now).as("the tool set (version %s) differs from %s. If the change is meant, bump AgentTools.VERSION when "
        + "it breaks callers, and regenerate the file: ./mvnw -B -q -pl sdk-tools -am test -Dtest=ToolSchemasGoldenTest "
        + "-Dsurefire.failIfNoSpecifiedTests=false -D%s=true", AgentTools.VERSION, GOLDEN, UPDATE_PROPERTY)
        .isEqualTo(golden);
  }

  @Test
  void theGoldenFile_namesTheVersionAndEveryTool() throws IOException {
    String golden = Files.readString(GOLDEN, StandardCharsets.UTF_8);

    assertThat(golden).contains("\"version\": \"" + AgentTools.VERSION + "\"");
    assertThat(AgentTools.definitions()).extracting(ToolDefinition::name)
        .containsExactly("catalog", "plan", "provision", "status", "spend", "rotate_credentials", "deep_link",
            "remove", "teardown");
    assertThat(AgentTools.definitions()).extracting(ToolDefinition::name).noneMatch(n -> n.contains("approve")
        || n.contains("limit") || n.contains("reveal") || n.contains("secret"));
  }

  @Test
  void everySchema_isAValidJsonSchema_andEveryInputIsAClosedObject() {
    for (ToolDefinition d : AgentTools.definitions()) {
      // compiling checks the schema against the 2020-12 meta-schema; an unusable one throws
      JsonSchemas.check(d.inputSchema(), Map.of());
      JsonSchemas.check(d.outputSchema(), Map.of());
      assertThat(d.inputSchema()).as(d.name()).containsEntry("type", "object").containsEntry("additionalProperties", false);
      assertThat(d.description()).as(d.name()).isNotBlank().hasSizeLessThan(800);
    }
    JsonSchemas.check(AgentTools.errorSchema(), Map.of());
  }
}
