package io.agentprovision.tools;

import java.util.Map;
import java.util.Objects;

/**
 * One tool of the {@link AgentTools} set as a model sees it: a name, a description, and the JSON
 * Schemas of its input and of its output (draft 2020-12, as parsed JSON). Framework adapters turn
 * these into their own tool types ({@code sdk-mcp}, {@code sdk-langchain4j}).
 *
 * @param name the tool's name, such as {@code "plan"}; stable within a {@link AgentTools#VERSION version}
 * @param title a short name for people
 * @param description what the tool does and what it guarantees, written for a model
 * @param inputSchema what {@link AgentTools#call} accepts for it; anything else is refused with the field named
 * @param outputSchema what a successful call returns ({@link ToolResult#content()}); a failed call
 *     returns {@link AgentTools#errorSchema()} instead
 */
public record ToolDefinition(String name, String title, String description, Map<String, Object> inputSchema,
    Map<String, Object> outputSchema) {
  public ToolDefinition {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(inputSchema, "inputSchema");
    Objects.requireNonNull(outputSchema, "outputSchema");
  }
}
