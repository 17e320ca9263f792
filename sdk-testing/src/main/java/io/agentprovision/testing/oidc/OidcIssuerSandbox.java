package io.agentprovision.testing.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.opts.AllowWeakRSAKey;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.agentprovision.core.Secret;
import io.agentprovision.core.wire.Json;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.jspecify.annotations.Nullable;

/**
 * An OpenID Connect issuer on a loopback port: {@code /.well-known/openid-configuration} and a JWKS
 * at {@code /jwks}, with a real RSA (2048-bit, {@code RS256}) and EC (P-256, {@code ES256}) key. It
 * mints ID tokens with the claims a test chooses, rotates its keys, and mints the bad tokens of a
 * forged-token suite ({@code alg:none}, HS256 keyed with the public key, an unknown key). Time
 * comes from the injected clock, so tokens line up with a verifier on the same {@code VirtualTime}.
 *
 * <pre>{@code
 * try (OidcIssuerSandbox issuer = OidcIssuerSandbox.start(time)) {
 *   String token = issuer.idToken().subject("user-42").email("ada@example.com", true)
 *       .amr("pwd", "otp").nonce(nonce).sign();
 *   OidcIdentityProvider identity = OidcIdentityProvider.builder()
 *       .issuer(issuer.issuer()).audience(OidcIssuerSandbox.DEFAULT_AUDIENCE).clock(time).build();
 * }
 * }</pre>
 */
public final class OidcIssuerSandbox implements Closeable {
  /** The audience minted tokens carry unless told otherwise. */
  public static final String DEFAULT_AUDIENCE = "agentprovision-test-client";
  /** How long minted tokens live unless told otherwise. */
  public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(10);

  private final MockWebServer server = new MockWebServer();
  private final Clock clock;
  private final Object lock = new Object();
  private final AtomicInteger discoveryRequests = new AtomicInteger();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private final AtomicInteger generation = new AtomicInteger();
  private RSAKey rsa;
  private ECKey ec;
  private final List<JWK> retired = new ArrayList<>();
  private boolean keepRetired;
  private @Nullable RSAKey stranger;
  private @Nullable RSAKey weak;

  private OidcIssuerSandbox(Clock clock) throws IOException {
    this.clock = clock;
    this.rsa = newRsa();
    this.ec = newEc();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return handle(request);
      }
    });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  /** Starts an issuer on a loopback port, minting with {@code clock}'s time. */
  public static OidcIssuerSandbox start(Clock clock) {
    try {
      return new OidcIssuerSandbox(Objects.requireNonNull(clock, "clock"));
    } catch (IOException e) {
      throw new IllegalStateException("could not start the OIDC issuer sandbox: " + e.getMessage(), e);
    }
  }

  /** The issuer identifier, such as {@code http://127.0.0.1:50123} (no trailing slash), as tokens carry it. */
  public String issuer() {
    String u = server.url("/").toString();
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }

  /** The JWKS location. */
  public String jwksUri() {
    return server.url("/jwks").toString();
  }

  /** How many times the discovery document was read. */
  public int discoveryRequests() {
    return discoveryRequests.get();
  }

  /** How many times the JWKS was read. */
  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** The current RSA key's id. */
  public String rsaKeyId() {
    synchronized (lock) {
      return rsa.getKeyID();
    }
  }

  /** The current EC key's id. */
  public String ecKeyId() {
    synchronized (lock) {
      return ec.getKeyID();
    }
  }

  /**
   * Replaces both keys with new ones. Unless {@code keepPrevious}, the JWKS stops serving the old
   * keys at once, so tokens signed with them no longer verify.
   */
  public void rotateKeys(boolean keepPrevious) {
    synchronized (lock) {
      if (keepPrevious) {
        retired.add(rsa.toPublicJWK());
        retired.add(ec.toPublicJWK());
      } else {
        retired.clear();
      }
      keepRetired = keepPrevious;
      rsa = newRsa();
      ec = newEc();
    }
  }

  /** {@link #rotateKeys(boolean) rotateKeys(false)}. */
  public void rotateKeys() {
    rotateKeys(false);
  }

  /** A new ID token with the defaults: subject {@code user-1}, verified {@code ada@example.com}, {@code amr [pwd]}, RS256. */
  public IdToken idToken() {
    return new IdToken();
  }

  @Override
  public void close() {
    server.close();
  }

  private MockResponse handle(RecordedRequest r) {
    String path = r.getUrl().encodedPath();
    if (path.equals("/.well-known/openid-configuration")) {
      discoveryRequests.incrementAndGet();
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("issuer", issuer());
      doc.put("jwks_uri", jwksUri());
      doc.put("authorization_endpoint", server.url("/authorize").toString());
      doc.put("token_endpoint", server.url("/token").toString());
      doc.put("response_types_supported", List.of("code"));
      doc.put("subject_types_supported", List.of("public"));
      doc.put("id_token_signing_alg_values_supported", List.of("RS256", "ES256"));
      doc.put("claims_supported", List.of("sub", "email", "email_verified", "name", "acr", "amr", "auth_time", "nonce"));
      return json(doc);
    }
    if (path.equals("/jwks")) {
      jwksRequests.incrementAndGet();
      List<JWK> keys = new ArrayList<>();
      synchronized (lock) {
        keys.add(rsa.toPublicJWK());
        keys.add(ec.toPublicJWK());
        if (keepRetired) {
          keys.addAll(retired);
        }
        if (weak != null) {
          keys.add(weak.toPublicJWK());
        }
      }
      return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/jwk-set+json")
          .body(new JWKSet(keys).toString(true)).build();
    }
    return new MockResponse.Builder().code(404).body("not found").build();
  }

  private static MockResponse json(Object body) {
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(Json.write(body))
        .build();
  }

  /**
   * The issuer's 1024-bit RSA key, which the JWKS serves from the first call on (under key id
   * {@code weak-rsa}): an issuer that publishes a key too short to trust. Generated once.
   */
  private RSAKey weakKey() throws JOSEException {
    synchronized (lock) {
      if (weak == null) {
        weak = new RSAKeyGenerator(1024, true).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).keyID("weak-rsa")
            .generate();
      }
      return weak;
    }
  }

  /** A key the JWKS never serves; generated once, as RSA key generation is slow. */
  private RSAKey strangerKey() throws JOSEException {
    synchronized (lock) {
      if (stranger == null) {
        stranger = new RSAKeyGenerator(2048).keyID("unknown-" + generation.get()).generate();
      }
      return stranger;
    }
  }

  private RSAKey newRsa() {
    try {
      return new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256)
          .keyID("rsa-" + generation.incrementAndGet()).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private ECKey newEc() {
    try {
      return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
          .keyID("ec-" + generation.get()).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An ID token being minted; every setter returns this. */
  public final class IdToken {
    private String issuer = OidcIssuerSandbox.this.issuer();
    private String subject = "user-1";
    private List<String> audience = List.of(DEFAULT_AUDIENCE);
    private @Nullable String email = "ada@example.com";
    private @Nullable Object emailVerified = Boolean.TRUE;
    private @Nullable String name = "Ada Lovelace";
    private List<String> amr = List.of("pwd");
    private @Nullable String acr;
    private @Nullable String nonce;
    private Instant issuedAt = clock.instant();
    private @Nullable Instant expiresAt;
    private @Nullable Instant notBefore;
    private @Nullable Instant authTime = clock.instant();
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private JWSAlgorithm algorithm = JWSAlgorithm.RS256;
    private @Nullable String kid;

    private IdToken() {}

    public IdToken issuer(String iss) {
      this.issuer = iss;
      return this;
    }

    public IdToken subject(String sub) {
      this.subject = sub;
      return this;
    }

    public IdToken audience(String... aud) {
      this.audience = List.of(aud);
      return this;
    }

    /** The e-mail and whether it is verified; null for none. */
    public IdToken email(@Nullable String address, boolean verified) {
      this.email = address;
      this.emailVerified = address == null ? null : verified;
      return this;
    }

    /** Sets {@code email_verified} to any JSON value, or removes it with null. */
    public IdToken emailVerifiedClaim(@Nullable Object value) {
      this.emailVerified = value;
      return this;
    }

    public IdToken name(@Nullable String n) {
      this.name = n;
      return this;
    }

    public IdToken amr(String... methods) {
      this.amr = List.of(methods);
      return this;
    }

    public IdToken acr(@Nullable String value) {
      this.acr = value;
      return this;
    }

    public IdToken nonce(@Nullable String value) {
      this.nonce = value;
      return this;
    }

    public IdToken issuedAt(Instant at) {
      this.issuedAt = at;
      return this;
    }

    public IdToken expiresAt(Instant at) {
      this.expiresAt = at;
      return this;
    }

    public IdToken notBefore(@Nullable Instant at) {
      this.notBefore = at;
      return this;
    }

    public IdToken authTime(@Nullable Instant at) {
      this.authTime = at;
      return this;
    }

    /** Any other claim. */
    public IdToken claim(String claimName, @Nullable Object value) {
      extra.put(claimName, value);
      return this;
    }

    /** {@code RS256} (default), {@code RS384}, {@code RS512}, {@code PS256}: the RSA key; {@code ES256}: the EC key. */
    public IdToken algorithm(String alg) {
      this.algorithm = JWSAlgorithm.parse(alg);
      return this;
    }

    /** Overrides the {@code kid} header. */
    public IdToken keyId(String keyId) {
      this.kid = keyId;
      return this;
    }

    public JWTClaimsSet claims() {
      JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
          .issuer(issuer)
          .subject(subject)
          .audience(audience)
          .issueTime(Date.from(issuedAt))
          .expirationTime(Date.from(expiresAt != null ? expiresAt : issuedAt.plus(DEFAULT_TOKEN_LIFETIME)));
      if (notBefore != null) {
        b.notBeforeTime(Date.from(notBefore));
      }
      if (email != null) {
        b.claim("email", email);
      }
      if (emailVerified != null) {
        b.claim("email_verified", emailVerified);
      }
      if (name != null) {
        b.claim("name", name);
      }
      b.claim("amr", amr);
      if (acr != null) {
        b.claim("acr", acr);
      }
      if (nonce != null) {
        b.claim("nonce", nonce);
      }
      if (authTime != null) {
        b.claim("auth_time", authTime.getEpochSecond());
      }
      for (Map.Entry<String, Object> e : extra.entrySet()) {
        b.claim(e.getKey(), e.getValue());
      }
      return b.build();
    }

    /** Signs with the issuer's current key for the algorithm. */
    public String sign() {
      try {
        synchronized (lock) {
          boolean isEc = JWSAlgorithm.Family.EC.contains(algorithm);
          JWSSigner signer = isEc ? new ECDSASigner(ec) : new RSASSASigner(rsa);
          String keyId = kid != null ? kid : (isEc ? ec.getKeyID() : rsa.getKeyID());
          return signWith(signer, keyId);
        }
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    /** {@link #sign()} as a {@link Secret}, as an identity request carries it. */
    public Secret signSecret() {
      return Secret.of(sign());
    }

    /** Forged: an unsigned token, {@code alg: none}. */
    public String signAlgNone() {
      return new PlainJWT(claims()).serialize();
    }

    /**
     * Forged: {@code HS256} with the issuer's RSA public key (its DER encoding) as the HMAC secret,
     * and the RSA key's {@code kid} — the classic algorithm-confusion attack.
     */
    public String signHs256WithPublicKey() {
      try {
        RSAKey key;
        synchronized (lock) {
          key = rsa;
        }
        byte[] publicKey = key.toRSAPublicKey().getEncoded();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID())
            .type(JOSEObjectType.JWT).build(), claims());
        jwt.sign(new MACSigner(publicKey));
        return jwt.serialize();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Forged: signed with a fresh RSA key the JWKS does not have, under a {@code kid} it does not know. */
    public String signWithUnknownKey() {
      try {
        RSAKey key = strangerKey();
        return signWith(new RSASSASigner(key), kid != null ? kid : key.getKeyID());
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * Signed with a 1024-bit RSA key that the issuer's JWKS also serves (key id {@code weak-rsa}):
     * a real signature under a key too weak to trust.
     */
    public String signWithWeakRsaKey() {
      try {
        RSAKey key = weakKey();
        return signWith(new RSASSASigner(key, java.util.Set.of(AllowWeakRSAKey.getInstance())), key.getKeyID());
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Signs with the issuer's current key, as {@link #sign()}, but with {@code keyId} in the header. */
    public String signWithKeyId(String keyId) {
      this.kid = keyId;
      return sign();
    }

    /** Forged: signed with another RSA key but naming the issuer's current {@code kid}. */
    public String signWithWrongKeySameKid() {
      try {
        return signWith(new RSASSASigner(strangerKey()), rsaKeyId());
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    private String signWith(JWSSigner signer, String keyId) throws JOSEException {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).type(JOSEObjectType.JWT).build(),
          claims());
      jwt.sign(signer);
      return jwt.serialize();
    }
  }
}
