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

  /**
   * A builder for the state {@code status} of {@code ref}; everything else is absent unless set.
   *
   * <pre>{@code
   * ResourceState done = ResourceState.builder(ref, ResourceStatus.COMPLETE).charged(Money.usd("5.00"))
   *     .attributes(Map.of("domain", "my-app.com")).build();
   * }</pre>
   */
  public static Builder builder(ResourceRef ref, ResourceStatus status) {
    return new Builder(ref, status);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(ref, status).needsInformation(needsInformation).errorCode(errorCode).errorMessage(errorMessage)
        .userMessage(userMessage).charged(charged).attributes(attributes);
  }

  /** Builds {@link ResourceState}s. */
  public static final class Builder {
    private final ResourceRef ref;
    private final ResourceStatus status;
    private @Nullable InformationRequest needsInformation;
    private @Nullable String errorCode;
    private @Nullable String errorMessage;
    private @Nullable String userMessage;
    private @Nullable Money charged;
    private Map<String, String> attributes = Map.of();

    private Builder(ResourceRef ref, ResourceStatus status) {
      this.ref = Objects.requireNonNull(ref, "ref");
      this.status = Objects.requireNonNull(status, "status");
    }

    public Builder needsInformation(@Nullable InformationRequest value) {
      this.needsInformation = value;
      return this;
    }

    public Builder errorCode(@Nullable String value) {
      this.errorCode = value;
      return this;
    }

    public Builder errorMessage(@Nullable String value) {
      this.errorMessage = value;
      return this;
    }

    public Builder userMessage(@Nullable String value) {
      this.userMessage = value;
      return this;
    }

    public Builder charged(@Nullable Money value) {
      this.charged = value;
      return this;
    }

    public Builder attributes(Map<String, String> value) {
      this.attributes = Objects.requireNonNull(value, "attributes");
      return this;
    }

    public ResourceState build() {
      return new ResourceState(ref, status, needsInformation, errorCode, errorMessage, userMessage, charged,
          attributes);
    }
  }
}
