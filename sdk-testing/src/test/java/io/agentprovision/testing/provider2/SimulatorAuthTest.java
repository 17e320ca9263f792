package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProtocolSignature;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What every protocol request must carry: a valid signature, a supported version, and for resources a live bearer token. */
class SimulatorAuthTest {
  private final SimWire wire = SimWire.start();

  @AfterEach
  void close() {
    wire.close();
  }

  private Request.Builder health() {
    return new Request.Builder().url(wire.url("/provisioning/health")).get();
  }

  @Test
  void health_signedAndVersioned_answersOkWithTheSupportedVersions() {
    SimWire.Answer a = wire.get("/provisioning/health");

    assertThat(a.code()).isEqualTo(200);
    assertThat(a.json()).containsEntry("status", "ok").containsEntry("supported_versions", List.of("0.1d"));
    assertThat(a.headers().get("Request-Id")).startsWith("req_sim2_");
  }

  @Test
  void request_withoutSignature_isRefused401InvalidSignature() {
    SimWire.Answer a = wire.send(health().header(ProtocolClient.API_VERSION_HEADER, "0.1d"));

    assertThat(a.code()).isEqualTo(401);
    assertThat(a.errorCode()).isEqualTo("invalid_signature");
    assertThat(a.str("error", "message")).contains("no Stripe-Signature");
    assertThat(a.json()).doesNotContainKey("status");
  }

  @Test
  void request_signedWithAnotherSecret_isRefused() {
    String header = ProtocolSignature.of(Secret.of("whsec_someone_else")).sign(new byte[0], wire.time.instant());

    SimWire.Answer a = wire.send(health().header(ProtocolSignature.HEADER, header)
        .header(ProtocolClient.API_VERSION_HEADER, "0.1d"));

    assertThat(a.code()).isEqualTo(401);
    assertThat(a.errorCode()).isEqualTo("invalid_signature");
    assertThat(a.str("error", "message")).contains("no v1 signature matches");
  }

  @Test
  void request_whoseBodyChangedAfterSigning_isRefused() {
    byte[] signed = "{\"purpose\":\"dashboard\"}".getBytes(StandardCharsets.UTF_8);
    byte[] sent = "{\"purpose\":\"billing\"}".getBytes(StandardCharsets.UTF_8);
    String header = ProtocolSignature.of(SimWire.SECRET).sign(signed, wire.time.instant());

    SimWire.Answer a = wire.send(new Request.Builder().url(wire.url("/provisioning/deep_links"))
        .post(RequestBody.create(sent, SimWire.JSON)).header(ProtocolSignature.HEADER, header)
        .header(ProtocolClient.API_VERSION_HEADER, "0.1d"));

    assertThat(a.code()).isEqualTo(401);
    assertThat(a.errorCode()).isEqualTo("invalid_signature");
  }

  @Test
  void signature_isAcceptedWithin300SecondsEitherWay_andRefusedBeyond() {
    assertThat(wire.sign(health(), new byte[0], wire.time.instant().minusSeconds(300)).code()).isEqualTo(200);
    assertThat(wire.sign(health(), new byte[0], wire.time.instant().plusSeconds(300)).code()).isEqualTo(200);

    SimWire.Answer old = wire.sign(health(), new byte[0], wire.time.instant().minusSeconds(301));
    SimWire.Answer future = wire.sign(health(), new byte[0], wire.time.instant().plusSeconds(301));

    assertThat(old.code()).isEqualTo(401);
    assertThat(old.str("error", "message")).contains("tolerance");
    assertThat(future.code()).isEqualTo(401);
  }

  @Test
  void signature_malformedHeaders_areRefused() {
    for (String header : List.of("garbage", "t=abc,v1=00", "t=1,v1=zz", "v1=" + "a".repeat(64), "t=" + 1)) {
      SimWire.Answer a = wire.send(health().header(ProtocolSignature.HEADER, header)
          .header(ProtocolClient.API_VERSION_HEADER, "0.1d"));

      assertThat(a.code()).as(header).isEqualTo(401);
      assertThat(a.str("error", "message")).as(header).contains("not of the form");
    }
  }

  @Test
  void signature_withSeveralV1Values_isAcceptedWhenAnyMatches() {
    String good = ProtocolSignature.of(SimWire.SECRET).sign(new byte[0], wire.time.instant());
    String header = good.replace(",v1=", ",v1=" + "0".repeat(64) + ",v1=");

    assertThat(wire.send(health().header(ProtocolSignature.HEADER, header)
        .header(ProtocolClient.API_VERSION_HEADER, "0.1d")).code()).isEqualTo(200);
  }

  @Test
  void previousSharedSecret_isStillAccepted_whileTheProviderRotates() {
    Secret old = Secret.of("whsec_old");
    try (SimWire rotating = SimWire.start(b -> b.previousSharedSecret(old))) {
      String header = ProtocolSignature.of(old).sign(new byte[0], rotating.time.instant());

      SimWire.Answer a = rotating.send(new Request.Builder().url(rotating.url("/provisioning/health")).get()
          .header(ProtocolSignature.HEADER, header).header(ProtocolClient.API_VERSION_HEADER, "0.1d"));

      assertThat(a.code()).isEqualTo(200);
    }
  }

  @Test
  void request_withoutOrWithAnUnsupportedApiVersion_isRefused400() {
    String sig = ProtocolSignature.of(SimWire.SECRET).sign(new byte[0], wire.time.instant());

    SimWire.Answer none = wire.send(health().header(ProtocolSignature.HEADER, sig));
    SimWire.Answer other = wire.send(health().header(ProtocolSignature.HEADER, sig)
        .header(ProtocolClient.API_VERSION_HEADER, "0.2a"));

    assertThat(none.code()).isEqualTo(400);
    assertThat(none.errorCode()).isEqualTo("invalid_api_version");
    assertThat(other.code()).isEqualTo(400);
    assertThat(other.errorCode()).isEqualTo("invalid_api_version");
    assertThat(other.str("error", "message")).contains("'0.2a'").contains("[0.1d]");
  }

  @Test
  void supportedVersions_areConfigurable_andListedByHealth() {
    try (SimWire v = SimWire.start(b -> b.supportedVersions("0.1d", "0.2"))) {
      assertThat(v.get("/provisioning/health").json()).containsEntry("supported_versions", List.of("0.1d", "0.2"));
    }
  }

  @Test
  void resourceCall_withoutBearer_isRefused401InvalidToken() {
    SimWire.Answer a = wire.get("/provisioning/resources/res_1");

    assertThat(a.code()).isEqualTo(401);
    assertThat(a.errorCode()).isEqualTo("invalid_token");
    assertThat(a.headers().get("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
  }

  @Test
  void resourceCall_withAnUnknownBearer_isRefused() {
    SimWire.Answer a = wire.post("/provisioning/resources", SimWire.createBody("kv", Map.of("title", "t"), null),
        Secret.of("at_forged"), "idem_1");

    assertThat(a.code()).isEqualTo(401);
    assertThat(a.errorCode()).isEqualTo("invalid_token");
    assertThat(wire.sim.resources()).isEmpty();
  }

  @Test
  void accessToken_expiresAfterItsLifetime() {
    Secret token = wire.accessToken("ada@example.com");
    assertThat(wire.post("/provisioning/deep_links", Map.of("purpose", "dashboard"), token, null).code())
        .isEqualTo(200);

    wire.time.advance(IndependentProviderSimulator.DEFAULT_ACCESS_TOKEN_TTL);
    SimWire.Answer a = wire.post("/provisioning/deep_links", Map.of("purpose", "dashboard"), token, null);

    assertThat(a.code()).isEqualTo(401);
    assertThat(a.errorCode()).isEqualTo("invalid_token");
    assertThat(a.str("error", "message")).contains("expired");
  }

  @Test
  void unknownPath_is404_andWrongMethod_is405() {
    SimWire.Answer missing = wire.get("/provisioning/nothing");
    SimWire.Answer wrong = wire.post("/provisioning/health", Map.of());

    assertThat(missing.code()).isEqualTo(404);
    assertThat(missing.errorCode()).isEqualTo("not_found");
    assertThat(wrong.code()).isEqualTo(405);
    assertThat(wrong.headers().get("Allow")).isEqualTo("GET");
  }

  @Test
  void jsonEndpoint_refusesAnotherContentType() {
    Secret token = wire.accessToken("ada@example.com");
    byte[] body = "purpose=dashboard".getBytes(StandardCharsets.US_ASCII);
    Request.Builder rb = new Request.Builder().url(wire.url("/provisioning/deep_links"))
        .post(RequestBody.create(body, okhttp3.MediaType.get("application/x-www-form-urlencoded")))
        .header("Authorization", "Bearer " + token.reveal());

    SimWire.Answer a = wire.sign(rb, body, wire.time.instant());

    assertThat(a.code()).isEqualTo(415);
    assertThat(a.errorCode()).isEqualTo("unsupported_media_type");
  }

  @Test
  void everyRequest_isRecorded_withItsAnswer_andToStringHidesBodies() {
    wire.get("/provisioning/health");
    wire.send(health());

    List<RecordedExchange> calls = wire.sim.requests();
    assertThat(calls).extracting(RecordedExchange::call)
        .containsExactly("GET /provisioning/health", "GET /provisioning/health");
    assertThat(calls).extracting(RecordedExchange::status).containsExactly(200, 401);
    assertThat(calls.get(0).header("API-Version")).isEqualTo("0.1d");
    assertThat(calls.get(0).header("stripe-signature")).startsWith("t=");
    assertThat(calls.get(0).responseBody()).contains("\"status\":\"ok\"");
    assertThat(calls.get(0).toString()).doesNotContain("t=").doesNotContain("ok");
  }

  @Test
  void builder_refusesBadSettings_namingTheField() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndependentProviderSimulator.builder().pendingPolls(-1))
        .hasMessageContaining("pendingPolls");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndependentProviderSimulator.builder().pageSize(0))
        .hasMessageContaining("pageSize");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndependentProviderSimulator.builder()
        .accessTokenTtl(Duration.ZERO)).hasMessageContaining("accessTokenTtl");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndependentProviderSimulator.builder()
        .variant(Variant.REMOVE_AGAIN_NOT_FOUND, Variant.REMOVE_AGAIN_INVALID_STATE).build())
        .hasMessageContaining("variants");
  }
}
