package io.agentprovision.stripe;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.WireFormatException;
import io.agentprovision.stripe.internal.SharedPaymentJson;
import io.agentprovision.stripe.internal.StripeCalls;
import io.agentprovision.stripe.internal.StripeWire;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Stripe Shared Payment Tokens as the SDK's {@link PaymentTokenProvider}: each paid step gets a
 * token ({@code spt_…}) that only the named seller can charge, at most the step's quoted price, in
 * one currency, until a short expiry. Issued, read and revoked with
 * {@code /v1/shared_payment/issued_tokens} (a preview, called with
 * {@link StripeApi#sharedPaymentVersion()}), form-encoded as Stripe's v1 API wants.
 *
 * <pre>{@code
 * PaymentTokenProvider spt = StripeSharedPaymentTokens.builder()
 *     .api(stripeApi)
 *     .paymentMethod("pm_1Qx…")          // the human's card, saved at Stripe
 *     .build();
 * PaymentToken token = spt.issue(new PaymentTokenRequest("profile_cloudflare", "res_42",
 *     Money.usd("5.00"), clock.instant().plus(Duration.ofMinutes(15)), ctx.idempotencyKey("spt"), Map.of()));
 * }</pre>
 *
 * <p>A token Stripe answers {@code requires_action} (the card issuer wants 3-D Secure) is returned
 * with {@link PaymentToken#nextActionUrl()} set from {@code next_action.redirect_to_url.url}, where
 * the person authenticates; the orchestrator sends them there through the approval gate.
 * {@link #lookUpPrice} reads a Stripe Price ({@code GET /v1/prices/{id}}) for catalogs that price a
 * service only by its id.
 *
 * <p>The token's own limits are only amount, currency, expiry and seller; monthly caps, budgets and
 * approvals stay the engine's. Expiries are refused unless they lie within
 * {@link Builder#maxLifetime} of now, so that no token outlives its step by much. The request's
 * metadata is not sent: the issue call documents no such parameter. Thread-safe.
 */
public final class StripeSharedPaymentTokens implements PaymentTokenProvider {
  /** The provider's name in logs and errors. */
  public static final String NAME = "stripe-spt";
  /** Tokens may live at most this long unless configured: one hour. */
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(1);

  static final String ISSUED_TOKENS = "/v1/shared_payment/issued_tokens";
  static final String PAYMENT_METHODS = "/v1/payment_methods";
  static final String PRICES = "/v1/prices";
  private static final RetryObserver QUIET = (attempt, delay, reason) -> { };

  private final StripeApi api;
  private final StripeCalls calls;
  private final String paymentMethod;
  private final Clock clock;
  private final Duration maxLifetime;

  private StripeSharedPaymentTokens(Builder b) {
    this.api = Objects.requireNonNull(b.api, "api");
    this.calls = new StripeCalls(api.client());
    this.paymentMethod = Objects.requireNonNull(b.paymentMethod, "paymentMethod");
    this.clock = b.clock;
    this.maxLifetime = b.maxLifetime;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Whether the configured payment method exists at Stripe; a 404 means it does not. */
  @Override
  public PaymentMethodStatus paymentMethod() {
    SharedPaymentJson.PaymentMethodJson pm;
    try {
      pm = calls.get("read Stripe payment method", PAYMENT_METHODS + "/" + paymentMethod, Map.of(),
          api.sharedPaymentVersion(), QUIET, SharedPaymentJson.PaymentMethodJson.class).body();
    } catch (ProviderException e) {
      if (e.status() == 404) {
        return new PaymentMethodStatus(false, null);
      }
      throw e;
    }
    SharedPaymentJson.CardJson card = pm.card();
    String last4 = card == null ? null : card.last4();
    String brand = card == null ? null : card.brand();
    String display = last4 == null ? pm.type()
        : (brand == null ? "card" : brand) + " •••• " + last4;
    return new PaymentMethodStatus(true, display);
  }

  @Override
  public PaymentToken issue(PaymentTokenRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.seller().isBlank()) {
      throw new InvalidRequestException("seller", "is empty", "pass the seller's network business profile");
    }
    if (!request.maxAmount().isPositive()) {
      throw new InvalidRequestException("maxAmount", "must be more than zero (was " + request.maxAmount() + ")",
          "pass the quoted price of the step");
    }
    Instant now = clock.instant();
    if (!request.expiresAt().isAfter(now)) {
      throw new InvalidRequestException("expiresAt", "is not in the future (" + request.expiresAt() + ")",
          "pass an expiry a few minutes from now");
    }
    if (request.expiresAt().isAfter(now.plus(maxLifetime))) {
      throw new InvalidRequestException("expiresAt", request.expiresAt() + " is more than " + maxLifetime
          + " away", "keep payment tokens short-lived: expire them within " + maxLifetime);
    }
    Map<String, Object> seller = new LinkedHashMap<>();
    seller.put("network_business_profile", request.seller());
    if (request.sellerExternalId() != null) {
      seller.put("external_id", request.sellerExternalId());
    }
    Map<String, Object> limits = new LinkedHashMap<>();
    limits.put("currency", request.maxAmount().currencyCode().toLowerCase(Locale.ROOT));
    limits.put("max_amount", request.maxAmount().minorUnits());
    limits.put("expires_at", request.expiresAt().getEpochSecond());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("payment_method", paymentMethod);
    body.put("seller_details", seller);
    body.put("usage_limits", limits);
    return calls.post("issue a Stripe shared payment token for " + request.seller(), ISSUED_TOKENS, body,
        request.idempotencyKey(), api.sharedPaymentVersion(), QUIET, SharedPaymentJson.IssuedTokenJson.class)
        .read(t -> token(t, request.seller(), request.maxAmount(), request.expiresAt()));
  }

  @Override
  public PaymentToken retrieve(PaymentToken token) {
    Objects.requireNonNull(token, "token");
    return calls.get("read Stripe shared payment token " + token.reference(), ISSUED_TOKENS + "/" + token.token().reveal(),
        Map.of(), api.sharedPaymentVersion(), QUIET, SharedPaymentJson.IssuedTokenJson.class)
        .read(t -> token(t, token.seller(), token.maxAmount(), token.expiresAt()));
  }

  /**
   * Looks a Stripe Price up ({@code GET /v1/prices/{id}}): its {@code unit_amount} in
   * {@code currency}, once ({@code type: one_time}) or every {@code recurring.interval}. A price
   * Stripe does not know (404), one without a whole amount ({@code unit_amount} null: tiered or
   * metered) or billed by usage is empty: the service stays unknown before buying.
   */
  @Override
  public java.util.Optional<Pricing> lookUpPrice(String priceId) {
    Objects.requireNonNull(priceId, "priceId");
    if (!priceId.matches("price_[A-Za-z0-9_]+")) {
      return java.util.Optional.empty();
    }
    SharedPaymentJson.PriceJson p;
    try {
      p = calls.get("read Stripe price " + priceId, PRICES + "/" + priceId, Map.of(), api.sharedPaymentVersion(), QUIET,
          SharedPaymentJson.PriceJson.class).body();
    } catch (ProviderException e) {
      if (e.status() == 404) {
        return java.util.Optional.empty();
      }
      throw e;
    }
    Long unit = p.unitAmount();
    String currency = p.currency();
    SharedPaymentJson.RecurringJson recurring = p.recurring();
    if (unit == null || currency == null || (recurring != null && "metered".equals(recurring.usageType()))) {
      return java.util.Optional.empty();
    }
    Money amount;
    try {
      amount = Money.ofMinor(unit, currency.toUpperCase(Locale.ROOT));
    } catch (InvalidRequestException unknownCurrency) {
      return java.util.Optional.empty();
    }
    String every = recurring == null ? null : recurring.interval();
    Long count = recurring == null ? null : recurring.intervalCount();
    Pricing.Interval interval;
    if (!"recurring".equals(p.type()) && every == null) {
      interval = Pricing.Interval.ONE_TIME;
    } else if ("month".equals(every) && (count == null || count == 1)) {
      interval = Pricing.Interval.MONTHLY;
    } else if ("year".equals(every) && (count == null || count == 1)) {
      interval = Pricing.Interval.YEARLY;
    } else {
      interval = Pricing.Interval.NONE;
    }
    return java.util.Optional.of(Pricing.builder(Pricing.Type.PAID, Pricing.Kind.KNOWN).amount(amount)
        .interval(interval).stripePrice(priceId).description("Stripe price " + priceId).build());
  }

  /** Revokes the token; a token already deactivated (consumed, expired, revoked) is left as it is. */
  @Override
  public void revoke(PaymentToken token) {
    Objects.requireNonNull(token, "token");
    try {
      calls.postWithoutAnswer("revoke Stripe shared payment token " + token.reference(),
          ISSUED_TOKENS + "/" + token.token().reveal() + "/revoke", Map.of(), revokeKey(token.token()),
          api.sharedPaymentVersion(), QUIET);
    } catch (ProviderException e) {
      if (e.status() == 400 && retrieve(token).status() == PaymentToken.Status.DEACTIVATED) {
        return;
      }
      throw e;
    }
  }

  private static String revokeKey(Secret token) {
    return "agentprovision-spt-revoke-" + HexFormat.of().formatHex(Digests.sha256(token.reveal()), 0, 16);
  }

  /**
   * The token Stripe answered with; what it leaves out (limits, seller, expiry) is what was asked
   * for. Deactivated once {@code deactivated_at} is set, whatever {@code status} says.
   */
  private static PaymentToken token(SharedPaymentJson.IssuedTokenJson t, String seller, Money max, Instant expiresAt) {
    SharedPaymentJson.TokenLimitsJson limits = t.usageLimits();
    Money maxAmount = limits == null ? max : money(limits.maxAmount(), limits.currency(), "$.usage_limits.currency");
    Instant expiry = limits == null || limits.expiresAt() == null ? expiresAt : limits.expiresAt();
    SharedPaymentJson.SellerJson sellerDetails = t.sellerDetails();
    String sellerProfile = sellerDetails == null ? null : sellerDetails.networkBusinessProfile();
    StripeWire.AmountJson captured = t.usageDetails() == null ? null : t.usageDetails().amountCaptured();
    String status = t.status();
    PaymentToken.Status s;
    if (t.deactivatedAt() != null || "deactivated".equals(status)) {
      s = PaymentToken.Status.DEACTIVATED;
    } else if ("active".equals(status)) {
      s = PaymentToken.Status.ACTIVE;
    } else if ("requires_action".equals(status)) {
      s = PaymentToken.Status.REQUIRES_ACTION;
    } else {
      s = PaymentToken.Status.UNKNOWN;
    }
    return new PaymentToken(Secret.of(t.id()), sellerProfile == null || sellerProfile.isBlank() ? seller : sellerProfile,
        maxAmount, expiry, s, captured == null ? null : captured.currency() == null
            ? Money.ofMinor(captured.value(), maxAmount.currency())
            : money(captured.value(), captured.currency(), "$.usage_details.amount_captured.currency"),
        nextAction(s, t.nextActionUrl()));
  }

  /** 3-D Secure: the page where the person authenticates, when Stripe gives one to redirect to. */
  private static @Nullable URI nextAction(PaymentToken.Status s, @Nullable String page) {
    if (s != PaymentToken.Status.REQUIRES_ACTION || page == null) {
      return null;
    }
    try {
      return URI.create(page);
    } catch (IllegalArgumentException malformed) {
      return null; // no page to send the person to: the engine refuses the token, naming why
    }
  }

  private static Money money(long minor, String currency, String path) {
    try {
      return Money.ofMinor(minor, currency);
    } catch (InvalidRequestException e) {
      throw new WireFormatException(path, "is not a currency the SDK knows");
    }
  }

  @Override
  public String toString() {
    return "StripeSharedPaymentTokens{apiBase=" + api.apiBase() + ", maxLifetime=" + maxLifetime + "}";
  }

  /** Builds a {@link StripeSharedPaymentTokens}. */
  public static final class Builder {
    private @Nullable StripeApi api;
    private @Nullable String paymentMethod;
    private Clock clock = Clock.systemUTC();
    private Duration maxLifetime = DEFAULT_MAX_LIFETIME;

    private Builder() {}

    /** The shared Stripe client and settings. */
    public Builder api(StripeApi stripeApi) {
      this.api = Objects.requireNonNull(stripeApi, "api");
      return this;
    }

    /** The saved payment method ({@code pm_…}) that backs the tokens. */
    public Builder paymentMethod(String id) {
      Objects.requireNonNull(id, "paymentMethod");
      if (!id.matches("pm_[A-Za-z0-9_]+")) {
        throw new InvalidRequestException("paymentMethod", "'" + id + "' is not a payment method id",
            "pass the pm_… id of the human's saved card");
      }
      this.paymentMethod = id;
      return this;
    }

    /** The clock that judges expiries. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** The longest lifetime a token may be given: between one minute and one day. */
    public Builder maxLifetime(Duration lifetime) {
      Objects.requireNonNull(lifetime, "maxLifetime");
      if (lifetime.compareTo(Duration.ofMinutes(1)) < 0 || lifetime.compareTo(Duration.ofDays(1)) > 0) {
        throw new InvalidRequestException("maxLifetime", "must be between 1 minute and 1 day (was " + lifetime + ")",
            "pass a duration such as Duration.ofMinutes(15)");
      }
      this.maxLifetime = lifetime;
      return this;
    }

    public StripeSharedPaymentTokens build() {
      if (api == null) {
        throw new InvalidRequestException("api", "is not set", "call api(StripeApi)");
      }
      if (paymentMethod == null) {
        throw new InvalidRequestException("paymentMethod", "is not set", "call paymentMethod(\"pm_…\")");
      }
      return new StripeSharedPaymentTokens(this);
    }
  }
}
