package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.agentprovision.core.MalformedResponseException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProviderException.Outcome;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.stripe.StripeApi;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a failed call to Stripe is classified: whether Stripe can have carried it out, which is what
 * the engine settles a paid call's money by.
 */
class StripeCallsOutcomeTest {
  private static final RetryObserver QUIET = (attempt, delay, reason) -> { };

  private MockWebServer server;
  private StripeCalls calls;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    String base = server.url("/").toString();
    calls = new StripeCalls(StripeApi.builder().apiKey(Secret.of("sk_test_outcome")).apiBase(base.substring(0,
        base.length() - 1)).maxNetworkRetries(0).build().client());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ProviderException post() {
    return catchThrowableOfType(ProviderException.class, () -> calls.post("provision workers:paid",
        "/v2/provisioning/resources", Map.of("service_ref", "workers:paid"), "key-1", "2026-04-22.preview", QUIET,
        ProvisioningJson.ResourceJson.class));
  }

  private void answer(int code, String body) {
    server.enqueue(new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", "req_1").body(body).build());
  }

  @Test
  void aChangeRefusedAsInvalid_wasNotCarriedOut() {
    answer(400, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"parameter_missing\",\"message\":\"no\"}}");

    assertThat(post().outcome()).isEqualTo(Outcome.NOT_EXECUTED);
  }

  @Test
  void aChangeWhoseKeyWasUsedForAnotherRequest_mayHaveBeenCarriedOut() {
    answer(400, "{\"error\":{\"type\":\"idempotency_error\",\"message\":\"Keys for idempotent requests can only be "
        + "used with the same parameters\"}}");

    ProviderException e = post();

    assertThat(e.retryable()).isFalse();
    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aChangeAnsweredWithA500_mayHaveBeenCarriedOut() {
    answer(500, "{\"error\":{\"type\":\"api_error\",\"message\":\"oops\"}}");

    assertThat(post().outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aChangeWhoseConnectionIsCutAfterSending_mayHaveBeenCarriedOut() {
    // the JDK's HttpURLConnection silently resends once after a reset; a second reset outlasts it
    for (int i = 0; i < 2; i++) {
      server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false))
          .build());
    }

    ProviderException e = post();

    assertThat(e.code()).isEqualTo("connection_failed");
    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aChangeAnswered2xxWithABodyThatIsNotJson_mayHaveBeenCarriedOut() {
    answer(200, "{\"id\": \"prvres_trunc");

    ProviderException e = post();

    assertThat(e).isInstanceOf(MalformedResponseException.class);
    assertThat(e.code()).isEqualTo(MalformedResponseException.CODE);
    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aChangeAnswered2xxWithoutTheMemberItMade_mayHaveBeenCarriedOut() {
    answer(200, "{\"object\":\"v2.provisioning.resource\",\"status\":\"pending\"}");

    ProviderException e = post();

    assertThat(((MalformedResponseException) e).field()).isEqualTo("$.id");
    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aReadAnswered2xxWithoutAMemberItNeeds_changedNothing() {
    answer(200, "{\"id\":\"prvres_1\"}");

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> calls.get("read",
        "/v2/provisioning/resources/prvres_1", Map.of(), "2026-04-22.preview", QUIET,
        ProvisioningJson.ResourceJson.class));

    assertThat(((MalformedResponseException) e).field()).isEqualTo("$.status");
    assertThat(e.outcome()).isEqualTo(Outcome.NOT_EXECUTED);
  }

  @Test
  void aReadThatFails_changedNothing() {
    answer(503, "{\"error\":{\"type\":\"api_error\",\"message\":\"down\"}}");

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> calls.get("read",
        "/v2/provisioning/resources/prvres_1", Map.of(), "2026-04-22.preview", QUIET,
        ProvisioningJson.ResourceJson.class));

    assertThat(e.status()).isEqualTo(503);
    assertThat(e.outcome()).isEqualTo(Outcome.NOT_EXECUTED);
  }
}
