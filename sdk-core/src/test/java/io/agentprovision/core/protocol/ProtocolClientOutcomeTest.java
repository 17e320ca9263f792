package io.agentprovision.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProviderException.Outcome;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.ResiliencePolicy;
import java.net.ServerSocket;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the protocol client classifies a failed call: what it says about whether the provider
 * carried it out, which is what the engine settles a paid call's money by.
 */
class ProtocolClientOutcomeTest {
  private static final Secret SHARED = Secret.of("whsec_outcome_test");
  private static final Secret TOKEN = Secret.of("at_1");

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private MockWebServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    client = client(server.url("/").toString());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ProtocolClient client(String baseUrl) {
    // one attempt: what is classified is the call's own failure, not the retry layer's
    return ProtocolClient.builder().provider("cloudflare").baseUrl(baseUrl).sharedSecret(SHARED).clock(time)
        .sleeper(time).resilience(ResiliencePolicy.custom().maxAttempts(1).build()).build();
  }

  private ProviderException create() {
    return catchThrowableOfType(ProviderException.class, () -> client.createResource(TOKEN,
        new ProviderResourceRequest("workers:paid", Map.of(), Secret.of("spt_1"), "proj", "my-app-plan", "production"),
        "key-1"));
  }

  private void answer(int code, String body) {
    server.enqueue(new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body)
        .build());
  }

  @Test
  void aPaidCreate_refusedAsInvalid_wasNotCarriedOut() {
    answer(400, "{\"error\":{\"code\":\"invalid_request\",\"message\":\"bad\"}}");

    assertThat(create().outcome()).isEqualTo(Outcome.NOT_EXECUTED);
  }

  @Test
  void aPaidCreate_answeredWithA503OrA429_mayHaveBeenCarriedOut() {
    answer(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"down\"}}");
    assertThat(create().outcome()).isEqualTo(Outcome.UNKNOWN);

    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "1").body("{}").build());
    assertThat(create().outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aPaidCreate_whoseConnectionIsCutAfterSending_mayHaveBeenCarriedOut() {
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false))
        .build());

    ProviderException e = create();

    assertThat(e.code()).isEqualTo("network_error");
    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aPaidCreate_answered2xxWithABodyThatIsNotJson_wasCarriedOutAsFarAsAnyoneKnows() {
    answer(200, "{\"id\": \"res_trunc");

    ProviderException e = create();

    assertThat(e.code()).isEqualTo("malformed_response");
    assertThat(e.retryable()).isFalse();
    assertThat(e.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aPaidCreate_toAProviderNobodyListensAt_wasNeverSent() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    client = client("http://127.0.0.1:" + closedPort + "/");

    ProviderException e = create();

    assertThat(e.code()).isEqualTo("network_error");
    assertThat(e.outcome()).isEqualTo(Outcome.NOT_EXECUTED);
  }

  @Test
  void aRead_thatFailsInAnyWay_changedNothing() {
    answer(500, "{\"error\":{\"code\":\"internal\",\"message\":\"oops\"}}");
    assertThat(catchThrowableOfType(ProviderException.class, () -> client.getResource(TOKEN, "res_1")).outcome())
        .isEqualTo(Outcome.NOT_EXECUTED);

    answer(200, "not json");
    assertThat(catchThrowableOfType(ProviderException.class, () -> client.getResource(TOKEN, "res_1")).outcome())
        .isEqualTo(Outcome.NOT_EXECUTED);
  }
}
