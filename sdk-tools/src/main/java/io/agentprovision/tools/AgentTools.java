package io.agentprovision.tools;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.wire.Json;
import io.agentprovision.tools.internal.PrettyJson;
import io.agentprovision.tools.internal.Schemas;
import io.agentprovision.tools.internal.ToolSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The provisioning steps as tools a model can call, bound to one agent and one signed-in human:
 * {@code catalog}, {@code plan}, {@code provision}, {@code status}, {@code spend},
 * {@code rotate_credentials}, {@code deep_link}, {@code remove} and {@code teardown}, version
 * {@value #VERSION}, each with a JSON
 * Schema for its input and its output ({@link #definitions()}). Framework adapters expose them:
 * {@code sdk-mcp} as an MCP server, {@code sdk-langchain4j} as LangChain4j tools.
 *
 * <pre>{@code
 * RunWatcher watcher = RunWatcher.create();
 * AgentProvisioner provisioner = AgentProvisioner.builder()...listener(watcher).build();
 * AgentTools tools = AgentTools.builder(provisioner)
 *     .agent(AgentId.of("coding-agent-7"))               // the model cannot act as another agent
 *     .identityToken(() -> session.idToken())            // the signed-in human, for every request
 *     .watcher(watcher)
 *     .defaultProvider("cloudflare")
 *     .app(WorkerApp.fromDirectory(dir))                  // apps the model may deploy, by name
 *     .build();
 * ToolResult r = tools.call("plan", Map.of("services", List.of(Map.of("service", "d1",
 *     "configuration", Map.of("name", "orders")))));
 * }</pre>
 *
 * <p>What the tools guarantee, whatever the model asks:
 * <ul>
 *   <li>The model plans and requests; only the host's approval gate approves. No tool approves a
 *       checkpoint, raises or changes a limit, or reveals a secret; {@code provision} carries out
 *       exactly a plan the {@code plan} tool priced, under the spend policy.</li>
 *   <li>Results hold no secret: credentials appear as {@code vault:<key>} references, signed-in links
 *       are shown to the person by the host ({@link DeepLinkHandler}), never returned.</li>
 *   <li>Text a provider wrote (descriptions, pricing words, checkpoint titles, error messages) is
 *       under {@code untrusted_provider_text}, escaped and cut, with a notice that it is data, not
 *       instructions.</li>
 *   <li>Every result is at most {@link #maxResultChars()} characters of JSON; a longer one is cut
 *       and says what was left out ({@code truncated.note}).</li>
 *   <li>Input that does not meet a tool's input schema is refused before anything happens, with the
 *       field named ({@code error.field}).</li>
 * </ul>
 */
public final class AgentTools implements AutoCloseable {
  /**
   * The version of the tool set: names, descriptions and schemas. A change to any of them changes it:
   * the minor number for additions a caller of the previous version is not broken by (1.1.0 added
   * {@code remove} and {@code teardown}, and the change runs' view in {@code status}), the major
   * number for anything else.
   */
  public static final String VERSION = "1.1.0";
  /** The most characters of JSON a result has, by default. */
  public static final int DEFAULT_MAX_RESULT_CHARS = 16_000;
  /** How long {@code provision} waits for a run to finish or to wait for a person before answering, by default. */
  public static final Duration DEFAULT_SETTLE_TIMEOUT = Duration.ofSeconds(10);
  /** How long a plan made by the {@code plan} tool can be provisioned, by default. */
  public static final Duration DEFAULT_PLAN_TTL = Duration.ofMinutes(30);

  private final ToolSet set;
  private final @Nullable ExecutorService owned;
  private final int maxResultChars;

  private AgentTools(ToolSet set, @Nullable ExecutorService owned, int maxResultChars) {
    this.set = set;
    this.owned = owned;
    this.maxResultChars = maxResultChars;
  }

  /** A builder for tools over {@code provisioner}; the agent is required. */
  public static Builder builder(AgentProvisioner provisioner) {
    return new Builder(provisioner);
  }

  /** The tools, in order: catalog, plan, provision, status, spend, rotate_credentials, deep_link, remove, teardown. */
  public static List<ToolDefinition> definitions() {
    return ToolSet.definitions();
  }

  /** The shape of a failed call's result ({@link ToolResult#error()} true). */
  public static Map<String, Object> errorSchema() {
    return Json.parseObject(Schemas.ERROR_JSON);
  }

  /**
   * The whole tool set as canonical, indented JSON: its version, every definition and the error
   * schema, keys sorted. What the golden file of the tool set holds, and a stable thing to diff.
   */
  public static String describe() {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("version", VERSION);
    List<Object> tools = new ArrayList<>();
    for (ToolDefinition d : definitions()) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", d.name());
      t.put("title", d.title());
      t.put("description", d.description());
      t.put("input_schema", d.inputSchema());
      t.put("output_schema", d.outputSchema());
      tools.add(t);
    }
    all.put("tools", tools);
    all.put("error_schema", errorSchema());
    return PrettyJson.write(all);
  }

  /**
   * Calls tool {@code name} with {@code input} (parsed JSON: maps, lists, strings, numbers,
   * booleans; null for none). Never throws for a refusal or a failure: the result says what went
   * wrong ({@link ToolResult#error()}).
   */
  public ToolResult call(String name, @Nullable Map<String, ?> input) {
    Objects.requireNonNull(name, "name");
    return set.call(name, input);
  }

  /** {@link #call(String, Map)} with the input as JSON text, as models send it; malformed JSON is refused. */
  public ToolResult call(String name, @Nullable String inputJson) {
    Objects.requireNonNull(name, "name");
    if (inputJson == null || inputJson.isBlank()) {
      return set.call(name, null);
    }
    Object parsed;
    try {
      parsed = Json.parse(inputJson);
    } catch (IllegalArgumentException e) {
      return set.malformed(name, e.getMessage());
    }
    return set.call(name, parsed);
  }

  /** The bound on a result's JSON, in characters. */
  public int maxResultChars() {
    return maxResultChars;
  }

  /** Stops the executor the tools made for runs (runs in progress are interrupted and resumable); not one the host gave. */
  @Override
  public void close() {
    if (owned != null) {
      owned.shutdownNow();
    }
  }

  /** Builds {@link AgentTools}. */
  public static final class Builder {
    private final AgentProvisioner provisioner;
    private @Nullable AgentId agent;
    private Supplier<@Nullable Secret> identityToken = () -> null;
    private @Nullable RunWatcher watcher;
    private @Nullable String defaultProvider;
    private final Map<String, WorkerApp> apps = new LinkedHashMap<>();
    private TokenSpec token = TokenSpec.leastPrivilege();
    private @Nullable DeepLinkHandler deepLinks;
    private int maxResultChars = DEFAULT_MAX_RESULT_CHARS;
    private @Nullable ExecutorService executor;
    private Clock clock = Clock.systemUTC();
    private Duration settleTimeout = DEFAULT_SETTLE_TIMEOUT;
    private Duration planTtl = DEFAULT_PLAN_TTL;

    private Builder(AgentProvisioner provisioner) {
      this.provisioner = Objects.requireNonNull(provisioner, "provisioner");
    }

    /** The agent every call acts as; the model cannot name another. Required. */
    public Builder agent(AgentId id) {
      this.agent = Objects.requireNonNull(id, "agent");
      return this;
    }

    /**
     * The signed-in human's evidence (an OIDC ID token), asked for each plan so that a fresh one is
     * used; the supplier may return null when the identity provider needs none.
     */
    public Builder identityToken(Supplier<@Nullable Secret> token) {
      this.identityToken = Objects.requireNonNull(token, "identityToken");
      return this;
    }

    /** {@link #identityToken(Supplier)} with one token for the tools' whole life. */
    public Builder identityToken(Secret token) {
      Objects.requireNonNull(token, "identityToken");
      this.identityToken = () -> token;
      return this;
    }

    /**
     * The watcher registered as the provisioner's listener, so that {@code provision} and
     * {@code status} can say what waits for a person. Without one they say only how the journal
     * has the run.
     */
    public Builder watcher(RunWatcher w) {
      this.watcher = Objects.requireNonNull(w, "watcher");
      return this;
    }

    /** The provider used when the model names none. */
    public Builder defaultProvider(String provider) {
      this.defaultProvider = Objects.requireNonNull(provider, "defaultProvider");
      return this;
    }

    /** An app the model may deploy, named by {@link WorkerApp#name()}; without any, runs only provision. */
    public Builder app(WorkerApp app) {
      Objects.requireNonNull(app, "app");
      if (apps.putIfAbsent(app.name(), app) != null) {
        throw new InvalidRequestException("app", "an app named '" + app.name() + "' is already there",
            "give each app its own name");
      }
      return this;
    }

    /** What deploy tokens of runs with an app may do; the host's decision, never the model's. Default least privilege. */
    public Builder token(TokenSpec spec) {
      this.token = Objects.requireNonNull(spec, "token");
      return this;
    }

    /** How the host shows a person a signed-in link into the provider ({@code deep_link}). */
    public Builder deepLinks(DeepLinkHandler handler) {
      this.deepLinks = Objects.requireNonNull(handler, "deepLinks");
      return this;
    }

    /** The most characters of JSON a result has: 2,000 to 1,000,000; default {@value #DEFAULT_MAX_RESULT_CHARS}. */
    public Builder maxResultChars(int chars) {
      if (chars < 2_000 || chars > 1_000_000) {
        throw new InvalidRequestException("maxResultChars", "must be 2000 to 1000000 (was " + chars + ")",
            "pass " + DEFAULT_MAX_RESULT_CHARS);
      }
      this.maxResultChars = chars;
      return this;
    }

    /** Where runs started by {@code provision} execute; the host keeps ownership. Default: the tools' own threads. */
    public Builder executor(ExecutorService e) {
      this.executor = Objects.requireNonNull(e, "executor");
      return this;
    }

    /** The clock for plans' expiry. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** How long {@code provision} waits for the run to finish or to wait for a person; 0 to 5 minutes. */
    public Builder settleTimeout(Duration d) {
      if (d.isNegative() || d.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new InvalidRequestException("settleTimeout", "must be 0 to 5 minutes (was " + d + ")", "pass 10 seconds");
      }
      this.settleTimeout = d;
      return this;
    }

    /** How long a plan can be provisioned after the {@code plan} tool made it; 1 minute to 1 day. */
    public Builder planTtl(Duration d) {
      if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofDays(1)) > 0) {
        throw new InvalidRequestException("planTtl", "must be 1 minute to 1 day (was " + d + ")", "pass 30 minutes");
      }
      this.planTtl = d;
      return this;
    }

    public AgentTools build() {
      if (agent == null) {
        throw new InvalidRequestException("agent", "is missing", "call .agent(AgentId.of(\"...\")): the tools act as it");
      }
      ExecutorService owned = null;
      ExecutorService runs = executor;
      if (runs == null) {
        AtomicInteger n = new AtomicInteger();
        owned = Executors.newCachedThreadPool(r -> {
          Thread t = new Thread(r, "agentprovision-tools-run-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
        runs = owned;
      }
      ToolSet set = new ToolSet(new ToolSet.Config(provisioner, agent, identityToken, watcher, defaultProvider, apps,
          token, deepLinks, maxResultChars, runs, clock, settleTimeout, planTtl));
      return new AgentTools(set, owned, maxResultChars);
    }
  }
}
