package io.agentprovision.testing.oidc;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.VirtualTime;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OidcIssuerSandboxTest {
  private final VirtualTime time = VirtualTime.create();
  private final OkHttpClient http = new OkHttpClient();
  private OidcIssuerSandbox issuer;

  @BeforeEach
  void start() {
    issuer = OidcIssuerSandbox.start(time);
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  private Map<String, Object> get(String url) throws Exception {
    try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
      return Json.parseObject(r.body().string());
    }
  }

  @Test
  void discovery_whenRead_namesTheIssuerAndJwks() throws Exception {
    Map<String, Object> doc = get(issuer.issuer() + "/.well-known/openid-configuration");

    assertThat(doc).containsEntry("issuer", issuer.issuer()).containsEntry("jwks_uri", issuer.jwksUri());
  }

  @Test
  void jwks_whenRead_servesOnlyPublicRsaAndEcKeys() throws Exception {
    List<Object> keys = Json.list(get(issuer.jwksUri()), "keys");

    assertThat(keys).hasSize(2);
    assertThat(keys).allSatisfy(k -> assertThat(((Map<?, ?>) k).keySet().stream().map(String::valueOf).toList())
        .doesNotContain("d", "p", "q"));
    assertThat(keys.stream().map(k -> String.valueOf(((Map<?, ?>) k).get("kty"))).toList())
        .containsExactlyInAnyOrder("RSA", "EC");
  }

  @Test
  void rotateKeys_whenKeepingPrevious_servesOldAndNew() throws Exception {
    String oldKid = issuer.rsaKeyId();

    issuer.rotateKeys(true);

    List<Object> keys = Json.list(get(issuer.jwksUri()), "keys");
    assertThat(keys).hasSize(4);
    assertThat(keys.stream().map(k -> String.valueOf(((Map<?, ?>) k).get("kid"))).toList())
        .contains(oldKid, issuer.rsaKeyId());
    issuer.rotateKeys(false);
    assertThat(Json.list(get(issuer.jwksUri()), "keys")).hasSize(2);
  }

  @Test
  void idToken_whenMinted_carriesTheChosenClaimsOnTheInjectedClock() {
    var claims = issuer.idToken().subject("u").nonce("n").amr("pwd", "otp").acr("a").claims();

    assertThat(claims.getIssuer()).isEqualTo(issuer.issuer());
    assertThat(claims.getIssueTime().toInstant()).isEqualTo(time.instant());
    assertThat(claims.getClaim("nonce")).isEqualTo("n");
    assertThat(claims.getClaim("amr")).isEqualTo(List.of("pwd", "otp"));
  }
}
