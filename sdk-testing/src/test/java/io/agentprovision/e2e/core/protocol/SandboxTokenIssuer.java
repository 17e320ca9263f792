package io.agentprovision.e2e.core.protocol;

import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test-only {@link PaymentTokenProvider} whose tokens the sandbox's {@link InMemoryPaymentCharger}
 * accepts; records what it was asked to issue and revoke.
 */
final class SandboxTokenIssuer implements PaymentTokenProvider {
  final InMemoryPaymentCharger charger;
  final List<PaymentTokenRequest> issued = new CopyOnWriteArrayList<>();
  final List<PaymentToken> revoked = new CopyOnWriteArrayList<>();
  private final Map<String, PaymentToken> byKey = new ConcurrentHashMap<>();
  volatile boolean ready = true;

  SandboxTokenIssuer(InMemoryPaymentCharger charger) {
    this.charger = charger;
  }

  @Override
  public String name() {
    return "sandbox-tokens";
  }

  @Override
  public PaymentMethodStatus paymentMethod() {
    return new PaymentMethodStatus(ready, ready ? "card •••• 4242" : null);
  }

  @Override
  public PaymentToken issue(PaymentTokenRequest r) {
    issued.add(r);
    return byKey.computeIfAbsent(r.idempotencyKey(), k -> new PaymentToken(
        charger.issue(r.seller(), r.maxAmount(), r.expiresAt()), r.seller(), r.maxAmount(), r.expiresAt(),
        PaymentToken.Status.ACTIVE, null));
  }

  @Override
  public PaymentToken retrieve(PaymentToken t) {
    String reason = charger.deactivated(t.token());
    return new PaymentToken(t.token(), t.seller(), t.maxAmount(), t.expiresAt(),
        reason == null ? PaymentToken.Status.ACTIVE : PaymentToken.Status.DEACTIVATED, charger.captured(t.token()));
  }

  @Override
  public void revoke(PaymentToken t) {
    charger.revoke(t.token());
    revoked.add(t);
  }
}
