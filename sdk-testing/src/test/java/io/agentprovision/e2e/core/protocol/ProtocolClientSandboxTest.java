package io.agentprovision.e2e.core.protocol;

import io.agentprovision.core.protocol.AccountRequest;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProtocolSignature;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderResourceRequest;
import io.agentprovision.core.protocol.ProviderResourceUpdate;
import io.agentprovision.core.protocol.ProviderTokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import io.agentprovision.testing.protocol.ProviderSandbox;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ProtocolClient} against the stateful {@link ProviderSandbox}: each protocol behaviour end to end. */
class ProtocolClientSandboxTest {
  private static final Secret SHARED = Secret.of("whsec_sandbox_test");

  private final VirtualTime time = VirtualTime.create();
  private InMemoryBackend backend;
  private InMemoryPaymentCharger charger;
  private ProviderSandbox sandbox;
  private ProtocolClient client;

  @BeforeEach
  void start() {
    backend = new InMemoryBackend();
    charger = new InMemoryPaymentCharger(time);
    sandbox = ProviderSandbox.builder().sharedSecret(SHARED).clock(time).backend(backend).charger(charger).start();
    client = client(SHARED).build();
  }

  @AfterEach
  void stop() {
    sandbox.close();
  }

  private ProtocolClient.Builder client(Secret secret) {
    return ProtocolClient.builder().provider("cloudflare").baseUrl(sandbox.baseUrl()).sharedSecret(secret)
        .clock(time).sleeper(time);
  }

  private AccountRequest request(String email, String confirmation, String challenge) {
    return new AccountRequest("acctreq_" + email.hashCode(), email, null, null, null, Set.of("email"), List.of(),
        List.of("browser"), Map.of(), Secret.of(confirmation), time.instant().plusSeconds(900),
        Map.of("type", "direct"), challenge);
  }

  private static String s256(String verifier) throws Exception {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(
        MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
  }

  private ProviderTokens newAccount(String email) {
    return ((AccountResponse.Credentials) client.requestAccount(request(email, "c", null))).tokens();
  }

  private ProviderResource create(ProviderTokens t, String service, Map<String, Object> config, Secret token, String key) {
    return client.createResource(t.accessToken(), new ProviderResourceRequest(service, config, token, "proj", key,
        "production"), key);
  }

  // ---------------------------------------------------------------- signature and version

  @Test
  void anyCall_whenSignedWithAnotherSecret_isRejectedWithInvalidSignature() {
    ProtocolClient wrong = client(Secret.of("whsec_not_shared")).build();

    assertThatThrownBy(wrong::health).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.status()).isEqualTo(401);
      assertThat(e.code()).isEqualTo("invalid_signature");
    });
  }

  @Test
  void anyCall_whenSignatureIsStale_isRejected() {
    VirtualTime late = VirtualTime.at(time.instant().minus(Duration.ofMinutes(6)));
    ProtocolClient stale = client(SHARED).clock(late).build();

    assertThatThrownBy(stale::health).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.code()).isEqualTo("invalid_signature"));
  }

  @Test
  void anyCall_whenBodyDiffersFromWhatWasSigned_isRejected() throws Exception {
    String signedBody = "{\"email\":\"ada@example.com\"}";
    String sentBody = "{\"email\":\"eve@example.com\"}";
    OkHttpClient raw = new OkHttpClient();
    Request req = new Request.Builder().url(sandbox.baseUrl().resolve("provisioning/account_requests").toString())
        .header("API-Version", "0.1d")
        .header("Stripe-Signature", ProtocolSignature.of(SHARED).sign(signedBody, time.instant()))
        .post(RequestBody.create(sentBody, MediaType.get("application/json"))).build();

    try (Response r = raw.newCall(req).execute()) {
      assertThat(r.code()).isEqualTo(401);
      assertThat(Json.parseObject(r.body().string())).containsEntry("error",
          Map.of("code", "invalid_signature", "message", "the request signature is mismatch"));
    }
    assertThat(backend.accounts()).isEmpty();
  }

  @Test
  void anyCall_whenApiVersionUnsupported_isRejectedWithInvalidApiVersion() {
    ProtocolClient future = client(SHARED).apiVersion("0.9z").build();

    assertThatThrownBy(future::allServices).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isEqualTo("invalid_api_version");
    });
  }

  @Test
  void checkVersion_whenSupported_passes() {
    assertThat(client.checkVersion().supportedVersions()).containsExactly("0.1d");
  }

  // ---------------------------------------------------------------- catalog

  @Test
  void allServices_whenCatalogSpansPages_readsTheCloudflareLikeCatalog() {
    List<ServiceOffering> services = client.allServices();

    assertThat(services).extracting(ServiceOffering::id).containsExactly("workers:free", "workers:paid", "workers",
        "d1", "kv", "queues", "hyperdrive", "containers", "workers-ai", "browser-run", "r2:bucket", "registrar:domain");
    assertThat(sandbox.requests("GET", "/provisioning/services")).hasSize(3);
    ServiceOffering paid = services.get(1);
    assertThat(paid.isPlan()).isTrue();
    assertThat(paid.pricing().type()).isEqualTo(Pricing.Type.PAID);
    assertThat(paid.pricing().kind()).isEqualTo(Pricing.Kind.MINIMUM);
    assertThat(paid.pricing().minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.allowedUpdates()).containsExactly("workers:free");
    assertThat(services.get(0).pricing().type()).isEqualTo(Pricing.Type.FREE);
    assertThat(services.get(11).pricing().type()).isEqualTo(Pricing.Type.COMPONENT);
    assertThat(services).allMatch(s -> s.scope().equals("project"));
  }

  // ---------------------------------------------------------------- account requests

  @Test
  void requestAccount_whenEmailIsNew_createsAccountAndReturnsCredentials() {
    AccountResponse answer = client.requestAccount(request("new@example.com", "c1", null));

    ProviderTokens t = ((AccountResponse.Credentials) answer).tokens();
    assertThat(t.accountId()).isEqualTo(backend.accounts().get("new@example.com"));
    assertThat(t.expiresAt()).isEqualTo(time.instant().plus(ProviderSandbox.DEFAULT_ACCESS_TOKEN_TTL));
    assertThat(t.paymentCredentials()).isEqualTo("orchestrator");
  }

  @Test
  void requestAccount_whenSandboxAnswersOauth_returnsCodeRedeemableWithVerifier() throws Exception {
    sandbox.newAccountAnswer(ProviderSandbox.NewAccountAnswer.OAUTH_CODE);

    AccountResponse answer = client.requestAccount(request("new@example.com", "c1", s256("verifier-1")));
    ProviderTokens t = client.exchangeCode(((AccountResponse.OAuthCode) answer).code(), Secret.of("verifier-1"));

    assertThat(t.accountId()).isEqualTo(backend.accounts().get("new@example.com"));
  }

  @Test
  void requestAccount_whenEmailIsKnown_requiresConsentWhoseCallbackCarriesCodeAndState() throws Exception {
    String account = backend.existingAccount("known@example.com");

    AccountResponse answer = client.requestAccount(request("known@example.com", "confirm-42", s256("v-42")));
    Map<String, String> callback = sandbox.approveConsent(((AccountResponse.RequiresAuth) answer).redirectUrl());
    ProviderTokens t = client.exchangeCode(Secret.of(callback.get("code")), Secret.of("v-42"));

    assertThat(callback.get("state")).isEqualTo("confirm-42");
    assertThat(t.accountId()).isEqualTo(account);
  }

  @Test
  void requestAccount_whenConsentDenied_callbackCarriesAccessDenied() {
    backend.existingAccount("known@example.com");

    AccountResponse answer = client.requestAccount(request("known@example.com", "confirm-1", null));
    Map<String, String> callback = sandbox.denyConsent(((AccountResponse.RequiresAuth) answer).redirectUrl());

    assertThat(callback).containsEntry("error", "access_denied").containsEntry("state", "confirm-1")
        .doesNotContainKey("code");
  }

  @Test
  void requestAccount_whenExpired_returnsExpiredError() {
    AccountRequest r = request("late@example.com", "c", null);
    time.advance(Duration.ofMinutes(16));

    AccountResponse answer = client.requestAccount(r);

    assertThat(answer).isInstanceOfSatisfying(AccountResponse.Error.class, e -> assertThat(e.code()).isEqualTo("expired"));
    assertThat(backend.accounts()).isEmpty();
  }

  // ---------------------------------------------------------------- OAuth

  @Test
  void exchangeCode_whenVerifierDoesNotMatchChallenge_isRefusedAndCodeBurnt() throws Exception {
    sandbox.newAccountAnswer(ProviderSandbox.NewAccountAnswer.OAUTH_CODE);
    Secret code = ((AccountResponse.OAuthCode) client.requestAccount(request("a@example.com", "c", s256("right"))))
        .code();

    assertThatThrownBy(() -> client.exchangeCode(code, Secret.of("wrong")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_grant");
          assertThat(e.getMessage()).contains("PKCE");
        });
    assertThatThrownBy(() -> client.exchangeCode(code, Secret.of("right")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("invalid_grant"));
  }

  @Test
  void exchangeCode_whenChallengeWasSentButNoVerifier_isRefused() throws Exception {
    sandbox.newAccountAnswer(ProviderSandbox.NewAccountAnswer.OAUTH_CODE);
    Secret code = ((AccountResponse.OAuthCode) client.requestAccount(request("a@example.com", "c", s256("right"))))
        .code();

    assertThatThrownBy(() -> client.exchangeCode(code, null)).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.getMessage()).contains("code_verifier"));
  }

  @Test
  void exchangeCode_whenCodeOlderThanFiveMinutes_isRefused() {
    sandbox.newAccountAnswer(ProviderSandbox.NewAccountAnswer.OAUTH_CODE);
    Secret code = ((AccountResponse.OAuthCode) client.requestAccount(request("a@example.com", "c", null))).code();
    time.advance(Duration.ofMinutes(5));

    assertThatThrownBy(() -> client.exchangeCode(code, null)).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.getMessage()).contains("expired"));
  }

  @Test
  void refresh_whenValid_issuesNewTokensAndRetiresTheOldRefreshToken() {
    ProviderTokens first = newAccount("a@example.com");

    ProviderTokens second = client.refresh(first.refreshToken());

    assertThat(second.accessToken().matches(first.accessToken())).isFalse();
    assertThat(second.accountId()).isEqualTo(first.accountId());
    assertThat(client.deepLink(second.accessToken(), "dashboard").url()).isNotNull();
    assertThatThrownBy(() -> client.refresh(first.refreshToken())).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.code()).isEqualTo("invalid_grant"));
  }

  // ---------------------------------------------------------------- resources

  @Test
  void createResource_whenPaidServiceHasNoToken_isRefusedByTheProvider() {
    ProviderTokens t = newAccount("a@example.com");

    assertThatThrownBy(() -> create(t, "workers:paid", Map.of(), null, "k1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(402);
          assertThat(e.code()).isEqualTo("requires_payment_credentials");
        });
    assertThat(sandbox.charges()).isEmpty();
  }

  @Test
  void createResource_whenPaidWithValidToken_chargesAndGoesPendingThenComplete() {
    ProviderTokens t = newAccount("a@example.com");
    Secret spt = charger.issue("cloudflare", Money.usd("5.00"), time.instant().plusSeconds(600));

    ProviderResource created = create(t, "workers:paid", Map.of(), spt, "k1");
    ProviderResource poll1 = client.getResource(t.accessToken(), created.id());
    ProviderResource poll2 = client.getResource(t.accessToken(), created.id());

    assertThat(created.status()).isEqualTo(ResourceStatus.PENDING);
    assertThat(poll1.status()).isEqualTo(ResourceStatus.PENDING);
    assertThat(poll2.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(poll2.accessConfiguration()).containsKeys("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID");
    assertThat(poll2.accessConfiguration().get("CLOUDFLARE_ACCOUNT_ID").reveal()).isEqualTo(t.accountId());
    assertThat(sandbox.charges()).singleElement().satisfies(c -> assertThat(c.amount()).isEqualTo(Money.usd("5.00")));
    assertThat(charger.deactivated(spt)).isEqualTo("consumed");
  }

  @Test
  void createResource_whenTokenCappedBelowPrice_isDeclined() {
    ProviderTokens t = newAccount("a@example.com");
    Secret spt = charger.issue("cloudflare", Money.usd("4.99"), time.instant().plusSeconds(600));

    assertThatThrownBy(() -> create(t, "workers:paid", Map.of(), spt, "k1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("payment_declined");
          assertThat(e.getMessage()).contains("amount_exceeds_limit");
        });
  }

  @Test
  void createResource_whenRepeatedWithSameKey_returnsTheSameResourceAndChargesOnce() {
    ProviderTokens t = newAccount("a@example.com");
    Secret spt = charger.issue("cloudflare", Money.usd("5.00"), time.instant().plusSeconds(600));

    ProviderResource a = create(t, "workers:paid", Map.of(), spt, "k1");
    ProviderResource b = create(t, "workers:paid", Map.of(), spt, "k1");

    assertThat(b.id()).isEqualTo(a.id());
    assertThat(sandbox.charges()).hasSize(1);
    assertThatThrownBy(() -> create(t, "workers:free", Map.of(), null, "k1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("idempotency_conflict"));
  }

  @Test
  void createResource_whenDeployableBeforeAPlan_isRefused() {
    ProviderTokens t = newAccount("a@example.com");

    assertThatThrownBy(() -> create(t, "kv", Map.of("title", "cache"), null, "k1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("requires_plan"));
  }

  @Test
  void domain_whenQueried_answersChoicesThenRegistersTheChosenPaidName() {
    ProviderTokens t = newAccount("a@example.com");
    create(t, "workers:free", Map.of(), null, "plan");
    backend.taken("my-app.com");

    ProviderResource asked = create(t, "registrar:domain", Map.of("domain_query", "my-app"), null, "dom");
    InformationRequest info = InformationRequest.fromSchema(asked.needsInformationSchema());
    Secret spt = charger.issue("cloudflare", Money.usd("11.84"), time.instant().plusSeconds(600));
    ProviderResource retaken = client.updateService(t.accessToken(), asked.id(),
        new ProviderResourceUpdate(null, Map.of("domain", "my-app.com"), spt), "dom-1");
    ProviderResource chosen = client.updateService(t.accessToken(), asked.id(),
        new ProviderResourceUpdate(null, Map.of("domain", "my-app.net"), spt), "dom-2");

    assertThat(asked.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(info.choicesFor("domain")).extracting(InformationRequest.Choice::value)
        .containsExactly("my-app.com", "my-app.net", "my-app.dev", "my-app.app");
    assertThat(info.choicesFor("domain").get(0).available()).isFalse();
    assertThat(info.choicesFor("domain").get(1).price()).isEqualTo(Money.usd("11.84"));
    assertThat(retaken.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(chosen.status()).isEqualTo(ResourceStatus.PENDING);
    assertThat(chosen.attributes()).containsEntry("domain", "my-app.net");
    assertThat(backend.registeredDomains()).containsExactly("my-app.net");
    assertThat(sandbox.charges()).singleElement().satisfies(c -> assertThat(c.amount()).isEqualTo(Money.usd("11.84")));
  }

  @Test
  void rotateCredentials_whenComplete_issuesNewOnesAndRevokesOld() {
    ProviderTokens t = newAccount("a@example.com");
    sandbox.pendingPolls(0);
    ProviderResource plan = create(t, "workers:free", Map.of(), null, "plan");
    String old = plan.accessConfiguration().get("CLOUDFLARE_API_TOKEN").reveal();

    ProviderResource rotated = client.rotateCredentials(t.accessToken(), plan.id(), "rot-1");

    String fresh = rotated.accessConfiguration().get("CLOUDFLARE_API_TOKEN").reveal();
    assertThat(fresh).isNotEqualTo(old);
    assertThat(backend.isActive(fresh)).isTrue();
    assertThat(backend.isActive(old)).isFalse();
  }

  @Test
  void removeResource_whenRepeated_staysRemoved() {
    ProviderTokens t = newAccount("a@example.com");
    sandbox.pendingPolls(0);
    ProviderResource plan = create(t, "workers:free", Map.of(), null, "plan");

    ProviderResource first = client.removeResource(t.accessToken(), plan.id(), "rm-1");
    ProviderResource again = client.removeResource(t.accessToken(), plan.id(), "rm-2");

    assertThat(first.status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(again.status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(client.getResource(t.accessToken(), plan.id()).status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(backend.isActive(plan.accessConfiguration().get("CLOUDFLARE_API_TOKEN").reveal())).isFalse();
  }

  @Test
  void resourceCalls_whenAccessTokenExpired_areRejected() {
    ProviderTokens t = newAccount("a@example.com");
    time.advance(ProviderSandbox.DEFAULT_ACCESS_TOKEN_TTL);

    assertThatThrownBy(() -> create(t, "workers:free", Map.of(), null, "k"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.code()).isEqualTo("invalid_token");
        });
  }

  @Test
  void deepLink_whenAuthenticated_returnsShortLivedLink() {
    ProviderTokens t = newAccount("a@example.com");

    var link = client.deepLink(t.accessToken(), "dashboard");

    assertThat(link.url().getHost()).isEqualTo(sandbox.baseUrl().getHost());
    assertThat(link.expiresAt()).isEqualTo(time.instant().plus(Duration.ofMinutes(5)).truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS));
  }
}
