package io.agentprovision.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ProtocolSignatureTest {
  private static final Secret SECRET = Secret.of("whsec_test_secret");
  private static final Instant NOW = Instant.parse("2026-11-02T09:00:00Z");
  private static final String BODY = "{\"service_id\":\"workers:paid\"}";

  private final ProtocolSignature sig = ProtocolSignature.of(SECRET);

  @Test
  void sign_whenGivenBodyAndTime_isHmacSha256OfTimestampDotBody() throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec("whsec_test_secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String expected = HexFormat.of().formatHex(
        mac.doFinal((NOW.getEpochSecond() + "." + BODY).getBytes(StandardCharsets.UTF_8)));

    assertThat(sig.sign(BODY, NOW)).isEqualTo("t=" + NOW.getEpochSecond() + ",v1=" + expected);
  }

  @Test
  void verify_whenSignedWithSameSecret_isValid() {
    assertThat(sig.verify(sig.sign(BODY, NOW), BODY, NOW)).isEqualTo(ProtocolSignature.Check.VALID);
  }

  @Test
  void verify_whenBodyChanged_isMismatch() {
    assertThat(sig.verify(sig.sign(BODY, NOW), BODY.replace("paid", "free"), NOW))
        .isEqualTo(ProtocolSignature.Check.MISMATCH);
  }

  @Test
  void verify_whenOtherSecret_isMismatch() {
    String header = ProtocolSignature.of(Secret.of("whsec_other")).sign(BODY, NOW);
    assertThat(sig.verify(header, BODY, NOW)).isEqualTo(ProtocolSignature.Check.MISMATCH);
  }

  @Test
  void verify_whenTimestampOutsideTolerance_isOutsideTolerance() {
    String header = sig.sign(BODY, NOW);
    assertThat(sig.verify(header, BODY, NOW.plusSeconds(300))).isEqualTo(ProtocolSignature.Check.VALID);
    assertThat(sig.verify(header, BODY, NOW.plusSeconds(301))).isEqualTo(ProtocolSignature.Check.OUTSIDE_TOLERANCE);
    assertThat(sig.verify(header, BODY, NOW.minusSeconds(301))).isEqualTo(ProtocolSignature.Check.OUTSIDE_TOLERANCE);
    assertThat(sig.withTolerance(Duration.ofSeconds(10)).verify(header, BODY, NOW.plusSeconds(11)))
        .isEqualTo(ProtocolSignature.Check.OUTSIDE_TOLERANCE);
  }

  @Test
  void verify_whenHeaderMissingOrMalformed_saysSo() {
    assertThat(sig.verify(null, BODY, NOW)).isEqualTo(ProtocolSignature.Check.MISSING);
    assertThat(sig.verify("", BODY, NOW)).isEqualTo(ProtocolSignature.Check.MISSING);
    assertThat(sig.verify("v1=abcd", BODY, NOW)).isEqualTo(ProtocolSignature.Check.MALFORMED);
    assertThat(sig.verify("t=now,v1=abcd", BODY, NOW)).isEqualTo(ProtocolSignature.Check.MALFORMED);
    assertThat(sig.verify("t=" + NOW.getEpochSecond(), BODY, NOW)).isEqualTo(ProtocolSignature.Check.MALFORMED);
    assertThat(sig.verify("t=" + NOW.getEpochSecond() + ",v1=zz", BODY, NOW)).isEqualTo(ProtocolSignature.Check.MALFORMED);
  }

  @Test
  void verify_whenSeveralV1Values_acceptsAnyMatching() {
    String good = sig.sign(BODY, NOW);
    String header = "t=" + NOW.getEpochSecond() + ",v1=" + "00".repeat(32) + "," + good.substring(good.indexOf("v1="))
        + ",v0=ignored";
    assertThat(sig.verify(header, BODY, NOW)).isEqualTo(ProtocolSignature.Check.VALID);
  }

  @Test
  void withTolerance_whenNotPositive_isRefused() {
    assertThatThrownBy(() -> sig.withTolerance(Duration.ZERO)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("tolerance");
  }

  @Test
  void toString_neverShowsTheSecret() {
    assertThat(sig.toString()).doesNotContain("whsec_test_secret").contains("[redacted]");
  }
}
