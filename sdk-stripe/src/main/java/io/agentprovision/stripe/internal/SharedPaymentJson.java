package io.agentprovision.stripe.internal;

import com.squareup.moshi.Json;
import io.agentprovision.core.wire.WireRecords.Required;
import io.agentprovision.stripe.internal.StripeWire.AmountJson;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Shared Payment Tokens and payment methods ({@code /v1/...}) as records, bound by
 * {@link StripeWire#WIRE}: v1 sends numbers and Unix seconds, and newer preview versions send
 * {@code amount_captured} as an amount object; the records read every form.
 */
public final class SharedPaymentJson {
  private SharedPaymentJson() {}

  /**
   * {@code /v1/shared_payment/issued_tokens}: an issued token ({@code spt_…}). {@code status}:
   * {@code active}, {@code requires_action} (with {@code next_action}), or deactivated (then
   * {@code deactivated_at} and {@code deactivated_reason}: {@code consumed}, {@code expired},
   * {@code resolved}, {@code revoked}).
   */
  public record IssuedTokenJson(@Required String id, @Nullable String status,
      @Json(name = "usage_limits") @Nullable TokenLimitsJson usageLimits,
      @Json(name = "usage_details") @Nullable UsageDetailsJson usageDetails,
      @Json(name = "seller_details") @Nullable SellerJson sellerDetails,
      @Json(name = "deactivated_at") @Nullable Instant deactivatedAt,
      @Json(name = "deactivated_reason") @Nullable String deactivatedReason,
      @Json(name = "next_action") @Nullable NextActionJson nextAction, @Nullable Instant created) {
    /** Where the human completes the action the token waits for (3-D Secure), when Stripe gave a URL. */
    public @Nullable String nextActionUrl() {
      RedirectJson redirect = nextAction == null ? null : nextAction.redirectToUrl();
      return redirect == null ? null : redirect.url();
    }
  }

  /**
   * {@code usage_limits{currency, max_amount, expires_at}}: the token's cap; currency and amount are
   * needed to know it.
   */
  public record TokenLimitsJson(@Required String currency, @Json(name = "max_amount") @Required Long maxAmount,
      @Json(name = "expires_at") @Nullable Instant expiresAt) {}

  /** {@code usage_details{amount_captured}}: a number of minor units or {@code {value, currency}}. */
  public record UsageDetailsJson(@Json(name = "amount_captured") @Nullable AmountJson amountCaptured) {}

  /** {@code seller_details}. */
  public record SellerJson(@Json(name = "network_business_profile") @Nullable String networkBusinessProfile,
      @Json(name = "external_id") @Nullable String externalId) {}

  /**
   * {@code next_action{type, redirect_to_url{url, return_url}, use_stripe_sdk}}: {@code type}
   * {@code redirect_to_url} sends the human to a page; {@code use_stripe_sdk} needs Stripe.js.
   */
  public record NextActionJson(@Nullable String type,
      @Json(name = "redirect_to_url") @Nullable RedirectJson redirectToUrl) {}

  /** {@code redirect_to_url}. */
  public record RedirectJson(@Nullable String url, @Json(name = "return_url") @Nullable String returnUrl) {}

  /**
   * {@code GET /v1/prices/{id}}: a Price; {@code unit_amount} is null for tiered and some metered
   * prices, which then have no single amount.
   */
  public record PriceJson(@Required String id, @Nullable String currency,
      @Json(name = "unit_amount") @Nullable Long unitAmount, @Nullable String type,
      @Nullable RecurringJson recurring) {}

  /** A price's {@code recurring{interval, interval_count, usage_type}}. */
  public record RecurringJson(@Nullable String interval, @Json(name = "interval_count") @Nullable Long intervalCount,
      @Json(name = "usage_type") @Nullable String usageType) {}

  /** {@code GET /v1/payment_methods/{id}}. */
  public record PaymentMethodJson(@Required String id, @Nullable String type, @Nullable CardJson card) {}

  /** A payment method's {@code card}. */
  public record CardJson(@Nullable String brand, @Nullable String last4) {}
}
