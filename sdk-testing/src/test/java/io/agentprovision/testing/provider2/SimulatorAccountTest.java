package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.FormBody;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** Account requests in all four answer types, the consent page, and the token endpoint with PKCE and refresh. */
class SimulatorAccountTest {
  private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  @Test
  void newEmail_getsCredentials_asABearerWithAnAccountPaidByTheOrchestrator() {
    try (SimWire wire = SimWire.start()) {
      SimWire.Answer a = wire.newAccount("ada@example.com");

      assertThat(a.json()).containsOnlyKeys("type", "credentials");
      assertThat(a.map("credentials")).containsEntry("type", "bearer");
      Map<String, Object> bearer = a.map("credentials", "bearer");
      assertThat(bearer).containsKeys("access_token", "refresh_token", "expires_in", "account");
      assertThat(bearer.get("expires_in")).isEqualTo(3600.0);
      String accountId = wire.backend.findAccount("ada@example.com");
      assertThat(bearer.get("account")).isEqualTo(Map.of("id", accountId, "payment_credentials", "orchestrator"));
    }
  }

  @Test
  void sameRequestIdTwice_getsTheSameAnswer_andMakesOneAccount() {
    try (SimWire wire = SimWire.start()) {
      Map<String, Object> body = wire.accountRequest("ada@example.com", null);
      SimWire.Answer first = wire.post("/provisioning/account_requests", body);
      SimWire.Answer again = wire.post("/provisioning/account_requests", body);

      assertThat(again.json()).isEqualTo(first.json());
      assertThat(wire.backend.accounts()).hasSize(1);
    }
  }

  @Test
  void newEmail_withOAuthCodeVariant_getsACode_redeemedWithItsPkceVerifier() {
    try (SimWire wire = SimWire.start(Variant.NEW_ACCOUNT_AS_OAUTH_CODE)) {
      SimWire.Answer a = wire.post("/provisioning/account_requests",
          wire.accountRequest("ada@example.com", SimWire.s256(VERIFIER)));

      assertThat(a.str("type")).isEqualTo("oauth");
      String code = a.str("oauth", "code");
      assertThat(code).startsWith("code_");

      SimWire.Answer tokens = wire.token(Map.of("grant_type", "authorization_code", "code", code,
          "code_verifier", VERIFIER));

      assertThat(tokens.code()).isEqualTo(200);
      assertThat(tokens.json()).containsEntry("token_type", "Bearer").containsKeys("access_token", "refresh_token",
          "expires_in");
      assertThat(tokens.map("account")).containsEntry("id", wire.backend.findAccount("ada@example.com"));
      assertThat(tokens.headers().get("Cache-Control")).isEqualTo("no-store");
    }
  }

  @Test
  void existingEmail_getsRequiresAuth_whoseConsentCallsBackWithTheConfirmationSecretAsState() {
    try (SimWire wire = SimWire.start()) {
      String accountId = wire.backend.existingAccount("ada@example.com");
      Map<String, Object> body = wire.accountRequest("ada@example.com", SimWire.s256(VERIFIER));

      SimWire.Answer a = wire.post("/provisioning/account_requests", body);

      assertThat(a.str("type")).isEqualTo("requires_auth");
      assertThat(a.map("requires_auth")).containsEntry("type", "redirect");
      URI redirect = URI.create(a.str("requires_auth", "redirect", "url"));
      assertThat(redirect.toString()).startsWith(wire.sim.baseUrl() + "/oauth/authorize?consent=");

      Map<String, String> callback = wire.sim.approveConsent(redirect);

      assertThat(callback).containsEntry("state", (String) body.get("confirmation_secret")).containsKey("code");
      SimWire.Answer tokens = wire.token(Map.of("grant_type", "authorization_code", "code", callback.get("code"),
          "code_verifier", VERIFIER));
      assertThat(tokens.code()).isEqualTo(200);
      assertThat(tokens.map("account")).containsEntry("id", accountId);
      assertThat(wire.sim.requests(c -> c.startsWith("POST /oauth/authorize"))).singleElement()
          .satisfies(e -> assertThat(e.status()).isEqualTo(302));
    }
  }

  @Test
  void consentPage_isAPageWithAForm_andItsAnswerRedirectsToTheConfiguredCallback() {
    URI callback = URI.create("https://host.example/cb?tenant=7");
    try (SimWire wire = SimWire.start(b -> b.callbackUrl(callback))) {
      wire.backend.existingAccount("ada@example.com");
      SimWire.Answer a = wire.post("/provisioning/account_requests", wire.accountRequest("ada@example.com", null));
      String url = a.str("requires_auth", "redirect", "url");

      SimWire.Answer page = wire.send(new Request.Builder().url(url).get());
      assertThat(page.code()).isEqualTo(200);
      assertThat(page.headers().get("Content-Type")).startsWith("text/html");
      assertThat(page.text()).contains("<form method=\"post\" action=\"/oauth/authorize\">");

      String consent = URI.create(url).getQuery().substring("consent=".length());
      SimWire.Answer answer = wire.send(new Request.Builder().url(wire.url("/oauth/authorize"))
          .post(new FormBody.Builder().add("consent", consent).add("decision", "approve").build()));
      assertThat(answer.code()).isEqualTo(302);
      assertThat(answer.headers().get("Location")).startsWith("https://host.example/cb?tenant=7&code=code_");

      SimWire.Answer twice = wire.send(new Request.Builder().url(url).get());
      assertThat(twice.code()).isEqualTo(409);
    }
  }

  @Test
  void deniedConsent_callsBackWithAccessDenied_andNoCode() {
    try (SimWire wire = SimWire.start()) {
      wire.backend.existingAccount("ada@example.com");
      Map<String, Object> body = wire.accountRequest("ada@example.com", null);
      SimWire.Answer a = wire.post("/provisioning/account_requests", body);

      Map<String, String> callback = wire.sim.denyConsent(URI.create(a.str("requires_auth", "redirect", "url")));

      assertThat(callback).containsEntry("error", "access_denied")
          .containsEntry("state", (String) body.get("confirmation_secret")).doesNotContainKey("code");
    }
  }

  @Test
  void existingEmail_withoutBrowserCapability_isAnErrorAnswer() {
    try (SimWire wire = SimWire.start()) {
      wire.backend.existingAccount("ada@example.com");
      Map<String, Object> body = new java.util.LinkedHashMap<>(wire.accountRequest("ada@example.com", null));
      body.put("client_capabilities", List.of());

      SimWire.Answer a = wire.post("/provisioning/account_requests", body);

      assertThat(a.code()).isEqualTo(200);
      assertThat(a.str("type")).isEqualTo("error");
      assertThat(a.str("error", "code")).isEqualTo("browser_required");
    }
  }

  @Test
  void expiredAccountRequest_isAnErrorAnswerWithCodeExpired_andMakesNoAccount() {
    try (SimWire wire = SimWire.start()) {
      Map<String, Object> body = new java.util.LinkedHashMap<>(wire.accountRequest("ada@example.com", null));
      body.put("expires_at", wire.time.instant().minusSeconds(1).getEpochSecond());

      SimWire.Answer a = wire.post("/provisioning/account_requests", body);

      assertThat(a.code()).isEqualTo(200);
      assertThat(a.json()).containsEntry("type", "error");
      assertThat(a.map("error")).containsEntry("code", "expired");
      assertThat(wire.backend.accounts()).isEmpty();
    }
  }

  @Test
  void accountRequest_withMissingFieldsOrPlainPkce_isRefused400() {
    try (SimWire wire = SimWire.start()) {
      Map<String, Object> noEmail = new java.util.LinkedHashMap<>(wire.accountRequest("ada@example.com", null));
      noEmail.remove("email");
      Map<String, Object> plain = new java.util.LinkedHashMap<>(wire.accountRequest("ada@example.com", VERIFIER));
      plain.put("code_challenge_method", "plain");

      SimWire.Answer a = wire.post("/provisioning/account_requests", noEmail);
      SimWire.Answer b = wire.post("/provisioning/account_requests", plain);

      assertThat(a.code()).isEqualTo(400);
      assertThat(a.str("error", "message")).contains("email");
      assertThat(b.code()).isEqualTo(400);
      assertThat(b.str("error", "message")).contains("S256");
      assertThat(wire.backend.accounts()).isEmpty();
    }
  }

  // ---------------------------------------------------------------- PKCE

  private static String consentCode(SimWire wire, String challenge) {
    wire.backend.existingAccount("ada@example.com");
    SimWire.Answer a = wire.post("/provisioning/account_requests", wire.accountRequest("ada@example.com", challenge));
    return wire.sim.approveConsent(URI.create(a.str("requires_auth", "redirect", "url"))).get("code");
  }

  @Test
  void pkce_aWrongVerifier_isInvalidGrant_andSpendsTheCode() {
    try (SimWire wire = SimWire.start()) {
      String code = consentCode(wire, SimWire.s256(VERIFIER));

      SimWire.Answer wrong = wire.token(Map.of("grant_type", "authorization_code", "code", code,
          "code_verifier", "x".repeat(43)));
      SimWire.Answer right = wire.token(Map.of("grant_type", "authorization_code", "code", code,
          "code_verifier", VERIFIER));

      assertThat(wrong.code()).isEqualTo(400);
      assertThat(wrong.json()).containsEntry("error", "invalid_grant");
      assertThat(wrong.str("error_description")).contains("does not match");
      assertThat(right.json()).containsEntry("error", "invalid_grant");
    }
  }

  @Test
  void pkce_aMissingVerifier_isInvalidGrant() {
    try (SimWire wire = SimWire.start()) {
      String code = consentCode(wire, SimWire.s256(VERIFIER));

      SimWire.Answer a = wire.token(Map.of("grant_type", "authorization_code", "code", code));

      assertThat(a.json()).containsEntry("error", "invalid_grant");
      assertThat(a.str("error_description")).contains("code_verifier is required");
    }
  }

  @Test
  void pkce_aVerifierForACodeIssuedWithoutChallenge_isRefused() {
    try (SimWire wire = SimWire.start()) {
      String code = consentCode(wire, null);

      SimWire.Answer a = wire.token(Map.of("grant_type", "authorization_code", "code", code, "code_verifier",
          VERIFIER));

      assertThat(a.json()).containsEntry("error", "invalid_grant");
    }
  }

  @Test
  void code_isSingleUse_andLivesFiveMinutes() {
    try (SimWire wire = SimWire.start()) {
      String code = consentCode(wire, null);
      assertThat(wire.token(Map.of("grant_type", "authorization_code", "code", code)).code()).isEqualTo(200);
      assertThat(wire.token(Map.of("grant_type", "authorization_code", "code", code)).json())
          .containsEntry("error", "invalid_grant");

      SimWire.Answer other = wire.post("/provisioning/account_requests", wire.accountRequest("ada@example.com", null));
      String late = wire.sim.approveConsent(URI.create(other.str("requires_auth", "redirect", "url"))).get("code");
      wire.time.advance(Duration.ofMinutes(5));
      SimWire.Answer expired = wire.token(Map.of("grant_type", "authorization_code", "code", late));
      assertThat(expired.json()).containsEntry("error", "invalid_grant");
      assertThat(expired.str("error_description")).contains("expired");
    }
  }

  @Test
  void tokenEndpoint_refusesOtherGrants_jsonBodies_andMissingFields() {
    try (SimWire wire = SimWire.start()) {
      assertThat(wire.token(Map.of("grant_type", "client_credentials")).json())
          .containsEntry("error", "unsupported_grant_type");
      assertThat(wire.token(Map.of("grant_type", "refresh_token")).json()).containsEntry("error", "invalid_request");
      SimWire.Answer json = wire.post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token", "x"));
      assertThat(json.code()).isEqualTo(400);
      assertThat(json.json()).containsEntry("error", "invalid_request");
    }
  }

  // ---------------------------------------------------------------- refresh

  @Test
  void refresh_baseline_keepsTheSameRefreshToken_andIssuesANewAccessToken() {
    try (SimWire wire = SimWire.start()) {
      Map<String, Object> bearer = wire.newAccount("ada@example.com").map("credentials", "bearer");
      String refresh = (String) bearer.get("refresh_token");

      SimWire.Answer first = wire.token(Map.of("grant_type", "refresh_token", "refresh_token", refresh));
      SimWire.Answer second = wire.token(Map.of("grant_type", "refresh_token", "refresh_token", refresh));

      assertThat(first.code()).isEqualTo(200);
      assertThat(first.str("refresh_token")).isEqualTo(refresh);
      assertThat(first.str("access_token")).isNotEqualTo(bearer.get("access_token"));
      assertThat(second.code()).isEqualTo(200);
    }
  }

  @Test
  void refresh_rotating_issuesANewRefreshToken_andRefusesTheOldOne() {
    try (SimWire wire = SimWire.start(Variant.ROTATING_REFRESH_TOKENS)) {
      String refresh = wire.newAccount("ada@example.com").str("credentials", "bearer", "refresh_token");

      SimWire.Answer first = wire.token(Map.of("grant_type", "refresh_token", "refresh_token", refresh));
      SimWire.Answer reuse = wire.token(Map.of("grant_type", "refresh_token", "refresh_token", refresh));
      SimWire.Answer next = wire.token(Map.of("grant_type", "refresh_token", "refresh_token",
          first.str("refresh_token")));

      assertThat(first.str("refresh_token")).isNotEqualTo(refresh);
      assertThat(reuse.code()).isEqualTo(400);
      assertThat(reuse.json()).containsEntry("error", "invalid_grant");
      assertThat(next.code()).isEqualTo(200);
    }
  }

  @Test
  void shortLivedTokens_say20Seconds_andStopWorkingThen_whileARefreshRestoresAccess() {
    try (SimWire wire = SimWire.start(Variant.SHORT_LIVED_ACCESS_TOKENS)) {
      Map<String, Object> bearer = wire.newAccount("ada@example.com").map("credentials", "bearer");
      Secret access = Secret.of((String) bearer.get("access_token"));
      assertThat(bearer.get("expires_in")).isEqualTo(20.0);

      wire.time.advance(Duration.ofSeconds(19));
      assertThat(wire.get("/provisioning/resources/res_x", access).errorCode()).isEqualTo("resource_not_found");
      wire.time.advance(Duration.ofSeconds(1));
      assertThat(wire.get("/provisioning/resources/res_x", access).errorCode()).isEqualTo("invalid_token");

      SimWire.Answer refreshed = wire.token(Map.of("grant_type", "refresh_token", "refresh_token",
          (String) bearer.get("refresh_token")));
      assertThat(refreshed.json()).containsEntry("expires_in", 20.0);
      assertThat(wire.get("/provisioning/resources/res_x", Secret.of(refreshed.str("access_token"))).errorCode())
          .isEqualTo("resource_not_found");
    }
  }

  @Test
  void unknownFields_appearInAccountAnswersAndTokens() {
    try (SimWire wire = SimWire.start(Variant.UNKNOWN_FIELDS)) {
      SimWire.Answer a = wire.newAccount("ada@example.com");
      SimWire.Answer t = wire.token(Map.of("grant_type", "refresh_token", "refresh_token",
          a.str("credentials", "bearer", "refresh_token")));

      assertThat(a.json()).containsKeys("livemode", "request_id");
      assertThat(a.map("credentials", "bearer", "account")).containsKeys("display_name", "created");
      assertThat(t.json()).containsKeys("scope", "issued_at");
    }
  }
}
