package io.agentprovision.core.internal.identity;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An issuer's JWKS, cached for a time-to-live on the injected clock. When no cached key matches (the
 * issuer rotated its keys) the set is fetched again at once, but no more often than the minimum
 * refresh interval, so a flood of tokens with made-up key ids cannot make us hammer the issuer.
 * Only public asymmetric keys are kept: a symmetric ({@code oct}) key in a JWKS is dropped, so an
 * HMAC token can never verify against it.
 */
public final class JwksCache implements JWKSource<SecurityContext> {
  private static final Set<KeyType> ASYMMETRIC = Set.of(KeyType.RSA, KeyType.EC, KeyType.OKP);

  private final Supplier<String> fetch;
  private final Clock clock;
  private final Duration ttl;
  private final Duration minRefreshInterval;
  private @Nullable JWKSet keys;
  private @Nullable Instant fetchedAt;
  private int fetches;

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

  /** How many times the JWKS was fetched. */
  public synchronized int fetches() {
    return fetches;
  }

  private void load(Instant now) throws KeySourceException {
    String text;
    try {
      text = fetch.get();
    } catch (RuntimeException e) {
      throw new KeySourceException("the issuer's JWKS could not be fetched: " + e.getMessage(), e);
    }
    fetches++;
    JWKSet parsed;
    try {
      parsed = JWKSet.parse(text);
    } catch (ParseException e) {
      throw new KeySourceException("the issuer's JWKS is not a JWK set: " + e.getMessage(), e);
    }
    List<JWK> kept = new ArrayList<>();
    for (JWK k : parsed.getKeys()) {
      if (ASYMMETRIC.contains(k.getKeyType())) {
        JWK pub = k.toPublicJWK();
        if (pub != null) {
          kept.add(pub);
        }
      }
    }
    keys = new JWKSet(kept);
    fetchedAt = now;
  }
}
