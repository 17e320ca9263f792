package io.agentprovision.tools;

import io.agentprovision.core.wire.Json;
import java.util.Map;
import java.util.Objects;

/**
 * What a tool call returned: a JSON object, bounded in size ({@link AgentTools#maxResultChars()}),
 * holding no secret (credentials appear as {@code vault:<key>} references), with every piece of
 * provider-written text under {@code untrusted_provider_text}.
 *
 * @param tool the tool called
 * @param error whether the call failed; then {@link #content()} follows {@link AgentTools#errorSchema()}
 * @param content the result, as parsed JSON; it meets the tool's output schema when the call succeeded
 */
public record ToolResult(String tool, boolean error, Map<String, Object> content) {
  public ToolResult {
    Objects.requireNonNull(tool, "tool");
    content = Map.copyOf(content);
  }

  /** The result as compact JSON text, as a model is given it. */
  public String json() {
    return Json.canonical(content);
  }

  @Override
  public String toString() {
    return tool + (error ? " failed: " : ": ") + json();
  }
}
