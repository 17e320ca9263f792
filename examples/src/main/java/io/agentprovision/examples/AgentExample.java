package io.agentprovision.examples;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.wire.Json;
import io.agentprovision.langchain4j.LangChain4jTools;
import io.agentprovision.langchain4j.ToolCallingLoop;
import io.agentprovision.testing.sandbox.LocalSandbox;
import io.agentprovision.tools.AgentTools;
import io.agentprovision.tools.RunWatcher;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An agent that provisions with the agent tools through LangChain4j, on the loopback sandbox: it
 * looks in the catalog, plans a paid plan, a D1 database and the sample app on a domain, provisions
 * the plan and follows it until the app is live.
 *
 * <p>The model is a scripted one by default (no network, no key): it calls the tools in that order.
 * With {@code OPENAI_API_KEY} or {@code ANTHROPIC_API_KEY} set, and the matching LangChain4j module
 * on the class path ({@code dev.langchain4j:langchain4j-open-ai} or
 * {@code dev.langchain4j:langchain4j-anthropic}, version 1.19.0), a real model drives the same tools
 * instead ({@code OPENAI_MODEL} / {@code ANTHROPIC_MODEL} choose which). Only the model's calls leave
 * the machine; everything it provisions is the sandbox's. Approvals are blanket here (a demo's
 * person, recorded as such in the audit); a host puts its own approval screen there.
 *
 * <pre>
 * ./mvnw -B -q -pl examples -am package -DskipTests
 * java -cp "examples/target/classes:$(cat examples/target/quickstart.classpath)" io.agentprovision.examples.AgentExample
 * </pre>
 */
public final class AgentExample {
  /** What the person asks the agent. */
  public static final String REQUEST = "Put my sample app live on a domain like my-app, on the paid Workers plan, "
      + "with a D1 database called orders. Stay within my spend policy.";
  static final String OPENAI_CHAT_MODEL = "dev.langchain4j.model.openai.OpenAiChatModel";
  static final String ANTHROPIC_CHAT_MODEL = "dev.langchain4j.model.anthropic.AnthropicChatModel";

  private AgentExample() {}

  public static void main(String[] args) {
    System.exit(run(System.getenv(), System.out));
  }

  /** Runs the example; returns the process's exit code (0 when the agent finished with an answer). */
  static int run(Map<String, String> env, PrintStream out) {
    ChatModel model = model(env, out);
    try (LocalSandbox sb = LocalSandbox.builder().cardOnFile(true).start()) {
      RunWatcher watcher = RunWatcher.create();
      try (AgentProvisioner provisioner = AgentProvisioner.builder()
          .orchestrator(sb.stripeProjects()).deployer(sb.cloudflareDeployer()).identity(sb.identityProvider())
          .approvals(sb.browser(ApprovalGates.approveAll("agent-example --yes", Clock.systemUTC())))
          .listener(watcher).build();
          AgentTools tools = AgentTools.builder(provisioner)
              .agent(AgentId.of("example-agent"))
              .identityToken(() -> sb.signIn("ada@example.com"))
              .watcher(watcher)
              .defaultProvider(LocalSandbox.PROVIDER)
              .app(app())
              .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
              .build()) {
        ToolCallingLoop.Transcript t = ToolCallingLoop.builder(model, LangChain4jTools.of(tools)).build().run(REQUEST);
        for (ChatMessage m : t.messages()) {
          if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
            ai.toolExecutionRequests().forEach(r -> out.println("agent  -> " + r.name() + " " + r.arguments()));
          } else if (m instanceof ToolExecutionResultMessage r) {
            out.println("tool   <- " + r.toolName() + (Boolean.TRUE.equals(r.isError()) ? " (refused) " : " ")
                + abbreviate(r.text()));
          }
        }
        out.println("agent: " + (t.answer() == null ? "(no answer within the turn limit)" : t.answer()));
        return t.answer() == null ? 1 : 0;
      }
    }
  }

  static WorkerApp app() {
    return WorkerApp.builder("my-app").module("index.js", "export default { async fetch(request) {"
        + " return new Response('hello from ' + new URL(request.url).hostname); } };\n").build();
  }

  /** The model: a real one when a key and its module are there, else the scripted one. */
  static ChatModel model(Map<String, String> env, PrintStream out) {
    String openAi = env.get("OPENAI_API_KEY");
    String anthropic = env.get("ANTHROPIC_API_KEY");
    ChatModel real = null;
    if (openAi != null && !openAi.isBlank()) {
      real = reflective(OPENAI_CHAT_MODEL, openAi, env.getOrDefault("OPENAI_MODEL", "gpt-4o-mini"),
          "dev.langchain4j:langchain4j-open-ai", out);
    } else if (anthropic != null && !anthropic.isBlank()) {
      real = reflective(ANTHROPIC_CHAT_MODEL, anthropic, env.getOrDefault("ANTHROPIC_MODEL",
          "claude-3-5-haiku-latest"), "dev.langchain4j:langchain4j-anthropic", out);
    }
    if (real != null) {
      return real;
    }
    out.println("model: scripted (set OPENAI_API_KEY or ANTHROPIC_API_KEY, with the matching LangChain4j module, "
        + "for a real one)");
    return new ScriptedAgentModel();
  }

  /**
   * {@code className.builder().apiKey(key).modelName(name).build()}, by reflection so that the
   * example needs neither module to compile; null (with a word why) when the module is absent.
   */
  private static @Nullable ChatModel reflective(String className, String key, String modelName, String module,
      PrintStream out) {
    try {
      Class<?> type = Class.forName(className);
      Object builder = type.getMethod("builder").invoke(null);
      invoke(builder, "apiKey", key);
      invoke(builder, "modelName", modelName);
      Object model = builder.getClass().getMethod("build").invoke(builder);
      out.println("model: " + modelName + " through " + module);
      return (ChatModel) model;
    } catch (ClassNotFoundException e) {
      out.println("model: a key is set but " + module + " (1.19.0) is not on the class path; add it to use that "
          + "model. Using the scripted model instead.");
      return null;
    } catch (ReflectiveOperationException | ClassCastException e) {
      out.println("model: " + module + " could not be set up (" + e.getClass().getSimpleName() + "); using the "
          + "scripted model instead.");
      return null;
    }
  }

  private static void invoke(Object target, String name, String value) throws ReflectiveOperationException {
    for (Method m : target.getClass().getMethods()) {
      if (m.getName().equals(name) && m.getParameterCount() == 1 && m.getParameterTypes()[0] == String.class) {
        m.invoke(target, value);
        return;
      }
    }
    throw new NoSuchMethodException(name);
  }

  private static String abbreviate(String json) {
    Object parsed = Json.parse(json);
    String s = Json.canonical(parsed);
    return s.length() > 160 ? s.substring(0, 160) + "…" : s;
  }
}
