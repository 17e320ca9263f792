package io.agentprovision.core.protocol;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.PaymentTokenProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Payment tokens for sdk-core's orchestrator tests: issued as asked, with what was captured set by the test. */
final class RecordingPaymentTokens implements PaymentTokenProvider {
  final List<PaymentToken> issued = new ArrayList<>();
  final List<String> revoked = new ArrayList<>();
  private final Map<String, Money> captured = new HashMap<>();

  /** Makes {@code token} report {@code amount} captured, as the provider's charge would. */
  void capture(String token, Money amount) {
    captured.put(token, amount);
  }

  @Override
  public String name() {
    return "test-payments";
  }

  @Override
  public PaymentMethodStatus paymentMethod() {
    return new PaymentMethodStatus(true, "visa 4242");
  }

  @Override
  public synchronized PaymentToken issue(PaymentTokenRequest request) {
    PaymentToken t = new PaymentToken(Secret.of("spt_test_" + (issued.size() + 1)), request.seller(),
        request.maxAmount(), request.expiresAt(), PaymentToken.Status.ACTIVE, null);
    issued.add(t);
    return t;
  }

  @Override
  public synchronized PaymentToken retrieve(PaymentToken token) {
    return new PaymentToken(token.token(), token.seller(), token.maxAmount(), token.expiresAt(), token.status(),
        captured.get(token.token().reveal()));
  }

  @Override
  public synchronized void revoke(PaymentToken token) {
    revoked.add(token.token().reveal());
  }
}
