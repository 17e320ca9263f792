package io.agentprovision.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.HttpStack;
import java.time.Duration;
import java.util.Date;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression: an issuer that rate-limits its discovery document or its JWKS with {@code Retry-After}
 * is waited for (virtual time, through the provider's sleeper) and asked again, and a wait beyond the
 * bound fails retryable saying when. Real RSA keys and a real signed ID token.
 */
class OidcRetryAfterTest {
  private static final String AUDIENCE = "client-1";

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final HttpStack stack = HttpStack.create();
  private MockWebServer server;
  private String issuer;
  private RSAKey key;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    String url = server.url("/").toString();
    issuer = url.substring(0, url.length() - 1);
    key = new RSAKeyGenerator(2048).keyID("k1").generate();
  }

  @AfterEach
  void stop() {
    server.close();
    stack.close();
  }

  private OidcIdentityProvider provider() {
    return OidcIdentityProvider.builder().issuer(issuer).audience(AUDIENCE).clock(time).sleeper(time).http(stack).build();
  }

  private String idToken() throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience(AUDIENCE).subject("user-1")
        .issueTime(Date.from(time.instant())).expirationTime(Date.from(time.instant().plusSeconds(600)))
        .claim("email", "ada@example.com").claim("email_verified", true).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private MockResponse json(String body) {
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
  }

  private static MockResponse tooMany(String retryAfter) {
    return new MockResponse.Builder().code(429).setHeader("Retry-After", retryAfter).build();
  }

  private String discovery() {
    return "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/jwks\",\"id_token_signing_alg_values_supported\":"
        + "[\"RS256\"]}";
  }

  @Test
  void attest_whenDiscoveryAndJwksAnswer429WithRetryAfter_waitsEachTimeAndVerifiesTheToken() throws Exception {
    server.enqueue(tooMany("1"));
    server.enqueue(json(discovery()));
    server.enqueue(tooMany("2"));
    server.enqueue(json(new JWKSet(key.toPublicJWK()).toString()));

    Principal p = provider().attest(new IdentityRequest(AgentId.of("agent-1"), null, Secret.of(idToken()), null, false));

    assertThat(p.email()).isEqualTo("ada@example.com");
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    RecordedRequest first = server.takeRequest();
    assertThat(first.getUrl().encodedPath()).isEqualTo("/.well-known/openid-configuration");
    assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/.well-known/openid-configuration");
    assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/jwks");
    assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/jwks");
  }

  @Test
  void attest_whenTheIssuerAsksForALongerWaitThanTheBound_failsRetryableSayingWhen() throws Exception {
    server.enqueue(tooMany("Mon, 02 Nov 2026 09:05:00 GMT"));
    String token = idToken();

    assertThatThrownBy(() -> provider().attest(new IdentityRequest(AgentId.of("agent-1"), null, Secret.of(token), null,
        false)))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.provider()).isEqualTo(OidcIdentityProvider.PROVIDER_NAME);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(5));
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }
}
