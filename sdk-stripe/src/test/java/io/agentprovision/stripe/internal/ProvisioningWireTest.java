package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendLimit;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProvisioningWireTest {
  private static final ResourceRef FALLBACK = new ResourceRef("cloudflare", "prvres_0", "registrar:domain", "domain");

  @Test
  void resource_whenItNeedsInformation_parsesTheSchemaChoicesAndTheUserMessage() {
    ProvisioningJson.ResourceJson r = read(ProvisioningJson.ResourceJson.class, """
        {"id":"prvres_1","service_ref":"prvsvc_9","status":"needs_information","name":null,
         "needs_information_schema":{"type":"object","required":["domain"],"description":null,
           "properties":{"domain":{"oneOf":[{"const":"a.com","x-price":{"amount":1044,"currency":"usd"}},
             {"const":"a.net","x-available":false}]}}},
         "user_message":{"message":"Pick a domain","received_at":"2026-11-02T09:00:00Z"},"some_new_field":true}""");

    ResourceState s = ProvisioningWire.resource(r, FALLBACK, ref -> ref.equals("prvsvc_9") ? "registrar:domain" : ref);

    assertThat(s.ref()).isEqualTo(new ResourceRef("cloudflare", "prvres_1", "registrar:domain", "domain"));
    assertThat(s.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(s.needsInformation().choicesFor("domain")).hasSize(2);
    assertThat(s.needsInformation().choicesFor("domain").get(0).price()).isEqualTo(Money.usd("10.44"));
    assertThat(s.userMessage()).isEqualTo("Pick a domain");
  }

  @Test
  void resource_whenErroredOrUnknown_keepsTheCodeAndRedactsCredentials() {
    ResourceState errored = ProvisioningWire.resource(read(ProvisioningJson.ResourceJson.class,
        "{\"id\":\"r\",\"status\":\"errored\",\"error_message\":\"token sk_live_abcdef123456 refused\"}"), FALLBACK,
        x -> x);
    ResourceState odd = ProvisioningWire.resource(read(ProvisioningJson.ResourceJson.class,
        "{\"id\":\"r\",\"status\":\"frozen\"}"), FALLBACK, x -> x);

    assertThat(errored.status()).isEqualTo(ResourceStatus.ERRORED);
    assertThat(errored.errorMessage()).isEqualTo("token [redacted] refused");
    assertThat(odd.status()).isEqualTo(ResourceStatus.UNKNOWN);
  }

  @Test
  void access_makesEveryValueASecretAndDatesTheGeneration() {
    AccessConfiguration a = ProvisioningWire.access(read(ProvisioningJson.AccessConfigurationJson.class, """
        {"configuration":{"TOKEN":"t-1","ACCOUNT":"acc","EMPTY":""},"created":"2026-11-02T09:00:00Z",
         "expires_at":1793000000}"""));

    assertThat(a.values().keySet()).containsExactlyInAnyOrder("TOKEN", "ACCOUNT");
    assertThat(a.value("TOKEN").reveal()).isEqualTo("t-1");
    assertThat(a.created()).isEqualTo(Instant.parse("2026-11-02T09:00:00Z"));
    assertThat(a.expiresAt()).isEqualTo(Instant.ofEpochSecond(1793000000));
    assertThat(a.generation()).isEqualTo(Instant.parse("2026-11-02T09:00:00Z").toEpochMilli());
    assertThat(a.toString()).doesNotContain("t-1");
  }

  @Test
  void account_whenDetailsAreMissing_fallsBackToTheConnectionIdAndSaysSo() {
    ProviderAccount a = ProvisioningWire.account("cloudflare", read(ProvisioningJson.ConnectionJson.class,
        "{\"id\":\"pconn_1\",\"status\":\"active\"}"));

    assertThat(a.accountId()).isEqualTo("pconn_1");
    assertThat(a.linkAction()).isEqualTo(ProviderAccount.LinkAction.UNKNOWN);
    assertThat(a.attributes()).containsKey("account_id");
  }

  @Test
  void limit_readsInt64StringsAndNumbersAndIgnoresUnknownIntervals() {
    assertThat(ProvisioningWire.limit(limits("{\"currency\":\"usd\",\"max_amount\":\"10000\",\"recurring_interval\":\"month\"}"),
        "cloudflare")).isEqualTo(SpendLimit.monthly(Money.usd("100.00")).forProvider("cloudflare"));
    assertThat(ProvisioningWire.limit(limits("{\"currency\":\"eur\",\"max_amount\":500,\"recurring_interval\":\"week\"}"),
        null)).isEqualTo(SpendLimit.weekly(Money.eur("5.00")));
    assertThat(ProvisioningWire.limit(limits("{\"currency\":\"usd\",\"max_amount\":\"1\",\"recurring_interval\":\"day\"}"),
        null)).isNull();
    assertThat(ProvisioningWire.limit(null, null)).isNull();
  }

  private static ProvisioningJson.UsageLimitsJson limits(String json) {
    return read(ProvisioningJson.UsageLimitsJson.class, json);
  }

  private static <T> T read(Class<T> type, String json) {
    return StripeWire.WIRE.read(type, json);
  }
}
