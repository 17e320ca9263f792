package io.agentprovision.core.approval;

import io.agentprovision.core.Money;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a plug-in asks a human through {@link StepContext#checkpoint}. The engine fills in the
 * agent, principal, run, step and deadline, and sends it to the {@link ApprovalGate}.
 *
 * @param kind what it is about
 * @param title a one-line summary
 * @param reason why it is needed
 * @param cost what approving may charge, when it spends money
 * @param url where the human must go, when there is one
 * @param details more facts to show (never secrets)
 * @param timeout how long to wait, or null for the engine's default
 */
public record CheckpointRequest(CheckpointKind kind, String title, String reason, @Nullable Money cost, @Nullable URI url,
    Map<String, String> details, @Nullable Duration timeout) {
  public CheckpointRequest {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(reason, "reason");
    details = Map.copyOf(details);
  }

  /** A checkpoint that sends the human to {@code url} (consent, checkout, terms). */
  public static CheckpointRequest visit(CheckpointKind kind, String title, String reason, URI url) {
    return new CheckpointRequest(kind, title, reason, null, Objects.requireNonNull(url, "url"), Map.of(), null);
  }

  /** A yes/no checkpoint. */
  public static CheckpointRequest confirm(CheckpointKind kind, String title, String reason) {
    return new CheckpointRequest(kind, title, reason, null, null, Map.of(), null);
  }

  /** This checkpoint with {@code newCost} shown as what is at stake. */
  public CheckpointRequest withCost(@Nullable Money newCost) {
    return new CheckpointRequest(kind, title, reason, newCost, url, details, timeout);
  }

  /** This checkpoint with {@code newDetails} for the person (never secrets). */
  public CheckpointRequest withDetails(Map<String, String> newDetails) {
    return new CheckpointRequest(kind, title, reason, cost, url, newDetails, timeout);
  }

  /** This checkpoint waiting up to {@code newTimeout} instead of the provisioner's approval timeout. */
  public CheckpointRequest withTimeout(@Nullable Duration newTimeout) {
    return new CheckpointRequest(kind, title, reason, cost, url, details, newTimeout);
  }
}
