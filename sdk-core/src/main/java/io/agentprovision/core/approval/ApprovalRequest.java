package io.agentprovision.core.approval;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A human checkpoint put to an {@link ApprovalGate}: what is asked, why, what it costs, who asks
 * (the agent) on whose behalf (the principal), and by when it must be decided.
 *
 * @param id unique id of this request
 * @param kind what it is about
 * @param title a one-line summary, such as {@code "Register my-app.com for USD 10.44"}
 * @param reason why the agent needs it
 * @param cost what approving may charge, when it spends money
 * @param agent the acting agent
 * @param principal the human, once attested
 * @param run the run, when part of one
 * @param step the step, when part of one
 * @param requestedAt when asked
 * @param deadline after this instant the gate must answer {@code TIMED_OUT}
 * @param url where the human must go (consent page, checkout page, terms), when there is one
 * @param details more facts to show (never secrets); a {@link CheckpointKind#STEP_UP} carries the
 *     {@code nonce} the fresh sign-in must answer
 * @param policy the spend policy in force when the engine asked (the live one, never a copy made
 *     earlier), for gates that decide by it such as {@link ApprovalGates#policyDriven}; null when the
 *     request was not made by the engine
 */
public record ApprovalRequest(String id, CheckpointKind kind, String title, String reason, @Nullable Money cost,
    AgentId agent, @Nullable Principal principal, @Nullable RunId run, @Nullable StepId step, Instant requestedAt,
    Instant deadline, @Nullable URI url, Map<String, String> details, @Nullable SpendPolicy policy) {
  public ApprovalRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(deadline, "deadline");
    details = Map.copyOf(details);
  }

  /**
   * A builder for a request {@code id} of {@code kind} by {@code agent}; the times must be set.
   *
   * <pre>{@code
   * ApprovalRequest r = ApprovalRequest.builder("apr_1", CheckpointKind.DOMAIN_PURCHASE, "Register my-app.com",
   *         "the agent needs it for run_1", agent)
   *     .cost(Money.usd("10.44")).run(run).step(step).requestedAt(now).deadline(now.plus(Duration.ofMinutes(15)))
   *     .build();
   * }</pre>
   */
  public static Builder builder(String id, CheckpointKind kind, String title, String reason, AgentId agent) {
    return new Builder(id, kind, title, reason, agent);
  }

  /** Builds {@link ApprovalRequest}s. */
  public static final class Builder {
    private final String id;
    private final CheckpointKind kind;
    private final String title;
    private final String reason;
    private final AgentId agent;
    private @Nullable Money cost;
    private @Nullable Principal principal;
    private @Nullable RunId run;
    private @Nullable StepId step;
    private @Nullable Instant requestedAt;
    private @Nullable Instant deadline;
    private @Nullable URI url;
    private Map<String, String> details = Map.of();
    private @Nullable SpendPolicy policy;

    private Builder(String id, CheckpointKind kind, String title, String reason, AgentId agent) {
      this.id = Objects.requireNonNull(id, "id");
      this.kind = Objects.requireNonNull(kind, "kind");
      this.title = Objects.requireNonNull(title, "title");
      this.reason = Objects.requireNonNull(reason, "reason");
      this.agent = Objects.requireNonNull(agent, "agent");
    }

    public Builder cost(@Nullable Money c) {
      this.cost = c;
      return this;
    }

    public Builder principal(@Nullable Principal p) {
      this.principal = p;
      return this;
    }

    public Builder run(@Nullable RunId r) {
      this.run = r;
      return this;
    }

    public Builder step(@Nullable StepId s) {
      this.step = s;
      return this;
    }

    public Builder requestedAt(Instant at) {
      this.requestedAt = Objects.requireNonNull(at, "requestedAt");
      return this;
    }

    public Builder deadline(Instant at) {
      this.deadline = Objects.requireNonNull(at, "deadline");
      return this;
    }

    public Builder url(@Nullable URI u) {
      this.url = u;
      return this;
    }

    public Builder details(Map<String, String> d) {
      this.details = Map.copyOf(d);
      return this;
    }

    /** The spend policy in force when asked. */
    public Builder policy(@Nullable SpendPolicy p) {
      this.policy = p;
      return this;
    }

    /** @throws NullPointerException when {@code requestedAt} or {@code deadline} was not set */
    public ApprovalRequest build() {
      return new ApprovalRequest(id, kind, title, reason, cost, agent, principal, run, step,
          Objects.requireNonNull(requestedAt, "requestedAt"), Objects.requireNonNull(deadline, "deadline"), url, details, policy);
    }
  }
}
