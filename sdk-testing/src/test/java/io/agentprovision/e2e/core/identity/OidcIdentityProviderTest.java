package io.agentprovision.e2e.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.oidc.OidcIssuerSandbox;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link OidcIdentityProvider} against a real-crypto loopback issuer: verification, forged tokens, keys, MFA. */
class OidcIdentityProviderTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final VirtualTime time = VirtualTime.create();
  private OidcIssuerSandbox issuer;
  private OidcIdentityProvider identity;

  @BeforeEach
  void start() {
    issuer = OidcIssuerSandbox.start(time);
    identity = builder().build();
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  private OidcIdentityProvider.Builder builder() {
    return OidcIdentityProvider.builder().issuer(issuer.issuer()).audience(OidcIssuerSandbox.DEFAULT_AUDIENCE)
        .clock(time).sleeper(time);
  }

  private Principal attest(String token, String nonce, boolean mfa) {
    return identity.attest(new IdentityRequest(AGENT, null, Secret.of(token), nonce, mfa));
  }

  private Principal attest(String token) {
    return attest(token, null, false);
  }

  // ---------------------------------------------------------------- valid tokens

  @Test
  void attest_whenRs256TokenIsValid_returnsThePrincipalWithAuthStrength() {
    Instant authAt = time.instant().minusSeconds(30);
    String token = issuer.idToken().subject("user-42").email("ada@example.com", true).name("Ada")
        .amr("pwd", "otp").acr("urn:example:loa:2").authTime(authAt).nonce("n-1")
        .claim("phone_number", "+15550100").claim("phone_number_verified", true).sign();

    Principal p = attest(token, "n-1", false);

    assertThat(p.subject()).isEqualTo("user-42");
    assertThat(p.issuer()).isEqualTo(issuer.issuer());
    assertThat(p.email()).isEqualTo("ada@example.com");
    assertThat(p.emailVerified()).isTrue();
    assertThat(p.name()).isEqualTo("Ada");
    assertThat(p.amr()).containsExactly("pwd", "otp");
    assertThat(p.acr()).isEqualTo("urn:example:loa:2");
    assertThat(p.authTime()).isEqualTo(authAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    assertThat(p.verifiedFields()).containsExactlyInAnyOrder("email", "phone");
    assertThat(identity.isMultiFactor(p)).isTrue();
  }

  @Test
  void attest_whenEs256TokenIsValid_acceptsIt() {
    assertThat(attest(issuer.idToken().algorithm("ES256").sign()).subject()).isEqualTo("user-1");
  }

  @Test
  void attest_whenCalledRepeatedly_discoversOnceAndCachesTheJwks() {
    attest(issuer.idToken().sign());
    attest(issuer.idToken().algorithm("ES256").sign());
    attest(issuer.idToken().subject("user-2").sign());

    assertThat(issuer.discoveryRequests()).isEqualTo(1);
    assertThat(issuer.jwksRequests()).isEqualTo(1);
  }

  @Test
  void attest_whenJwksUriConfigured_skipsDiscovery() {
    identity = builder().jwksUri(issuer.jwksUri()).build();

    attest(issuer.idToken().sign());

    assertThat(issuer.discoveryRequests()).isZero();
    assertThat(issuer.jwksRequests()).isEqualTo(1);
  }

  @Test
  void attest_whenCacheTtlPasses_fetchesTheJwksAgain() {
    attest(issuer.idToken().sign());
    time.advance(OidcIdentityProvider.DEFAULT_JWKS_CACHE_TTL);

    attest(issuer.idToken().sign());

    assertThat(issuer.jwksRequests()).isEqualTo(2);
  }

  @Test
  void attest_whenIssuerRotatedKeys_fetchesTheNewKeysAndAcceptsNewTokens() {
    attest(issuer.idToken().sign());
    String oldKeyToken = issuer.idToken().sign();
    issuer.rotateKeys();
    time.advance(OidcIdentityProvider.DEFAULT_JWKS_MIN_REFRESH_INTERVAL);

    Principal p = attest(issuer.idToken().sign());

    assertThat(p.subject()).isEqualTo("user-1");
    assertThat(issuer.jwksRequests()).isEqualTo(2);
    assertThatThrownBy(() -> attest(oldKeyToken)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("kid"));
  }

  @Test
  void attest_whenManyUnknownKeyIds_refetchesAtMostOncePerInterval() {
    attest(issuer.idToken().sign());
    time.advance(OidcIdentityProvider.DEFAULT_JWKS_MIN_REFRESH_INTERVAL);

    for (int i = 0; i < 5; i++) {
      String forged = issuer.idToken().signWithUnknownKey();
      assertThatThrownBy(() -> attest(forged)).isInstanceOf(IdentityRejectedException.class);
    }

    assertThat(issuer.jwksRequests()).isEqualTo(2);
  }

  // ---------------------------------------------------------------- forged tokens

  static Stream<Arguments> forgedTokens() {
    return Stream.of(
        Arguments.of("alg none", "alg", (Function<OidcIssuerSandbox, String>) i -> i.idToken().signAlgNone()),
        Arguments.of("HS256 keyed with the public key", "alg",
            (Function<OidcIssuerSandbox, String>) i -> i.idToken().signHs256WithPublicKey()),
        Arguments.of("wrong issuer", "iss",
            (Function<OidcIssuerSandbox, String>) i -> i.idToken().issuer("https://evil.example.com").sign()),
        Arguments.of("wrong audience", "aud",
            (Function<OidcIssuerSandbox, String>) i -> i.idToken().audience("someone-else").sign()),
        Arguments.of("expired", "exp", (Function<OidcIssuerSandbox, String>) i -> i.idToken()
            .issuedAt(VirtualTime.DEFAULT_START.minusSeconds(900)).expiresAt(VirtualTime.DEFAULT_START.minusSeconds(120))
            .sign()),
        Arguments.of("not yet valid", "nbf", (Function<OidcIssuerSandbox, String>) i -> i.idToken()
            .notBefore(VirtualTime.DEFAULT_START.plusSeconds(600)).sign()),
        Arguments.of("issued in the future", "iat", (Function<OidcIssuerSandbox, String>) i -> i.idToken()
            .issuedAt(VirtualTime.DEFAULT_START.plusSeconds(600)).expiresAt(VirtualTime.DEFAULT_START.plusSeconds(1200))
            .sign()),
        Arguments.of("issued too long ago", "iat", (Function<OidcIssuerSandbox, String>) i -> i.idToken()
            .issuedAt(VirtualTime.DEFAULT_START.minus(Duration.ofHours(3)))
            .expiresAt(VirtualTime.DEFAULT_START.plus(Duration.ofHours(1))).sign()),
        Arguments.of("unknown kid", "kid", (Function<OidcIssuerSandbox, String>) i -> i.idToken().signWithUnknownKey()),
        Arguments.of("another key under the issuer's kid", "signature",
            (Function<OidcIssuerSandbox, String>) i -> i.idToken().signWithWrongKeySameKid()),
        Arguments.of("wrong nonce", "nonce", (Function<OidcIssuerSandbox, String>) i -> i.idToken().nonce("replayed")
            .sign()),
        Arguments.of("missing nonce", "nonce", (Function<OidcIssuerSandbox, String>) i -> i.idToken().nonce(null).sign()),
        Arguments.of("e-mail not verified", "email_verified",
            (Function<OidcIssuerSandbox, String>) i -> i.idToken().email("eve@example.com", false).sign()),
        Arguments.of("no e-mail", "email", (Function<OidcIssuerSandbox, String>) i -> i.idToken().email(null, false)
            .sign()),
        Arguments.of("tampered claims", "signature", (Function<OidcIssuerSandbox, String>) i -> tamper(i.idToken()
            .sign())),
        Arguments.of("not a JWT", "format", (Function<OidcIssuerSandbox, String>) i -> "definitely-not-a-jwt"));
  }

  private static String tamper(String jwt) {
    String[] parts = jwt.split("\\.");
    String claims = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), java.nio.charset.StandardCharsets.UTF_8)
        .replace("user-1", "admin");
    return parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString(claims.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "." + parts[2];
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgedTokens")
  void attest_whenTokenIsForged_rejectsNamingTheCheckNeverTheToken(String name, String check,
      Function<OidcIssuerSandbox, String> forge) {
    String token = forge.apply(issuer);

    // the nonce check is only under test for the nonce cases: everything else is checked without one
    String nonce = check.equals("nonce") ? "expected-nonce" : null;
    assertThatThrownBy(() -> attest(token, nonce, false)).isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
      assertThat(e.check()).isEqualTo(check);
      assertThat(e.getMessage()).doesNotContain(token);
    });
  }

  @Test
  void attest_whenNoEvidence_isRejected() {
    assertThatThrownBy(() -> identity.attest(new IdentityRequest(AGENT, null, null, null, false)))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("evidence"));
  }

  @Test
  void attest_whenSkewIsWithinTolerance_acceptsSlightlyExpiredToken() {
    String token = issuer.idToken().issuedAt(time.instant().minusSeconds(700))
        .expiresAt(time.instant().minusSeconds(30)).sign();

    assertThat(attest(token).subject()).isEqualTo("user-1");
  }

  // ---------------------------------------------------------------- hardening (each was accepted before)

  @Test
  void attest_whenEmailVerifiedIsTheStringTrue_refusesIt() {
    assertThatThrownBy(() -> attest(issuer.idToken().emailVerifiedClaim("true").sign()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
          assertThat(e.check()).isEqualTo("email_verified");
          assertThat(e.getMessage()).contains("not a JSON boolean");
        });
    assertThatThrownBy(() -> attest(issuer.idToken().emailVerifiedClaim(1).sign()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("email_verified"));
    assertThat(attest(issuer.idToken().emailVerifiedClaim(true).sign()).emailVerified()).isTrue();
  }

  @Test
  void attest_whenSignedWithAWeakRsaKeyTheIssuerPublishes_refusesIt() {
    String token = issuer.idToken().signWithWeakRsaKey();

    assertThatThrownBy(() -> attest(token)).isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
      assertThat(e.check()).isEqualTo("key");
      assertThat(e.getMessage()).contains("\"weak-rsa\"").contains("1024 bits");
    });
    assertThat(attest(issuer.idToken().sign()).subject()).as("the issuer's strong keys still work").isEqualTo("user-1");
  }

  @Test
  void attest_whenSeveralAudiencesAndNoAzp_refusesIt() {
    String twoAudiences = issuer.idToken().audience(OidcIssuerSandbox.DEFAULT_AUDIENCE, "other-client").sign();

    assertThatThrownBy(() -> attest(twoAudiences)).as("an audience this client does not trust")
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
          assertThat(e.check()).isEqualTo("aud");
          assertThat(e.getMessage()).contains("\"other-client\"");
        });
    identity = builder().trustedAudiences("other-client").build();
    assertThatThrownBy(() -> attest(twoAudiences)).as("trusted, but no azp says which client it was issued to")
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("azp"));
    assertThat(attest(issuer.idToken().audience(OidcIssuerSandbox.DEFAULT_AUDIENCE, "other-client")
        .claim("azp", OidcIssuerSandbox.DEFAULT_AUDIENCE).sign()).subject()).isEqualTo("user-1");
  }

  @Test
  void attest_whenOneAudienceButAForeignAzp_refusesIt() {
    String token = issuer.idToken().claim("azp", "someone-else").sign();

    assertThatThrownBy(() -> attest(token)).isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
      assertThat(e.check()).isEqualTo("azp");
      assertThat(e.getMessage()).contains("\"someone-else\"");
    });
    assertThat(attest(issuer.idToken().claim("azp", OidcIssuerSandbox.DEFAULT_AUDIENCE).sign()).subject())
        .isEqualTo("user-1");
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1 << 20, 10 << 20})
  void attest_whenTheTokenIsHuge_refusesItBeforeParsing(int bytes) {
    String token = issuer.idToken().claim("padding", "x".repeat(bytes)).sign();

    assertThatThrownBy(() -> attest(token)).isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
      assertThat(e.check()).isEqualTo("size");
      assertThat(e.getMessage()).contains(String.valueOf(OidcIdentityProvider.DEFAULT_MAX_TOKEN_SIZE));
    });
    assertThat(issuer.jwksRequests()).as("refused before any key was fetched").isZero();
    assertThat(issuer.discoveryRequests()).isZero();
  }

  @Test
  void attest_whenTheSizeCapIsRaised_acceptsALargerToken() {
    String token = issuer.idToken().claim("groups", "g".repeat(20_000)).sign();
    assertThatThrownBy(() -> attest(token)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("size"));

    identity = builder().maxTokenSize(64 * 1024).build();

    assertThat(attest(token).subject()).isEqualTo("user-1");
    assertThatThrownBy(() -> builder().maxTokenSize(100)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("maxTokenSize"));
  }

  @Test
  void attest_whenTheSameNonceBoundTokenIsPresentedTwice_refusesTheReplay() {
    String token = issuer.idToken().nonce("n-42").sign();
    assertThat(attest(token, "n-42", false).subject()).isEqualTo("user-1");

    assertThatThrownBy(() -> attest(token, "n-42", false)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("replay"));
    // another token for the same nonce is still judged on its own (a new sign-in, a new jti)
    assertThat(attest(issuer.idToken().nonce("n-42").claim("jti", "second").sign(), "n-42", false).subject())
        .isEqualTo("user-1");
    assertThatThrownBy(() -> attest(issuer.idToken().nonce("n-42").claim("jti", "second").subject("x").sign(), "n-42",
        false)).as("the same jti").isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("replay"));
  }

  @Test
  void attest_whenATokenWithoutANonceIsPresentedAgain_acceptsIt() {
    String sessionToken = issuer.idToken().sign();

    attest(sessionToken);

    assertThat(attest(sessionToken).subject()).as("a host hands the same sign-in token to every run")
        .isEqualTo("user-1");
  }

  @Test
  void attest_whenTheTokenCarriesANonceNoneWasExpected_refusesIt() {
    String stepUpToken = issuer.idToken().nonce("minted-for-a-step-up").sign();

    assertThatThrownBy(() -> attest(stepUpToken)).isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
      assertThat(e.check()).isEqualTo("nonce");
      assertThat(e.getMessage()).contains("none was expected");
    });
    identity = builder().acceptUnrequestedNonce(true).build();
    assertThat(attest(stepUpToken).subject()).isEqualTo("user-1");
  }

  @Test
  void attest_whenAStepUpTokenWasUsed_itCannotBeReusedAsSignInEvenWhenNoncesAreAccepted() {
    identity = builder().acceptUnrequestedNonce(true).build();
    String stepUpToken = issuer.idToken().nonce("n-7").amr("pwd", "otp").sign();
    attest(stepUpToken, "n-7", true);

    assertThatThrownBy(() -> attest(stepUpToken)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("replay"));
  }

  @Test
  void attest_whenTheKeyIdCarriesALineBreak_escapesItInTheMessage() {
    String token = issuer.idToken().signWithKeyId("x\nWARN forged log line");

    assertThatThrownBy(() -> attest(token)).isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
      assertThat(e.check()).isEqualTo("kid");
      assertThat(e.getMessage()).doesNotContain("\n").contains("\"x\\nWARN forged log line\"");
    });
  }

  @Test
  void attest_whenClaimsCarryControlCharacters_escapesThemInEveryMessage() {
    assertThatThrownBy(() -> attest(issuer.idToken().issuer("https://evil.example.com\r\nINFO ok").sign()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.getMessage()).doesNotContain("\r")
            .doesNotContain("\n").contains("\\r\\nINFO ok"));
    assertThatThrownBy(() -> attest(issuer.idToken().audience("client\u202Eevil").sign()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.getMessage())
            .doesNotContain("\u202E").contains("\\u202E"));
    assertThatThrownBy(() -> attest(issuer.idToken().email("eve\n@example.com", false).sign()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void attest_whenIssuerCannotBeReached_failsRetryable() {
    identity = builder().build();
    issuer.close();

    assertThatThrownBy(() -> attest("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue());
  }

  @Test
  void builder_whenAskedForUnsafeAlgorithmsOrInsecureIssuer_refuses() {
    assertThatThrownBy(() -> OidcIdentityProvider.builder().allowedAlgorithms("none"))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("allowedAlgorithms"));
    assertThatThrownBy(() -> OidcIdentityProvider.builder().allowedAlgorithms("RS256", "HS256"))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("HMAC");
    assertThatThrownBy(() -> OidcIdentityProvider.builder().issuer("http://accounts.example.com"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("issuer"));
    assertThatThrownBy(() -> OidcIdentityProvider.builder().issuer("https://accounts.example.com").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("audience"));
  }

  @Test
  void attest_whenOnlyEs256Allowed_refusesRs256() {
    identity = builder().allowedAlgorithms("ES256").build();

    assertThatThrownBy(() -> attest(issuer.idToken().sign())).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("alg"));
    assertThat(attest(issuer.idToken().algorithm("ES256").sign()).subject()).isEqualTo("user-1");
  }

  // ---------------------------------------------------------------- MFA

  @Test
  void attest_whenMfaRequiredAndOnlyPassword_isRejected() {
    assertThatThrownBy(() -> attest(issuer.idToken().amr("pwd").sign(), null, true))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("mfa"));
  }

  @Test
  void attest_whenMfaRequiredAndShownByAmrOrAcr_isAccepted() {
    assertThat(attest(issuer.idToken().amr("pwd", "otp").sign(), null, true).multiFactor()).isTrue();
    Principal byAcr = attest(issuer.idToken().amr("pwd")
        .acr("http://schemas.openid.net/pape/policies/2007/06/multi-factor").sign(), null, true);
    assertThat(identity.isMultiFactor(byAcr)).isTrue();
  }

  @Test
  void attest_whenMfaRequiredButSecondFactorIsStale_isRejected() {
    String token = issuer.idToken().amr("pwd", "hwk").authTime(time.instant().minus(Duration.ofMinutes(40))).sign();

    assertThatThrownBy(() -> attest(token, null, true)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("auth_time"));
  }

  private static final SpendPolicy MFA_FOR_DOMAINS = SpendPolicy.builder()
      .requireMfaFor(CheckpointKind.DOMAIN_PURCHASE, CheckpointKind.PAID_PLAN, CheckpointKind.RAISE_LIMIT).build();

  private FakeStepContext ctx(ScriptedApprovalGate gate, Principal who) {
    return FakeStepContext.builder().time(time).approvals(gate).principal(who).build();
  }

  private Principal passwordOnly() {
    return attest(issuer.idToken().subject("user-9").amr("pwd").sign());
  }

  @Test
  void requireMultiFactor_whenPolicyDemandsIt_stepsUpWithANonceBoundToken() {
    Principal weak = passwordOnly();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).stepUp(req -> issuer.idToken().subject("user-9")
        .amr("pwd", "otp").nonce(req.details().get("nonce")).signSecret());
    FakeStepContext ctx = ctx(gate, weak);

    Principal strong = identity.requireMultiFactor(weak, CheckpointKind.DOMAIN_PURCHASE, MFA_FOR_DOMAINS, ctx);

    assertThat(strong.multiFactor()).isTrue();
    assertThat(strong.subject()).isEqualTo("user-9");
    ApprovalRequest asked = gate.requests(CheckpointKind.STEP_UP).get(0);
    assertThat(asked.details()).containsKey("nonce").containsEntry("for", "DOMAIN_PURCHASE");
    assertThat(ctx.audits()).anySatisfy(a -> {
      assertThat(a.action()).isEqualTo("identity.step_up");
      assertThat(a.outcome()).isEqualTo("ok");
    });
  }

  @Test
  void requireMultiFactor_whenStepUpTokenHasNoSecondFactor_isRefused() {
    Principal weak = passwordOnly();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).stepUp(req -> issuer.idToken().subject("user-9")
        .amr("pwd").nonce(req.details().get("nonce")).signSecret());

    assertThatThrownBy(() -> identity.requireMultiFactor(weak, CheckpointKind.PAID_PLAN, MFA_FOR_DOMAINS,
        ctx(gate, weak))).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("mfa"));
  }

  @Test
  void requireMultiFactor_whenStepUpTokenIsReplayedWithoutTheNonce_isRefused() {
    Principal weak = passwordOnly();
    String earlier = issuer.idToken().subject("user-9").amr("pwd", "otp").nonce("old-nonce").sign();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).stepUp(req -> Secret.of(earlier));

    assertThatThrownBy(() -> identity.requireMultiFactor(weak, CheckpointKind.RAISE_LIMIT, MFA_FOR_DOMAINS,
        ctx(gate, weak))).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("nonce"));
  }

  @Test
  void requireMultiFactor_whenAnotherPersonStepsUp_isRefused() {
    Principal weak = passwordOnly();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).stepUp(req -> issuer.idToken()
        .subject("someone-else").amr("otp").nonce(req.details().get("nonce")).signSecret());

    assertThatThrownBy(() -> identity.requireMultiFactor(weak, CheckpointKind.DOMAIN_PURCHASE, MFA_FOR_DOMAINS,
        ctx(gate, weak))).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("subject"));
  }

  @Test
  void requireMultiFactor_whenHumanDeclinesStepUp_isDenied() {
    Principal weak = passwordOnly();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).deny(CheckpointKind.STEP_UP, "no phone");

    assertThatThrownBy(() -> identity.requireMultiFactor(weak, CheckpointKind.DOMAIN_PURCHASE, MFA_FOR_DOMAINS,
        ctx(gate, weak))).isInstanceOf(ApprovalDeniedException.class);
  }

  @Test
  void requireMultiFactor_whenNotRequiredOrAlreadyStrong_asksNothing() {
    Principal weak = passwordOnly();
    Principal strong = attest(issuer.idToken().subject("user-9").amr("pwd", "otp").sign());
    ScriptedApprovalGate gate = ScriptedApprovalGate.denyAll(time);

    assertThat(identity.requireMultiFactor(weak, CheckpointKind.PAID_RESOURCE, MFA_FOR_DOMAINS, ctx(gate, weak)))
        .isSameAs(weak);
    assertThat(identity.requireMultiFactor(strong, CheckpointKind.DOMAIN_PURCHASE, MFA_FOR_DOMAINS, ctx(gate, strong)))
        .isSameAs(strong);
    assertThat(gate.requests()).isEmpty();
  }

  @Test
  void requireMultiFactor_whenSecondFactorIsOld_stepsUpAgain() {
    Principal strongButOld = attest(issuer.idToken().subject("user-9").amr("pwd", "otp")
        .authTime(time.instant().minus(Duration.ofMinutes(30))).sign());
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).stepUp(req -> issuer.idToken().subject("user-9")
        .amr("pwd", "otp").nonce(req.details().get("nonce")).signSecret());

    Principal fresh = identity.requireMultiFactor(strongButOld, CheckpointKind.DOMAIN_PURCHASE, MFA_FOR_DOMAINS,
        ctx(gate, strongButOld));

    assertThat(fresh.authTime()).isAfter(strongButOld.authTime());
    assertThat(gate.requests(CheckpointKind.STEP_UP)).hasSize(1);
  }
}
