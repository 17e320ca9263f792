package io.agentprovision.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import io.agentprovision.core.wire.Json;
import io.agentprovision.tools.AgentTools;
import io.agentprovision.tools.ToolDefinition;
import io.agentprovision.tools.ToolResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The agent tools ({@link AgentTools}) for LangChain4j: a {@link ToolSpecification} per tool, and
 * the execution of the {@link ToolExecutionRequest}s a model makes.
 *
 * <pre>{@code
 * LangChain4jTools lc = LangChain4jTools.of(tools);
 * ChatRequest request = ChatRequest.builder().messages(messages).toolSpecifications(lc.specifications()).build();
 * AiMessage ai = model.chat(request).aiMessage();
 * for (ToolExecutionRequest call : ai.toolExecutionRequests()) {
 *   messages.add(lc.execute(call));        // a ToolExecutionResultMessage; never throws
 * }
 *
 * // with AiServices (module langchain4j): one executor per specification
 * lc.specifications().forEach(spec -> toolMap.put(spec, (call, memoryId) -> lc.execute(call).text()));
 * }</pre>
 *
 * <p>A specification carries the tool's description and its input schema as LangChain4j's schema
 * elements; the constraints those cannot hold (patterns, lengths, bounds) are added to the
 * descriptions, and the tool checks them all again when called. A result is the tool's JSON, at
 * most {@link AgentTools#maxResultChars()} characters, with no secret in it; a refused or failed call
 * is a result marked {@code isError} that says why, never an exception.
 */
public final class LangChain4jTools {
  private final AgentTools tools;
  private final List<ToolSpecification> specifications;

  private LangChain4jTools(AgentTools tools) {
    this.tools = tools;
    List<ToolSpecification> specs = new ArrayList<>();
    for (ToolDefinition d : AgentTools.definitions()) {
      specs.add(ToolSpecification.builder().name(d.name()).description(d.description())
          .parameters(object(d.inputSchema(), null)).build());
    }
    this.specifications = List.copyOf(specs);
  }

  /** The tools of {@code tools}, for LangChain4j. */
  public static LangChain4jTools of(AgentTools tools) {
    return new LangChain4jTools(Objects.requireNonNull(tools, "tools"));
  }

  /** One specification per tool, in the tool set's order. */
  public List<ToolSpecification> specifications() {
    return specifications;
  }

  /** Runs the call a model asked for; the result message answers the request's id. */
  public ToolExecutionResultMessage execute(ToolExecutionRequest request) {
    Objects.requireNonNull(request, "request");
    ToolResult r = tools.call(request.name(), request.arguments());
    return ToolExecutionResultMessage.builder().id(request.id()).toolName(request.name()).text(r.json())
        .isError(r.error()).build();
  }

  // ------------------------------------------------------------------ schemas

  private static JsonObjectSchema object(Map<String, ?> s, @Nullable String description) {
    JsonObjectSchema.Builder b = JsonObjectSchema.builder();
    String d = describe(s, description);
    if (d != null) {
      b.description(d);
    }
    if (s.get("properties") instanceof Map<?, ?> props) {
      for (Map.Entry<?, ?> e : props.entrySet()) {
        if (e.getValue() instanceof Map<?, ?> p) {
          b.addProperty(String.valueOf(e.getKey()), element(cast(p)));
        }
      }
    }
    if (s.get("required") instanceof List<?> req) {
      b.required(req.stream().map(String::valueOf).toList());
    }
    if (s.get("additionalProperties") instanceof Boolean extra) {
      b.additionalProperties(extra);
    }
    return b.build();
  }

  private static JsonSchemaElement element(Map<String, ?> s) {
    String d = describe(s, null);
    if (s.get("enum") instanceof List<?> values) {
      JsonEnumSchema.Builder b = JsonEnumSchema.builder().enumValues(values.stream().map(String::valueOf).toList());
      return (d == null ? b : b.description(d)).build();
    }
    Object type = s.get("type");
    if ("object".equals(type)) {
      return object(s, null);
    }
    if ("array".equals(type)) {
      JsonArraySchema.Builder b = JsonArraySchema.builder();
      if (s.get("items") instanceof Map<?, ?> items) {
        b.items(element(cast(items)));
      }
      return (d == null ? b : b.description(d)).build();
    }
    if ("integer".equals(type)) {
      JsonIntegerSchema.Builder b = JsonIntegerSchema.builder();
      return (d == null ? b : b.description(d)).build();
    }
    if ("number".equals(type)) {
      JsonNumberSchema.Builder b = JsonNumberSchema.builder();
      return (d == null ? b : b.description(d)).build();
    }
    if ("boolean".equals(type)) {
      JsonBooleanSchema.Builder b = JsonBooleanSchema.builder();
      return (d == null ? b : b.description(d)).build();
    }
    JsonStringSchema.Builder b = JsonStringSchema.builder();
    return (d == null ? b : b.description(d)).build();
  }

  /** The schema's description, with the constraints LangChain4j's elements cannot hold written out. */
  private static @Nullable String describe(Map<String, ?> s, @Nullable String given) {
    List<String> parts = new ArrayList<>();
    Object d = given != null ? given : s.get("description");
    if (d != null) {
      parts.add(String.valueOf(d));
    }
    List<String> rules = new ArrayList<>();
    if (s.get("pattern") != null) {
      rules.add("matches " + s.get("pattern"));
    }
    if (s.get("maxLength") != null) {
      rules.add("at most " + s.get("maxLength") + " characters");
    }
    if (s.get("minimum") != null || s.get("maximum") != null) {
      Object min = s.get("minimum");
      Object max = s.get("maximum");
      rules.add("from " + (min == null ? "any" : min) + " to " + (max == null ? "any" : max));
    }
    if (s.get("maxItems") != null) {
      rules.add("at most " + s.get("maxItems") + " items");
    }
    if (s.get("default") != null) {
      rules.add("default " + Json.canonical(s.get("default")));
    }
    if (!rules.isEmpty()) {
      parts.add("(" + String.join("; ", rules) + ")");
    }
    return parts.isEmpty() ? null : String.join(" ", parts);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> cast(Map<?, ?> m) {
    return (Map<String, ?>) m;
  }
}
