package io.agentprovision.core.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.http.RetryAfter;
import io.agentprovision.core.internal.Checks;
import io.agentprovision.core.internal.Untrusted;
import io.agentprovision.core.internal.identity.JwksCache;
import io.agentprovision.core.internal.identity.ReplayCache;
import io.agentprovision.core.internal.protocol.SecureUrls;
import io.agentprovision.core.internal.random.StripedSecureRandom;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * Attests people with OpenID Connect ID tokens from any issuer: the signature against the issuer's
 * JWKS (found by discovery or configured), then {@code iss}, {@code aud}, {@code exp}, {@code nbf},
 * {@code iat}, {@code nonce} and {@code email_verified}, all on the injected clock with a small
 * skew. The returned {@link Principal} carries {@code acr}, {@code amr} and {@code auth_time}, so
 * the engine can demand multi-factor authentication before the steps its
 * {@link SpendPolicy#requiresMfa policy} marks sensitive ({@link #requireMultiFactor}).
 *
 * <pre>{@code
 * OidcIdentityProvider identity = OidcIdentityProvider.builder()
 *     .issuer("https://accounts.example.com")     // discovery: <issuer>/.well-known/openid-configuration
 *     .audience("my-client-id")
 *     .build();
 * Principal p = identity.attest(new IdentityRequest(agent, run, Secret.of(idToken), nonce, false));
 * }</pre>
 *
 * <p>Security by construction: only the {@link #DEFAULT_ALGORITHMS asymmetric algorithms} allowed
 * are accepted ({@code alg: none} and every HMAC algorithm are refused, so a token "signed" with
 * the issuer's public key as an HMAC secret fails); only public RSA, EC and OKP keys from the JWKS
 * are used; the JWKS is cached and fetched again when a token names a key it does not have (key
 * rotation), at most once per {@link Builder#jwksMinRefreshInterval}. Failures are
 * {@link IdentityRejectedException}s naming the failed check, never the token. A JWKS or
 * discovery document that cannot be fetched is a retryable {@link ProviderException}. Thread-safe.
 *
 * <p>Also refused: a token longer than {@link Builder#maxTokenSize} (checked before parsing, check
 * {@code size}); a token signed with a JWKS key that is too weak (RSA under 2048 bits, EC off
 * P-256/P-384/P-521, OKP other than Ed25519/Ed448: such keys are ignored, check {@code key});
 * audiences per OpenID Connect Core 3.1.3.7 (an untrusted extra audience, several audiences without
 * {@code azp}, or an {@code azp} that is not this client: checks {@code aud}, {@code azp});
 * {@code email_verified} that is not the JSON boolean {@code true}; a {@code nonce} in a token where
 * none was expected (unless {@link Builder#acceptUnrequestedNonce}); and a nonce-bound token
 * presented a second time (check {@code replay}: such tokens are remembered per provider, by
 * {@code jti} or by hash, until they expire, at most {@link Builder#replayCacheSize} of them).
 * Text from the token or the issuer is quoted and escaped in every message, so a key id such as
 * {@code "x\nWARN forged"} cannot forge a log line.
 */
public final class OidcIdentityProvider implements IdentityProvider {
  /** The asymmetric algorithms accepted unless configured otherwise. */
  public static final Set<String> DEFAULT_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
      "ES256", "ES384", "ES512", "EdDSA");
  /** How far the issuer's clock may be from ours. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
  /** An ID token issued longer ago than this is refused, whatever its {@code exp}. */
  public static final Duration DEFAULT_MAX_TOKEN_AGE = Duration.ofHours(1);
  /** How long a fetched JWKS is used before it is fetched again. */
  public static final Duration DEFAULT_JWKS_CACHE_TTL = Duration.ofMinutes(10);
  /** The JWKS is fetched again for an unknown key id at most this often. */
  public static final Duration DEFAULT_JWKS_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);
  /** For a step that needs MFA, the person must have authenticated within this long ({@code auth_time}). */
  public static final Duration DEFAULT_STEP_UP_MAX_AGE = Duration.ofMinutes(15);
  /** {@code acr} values that count as multi-factor, besides the {@code amr} values of {@link Principal#DEFAULT_MFA_AMR}. */
  public static final Set<String> DEFAULT_MFA_ACR_VALUES =
      Set.of("http://schemas.openid.net/pape/policies/2007/06/multi-factor");
  /** The longest ID token accepted, in characters: checked before the token is parsed. */
  public static final int DEFAULT_MAX_TOKEN_SIZE = 16 * 1024;
  /** How many single-use (nonce-bound) tokens are remembered against replay. */
  public static final int DEFAULT_REPLAY_CACHE_SIZE = 10_000;
  /** The name used in errors about fetching the issuer's documents. */
  public static final String PROVIDER_NAME = "oidc";

  private final String issuer;
  private final Set<String> audiences;
  private final Set<String> trustedAudiences;
  private final int maxTokenSize;
  private final boolean acceptUnrequestedNonce;
  private final ReplayCache replays;
  private final @Nullable HttpUrl configuredJwksUri;
  private final Set<JWSAlgorithm> algorithms;
  private final Duration clockSkew;
  private final Duration maxTokenAge;
  private final boolean requireEmail;
  private final boolean requireEmailVerified;
  private final Set<String> mfaAcrValues;
  private final Duration stepUpMaxAge;
  private final Clock clock;
  private final Sleeper sleeper;
  private final OkHttpClient http;
  private final JwksCache jwks;
  private final DefaultJWTProcessor<SecurityContext> processor;
  private final SecureRandom random = StripedSecureRandom.SHARED;
  private volatile @Nullable HttpUrl discoveredJwksUri;

  private OidcIdentityProvider(Builder b) {
    this.issuer = Objects.requireNonNull(b.issuer);
    this.audiences = Set.copyOf(b.audiences);
    this.trustedAudiences = Set.copyOf(b.trustedAudiences);
    this.maxTokenSize = b.maxTokenSize;
    this.acceptUnrequestedNonce = b.acceptUnrequestedNonce;
    this.replays = new ReplayCache(b.replayCacheSize);
    this.configuredJwksUri = b.jwksUri;
    Set<JWSAlgorithm> algs = new LinkedHashSet<>();
    for (String a : b.algorithms) {
      algs.add(JWSAlgorithm.parse(a));
    }
    this.algorithms = Set.copyOf(algs);
    this.clockSkew = b.clockSkew;
    this.maxTokenAge = b.maxTokenAge;
    this.requireEmail = b.requireEmail;
    this.requireEmailVerified = b.requireEmailVerified;
    this.mfaAcrValues = Set.copyOf(b.mfaAcrValues);
    this.stepUpMaxAge = b.stepUpMaxAge;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    // Derived once from the stack's client for this provider: same pools, breaker and retries; no redirects.
    this.http = b.http.client(PROVIDER_NAME, b.resilience).newBuilder().followRedirects(false).build();
    this.jwks = new JwksCache(() -> get(jwksUri(), "JWKS"), b.clock, b.jwksCacheTtl, b.jwksMinRefreshInterval);
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    // nimbus's selection and verification, with each key converted and its verifier made once per fetched JWKS
    p.setJWSKeySelector(jwks.keySelector(algorithms));
    p.setJWSVerifierFactory(jwks.verifierFactory());
    // claims are checked afterwards on the injected clock, each with its own named failure
    p.setJWTClaimsSetVerifier((claims, context) -> { });
    this.processor = p;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The issuer tokens must come from. */
  public String issuer() {
    return issuer;
  }

  /** How many times the JWKS was fetched (for monitoring the cache). */
  public int jwksFetches() {
    return jwks.fetches();
  }

  @Override
  public Principal attest(IdentityRequest request) {
    Objects.requireNonNull(request, "request");
    Secret evidence = request.evidence();
    if (evidence == null) {
      throw new IdentityRejectedException("evidence", "no ID token was presented");
    }
    String raw = evidence.reveal();
    if (raw.length() > maxTokenSize) {
      // before parsing: a token of megabytes costs memory and time to decode and to verify
      throw new IdentityRejectedException("size", "the ID token is " + raw.length() + " characters long, more than the "
          + maxTokenSize + " accepted");
    }
    raw = raw.strip();
    JWTClaimsSet claims = verifySignature(raw);
    Principal p = checkClaims(claims, request.nonce());
    if (request.requireMfa()) {
      requireStrong(p);
    }
    notReplayed(claims, raw, request.nonce() != null);
    return p;
  }

  /**
   * Yes: a step-up token is checked against the request's nonce (and refused when it lacks it),
   * for MFA, and for {@code auth_time}; a nonce-bound token is good for one check only.
   */
  @Override
  public boolean supportsStepUp() {
    return true;
  }

  /** Whether the principal showed a second factor: an MFA {@code amr} value, or an MFA {@code acr}. */
  public boolean isMultiFactor(Principal principal) {
    Objects.requireNonNull(principal, "principal");
    return principal.multiFactor() || (principal.acr() != null && mfaAcrValues.contains(principal.acr()));
  }

  /**
   * Whether the principal may take a sensitive step now: multi-factor, and authenticated within
   * {@link Builder#stepUpMaxAge}.
   */
  public boolean isStrongEnough(Principal principal) {
    return isMultiFactor(principal) && fresh(principal);
  }

  /**
   * Makes sure the person may take a step that {@code policy} marks as needing MFA. When it does not
   * ({@code policy.requiresMfa(kind)} is false) or {@code current} already shows a recent second
   * factor, returns {@code current}. Otherwise asks the human for a step-up through a
   * {@link CheckpointKind#STEP_UP} checkpoint whose details carry a fresh {@code nonce}: the host
   * re-authenticates the person with MFA, sending that nonce in its authentication request, and
   * returns the new ID token as the decision's {@link ApprovalDecision#credential()}. The token must
   * verify, carry the nonce, show MFA, and name the same person.
   *
   * <pre>{@code
   * Principal strong = identity.requireMultiFactor(principal, CheckpointKind.DOMAIN_PURCHASE, policy, ctx);
   * }</pre>
   *
   * @throws IdentityRejectedException (check {@code mfa}, {@code subject} or a token check) when the
   *     step-up does not prove a second factor of the same person
   * @throws ApprovalDeniedException when the human does not complete the step-up
   */
  public Principal requireMultiFactor(Principal current, CheckpointKind kind, SpendPolicy policy, StepContext ctx) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(ctx, "ctx");
    if (!policy.requiresMfa(kind) || isStrongEnough(current)) {
      return current;
    }
    String nonce = randomNonce();
    ApprovalDecision d = ctx.checkpoint(CheckpointRequest.builder(CheckpointKind.STEP_UP,
        "Confirm it is you with a second factor", kind + " needs multi-factor authentication by policy")
        .details(Map.of("nonce", nonce, "issuer", issuer, "for", kind.name(), "acr_values",
            String.join(" ", new TreeSet<>(mfaAcrValues))))
        .build());
    Secret fresh = d.credential();
    if (fresh == null) {
      ctx.audit("identity.step_up", "rejected", Map.of("check", "credential", "for", kind.name()));
      throw new IdentityRejectedException("mfa", "the step-up returned no ID token");
    }
    Principal stepped;
    try {
      stepped = attest(new IdentityRequest(ctx.agent(), ctx.runId(), fresh, nonce, true));
    } catch (IdentityRejectedException e) {
      ctx.audit("identity.step_up", "rejected", Map.of("check", e.check(), "for", kind.name()));
      throw e;
    }
    if (!stepped.subject().equals(current.subject()) || !stepped.issuer().equals(current.issuer())) {
      ctx.audit("identity.step_up", "rejected", Map.of("check", "subject", "for", kind.name()));
      throw new IdentityRejectedException("subject", "the step-up was done by another person than the one acting");
    }
    ctx.audit("identity.step_up", "ok", Map.of("subject", stepped.subject(), "for", kind.name(),
        "amr", String.join(",", stepped.amr())));
    return stepped;
  }

  // ---------------------------------------------------------------- verification

  private JWTClaimsSet verifySignature(String raw) {
    JWT jwt;
    try {
      jwt = JWTParser.parse(raw);
    } catch (ParseException e) {
      throw new IdentityRejectedException("format", "the ID token is not a JWT");
    }
    if (jwt instanceof PlainJWT) {
      throw new IdentityRejectedException("alg", "unsigned ID tokens (alg none) are refused");
    }
    if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
      throw new IdentityRejectedException("alg", "only signed (JWS) ID tokens are accepted");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (!algorithms.contains(alg)) {
      throw new IdentityRejectedException("alg", "algorithm " + Untrusted.quote(alg) + " is not allowed; allowed: "
          + new TreeSet<>(algorithms.stream().map(JWSAlgorithm::getName).toList()));
    }
    try {
      return processor.process(signed, null);
    } catch (KeySourceException e) {
      if (e.getCause() instanceof ProviderException fetchFailed) {
        throw fetchFailed; // already typed, with the status and any Retry-After of the fetch
      }
      throw new ProviderException(PROVIDER_NAME, 0, "jwks_unavailable", null, "the keys of " + issuer
          + " could not be read: " + Untrusted.quote(Secret.scrub(e.getMessage()), 300), true, e);
    } catch (BadJOSEException e) {
      String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("no matching key") || m.contains("another algorithm expected")) {
        String kid = signed.getHeader().getKeyID();
        String weak = jwks.ignoredReason(kid);
        if (weak != null) {
          throw new IdentityRejectedException("key", "the token is signed with key " + Untrusted.quote(kid) + " of "
              + issuer + ", which is ignored: " + weak);
        }
        throw new IdentityRejectedException("kid", "no key of " + issuer + " matches the token's key id "
            + Untrusted.quote(kid) + " and algorithm " + Untrusted.quote(alg));
      }
      throw new IdentityRejectedException("signature", "the ID token's signature does not verify");
    } catch (JOSEException e) {
      throw new IdentityRejectedException("signature", "the ID token's signature could not be checked");
    }
  }

  private Principal checkClaims(JWTClaimsSet c, @Nullable String nonce) {
    Instant now = clock.instant();
    if (!issuer.equals(c.getIssuer())) {
      throw new IdentityRejectedException("iss", "issuer " + Untrusted.quote(c.getIssuer()) + " is not the configured "
          + issuer);
    }
    // OpenID Connect Core 3.1.3.7, steps 3 to 5
    List<String> aud = c.getAudience();
    if (aud == null || aud.stream().noneMatch(audiences::contains)) {
      throw new IdentityRejectedException("aud", "the token is for audience " + Untrusted.quote(aud) + ", not "
          + audiences);
    }
    for (String a : aud) {
      if (!audiences.contains(a) && !trustedAudiences.contains(a)) {
        throw new IdentityRejectedException("aud", "the token is also for audience " + Untrusted.quote(a)
            + ", which this client does not trust (Builder.trustedAudiences)");
      }
    }
    Object azpClaim = c.getClaim("azp");
    if (azpClaim != null && !(azpClaim instanceof String)) {
      throw new IdentityRejectedException("azp", "the token's azp claim is not a string");
    }
    String azp = (String) azpClaim;
    if (aud.size() > 1 && azp == null) {
      throw new IdentityRejectedException("azp", "the token names " + aud.size() + " audiences but no authorized party "
          + "(azp), so which client it was issued to cannot be told");
    }
    if (azp != null && !audiences.contains(azp)) {
      throw new IdentityRejectedException("azp", "the token was issued to the authorized party " + Untrusted.quote(azp)
          + ", not to " + audiences);
    }
    Date exp = c.getExpirationTime();
    if (exp == null) {
      throw new IdentityRejectedException("exp", "the token has no expiry");
    }
    if (!now.minus(clockSkew).isBefore(exp.toInstant())) {
      throw new IdentityRejectedException("exp", "the token expired at " + exp.toInstant());
    }
    Date nbf = c.getNotBeforeTime();
    if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
      throw new IdentityRejectedException("nbf", "the token is not valid before " + nbf.toInstant());
    }
    Date iat = c.getIssueTime();
    if (iat == null) {
      throw new IdentityRejectedException("iat", "the token has no issue time");
    }
    if (iat.toInstant().isAfter(now.plus(clockSkew))) {
      throw new IdentityRejectedException("iat", "the token was issued in the future (" + iat.toInstant()
          + "); the issuer's clock is off by more than " + clockSkew);
    }
    if (iat.toInstant().isBefore(now.minus(maxTokenAge).minus(clockSkew))) {
      throw new IdentityRejectedException("iat", "the token was issued at " + iat.toInstant() + ", more than "
          + maxTokenAge + " ago");
    }
    String subject = c.getSubject();
    if (subject == null || subject.isBlank()) {
      throw new IdentityRejectedException("sub", "the token names no subject");
    }
    Object nonceClaim = c.getClaim("nonce");
    if (nonce == null && nonceClaim != null && !acceptUnrequestedNonce) {
      throw new IdentityRejectedException("nonce", "the token carries a nonce, but none was expected here: it was "
          + "minted for another sign-in (such as a step-up) and is not this one's evidence");
    }
    if (nonce != null) {
      String got = claimString(c, "nonce");
      if (got == null || !MessageDigest.isEqual(got.getBytes(StandardCharsets.UTF_8),
          nonce.getBytes(StandardCharsets.UTF_8))) {
        throw new IdentityRejectedException("nonce", "the token's nonce is not the one sent with the authentication "
            + "request (a replayed or foreign token)");
      }
    }
    String email = claimString(c, "email");
    Object ev = c.getClaim("email_verified");
    if (ev != null && !(ev instanceof Boolean)) {
      throw new IdentityRejectedException("email_verified", "the email_verified claim is not a JSON boolean (it is "
          + Untrusted.quote(ev) + "); only true counts as verified");
    }
    boolean emailVerified = truthy(ev);
    if (email == null && requireEmail) {
      throw new IdentityRejectedException("email", "the token carries no e-mail; request the 'email' scope");
    }
    if (email != null && !emailVerified && requireEmailVerified) {
      throw new IdentityRejectedException("email_verified", "the e-mail " + Untrusted.quote(email) + " is not verified by "
          + issuer);
    }
    Set<String> verified = new HashSet<>();
    if (email != null && emailVerified) {
      verified.add("email");
    }
    if (claimString(c, "phone_number") != null && truthy(c.getClaim("phone_number_verified"))) {
      verified.add("phone");
    }
    List<String> amr = List.of();
    try {
      List<String> a = c.getStringListClaim("amr");
      if (a != null) {
        amr = a;
      }
    } catch (ParseException e) {
      throw new IdentityRejectedException("amr", "the amr claim is not a list of strings");
    }
    Instant authTime = null;
    Object at = c.getClaim("auth_time");
    if (at instanceof Number n) {
      authTime = Instant.ofEpochSecond(n.longValue());
    } else if (at instanceof Date d) {
      authTime = d.toInstant();
    }
    return Principal.builder(subject, issuer)
        .email(email, emailVerified)
        .name(claimString(c, "name"))
        .verifiedFields(verified)
        .acr(claimString(c, "acr"))
        .amr(amr)
        .authTime(authTime)
        .build();
  }

  /**
   * Refuses a token already accepted once with a nonce (a single-use token: a step-up's answer), and
   * remembers this one when it is nonce-bound, until it expires. Keyed by {@code jti} when the
   * issuer sets one, else by the token's hash. A token without a nonce, such as the host's sign-in
   * token handed to every run, may be presented again.
   */
  private void notReplayed(JWTClaimsSet c, String raw, boolean nonceBound) {
    String jti = c.getJWTID();
    String key = jti != null ? "jti:" + jti : "sha256:" + sha256(raw);
    Instant now = clock.instant();
    if (replays.seen(key, now)) {
      throw new IdentityRejectedException("replay", "this ID token was already used once; a nonce-bound token is "
          + "good for one check only");
    }
    if (nonceBound) {
      replays.record(key, c.getExpirationTime().toInstant().plus(clockSkew), now);
    }
  }

  private static String sha256(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Digests.sha256(s));
  }

  private void requireStrong(Principal p) {
    if (!isMultiFactor(p)) {
      throw new IdentityRejectedException("mfa", "multi-factor authentication is required; the token shows amr "
          + Untrusted.quote(p.amr()) + (p.acr() != null ? " and acr " + Untrusted.quote(p.acr()) : ""));
    }
    if (!fresh(p)) {
      throw new IdentityRejectedException("auth_time", p.authTime() == null
          ? "the token has no auth_time, so how recent the second factor is cannot be told"
          : "the person authenticated at " + p.authTime() + ", more than " + stepUpMaxAge + " ago");
    }
  }

  private boolean fresh(Principal p) {
    Instant at = p.authTime();
    return at != null && !at.isBefore(clock.instant().minus(stepUpMaxAge).minus(clockSkew));
  }

  private static @Nullable String claimString(JWTClaimsSet c, String name) {
    Object v = c.getClaim(name);
    return v instanceof String s ? s : null;
  }

  private static boolean truthy(@Nullable Object v) {
    return Boolean.TRUE.equals(v); // a JSON boolean only: "true" as a string is not the issuer's word
  }

  private String randomNonce() {
    byte[] b = new byte[24];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  // ---------------------------------------------------------------- documents

  private HttpUrl jwksUri() {
    if (configuredJwksUri != null) {
      return configuredJwksUri;
    }
    HttpUrl u = discoveredJwksUri;
    if (u != null) {
      return u;
    }
    HttpUrl discovery = Objects.requireNonNull(HttpUrl.parse(issuer)).newBuilder()
        .addPathSegments(".well-known/openid-configuration").build();
    String named;
    String jwks;
    try {
      Map<String, Object> doc = Json.parseObject(get(discovery, "discovery document"));
      named = Json.string(doc, "issuer");
      jwks = Json.string(doc, "jwks_uri");
    } catch (IllegalArgumentException e) {
      throw new ProviderException(PROVIDER_NAME, 200, "malformed_discovery", null, "the discovery document of "
          + issuer + " is not a JSON object with string members issuer and jwks_uri", false);
    }
    if (!issuer.equals(named)) {
      throw new ProviderException(PROVIDER_NAME, 200, "issuer_mismatch", null, "the discovery document names issuer "
          + Untrusted.quote(named) + ", not " + issuer, false);
    }
    if (jwks == null) {
      throw new ProviderException(PROVIDER_NAME, 200, "malformed_discovery", null, "the discovery document of "
          + issuer + " has no jwks_uri", false);
    }
    u = SecureUrls.require("jwks_uri", jwks);
    discoveredJwksUri = u;
    return u;
  }

  private String get(HttpUrl url, String what) {
    Request req = new Request.Builder().url(url).header("Accept", "application/json").get()
        .tag(Sleeper.class, sleeper).tag(Clock.class, clock).build();
    try (Response r = http.newCall(req).execute()) {
      ResponseBody body = r.body();
      String text = body == null ? "" : body.string();
      if (!r.isSuccessful()) {
        Duration retryAfter = RetryAfter.of(r, clock);
        throw new ProviderException(PROVIDER_NAME, r.code(), null, null, "fetching the " + what + " of " + issuer
            + " failed" + (retryAfter == null ? "" : "; retry after " + retryAfter.toSeconds() + " s"),
            ProviderException.retryableStatus(r.code()), null, retryAfter);
      }
      return text;
    } catch (IOException e) {
      throw new ProviderException(PROVIDER_NAME, 0, "network_error", null, "fetching the " + what + " of " + issuer
          + " failed: " + e.getClass().getSimpleName(), true, e);
    }
  }

  @Override
  public String toString() {
    return "OidcIdentityProvider{issuer=" + issuer + ", audiences=" + audiences + ", algorithms=" + algorithms + "}";
  }

  /** Builds an {@link OidcIdentityProvider}; setters validate and name the field. */
  public static final class Builder {
    private @Nullable String issuer;
    private Set<String> audiences = Set.of();
    private Set<String> trustedAudiences = Set.of();
    private int maxTokenSize = DEFAULT_MAX_TOKEN_SIZE;
    private int replayCacheSize = DEFAULT_REPLAY_CACHE_SIZE;
    private boolean acceptUnrequestedNonce;
    private @Nullable HttpUrl jwksUri;
    private Set<String> algorithms = DEFAULT_ALGORITHMS;
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private Duration maxTokenAge = DEFAULT_MAX_TOKEN_AGE;
    private boolean requireEmail = true;
    private boolean requireEmailVerified = true;
    private Set<String> mfaAcrValues = DEFAULT_MFA_ACR_VALUES;
    private Duration stepUpMaxAge = DEFAULT_STEP_UP_MAX_AGE;
    private Duration jwksCacheTtl = DEFAULT_JWKS_CACHE_TTL;
    private Duration jwksMinRefreshInterval = DEFAULT_JWKS_MIN_REFRESH_INTERVAL;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private ResiliencePolicy resilience = ResiliencePolicy.ofDefaults();
    private HttpStack http = HttpStack.shared();

    private Builder() {}

    /**
     * The issuer identifier, exactly as tokens carry it in {@code iss}. Required; https (or http on a
     * loopback host, for a sandbox). Unless {@link #jwksUri} is set, the JWKS is found through
     * {@code <issuer>/.well-known/openid-configuration}.
     */
    public Builder issuer(String issuer) {
      SecureUrls.require("issuer", issuer);
      this.issuer = issuer;
      return this;
    }

    /** The accepted audiences (the host's OIDC client ids). At least one is required. */
    public Builder audience(String... audiences) {
      Objects.requireNonNull(audiences, "audience");
      Set<String> s = new LinkedHashSet<>();
      for (String a : audiences) {
        if (a == null || a.isBlank()) {
          throw new InvalidRequestException("audience", "contains an empty value", "pass your OIDC client id");
        }
        s.add(a);
      }
      if (s.isEmpty()) {
        throw new InvalidRequestException("audience", "is empty", "pass your OIDC client id");
      }
      this.audiences = s;
      return this;
    }

    /**
     * Other audiences a token may name beside one of {@link #audience}'s (OpenID Connect Core
     * 3.1.3.7: a token naming an audience the client does not trust is refused). A token with more
     * than one audience must also carry {@code azp} naming this client. None by default.
     */
    public Builder trustedAudiences(String... others) {
      Objects.requireNonNull(others, "trustedAudiences");
      Set<String> s = new LinkedHashSet<>();
      for (String a : others) {
        if (a == null || a.isBlank()) {
          throw new InvalidRequestException("trustedAudiences", "contains an empty value", "pass client ids");
        }
        s.add(a);
      }
      this.trustedAudiences = s;
      return this;
    }

    /**
     * The longest ID token accepted, in characters, checked before parsing: 1 KiB to 1 MiB,
     * {@link #DEFAULT_MAX_TOKEN_SIZE} by default.
     */
    public Builder maxTokenSize(int chars) {
      if (chars < 1024 || chars > 1024 * 1024) {
        throw new InvalidRequestException("maxTokenSize", "must be 1024 to 1048576 characters (was " + chars + ")",
            "pass a size such as 16384");
      }
      this.maxTokenSize = chars;
      return this;
    }

    /**
     * How many single-use (nonce-bound) tokens are remembered, each until it expires, so that the
     * same one is refused if presented again; {@link #DEFAULT_REPLAY_CACHE_SIZE} by default. When
     * full, the entry that expires soonest gives way.
     */
    public Builder replayCacheSize(int entries) {
      if (entries < 1 || entries > 10_000_000) {
        throw new InvalidRequestException("replayCacheSize", "must be 1 to 10000000 (was " + entries + ")",
            "pass a size such as 10000");
      }
      this.replayCacheSize = entries;
      return this;
    }

    /**
     * Whether a token that carries a {@code nonce} is accepted where none was expected (default
     * false: such a token was minted for another sign-in, such as a step-up). Switch it on only when
     * the host's own sign-in sends a nonce it does not hand to the SDK; a nonce-bound token already
     * used once is refused all the same.
     */
    public Builder acceptUnrequestedNonce(boolean accept) {
      this.acceptUnrequestedNonce = accept;
      return this;
    }

    /** The JWKS location, instead of discovery. */
    public Builder jwksUri(String uri) {
      this.jwksUri = SecureUrls.require("jwksUri", uri);
      return this;
    }

    /**
     * The accepted signature algorithms, such as {@code "RS256", "ES256"}. {@code none} and the HMAC
     * algorithms are refused: the keys come from a public JWKS, and accepting HMAC would let anyone
     * holding the public key forge tokens.
     */
    public Builder allowedAlgorithms(String... names) {
      Objects.requireNonNull(names, "allowedAlgorithms");
      Set<String> s = new LinkedHashSet<>();
      for (String n : names) {
        if (n == null || n.isBlank()) {
          throw new InvalidRequestException("allowedAlgorithms", "contains an empty name", "pass names such as RS256");
        }
        if (n.equalsIgnoreCase("none")) {
          throw new InvalidRequestException("allowedAlgorithms", "'none' is never accepted", "remove it");
        }
        if (n.toUpperCase(Locale.ROOT).startsWith("HS")) {
          throw new InvalidRequestException("allowedAlgorithms", "HMAC algorithm '" + n + "' is refused for an issuer "
              + "with public keys", "use the issuer's asymmetric algorithm, such as RS256 or ES256");
        }
        if (!DEFAULT_ALGORITHMS.contains(n)) {
          throw new InvalidRequestException("allowedAlgorithms", "'" + n + "' is not a supported signature algorithm",
              "choose from " + new TreeSet<>(DEFAULT_ALGORITHMS));
        }
        s.add(n);
      }
      if (s.isEmpty()) {
        throw new InvalidRequestException("allowedAlgorithms", "is empty", "pass at least one, such as RS256");
      }
      this.algorithms = s;
      return this;
    }

    /** The clock skew tolerated on {@code exp}, {@code nbf}, {@code iat} and {@code auth_time} (0 to 5 minutes). */
    public Builder clockSkew(Duration skew) {
      Objects.requireNonNull(skew, "clockSkew");
      if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new InvalidRequestException("clockSkew", "must be 0 to 5 minutes (was " + skew + ")",
            "pass a small duration such as 60 seconds");
      }
      this.clockSkew = skew;
      return this;
    }

    /** Refuse tokens issued longer ago than this. */
    public Builder maxTokenAge(Duration age) {
      this.maxTokenAge = Checks.positive("maxTokenAge", age);
      return this;
    }

    /** Whether a token without an {@code email} claim is refused (default true). */
    public Builder requireEmail(boolean required) {
      this.requireEmail = required;
      return this;
    }

    /** Whether an e-mail must be verified ({@code email_verified: true}, default true). */
    public Builder requireEmailVerified(boolean required) {
      this.requireEmailVerified = required;
      return this;
    }

    /** The {@code acr} values that count as multi-factor. */
    public Builder mfaAcrValues(Set<String> values) {
      this.mfaAcrValues = Set.copyOf(Objects.requireNonNull(values, "mfaAcrValues"));
      return this;
    }

    /** How recent the second factor must be for a sensitive step ({@code auth_time}). */
    public Builder stepUpMaxAge(Duration age) {
      this.stepUpMaxAge = Checks.positive("stepUpMaxAge", age);
      return this;
    }

    public Builder jwksCacheTtl(Duration ttl) {
      this.jwksCacheTtl = Checks.positive("jwksCacheTtl", ttl);
      return this;
    }

    public Builder jwksMinRefreshInterval(Duration interval) {
      Objects.requireNonNull(interval, "jwksMinRefreshInterval");
      if (interval.isNegative()) {
        throw new InvalidRequestException("jwksMinRefreshInterval", "must not be negative", "pass 30 seconds");
      }
      this.jwksMinRefreshInterval = interval;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public Builder resilience(ResiliencePolicy policy) {
      this.resilience = Objects.requireNonNull(policy, "resilience");
      return this;
    }

    /**
     * The provisioner's HTTP stack, which fetches the discovery document and the JWKS (and owns their
     * retries). Without one, {@link HttpStack#shared()}.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
      return this;
    }

    public OidcIdentityProvider build() {
      if (issuer == null) {
        throw new InvalidRequestException("issuer", "is not set", "call issuer(\"https://accounts.example.com\")");
      }
      if (audiences.isEmpty()) {
        throw new InvalidRequestException("audience", "is not set", "call audience(\"your-client-id\")");
      }
      return new OidcIdentityProvider(this);
    }
  }

}
