package io.agentprovision.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.HttpStack;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The keys of the JWKS are converted, and their verifiers made, once per fetched set and then kept:
 * every check still refuses what it refused before once that cache is warm, and a key the issuer
 * replaced, even under the same key id, is never used again after the set is fetched anew. Real
 * RSA and EC keys, real signed tokens, an issuer whose JWKS the test changes.
 */
class OidcKeyCacheTest {
  private static final String AUDIENCE = "client-1";
  private static final AgentId AGENT = AgentId.of("agent-1");

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final HttpStack stack = HttpStack.create();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private volatile String jwks = "{\"keys\":[]}";
  private MockWebServer server;
  private String issuer;
  private RSAKey rsa;
  private ECKey ec;
  private OidcIdentityProvider identity;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        if (path.equals("/.well-known/openid-configuration")) {
          return json("{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/jwks\"}");
        }
        if (path.equals("/jwks")) {
          jwksRequests.incrementAndGet();
          return json(jwks);
        }
        return new MockResponse.Builder().code(404).build();
      }
    });
    server.start();
    String url = server.url("/").toString();
    issuer = url.substring(0, url.length() - 1);
    rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
    publish(rsa, ec);
    identity = OidcIdentityProvider.builder().issuer(issuer).audience(AUDIENCE).allowedAlgorithms("RS256", "ES256")
        .clock(time).sleeper(time).http(stack).build();
    // the cache warm: the set fetched, both keys converted and both verifiers made
    attest(token(rsa, JWSAlgorithm.RS256, null, 600));
    attest(token(ec, JWSAlgorithm.ES256, null, 600));
    assertThat(jwksRequests).hasValue(1);
  }

  @AfterEach
  void stop() {
    server.close();
    stack.close();
  }

  private static MockResponse json(String body) {
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
  }

  private void publish(JWK... keys) {
    jwks = new JWKSet(List.of(keys)).toPublicJWKSet().toString();
  }

  private String token(JWK key, JWSAlgorithm alg, @Nullable String nonce, long lifetimeSeconds) throws JOSEException {
    return token(key, key.getKeyID(), alg, nonce, lifetimeSeconds);
  }

  private String token(JWK key, String kid, JWSAlgorithm alg, @Nullable String nonce, long lifetimeSeconds)
      throws JOSEException {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience(AUDIENCE).subject("user-1")
        .issueTime(Date.from(time.instant())).expirationTime(Date.from(time.instant().plusSeconds(lifetimeSeconds)))
        .claim("email", "ada@example.com").claim("email_verified", true).claim("nonce", nonce).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
    JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
    jwt.sign(signer);
    return jwt.serialize();
  }

  private Principal attest(String token) {
    return identity.attest(new IdentityRequest(AGENT, null, Secret.of(token), null, false));
  }

  private Principal attest(String token, String nonce) {
    return identity.attest(new IdentityRequest(AGENT, null, Secret.of(token), nonce, false));
  }

  private void assertRefused(String token, String check) {
    assertThatThrownBy(() -> attest(token)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo(check));
  }

  @Test
  void attest_whenTheIssuerReplacesAKeyUnderTheSameKid_neverUsesTheOldKeyOnceTheSetIsFetchedAgain() throws Exception {
    String signedWithOld = token(rsa, JWSAlgorithm.RS256, null, 3600);
    RSAKey replacement = new RSAKeyGenerator(2048).keyID("k1").generate();
    publish(replacement, ec);
    // the set is kept for its time-to-live: until then the old key is the issuer's word, as before the cache
    assertThat(attest(signedWithOld).subject()).isEqualTo("user-1");
    assertRefused(token(replacement, JWSAlgorithm.RS256, null, 600), "signature");

    time.advance(OidcIdentityProvider.DEFAULT_JWKS_CACHE_TTL);

    assertThat(attest(token(replacement, JWSAlgorithm.RS256, null, 600)).subject()).isEqualTo("user-1");
    assertRefused(signedWithOld, "signature");
    assertThat(jwksRequests).hasValue(2);
  }

  @Test
  void attest_whenTheIssuerDropsAKeyAndAnUnknownKidRefreshesTheSet_refusesTokensOfTheDroppedKey() throws Exception {
    String signedWithOld = token(rsa, JWSAlgorithm.RS256, null, 3600);
    RSAKey next = new RSAKeyGenerator(2048).keyID("k2").generate();
    publish(next, ec);
    time.advance(OidcIdentityProvider.DEFAULT_JWKS_MIN_REFRESH_INTERVAL);

    // a token naming the new kid makes the cache fetch the set again: k1 is gone from it
    assertThat(attest(token(next, JWSAlgorithm.RS256, null, 600)).subject()).isEqualTo("user-1");

    assertRefused(signedWithOld, "kid");
    assertThat(jwksRequests).hasValue(2);
  }

  @Test
  void attest_whenTheKidIsUnknown_refusesItWithAWarmCache() throws Exception {
    RSAKey stranger = new RSAKeyGenerator(2048).keyID("stranger").generate();

    assertRefused(token(stranger, JWSAlgorithm.RS256, null, 600), "kid");
    // a known kid on a token signed by another key: the cached verifier of k1 refuses it
    assertRefused(token(stranger, "k1", JWSAlgorithm.RS256, null, 600), "signature");
  }

  @Test
  void attest_whenTheAlgorithmIsNotAllowedOrNotTheKeys_refusesItWithAWarmCache() throws Exception {
    // RS384 is not allowed, though the RSA key's cached verifier could check it
    assertRefused(token(rsa, JWSAlgorithm.RS384, null, 600), "alg");
    // ES256 naming the RSA key's id: no EC key under that id, so no verifier is even looked up
    assertRefused(token(ec, "k1", JWSAlgorithm.ES256, null, 600), "kid");
  }

  @Test
  void attest_whenTheTokenExpired_refusesItWithAWarmCache() throws Exception {
    String shortLived = token(rsa, JWSAlgorithm.RS256, null, 60);
    attest(shortLived);

    time.advance(Duration.ofMinutes(5));

    assertRefused(shortLived, "exp");
  }

  @Test
  void attest_whenANonceBoundTokenIsReplayed_refusesItWithAWarmCache() throws Exception {
    String stepUp = token(ec, JWSAlgorithm.ES256, "n-1", 600);
    assertThat(attest(stepUp, "n-1").subject()).isEqualTo("user-1");

    assertThatThrownBy(() -> attest(stepUp, "n-1")).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("replay"));
  }
}
