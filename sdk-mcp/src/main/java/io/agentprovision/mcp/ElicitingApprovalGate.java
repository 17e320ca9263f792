package io.agentprovision.mcp;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.ApprovalGate;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Clock;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ApprovalGate} that asks the person through the MCP client (an {@code elicitation/create}
 * request: the client shows the question and an approve box to its user), for the checkpoint kinds
 * the host allows, when the client supports elicitation; every other checkpoint goes to the host's
 * own gate ({@code fallback}). The model is not part of the exchange: an elicitation is answered by
 * the client's user, and no tool can answer one.
 *
 * <pre>{@code
 * ElicitingApprovalGate gate = ElicitingApprovalGate.builder(hostGate)
 *     .allow(CheckpointKind.PLAN_APPROVAL, CheckpointKind.TERMS_OF_SERVICE)   // what a client may confirm
 *     .build();
 * AgentProvisioner provisioner = AgentProvisioner.builder()...approvals(gate).build();
 * AgentProvisionMcp mcp = AgentProvisionMcp.builder(tools).elicitation(gate).build();
 * }</pre>
 *
 * <p>Only confirmations can be elicited: a checkpoint that needs something back besides yes or no
 * (an OAuth callback, a fresh sign-in, a card added at a checkout page, an action at the provider)
 * always goes to the host's gate. It fails closed: a declined, cancelled, unanswered or failed
 * elicitation is a denial (or an error), never an approval.
 *
 * <p>An elicitation travels inside a tool call of the client (over streamable HTTP, on that call's
 * response stream), so a checkpoint is asked during the client's next tool call, or the one in
 * progress, which {@link AgentProvisionMcp} keeps open while the person answers. When the client
 * makes no call before the checkpoint's deadline, the checkpoint times out: a denial.
 */
public final class ElicitingApprovalGate implements ApprovalGate {
  /** The kinds a host may let a client confirm. */
  public static final Set<CheckpointKind> ELICITABLE = EnumSet.of(CheckpointKind.PLAN_APPROVAL,
      CheckpointKind.PAID_PLAN, CheckpointKind.PAID_RESOURCE, CheckpointKind.DOMAIN_PURCHASE,
      CheckpointKind.TERMS_OF_SERVICE, CheckpointKind.RAISE_LIMIT, CheckpointKind.LOOKALIKE_DOMAIN);
  /** The field of the elicited form that carries the answer. */
  public static final String APPROVE_FIELD = "approve";

  private static final Logger LOG = LoggerFactory.getLogger(ElicitingApprovalGate.class);

  private final ApprovalGate fallback;
  private final Set<CheckpointKind> allowed;
  private final Clock clock;
  private final Object lock = new Object();
  /** The exchanges of tool calls in progress, and how many elicitations each carries now. */
  private final Map<McpSyncServerExchange, Integer> active = new LinkedHashMap<>();
  /** Elicitations served on each exchange so far (by the tool call that holds it). */
  private final Map<McpSyncServerExchange, Integer> served = new java.util.HashMap<>();
  private int waiting;
  /** The client that called last: whether it can elicit decides between eliciting and the host's gate. */
  private volatile @Nullable McpSyncServerExchange lastSeen;

  private ElicitingApprovalGate(Builder b) {
    this.fallback = b.fallback;
    this.allowed = b.allowed.isEmpty() ? Set.of() : EnumSet.copyOf(b.allowed);
    this.clock = b.clock;
  }

  /** A builder whose checkpoints all go to {@code fallback} until kinds are {@link Builder#allow allowed}. */
  public static Builder builder(ApprovalGate fallback) {
    return new Builder(fallback);
  }

  /** A tool call began on {@code exchange}: elicitations may travel in it until {@link #leave}. */
  void enter(McpSyncServerExchange exchange) {
    synchronized (lock) {
      lastSeen = exchange;
      active.putIfAbsent(exchange, 0);
      lock.notifyAll();
    }
  }

  /**
   * Waits, up to {@code timeout}, until no elicitation is in flight on {@code exchange} and none is
   * waiting for a call to travel in; returns how many were served on it so far.
   */
  int awaitQuiet(McpSyncServerExchange exchange, java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (active.getOrDefault(exchange, 0) > 0 || waiting > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return served.getOrDefault(exchange, 0);
    }
  }

  /** The tool call on {@code exchange} ended; nothing more travels in it. */
  void leave(McpSyncServerExchange exchange) {
    synchronized (lock) {
      active.remove(exchange);
      served.remove(exchange);
      lock.notifyAll();
    }
  }

  /** The kinds this gate elicits. */
  public Set<CheckpointKind> allowed() {
    return allowed;
  }

  @Override
  public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
    McpSyncServerExchange last = lastSeen;
    if (!allowed.contains(request.kind()) || last == null || !supportsElicitation(last)) {
      return fallback.decide(request);
    }
    McpSyncServerExchange s = take(request);
    if (s == null) {
      return ApprovalDecision.timedOut(clock.instant());
    }
    McpSchema.ElicitResult r;
    String client = clientName(s);
    try {
      r = s.createElicitation(McpSchema.ElicitFormRequest.builder(message(request), form(request)).build());
    } catch (RuntimeException e) {
      LOG.warn("elicitation for checkpoint {} ({}) failed: {}", request.id(), request.kind(), e.toString());
      return ApprovalDecision.error("the MCP client did not answer the elicitation (" + e.getClass().getSimpleName()
          + ")", clock.instant());
    } finally {
      release(s);
    }
    String approver = "mcp-elicitation:" + client;
    if (r.action() == McpSchema.ElicitResult.Action.ACCEPT && r.content() != null
        && Boolean.TRUE.equals(r.content().get(APPROVE_FIELD))) {
      return ApprovalDecision.approved(approver, "approved by the MCP client's user", clock.instant());
    }
    String why = switch (r.action()) {
      case ACCEPT -> "the MCP client's user did not tick approve";
      case DECLINE -> "the MCP client's user declined";
      case CANCEL -> "the MCP client's user dismissed the question";
    };
    return ApprovalDecision.denied(approver, why, clock.instant());
  }

  /**
   * A tool call in progress whose client can elicit, waited for until the request's deadline (by the
   * clock the host gave; real time passes between checks), or null.
   */
  private @Nullable McpSyncServerExchange take(ApprovalRequest request) throws InterruptedException {
    synchronized (lock) {
      waiting++;
      try {
        while (true) {
          for (Map.Entry<McpSyncServerExchange, Integer> e : active.entrySet()) {
            if (supportsElicitation(e.getKey())) {
              e.setValue(e.getValue() + 1);
              served.merge(e.getKey(), 1, Integer::sum);
              return e.getKey();
            }
          }
          if (!clock.instant().isBefore(request.deadline())) {
            return null;
          }
          lock.wait(1_000); // woken by the next tool call; the deadline is read from the host's clock
        }
      } finally {
        waiting--;
        lock.notifyAll();
      }
    }
  }

  private void release(McpSyncServerExchange s) {
    synchronized (lock) {
      active.computeIfPresent(s, (k, n) -> n - 1);
      lock.notifyAll();
    }
  }

  private static boolean supportsElicitation(McpSyncServerExchange s) {
    McpSchema.ClientCapabilities caps = s.getClientCapabilities();
    return caps != null && caps.elicitation() != null;
  }

  private static String clientName(McpSyncServerExchange s) {
    McpSchema.Implementation info = s.getClientInfo();
    return info == null || info.name() == null ? "client" : info.name();
  }

  /** What the person reads: the checkpoint's title and reason, the cost, and the agent asking. */
  private static String message(ApprovalRequest r) {
    StringBuilder sb = new StringBuilder(r.title());
    sb.append("\n\n").append(r.reason());
    if (r.cost() != null) {
      sb.append("\n\nCost: ").append(r.cost());
    }
    sb.append("\n\nAsked by agent ").append(r.agent()).append(" (").append(r.kind()).append(").");
    return sb.toString();
  }

  private static Map<String, Object> form(ApprovalRequest r) {
    Map<String, Object> approve = new LinkedHashMap<>();
    approve.put("type", "boolean");
    approve.put("title", "Approve");
    approve.put("description", "Tick to approve: " + r.title());
    approve.put("default", false);
    return Map.of("type", "object", "properties", Map.of(APPROVE_FIELD, approve), "required", List.of(APPROVE_FIELD));
  }

  /** Builds an {@link ElicitingApprovalGate}. */
  public static final class Builder {
    private final ApprovalGate fallback;
    private final Set<CheckpointKind> allowed = EnumSet.noneOf(CheckpointKind.class);
    private Clock clock = Clock.systemUTC();

    private Builder(ApprovalGate fallback) {
      this.fallback = Objects.requireNonNull(fallback, "fallback");
    }

    /**
     * Lets a client confirm checkpoints of these kinds through elicitation.
     *
     * @throws InvalidRequestException for a kind that needs more than yes or no (see {@link #ELICITABLE})
     */
    public Builder allow(CheckpointKind... kinds) {
      for (CheckpointKind k : kinds) {
        if (!ELICITABLE.contains(Objects.requireNonNull(k, "kind"))) {
          throw new InvalidRequestException("allow", k + " needs more than a yes or no (a callback, a sign-in, a "
              + "card or an action at the provider)", "leave it to the host's gate; elicit only " + ELICITABLE);
        }
        allowed.add(k);
      }
      return this;
    }

    /** The clock decisions are dated with. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public ElicitingApprovalGate build() {
      return new ElicitingApprovalGate(this);
    }
  }
}
