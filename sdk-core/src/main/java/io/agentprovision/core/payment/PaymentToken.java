package io.agentprovision.core.payment;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A payment token scoped to one seller, capped in amount and currency, and short-lived, such as a
 * Stripe Shared Payment Token ({@code spt_…}). The token is a {@link Secret}; {@link #reference()}
 * is a safe handle for logs and audit entries.
 *
 * @param token the token value to hand to the seller
 * @param seller who may charge it
 * @param maxAmount the most it can be charged, in one currency
 * @param expiresAt when it stops working
 * @param status its state
 * @param captured what the seller has captured so far, when known
 * @param nextActionUrl while {@link Status#REQUIRES_ACTION}: the page where the person authenticates the
 *     payment (3-D Secure at their bank), when the issuer gives one; null otherwise
 */
public record PaymentToken(Secret token, String seller, Money maxAmount, Instant expiresAt, Status status,
    @Nullable Money captured, @Nullable URI nextActionUrl) {
  /**
   * Token states; unknown wire values map to {@link #UNKNOWN}. {@link #REQUIRES_ACTION}: the person
   * must authenticate the payment (3-D Secure) at {@link #nextActionUrl()} before it can be charged.
   */
  public enum Status { ACTIVE, REQUIRES_ACTION, DEACTIVATED, UNKNOWN }

  /** A token with no next action. */
  public PaymentToken(Secret token, String seller, Money maxAmount, Instant expiresAt, Status status,
      @Nullable Money captured) {
    this(token, seller, maxAmount, expiresAt, status, captured, null);
  }

  public PaymentToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(seller, "seller");
    Objects.requireNonNull(maxAmount, "maxAmount");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(status, "status");
  }

  /** The token's prefix and last four characters, such as {@code spt_…x7Qa}: enough to match records, not to charge. */
  public String reference() {
    String v = token.reveal();
    int u = v.indexOf('_');
    String prefix = u > 0 && u < 8 ? v.substring(0, u + 1) : "";
    return prefix + "…" + (v.length() > 8 ? v.substring(v.length() - 4) : "");
  }

  @Override
  public String toString() {
    return "PaymentToken{" + reference() + ", seller=" + seller + ", max=" + maxAmount + ", expiresAt=" + expiresAt
        + ", status=" + status + "}";
  }
}
