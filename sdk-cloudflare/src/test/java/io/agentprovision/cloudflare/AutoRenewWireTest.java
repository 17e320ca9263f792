package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.deploy.DomainRenewal;
import io.agentprovision.core.deploy.RenewalRequest;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.FakeStepContext;
import java.time.Instant;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * Turning a registration's automatic renewal off: {@code PATCH …/registrar/registrations/{domain}}
 * with only {@code auto_renew}, with the broad credential, and the registration read back for its
 * expiry; nothing sent when it already is off, nor without a credential that may reach the registrar.
 */
class AutoRenewWireTest extends WireSupport {
  private static final String EXPIRES = "2027-11-02T09:00:00Z";

  private static String registration(boolean autoRenew) {
    return "{\"domain_name\":\"ada-shop.com\",\"status\":\"active\",\"auto_renew\":" + autoRenew + ",\"created_at\":"
        + "\"2026-11-02T09:00:00Z\",\"expires_at\":\"" + EXPIRES + "\",\"locked\":true}";
  }

  private CloudflareDeployer deployer() {
    return CloudflareDeployer.builder().baseUrl(server.url("/client/v4").toString()).build();
  }

  private static AccessConfiguration broad() {
    return new AccessConfiguration(Map.of("CLOUDFLARE_API_TOKEN", TOKEN, "CLOUDFLARE_ACCOUNT_ID", Secret.of(ACCOUNT)),
        null, null, 1);
  }

  @Test
  void setAutoRenew_patchesOnlyThatFieldOfTheRegistration() throws Exception {
    ok("{\"completed\":true,\"state\":\"succeeded\",\"context\":{\"domain_name\":\"ada-shop.com\"},\"error\":null}");

    Registrar.RegistrationWorkflow wf = client.registrar(ACCOUNT).setAutoRenew("Ada-Shop.com", false);

    assertThat(wf.terminal()).isTrue();
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("PATCH");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations/ada-shop.com");
    assertThat(Json.parse(body(r))).isEqualTo(Map.of("auto_renew", false));
  }

  @Test
  void stopAutoRenew_withTheBroadCredential_turnsItOffAndReportsTheExpiry() throws Exception {
    ok(registration(true));
    ok("{\"completed\":false,\"state\":\"in_progress\",\"links\":{\"self\":\"/accounts/" + ACCOUNT
        + "/registrar/registrations/ada-shop.com/update-status\"},\"context\":{},\"error\":null}");
    ok("{\"completed\":true,\"state\":\"succeeded\",\"context\":{},\"error\":null}");
    ok(registration(false));
    FakeStepContext ctx = FakeStepContext.builder().time(time).build();

    DomainRenewal r = deployer().stopAutoRenew(new RenewalRequest("ada-shop.com", "other", broad(), null), ctx);

    assertThat(r).isEqualTo(DomainRenewal.off("ada-shop.com", Instant.parse(EXPIRES), true));
    assertThat(take().getMethod()).isEqualTo("GET");
    RecordedRequest patch = take();
    assertThat(patch.getMethod()).isEqualTo("PATCH");
    assertThat(patch.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN.reveal());
    // the account the broad credential names, not the one the caller guessed
    assertThat(target(patch)).startsWith("/accounts/" + ACCOUNT + "/");
    assertThat(target(take())).endsWith("/update-status");
    assertThat(take().getMethod()).isEqualTo("GET");
  }

  @Test
  void stopAutoRenew_whenAlreadyOff_sendsNoChange() throws Exception {
    ok(registration(false));

    DomainRenewal r = deployer().stopAutoRenew(new RenewalRequest("ada-shop.com", ACCOUNT, broad(), null),
        FakeStepContext.builder().time(time).build());

    assertThat(r.changed()).isFalse();
    assertThat(r.autoRenew()).isFalse();
    assertThat(take().getMethod()).isEqualTo("GET");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void stopAutoRenew_withoutACredentialForTheRegistrar_saysSoAndCallsNothing() {
    DomainRenewal r = deployer().stopAutoRenew(new RenewalRequest("ada-shop.com", ACCOUNT, null, null),
        FakeStepContext.builder().time(time).build());

    assertThat(r.supported()).isFalse();
    assertThat(r.autoRenew()).isTrue();
    assertThat(r.note()).contains("deploy token may only deploy");
    assertThat(server.getRequestCount()).isZero();
  }
}
