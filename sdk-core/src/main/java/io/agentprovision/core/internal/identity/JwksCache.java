package io.agentprovision.core.internal.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyConverter;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.proc.SecurityContext;
import io.agentprovision.core.internal.Untrusted;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An issuer's JWKS, cached for a time-to-live on the injected clock. When no cached key matches (the
 * issuer rotated its keys) the set is fetched again at once, but no more often than the minimum
 * refresh interval, so a flood of tokens with made-up key ids cannot make us hammer the issuer.
 * Only public asymmetric keys of adequate strength are kept: a symmetric ({@code oct}) key in a
 * JWKS is dropped, so an HMAC token can never verify against it; so are RSA keys shorter than
 * {@value #MIN_RSA_BITS} bits, EC keys on curves other than P-256, P-384 and P-521, and OKP keys
 * other than Ed25519 and Ed448. A token signed with a dropped key finds no key and is refused;
 * {@link #ignoredReason} tells why its key was not used.
 *
 * <p>Each kept key is converted to its Java {@link Key} once, when the set is fetched, and the
 * signature verifier for it made on its first use and kept ({@link #keySelector}, {@link
 * #verifierFactory}): nimbus's own selector and factory do both again for every token. Both belong
 * to the set they were made from and go with it: a set fetched again (its time-to-live passed, or a
 * token named a key it did not have) starts with none, so a key the issuer dropped or replaced under
 * the same id is never used again.
 */
public final class JwksCache implements JWKSource<SecurityContext> {
  /** The shortest RSA modulus accepted (NIST SP 800-57, and what nimbus itself demands for signing). */
  public static final int MIN_RSA_BITS = 2048;
  private static final Set<KeyType> ASYMMETRIC = Set.of(KeyType.RSA, KeyType.EC, KeyType.OKP);
  private static final Set<Curve> EC_CURVES = Set.of(Curve.P_256, Curve.P_384, Curve.P_521);
  private static final Set<Curve> OKP_CURVES = Set.of(Curve.Ed25519, Curve.Ed448);
  private static final DefaultJWSVerifierFactory VERIFIERS = new DefaultJWSVerifierFactory();

  private final Supplier<String> fetch;
  private final Clock clock;
  private final Duration ttl;
  private final Duration minRefreshInterval;
  private @Nullable JWKSet keys;
  /** The set last fetched, with its keys converted; replaced (never changed) by each fetch. */
  private volatile @Nullable Generation current;
  private @Nullable Instant fetchedAt;
  private int fetches;
  private Map<String, String> ignored = Map.of();

  /**
   * @param fetch reads the JWKS document (throws on failure)
   */
  public JwksCache(Supplier<String> fetch, Clock clock, Duration ttl, Duration minRefreshInterval) {
    this.fetch = fetch;
    this.clock = clock;
    this.ttl = ttl;
    this.minRefreshInterval = minRefreshInterval;
  }

  @Override
  public synchronized List<JWK> get(JWKSelector selector, @Nullable SecurityContext context) throws KeySourceException {
    Instant now = clock.instant();
    if (keys == null || fetchedAt == null || !now.isBefore(fetchedAt.plus(ttl))) {
      load(now);
    }
    List<JWK> found = selector.select(keys);
    if (found.isEmpty() && fetchedAt != null && !now.isBefore(fetchedAt.plus(minRefreshInterval))) {
      load(now);
      found = selector.select(keys);
    }
    return found;
  }

  /**
   * The Java public keys of the cached set that {@code selector} matches, as nimbus's selector would
   * convert them (a key it cannot convert is left out), fetching the set when {@link #get} would.
   */
  public synchronized List<Key> publicKeys(JWKSelector selector) throws KeySourceException {
    List<JWK> found = get(selector, null);
    Generation g = current;
    List<Key> out = new ArrayList<>(found.size());
    for (JWK k : found) {
      Key j = g == null ? null : g.javaKeys.get(k);
      if (j != null) {
        out.add(j);
      }
    }
    return out;
  }

  /**
   * A key selector for tokens signed with one of {@code algorithms}: nimbus's
   * {@link JWSVerificationKeySelector} (the algorithm allowed, the key matched by type, id, use and
   * operations), with the keys taken already converted from the cached set.
   */
  public JWSVerificationKeySelector<SecurityContext> keySelector(Set<JWSAlgorithm> algorithms) {
    return new JWSVerificationKeySelector<>(algorithms, this) {
      @Override
      public List<Key> selectJWSKeys(JWSHeader header, @Nullable SecurityContext context) throws KeySourceException {
        if (!isAllowed(header.getAlgorithm())) {
          return List.of();
        }
        JWKMatcher m = createJWKMatcher(header);
        return m == null ? List.of() : publicKeys(new JWKSelector(m));
      }
    };
  }

  /**
   * A verifier factory that makes nimbus's verifier for a key of the current set once and hands the
   * same one out again (nimbus's verifiers are thread-safe); for any other key, or an algorithm the
   * kept verifier does not support, it makes a new one as nimbus's own factory does.
   */
  public JWSVerifierFactory verifierFactory() {
    return new JWSVerifierFactory() {
      @Override
      public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
        Generation g = current;
        if (g == null || !g.owns(key)) {
          return VERIFIERS.createJWSVerifier(header, key);
        }
        JWSVerifier v = g.verifiers.get(key);
        if (v == null || !v.supportedJWSAlgorithms().contains(header.getAlgorithm())) {
          v = VERIFIERS.createJWSVerifier(header, key);
          g.verifiers.put(key, v);
        }
        return v;
      }

      @Override
      public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return VERIFIERS.supportedJWSAlgorithms();
      }

      @Override
      public JCAContext getJCAContext() {
        return VERIFIERS.getJCAContext();
      }
    };
  }

  /** Why the key with id {@code kid} in the last JWKS fetched is not used, or null when it is not known as ignored. */
  public synchronized @Nullable String ignoredReason(@Nullable String kid) {
    return kid == null ? null : ignored.get(kid);
  }

  /** How many times the JWKS was fetched. */
  public synchronized int fetches() {
    return fetches;
  }

  private void load(Instant now) throws KeySourceException {
    String text;
    try {
      text = fetch.get();
    } catch (RuntimeException e) {
      throw new KeySourceException("the issuer's JWKS could not be fetched: " + Untrusted.quote(e.getMessage()), e);
    }
    fetches++;
    JWKSet parsed;
    try {
      parsed = JWKSet.parse(text);
    } catch (ParseException e) {
      throw new KeySourceException("the issuer's JWKS is not a JWK set: " + Untrusted.quote(e.getMessage()), e);
    }
    List<JWK> kept = new ArrayList<>();
    Map<String, String> dropped = new HashMap<>();
    for (JWK k : parsed.getKeys()) {
      if (!ASYMMETRIC.contains(k.getKeyType())) {
        continue;
      }
      String weak = weakness(k);
      if (weak != null) {
        if (k.getKeyID() != null) {
          dropped.put(k.getKeyID(), weak);
        }
        continue;
      }
      JWK pub = k.toPublicJWK();
      if (pub != null) {
        kept.add(pub);
      }
    }
    keys = new JWKSet(kept);
    current = new Generation(keys);
    ignored = Map.copyOf(dropped);
    fetchedAt = now;
  }

  /** One fetched set: each of its keys converted to a Java key once, and the verifiers made for them. */
  private static final class Generation {
    private final Map<JWK, Key> javaKeys = new IdentityHashMap<>();
    private final Set<Key> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Key, JWSVerifier> verifiers = new ConcurrentHashMap<>();

    Generation(JWKSet set) {
      for (JWK k : set.getKeys()) {
        // the conversion nimbus's selector makes per token (an OKP key has no Java form there and is left out)
        List<Key> converted = KeyConverter.toJavaKeys(List.of(k));
        if (!converted.isEmpty() && converted.get(0) instanceof java.security.PublicKey) {
          javaKeys.put(k, converted.get(0));
          owned.add(converted.get(0));
        }
      }
    }

    /** Whether {@code key} is one of this set's own converted keys (the very object, not an equal one). */
    boolean owns(Key key) {
      return owned.contains(key);
    }
  }

  /** Why a key is too weak to verify with, or null when it is strong enough. */
  static @Nullable String weakness(JWK k) {
    if (k instanceof RSAKey rsa && rsa.size() < MIN_RSA_BITS) {
      return "an RSA key of " + rsa.size() + " bits, shorter than the " + MIN_RSA_BITS + " required";
    }
    if (k instanceof ECKey ec && !EC_CURVES.contains(ec.getCurve())) {
      return "an EC key on curve " + Untrusted.quote(ec.getCurve()) + ", not P-256, P-384 or P-521";
    }
    if (k instanceof OctetKeyPair okp && !OKP_CURVES.contains(okp.getCurve())) {
      return "an OKP key on curve " + Untrusted.quote(okp.getCurve()) + ", not Ed25519 or Ed448";
    }
    return null;
  }
}
