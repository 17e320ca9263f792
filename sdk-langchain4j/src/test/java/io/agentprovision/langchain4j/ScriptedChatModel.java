package io.agentprovision.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentprovision.core.wire.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A {@link ChatModel} that answers from a script, with no network: each turn is a function of what
 * the model has seen so far (the last tool result, say) that returns the next message, tool calls
 * or text. It does what the script says, as a naive model does what its context says.
 */
final class ScriptedChatModel implements ChatModel {
  /** One turn: what the model sees, what it answers. */
  interface Turn extends Function<Seen, AiMessage> {}

  /** What the model has seen when it takes a turn. */
  record Seen(ChatRequest request) {
    /** The last tool result, parsed. */
    Map<String, Object> last() {
      List<ChatMessage> m = request.messages();
      for (int i = m.size() - 1; i >= 0; i--) {
        if (m.get(i) instanceof ToolExecutionResultMessage r) {
          return Json.parseObject(r.text());
        }
      }
      return Map.of();
    }

    /** Every tool result so far, as text. */
    List<String> results() {
      return request.messages().stream().filter(ToolExecutionResultMessage.class::isInstance)
          .map(m -> ((ToolExecutionResultMessage) m).text()).toList();
    }
  }

  private final Deque<Turn> turns;
  private final List<ChatRequest> requests = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  ScriptedChatModel(List<Turn> script) {
    this.turns = new ArrayDeque<>(script);
  }

  @Override
  public ChatResponse doChat(ChatRequest request) {
    requests.add(request);
    Turn next = turns.isEmpty() ? seen -> AiMessage.from("(the script is over)") : turns.poll();
    return ChatResponse.builder().aiMessage(next.apply(new Seen(request))).build();
  }

  /** Puts {@code turn} first, for a turn that must repeat (polling a run). */
  void again(Turn turn) {
    turns.push(turn);
  }

  List<ChatRequest> requests() {
    return requests;
  }

  /** A turn that calls {@code tool} with {@code arguments}. */
  AiMessage call(String tool, Map<String, ?> arguments) {
    return AiMessage.from(ToolExecutionRequest.builder().id("call_" + ids.incrementAndGet()).name(tool)
        .arguments(Json.write(arguments)).build());
  }
}
