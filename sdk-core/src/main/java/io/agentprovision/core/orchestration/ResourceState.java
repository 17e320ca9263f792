package io.agentprovision.core.orchestration;

import io.agentprovision.core.Money;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What an orchestrator reports about a resource.
 *
 * @param ref which resource
 * @param status its state
 * @param needsInformation when {@code status} is {@link ResourceStatus#NEEDS_INFORMATION}, what is needed
 * @param errorCode the remote error code when {@code status} is {@link ResourceStatus#ERRORED}
 * @param errorMessage the remote error message (never a credential)
 * @param userMessage a message meant for the human, when the orchestrator gave one
 * @param charged what the call actually charged, when known; else the engine commits the reserved amount
 * @param attributes other non-secret facts (such as the registered domain name)
 */
public record ResourceState(ResourceRef ref, ResourceStatus status, @Nullable InformationRequest needsInformation,
    @Nullable String errorCode, @Nullable String errorMessage, @Nullable String userMessage, @Nullable Money charged,
    Map<String, String> attributes) {
  public ResourceState {
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(status, "status");
    attributes = Map.copyOf(attributes);
  }

  /** A state with only a status. */
  public static ResourceState of(ResourceRef ref, ResourceStatus status) {
    return new ResourceState(ref, status, null, null, null, null, null, Map.of());
  }
}
