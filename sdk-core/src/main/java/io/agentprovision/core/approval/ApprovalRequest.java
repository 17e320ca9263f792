package io.agentprovision.core.approval;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.identity.Principal;
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
 * @param details more facts to show (never secrets)
 */
public record ApprovalRequest(String id, CheckpointKind kind, String title, String reason, @Nullable Money cost,
    AgentId agent, @Nullable Principal principal, @Nullable RunId run, @Nullable StepId step, Instant requestedAt,
    Instant deadline, @Nullable URI url, Map<String, String> details) {
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
}
