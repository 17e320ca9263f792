package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ProviderException.Outcome;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.policy.PolicyViolationException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** What a failure says about the call it ended, the rule the engine settles money by. */
class ProviderExceptionOutcomeTest {

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({"0,UNKNOWN", "200,UNKNOWN", "400,NOT_EXECUTED", "401,NOT_EXECUTED", "402,NOT_EXECUTED",
      "403,NOT_EXECUTED", "404,NOT_EXECUTED", "422,NOT_EXECUTED", "408,UNKNOWN", "409,UNKNOWN", "429,UNKNOWN",
      "500,UNKNOWN", "502,UNKNOWN", "503,UNKNOWN"})
  void forStatus_aRefusalWasNotCarriedOut_andAnythingElseMayHaveBeen(int status, Outcome expected) {
    assertThat(Outcome.forStatus(status)).isEqualTo(expected);
    assertThat(new ProviderException("p", status, null, null, "failed", true).outcome()).isEqualTo(expected);
  }

  @Test
  void of_theSdksOwnRefusalsComeBeforeAnySideEffect_andAnythingUnexpectedIsUnknown() {
    assertThat(Outcome.of(new InvalidRequestException("f", "bad", "fix"))).isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.of(new PolicyViolationException("monthly", Money.usd("5.00"), Money.usd("99.00"),
        Money.usd("1.00"), "over"))).isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.of(new ApprovalDeniedException("DOMAIN_PURCHASE", "ada", "no"))).isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.of(new IdentityRejectedException("mfa", "no second factor"))).isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.of(new IllegalStateException("a bug reading the answer"))).isEqualTo(Outcome.UNKNOWN);
    assertThat(Outcome.of(new AgentProvisionException("still pending at the deadline"))).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void ofConnectionFailure_aChangeNeverSentWasNotCarriedOut_butOneCutOffAfterSendingMayHaveBeen() {
    assertThat(Outcome.ofConnectionFailure(new ConnectException("Connection refused"), true))
        .isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.ofConnectionFailure(new UnknownHostException("api.example"), true))
        .isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.ofConnectionFailure(new SocketTimeoutException("Connect timed out"), true))
        .isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.ofConnectionFailure(new IOException("wrapped", new ConnectException("refused")), true))
        .isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(Outcome.ofConnectionFailure(new SocketTimeoutException("Read timed out"), true))
        .isEqualTo(Outcome.UNKNOWN);
    assertThat(Outcome.ofConnectionFailure(new IOException("unexpected end of stream"), true))
        .isEqualTo(Outcome.UNKNOWN);
    assertThat(Outcome.ofConnectionFailure(new SocketTimeoutException("Read timed out"), false))
        .as("a read changes nothing").isEqualTo(Outcome.NOT_EXECUTED);
  }

  @Test
  void withOutcome_keepsEverythingElse() {
    ProviderException e = ProviderException.builder("stripe", "creating failed").status(503).code("api_error")
        .requestId("req_1").retryable(true).build();

    ProviderException sent = e.withOutcome(Outcome.NOT_EXECUTED);

    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
    assertThat(sent.outcome()).isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(sent.getMessage()).isEqualTo(e.getMessage()).isEqualTo("stripe HTTP 503 [api_error] creating failed "
        + "(request id req_1)");
    assertThat(sent.status()).isEqualTo(503);
    assertThat(sent.code()).isEqualTo("api_error");
    assertThat(sent.requestId()).isEqualTo("req_1");
    assertThat(sent.retryable()).isTrue();
    assertThat(sent.charged()).isNull();
  }

  @Test
  void reconciled_aChargeFoundIsExecuted_andNothingFoundIsNotExecuted() {
    ProviderException lost = ProviderException.builder("cloudflare", "reset").code("network_error").retryable(true)
        .build();

    ProviderException charged = lost.reconciled(Money.usd("5.00"), true);
    ProviderException nothing = lost.reconciled(Money.usd("0.00"), false);

    assertThat(lost.outcome()).isEqualTo(Outcome.UNKNOWN);
    assertThat(charged.outcome()).isEqualTo(Outcome.EXECUTED);
    assertThat(charged.charged()).isEqualTo(Money.usd("5.00"));
    assertThat(nothing.outcome()).isEqualTo(Outcome.NOT_EXECUTED);
    assertThat(nothing.charged()).isEqualTo(Money.usd("0.00"));
    assertThat(nothing.retryable()).isFalse();
    assertThatThrownBy(() -> lost.reconciled(Money.usd("-1.00"), false)).isInstanceOf(InvalidRequestException.class);
  }
}
