package io.agentprovision.core.approval;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.identity.Principal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Approval requests as the engine puts them, for the gate tests. */
final class ApprovalRequests {
  static final AgentId AGENT = AgentId.of("coding-agent-7");
  static final Principal ADA = Principal.builder("user-1", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").amr(List.of("pwd")).build();
  static final Duration TIMEOUT = Duration.ofMinutes(15);

  private ApprovalRequests() {}

  static ApprovalRequest request(String id, CheckpointKind kind, @Nullable Money cost, @Nullable URI url,
      Instant requestedAt) {
    return new ApprovalRequest(id, kind, "Register my-app.com for USD 10.44", "the app needs a domain of its own", cost,
        AGENT, ADA, RunId.of("run_1"), StepId.of("domain"), requestedAt, requestedAt.plus(TIMEOUT), url,
        Map.of("domain", "my-app.com"), null);
  }

  static ApprovalRequest request(CheckpointKind kind, @Nullable Money cost, Instant requestedAt) {
    return request("apr_1", kind, cost, null, requestedAt);
  }
}
