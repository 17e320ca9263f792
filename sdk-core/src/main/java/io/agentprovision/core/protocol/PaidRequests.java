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
    PaymentToken t = p.issue(new PaymentTokenRequest(b.seller, externalId, pa.maxAmount(), pa.expiresAt(),
        ctx.idempotencyKey("payment_token:" + op), Map.of("run", ctx.runId().value(), "step", ctx.stepId().value(),
            "reservation", pa.reservationId())));
    if (t.status() != PaymentToken.Status.ACTIVE) {
      revokeQuietly(t, b.name, ctx, null);
      throw new ProviderException(p.name(), 0, "payment_token_" + t.status().name().toLowerCase(Locale.ROOT),
          null, "the payment token for " + b.name + " is " + t.status() + ", not active", false);
    }
    if (t.maxAmount().greaterThan(pa.maxAmount()) || !t.maxAmount().sameCurrency(pa.maxAmount())) {
      revokeQuietly(t, b.name, ctx, null);
      throw new ProviderException(p.name(), 0, "payment_token_over_cap", null, "the payment token's cap "
          + t.maxAmount() + " exceeds the authorized " + pa.maxAmount(), false);
    }
    ctx.audit("payment.token.issue", "ok", Map.of("provider", b.name, "seller", b.seller, "token", t.reference(),
        "max_amount", t.maxAmount().toString(), "expires_at", t.expiresAt().toString()));
    return t;
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
