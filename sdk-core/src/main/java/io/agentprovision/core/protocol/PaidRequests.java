package io.agentprovision.core.protocol;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Money for the {@link DirectOrchestrator}: the payment method, and one payment token per paid call,
 * capped at the engine's authorization, expiring with it, for the provider as seller, keyed by the
 * step's idempotency key; revoked when the call did not use it, read back for what it captured when
 * it did. A paid call without an authorization is refused before anything is sent.
 */
final class PaidRequests {
  private static final Logger log = LoggerFactory.getLogger(PaidRequests.class);

  private final @Nullable PaymentTokenProvider payments;
  private final Clock clock;
  private final @Nullable URI paymentMethodSetupUrl;

  PaidRequests(@Nullable PaymentTokenProvider payments, Clock clock, @Nullable URI paymentMethodSetupUrl) {
    this.payments = payments;
    this.clock = clock;
    this.paymentMethodSetupUrl = paymentMethodSetupUrl;
  }

  @Nullable PaymentTokenProvider provider() {
    return payments;
  }

  PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    PaymentTokenProvider p = require();
    PaymentMethodStatus status = p.paymentMethod();
    if (status.ready()) {
      return status;
    }
    String title = "Add a payment method for " + provider;
    String reason = "paid steps need a payment method; spend is capped at " + usageCap;
    ctx.checkpoint(paymentMethodSetupUrl != null
        ? CheckpointRequest.visit(CheckpointKind.PAYMENT_METHOD, title, reason, paymentMethodSetupUrl)
        : CheckpointRequest.confirm(CheckpointKind.PAYMENT_METHOD, title, reason));
    status = p.paymentMethod();
    if (!status.ready()) {
      throw new AgentProvisionException("no payment method is on file with " + p.name()
          + " after the human checkpoint; add one and resume the run");
    }
    return status;
  }

  /** Refuses, before anything is sent, a call to a service that needs payment when no authorization was given. */
  static void requirePaymentIfPriced(ServiceOffering service, @Nullable PaymentAuthorization payment) {
    if (payment == null && service.pricing().requiresPayment()) {
      throw new InvalidRequestException("payment", "service " + service.id() + " is " + service.pricing().describe()
          + ", and no payment authorization was given",
          "authorize the spend with StepContext.authorizeSpend and pass its payment()");
    }
  }

  PaymentTokenProvider require() {
    if (payments == null) {
      throw new InvalidRequestException("paymentTokens", "is not configured",
          "build the DirectOrchestrator with paymentTokens(…) to make paid calls");
    }
    return payments;
  }

  PaymentToken issue(ProviderBinding b, PaymentAuthorization pa, String externalId, StepContext ctx, String op) {
    PaymentTokenProvider p = require();
    if (!pa.expiresAt().isAfter(clock.instant())) {
      throw new InvalidRequestException("payment.expiresAt", "the authorization lapsed at " + pa.expiresAt(),
          "authorize the spend again");
    }
    PaymentToken t;
    try {
      // one token per reservation: the call repeated under the same reservation sends the same token (so
      // the provider replays it), and a new reservation after a release gets a fresh one
      t = p.issue(new PaymentTokenRequest(b.seller, externalId, pa.maxAmount(), pa.expiresAt(),
          ctx.idempotencyKey("payment_token:" + op + ":" + pa.reservationId()), Map.of("run", ctx.runId().value(),
              "step", ctx.stepId().value(), "reservation", pa.reservationId())));
    } catch (ProviderException e) {
      throw e.withOutcome(ProviderException.Outcome.NOT_EXECUTED); // the provider was not called
    }
    Money used = t.captured();
    if (t.status() != PaymentToken.Status.ACTIVE && used != null && used.isPositive()) {
      // this reservation's token was charged by an earlier attempt whose answer was lost: the same call,
      // repeated with it, is replayed by the provider rather than charged again
      return t;
    }
    if (t.status() == PaymentToken.Status.REQUIRES_ACTION) {
      // 3-D Secure: the person passes the issuer's page first; the token is read again afterwards
      t = authenticate(p, t, b, ctx);
      used = t.captured();
    }
    if (t.status() != PaymentToken.Status.ACTIVE) {
      revokeQuietly(t, b.name, ctx, null);
      ProviderException inactive = ProviderException.builder(p.name(), "the payment token for " + b.name + " is "
          + t.status() + ", not active").code("payment_token_" + t.status().name().toLowerCase(Locale.ROOT))
          .retryable(false).outcome(ProviderException.Outcome.NOT_EXECUTED).build();
      // deactivated having captured nothing: nothing was, or can be, charged under this reservation
      throw t.status() == PaymentToken.Status.DEACTIVATED && used != null
          ? inactive.reconciled(Money.zero(t.maxAmount().currency()), false) : inactive;
    }
    if (t.maxAmount().greaterThan(pa.maxAmount()) || !t.maxAmount().sameCurrency(pa.maxAmount())) {
      revokeQuietly(t, b.name, ctx, null);
      throw ProviderException.builder(p.name(), "the payment token's cap " + t.maxAmount() + " exceeds the authorized "
          + pa.maxAmount()).code("payment_token_over_cap").retryable(false)
          .outcome(ProviderException.Outcome.NOT_EXECUTED).build();
    }
    ctx.audit("payment.token.issue", "ok", Map.of("provider", b.name, "seller", b.seller, "token", t.reference(),
        "max_amount", t.maxAmount().toString(), "expires_at", t.expiresAt().toString()));
    return t;
  }

  /**
   * A token that answered {@code requires_action} (3-D Secure): the person is sent to its next-action
   * page through a {@link CheckpointKind#PAYMENT_AUTHENTICATION} checkpoint showing the amount at
   * stake, then the token is read again. Declined, timed out or without a page to send them to, the
   * token is revoked and nothing is charged.
   */
  private PaymentToken authenticate(PaymentTokenProvider p, PaymentToken t, ProviderBinding b, StepContext ctx) {
    URI page = t.nextActionUrl();
    ctx.audit("payment.token.requires_action", page == null ? "no_page" : "asked", Map.of("provider", b.name,
        "token", t.reference(), "max_amount", t.maxAmount().toString()));
    if (page == null) {
      revokeQuietly(t, b.name, ctx, null);
      throw new ProviderException(p.name(), 0, "payment_token_requires_action", null, "the payment token for "
          + b.name + " needs the person to authenticate the payment, and " + p.name() + " gave no page to send them "
          + "to; issue tokens that redirect (for Stripe, use_stripe_sdk=false with a return_url)", false);
    }
    try {
      ctx.checkpoint(CheckpointRequest.visit(CheckpointKind.PAYMENT_AUTHENTICATION, "Confirm the payment of up to "
          + t.maxAmount() + " to " + b.name + " with your bank", "the card issuer asks the person to authenticate this "
          + "payment (3-D Secure) before " + b.name + " can charge it", page).withCost(t.maxAmount())
          .withDetails(Map.of("provider", b.name, "token", t.reference())));
    } catch (RuntimeException declined) {
      revokeQuietly(t, b.name, ctx, declined);
      throw declined;
    }
    PaymentToken after = p.retrieve(t);
    ctx.audit("payment.token.authenticated", after.status() == PaymentToken.Status.ACTIVE ? "ok" : "failed",
        Map.of("provider", b.name, "token", t.reference(), "status", after.status().name()));
    return after;
  }

  void revokeQuietly(@Nullable PaymentToken token, String provider, StepContext ctx, @Nullable RuntimeException cause) {
    if (token == null || payments == null) {
      return;
    }
    try {
      payments.revoke(token);
      ctx.audit("payment.token.revoke", "ok", Map.of("provider", provider, "token", token.reference()));
    } catch (RuntimeException e) {
      log.warn("could not revoke payment token {} for {}: {}", token.reference(), provider, e.toString());
      ctx.audit("payment.token.revoke", "failed", Map.of("provider", provider, "token", token.reference()));
      if (cause != null) {
        cause.addSuppressed(e);
      }
    }
  }

  /**
   * Finds out what a failed paid call charged, by its payment token: revokes it, so that nothing
   * more can be charged on it, then reads what it captured. Returns the failure saying so
   * ({@link ProviderException#reconciled}: a charge is {@link ProviderException.Outcome#EXECUTED},
   * and the same call repeated with its idempotency key and this token finishes it; nothing is
   * {@link ProviderException.Outcome#NOT_EXECUTED}), or, when the token cannot be revoked or read,
   * the failure with an unknown outcome (the engine keeps the money held).
   */
  RuntimeException reconcile(PaymentToken token, String provider, StepContext ctx, RuntimeException failure) {
    ProviderException cause = failure instanceof ProviderException p ? p
        : ProviderException.builder(provider, "the paid call failed: " + failure).cause(failure)
            .outcome(ProviderException.Outcome.UNKNOWN).retryable(true).build();
    if (payments == null) {
      return cause.withOutcome(ProviderException.Outcome.UNKNOWN);
    }
    Money captured;
    try {
      payments.revoke(token);
      PaymentToken now = payments.retrieve(token);
      captured = now.captured() == null ? Money.zero(token.maxAmount().currency()) : now.captured();
    } catch (RuntimeException e) {
      log.warn("could not settle payment token {} for {} after a failed call: {}", token.reference(), provider,
          e.toString());
      ctx.audit("payment.token.reconcile", "failed", Map.of("provider", provider, "token", token.reference()));
      ProviderException unknown = cause.withOutcome(ProviderException.Outcome.UNKNOWN);
      unknown.addSuppressed(e);
      return unknown;
    }
    if (!captured.sameCurrency(token.maxAmount()) || captured.greaterThan(token.maxAmount())) {
      return cause.withOutcome(ProviderException.Outcome.UNKNOWN); // not a capture this call can have made
    }
    ctx.audit("payment.token.reconcile", "ok", Map.of("provider", provider, "token", token.reference(),
        "captured", captured.toString()));
    return cause.reconciled(captured, captured.isPositive() || cause.retryable());
  }

  /**
   * A paid call the provider accepted and had not finished when waiting for it failed: it may still
   * charge, so the token stays and the outcome is unknown, unless the token already shows its whole
   * amount captured (nothing more can be charged on it), which is then the charge.
   */
  RuntimeException stillPending(PaymentToken token, String provider, RuntimeException failure) {
    ProviderException cause = failure instanceof ProviderException p ? p
        : ProviderException.builder(provider, "waiting for the paid call failed: " + failure.getMessage())
            .cause(failure).retryable(failure instanceof AgentProvisionException a && a.retryable())
            .outcome(ProviderException.Outcome.UNKNOWN).build();
    Money c = captured(token);
    if (c != null && c.equals(token.maxAmount())) {
      return cause.reconciled(c, true);
    }
    return cause.withOutcome(ProviderException.Outcome.UNKNOWN);
  }

  /** What was captured on {@code token}, when the payment provider can say and it is within the token's cap. */
  @Nullable Money captured(PaymentToken token) {
    if (payments == null) {
      return null;
    }
    try {
      Money c = payments.retrieve(token).captured();
      return c != null && c.sameCurrency(token.maxAmount()) && !c.greaterThan(token.maxAmount()) ? c : null;
    } catch (RuntimeException e) {
      log.warn("could not read what was captured on payment token {}: {}", token.reference(), e.toString());
      return null;
    }
  }
}
