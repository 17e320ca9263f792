package io.agentprovision.examples;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentprovision.core.wire.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The example's model when no real one is configured: it reads the conversation and takes the next
 * step an agent would, with no network. Catalog, then a plan (the paid Workers plan, a D1 database,
 * the app on a domain like my-app), then provision, then status until the run ends, then a sentence
 * for the person.
 */
final class ScriptedAgentModel implements ChatModel {
  private final AtomicInteger ids = new AtomicInteger();

  @Override
  public ChatResponse doChat(ChatRequest request) {
    ToolExecutionResultMessage last = null;
    for (ChatMessage m : request.messages()) {
      if (m instanceof ToolExecutionResultMessage r) {
        last = r;
      }
    }
    return ChatResponse.builder().aiMessage(next(last)).build();
  }

  private AiMessage next(@Nullable ToolExecutionResultMessage last) {
    if (last == null) {
      return call("catalog", Map.of("text", "d1"));
    }
    Map<String, Object> r = Json.parseObject(last.text());
    if (r.containsKey("error")) {
      return AiMessage.from("I could not go on: " + r.get("error"));
    }
    switch (last.toolName()) {
      case "catalog":
        return call("plan", Map.of("plan", "workers:paid", "app", "my-app", "domain", Map.of("query", "my-app"),
            "services", List.of(Map.of("service", "d1", "configuration", Map.of("name", "orders")))));
      case "plan":
        if (!Boolean.TRUE.equals(r.get("allowed"))) {
          return AiMessage.from("Your spend policy refuses this plan: " + r.get("steps"));
        }
        return call("provision", Map.of("plan_id", r.get("plan_id")));
      default:
        Object status = r.get("status");
        if ("succeeded".equals(status) && r.get("result") instanceof Map<?, ?> result) {
          return AiMessage.from("Your app is live at " + result.get("url") + " (spent " + result.get("spent")
              + "); the database's credentials are in your vault: " + result.get("env"));
        }
        if ("failed".equals(status) || "suspended".equals(status)) {
          return AiMessage.from("The run stopped: " + r.get("failure"));
        }
        return call("status", Map.of("run_id", r.get("run_id"), "wait_seconds", 30));
    }
  }

  private AiMessage call(String tool, Map<String, ?> arguments) {
    return AiMessage.from(ToolExecutionRequest.builder().id("call_" + ids.incrementAndGet()).name(tool)
        .arguments(Json.write(arguments)).build());
  }
}
