package io.agentprovision.core.approval;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.internal.Checks;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a plug-in asks a human through {@link StepContext#checkpoint}. The engine fills in the
 * agent, principal, run, step and deadline, and sends it to the {@link ApprovalGate}.
 *
 * <p>{@link #confirm} and {@link #visit} cover the simple cases; {@link #builder} the rest, without
 * runs of nulls (the canonical constructor is public only because records require it):
 *
 * <pre>{@code
 * ApprovalDecision d = ctx.checkpoint(CheckpointRequest.builder(CheckpointKind.ACTION_REQUIRED,
 *         "Cloudflare needs you to act to register my-app.com", "The registrar paused the registration")
 *     .cost(Money.usd("10.44")).detail("domain", "my-app.com").timeout(Duration.ofHours(1)).build());
 * }</pre>
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
    return builder(kind, title, reason).url(Objects.requireNonNull(url, "url")).build();
  }

  /** A yes/no checkpoint. */
  public static CheckpointRequest confirm(CheckpointKind kind, String title, String reason) {
    return builder(kind, title, reason).build();
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

  /**
   * A builder for a yes/no checkpoint of {@code kind}: no cost, no URL, no details, and the
   * provisioner's approval timeout, until set otherwise.
   *
   * @throws NullPointerException naming the first argument that is null
   */
  public static Builder builder(CheckpointKind kind, String title, String reason) {
    return new Builder(kind, title, reason);
  }

  /** A builder holding this checkpoint's values. */
  public Builder toBuilder() {
    return new Builder(kind, title, reason).cost(cost).url(url).details(details).timeout(timeout);
  }

  /** Builds {@link CheckpointRequest}s. */
  public static final class Builder {
    private final CheckpointKind kind;
    private final String title;
    private final String reason;
    private @Nullable Money cost;
    private @Nullable URI url;
    private Map<String, String> details = new LinkedHashMap<>();
    private @Nullable Duration timeout;

    private Builder(CheckpointKind kind, String title, String reason) {
      this.kind = Objects.requireNonNull(kind, "kind");
      this.title = Objects.requireNonNull(title, "title");
      this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * What approving may charge, shown to the human; null (the default) when it spends nothing.
     *
     * @throws InvalidRequestException naming {@code cost} when it is negative
     */
    public Builder cost(@Nullable Money c) {
      this.cost = c == null ? null : c.requireNonNegative("cost");
      return this;
    }

    /** Where the human must go (consent, checkout, terms); null (the default) for a yes/no question. */
    public Builder url(@Nullable URI u) {
      this.url = u;
      return this;
    }

    /** Replaces the facts shown to the human (never secrets); none by default. */
    public Builder details(Map<String, String> d) {
      Objects.requireNonNull(d, "details");
      Map<String, String> copy = new LinkedHashMap<>();
      d.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "details key"),
          Objects.requireNonNull(v, "details[" + k + "]")));
      this.details = copy;
      return this;
    }

    /** Adds one fact shown to the human (never a secret), replacing one under the same key. */
    public Builder detail(String key, String value) {
      details.put(Objects.requireNonNull(key, "details key"), Objects.requireNonNull(value, "details[" + key + "]"));
      return this;
    }

    /**
     * How long to wait for the human; null (the default) for the provisioner's approval timeout.
     *
     * @throws InvalidRequestException naming {@code timeout} when it is zero or negative
     */
    public Builder timeout(@Nullable Duration t) {
      this.timeout = t == null ? null : Checks.positive("timeout", t);
      return this;
    }

    /** The checkpoint. */
    public CheckpointRequest build() {
      return new CheckpointRequest(kind, title, reason, cost, url, details, timeout);
    }
  }
}
