package io.agentprovision.core.internal.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.Key;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JwksCacheTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  @Test
  void get_whenTheJwksHoldsWeakOrOffCurveKeys_keepsOnlyTheStrongOnes() throws Exception {
    JWK weakRsa = new RSAKeyGenerator(1024, true).keyID("weak-rsa").generate();
    JWK rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
    // the JDK no longer generates secp256k1 keys: its generator point is a valid public key
    JWK k256 = new ECKey.Builder(Curve.SECP256K1,
        Base64URL.encode(HexFormat.of().parseHex("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798")),
        Base64URL.encode(HexFormat.of().parseHex("483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8")))
        .keyID("k256").build();
    JWK p384 = new ECKeyGenerator(Curve.P_384).keyID("p384").generate();
    // public OKP keys are 32 bytes; their value does not matter to which curves are kept
    JWK x25519 = new OctetKeyPair.Builder(Curve.X25519, Base64URL.encode(new byte[32])).keyID("x25519").build();
    JWK ed25519 = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(new byte[32])).keyID("ed25519").build();
    String doc = new JWKSet(List.of(weakRsa, rsa, k256, p384, x25519, ed25519)).toPublicJWKSet().toString();
    JwksCache cache = new JwksCache(() -> doc, clock, Duration.ofMinutes(10), Duration.ofSeconds(30));

    List<JWK> usable = cache.get(new JWKSelector(new JWKMatcher.Builder().build()), null);

    assertThat(usable).extracting(JWK::getKeyID).containsExactlyInAnyOrder("rsa", "p384", "ed25519");
    assertThat(cache.ignoredReason("weak-rsa")).contains("1024 bits").contains("2048");
    assertThat(cache.ignoredReason("k256")).contains("secp256k1");
    assertThat(cache.ignoredReason("x25519")).contains("X25519");
    assertThat(cache.ignoredReason("rsa")).isNull();
  }

  @Test
  void verifierFactory_keepsOneVerifierPerKeyOfTheSetAndNoneAcrossAFetch() throws Exception {
    JWK rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    String[] doc = {new JWKSet(rsa).toPublicJWKSet().toString()};
    ManualClock time = new ManualClock();
    JwksCache cache = new JwksCache(() -> doc[0], time, Duration.ofMinutes(10), Duration.ofSeconds(30));
    JWSVerificationKeySelector<SecurityContext> selector = cache.keySelector(Set.of(JWSAlgorithm.RS256));
    JWSVerifierFactory verifiers = cache.verifierFactory();
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build();

    Key first = selector.selectJWSKeys(header, null).get(0);
    JWSVerifier v = verifiers.createJWSVerifier(header, first);

    assertThat(selector.selectJWSKeys(header, null)).containsExactly(first); // converted once
    assertThat(verifiers.createJWSVerifier(header, first)).isSameAs(v);
    // the issuer replaces k1 under the same id; the set is fetched again once its time-to-live passed
    doc[0] = new JWKSet(new RSAKeyGenerator(2048).keyID("k1").generate()).toPublicJWKSet().toString();
    time.now = time.now.plus(Duration.ofMinutes(10));
    Key second = selector.selectJWSKeys(header, null).get(0);

    assertThat(second).isNotEqualTo(first);
    assertThat(verifiers.createJWSVerifier(header, second)).isNotSameAs(v);
    // a key of the earlier set is no longer the cache's: its verifier is made anew and not kept
    JWSVerifier stale = verifiers.createJWSVerifier(header, first);
    assertThat(stale).isNotSameAs(v).isNotSameAs(verifiers.createJWSVerifier(header, first));
    assertThat(cache.fetches()).isEqualTo(2);
  }

  @Test
  void keySelector_whenTheAlgorithmIsNotAllowed_selectsNoKeyWithoutFetching() throws Exception {
    JWK rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    String doc = new JWKSet(rsa).toPublicJWKSet().toString();
    JwksCache cache = new JwksCache(() -> doc, clock, Duration.ofMinutes(10), Duration.ofSeconds(30));

    assertThat(cache.keySelector(Set.of(JWSAlgorithm.ES256))
        .selectJWSKeys(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), null)).isEmpty();
    assertThat(cache.fetches()).isZero();
  }

  /** A clock the test moves. */
  private static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
