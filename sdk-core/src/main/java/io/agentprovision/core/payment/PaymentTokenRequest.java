package io.agentprovision.core.payment;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks for a payment token for one paid step.
 *
 * <p>Build one with {@link #builder} (the canonical constructor is public only because records
 * require it, and may gain components):
 *
 * <pre>{@code
 * PaymentToken token = tokens.issue(PaymentTokenRequest.builder("profile_cloudflare", Money.usd("5.00"), key)
 *     .sellerExternalId("res_42").expiresAt(now.plus(Duration.ofMinutes(10)))
 *     .metadata("run", run.value()).build());
 * }</pre>
 *
 * @param seller the seller allowed to charge it (the provider's network business profile)
 * @param sellerExternalId the seller's own reference, such as the orchestrator resource id
 * @param maxAmount the quoted price of the step: the token's cap
 * @param expiresAt a short expiry
 * @param idempotencyKey the intent-derived key, so a retry issues no second token
 * @param metadata non-secret labels (run, step)
 */
public record PaymentTokenRequest(String seller, @Nullable String sellerExternalId, Money maxAmount, Instant expiresAt,
    String idempotencyKey, Map<String, String> metadata) {
  public PaymentTokenRequest {
    Objects.requireNonNull(seller, "seller");
    Objects.requireNonNull(maxAmount, "maxAmount").requireNonNegative("maxAmount");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    metadata = Map.copyOf(metadata);
  }

  /**
   * A builder for a token capped at {@code maxAmount} that {@code seller} may charge, asked for under
   * {@code idempotencyKey}; {@code expiresAt} must be set, there is no seller reference and no
   * metadata unless set.
   *
   * @throws NullPointerException naming the first argument that is null
   * @throws InvalidRequestException naming {@code seller} or {@code idempotencyKey} when blank, or
   *     {@code maxAmount} when negative
   */
  public static Builder builder(String seller, Money maxAmount, String idempotencyKey) {
    return new Builder(seller, maxAmount, idempotencyKey);
  }

  /** A builder holding this request's values. */
  public Builder toBuilder() {
    return new Builder(seller, maxAmount, idempotencyKey).sellerExternalId(sellerExternalId).expiresAt(expiresAt)
        .metadata(metadata);
  }

  /** Builds {@link PaymentTokenRequest}s. */
  public static final class Builder {
    private final String seller;
    private final Money maxAmount;
    private final String idempotencyKey;
    private @Nullable String sellerExternalId;
    private @Nullable Instant expiresAt;
    private Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String seller, Money maxAmount, String idempotencyKey) {
      this.seller = nonBlank("seller", seller, "pass the provider's network business profile");
      this.maxAmount = Objects.requireNonNull(maxAmount, "maxAmount").requireNonNegative("maxAmount");
      // the key is what stops a retried step from getting a second token: a blank one would collide
      this.idempotencyKey = nonBlank("idempotencyKey", idempotencyKey, "derive the key from the run and step");
    }

    private static String nonBlank(String field, String value, String fix) {
      Objects.requireNonNull(value, field);
      if (value.isBlank()) {
        throw new InvalidRequestException(field, "is blank", fix);
      }
      return value;
    }

    /** The seller's own reference, such as the orchestrator resource id; null (the default) when none. */
    public Builder sellerExternalId(@Nullable String id) {
      this.sellerExternalId = id;
      return this;
    }

    /** When the token stops working (keep it short); required. */
    public Builder expiresAt(Instant t) {
      this.expiresAt = Objects.requireNonNull(t, "expiresAt");
      return this;
    }

    /** Replaces the labels (run, step; never secrets); none by default. */
    public Builder metadata(Map<String, String> m) {
      Objects.requireNonNull(m, "metadata");
      Map<String, String> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "metadata key"),
          Objects.requireNonNull(v, "metadata[" + k + "]")));
      this.metadata = copy;
      return this;
    }

    /** Adds one label (never a secret), replacing one under the same key. */
    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "metadata key"), Objects.requireNonNull(value, "metadata[" + key + "]"));
      return this;
    }

    /**
     * The request.
     *
     * @throws NullPointerException naming {@code expiresAt} when it was not set
     */
    public PaymentTokenRequest build() {
      return new PaymentTokenRequest(seller, sellerExternalId, maxAmount, Objects.requireNonNull(expiresAt, "expiresAt"),
          idempotencyKey, metadata);
    }
  }
}
