package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.JournalEntryException;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The journal's JSON of every step's output, and what the codec refuses. */
class OutputCodecTest {
  private static final RunId RUN = RunId.of("run_codec");
  private static final Instant T = Instant.parse("2026-11-02T09:00:00.123Z");
  private static final ResourceRef WORKERS = new ResourceRef("cloudflare", "res_2", "workers", "my-app-resource");

  /** One output of each step of the first-day flow (and the rotation), with its optional parts both set and absent. */
  static Stream<Record> outputs() {
    Principal ada = Principal.builder("sub-ada", "https://issuer.test").email("ada@example.com", true).name("Ada")
        .verifiedFields(java.util.Set.of("email", "name")).acr("urn:mace:incommon:iap:silver")
        .amr(List.of("pwd", "otp")).authTime(T).build();
    Principal bare = Principal.builder("sub-bob", "https://issuer.test").build();
    return Stream.of(
        IdentityStep.Attested.of(ada),
        IdentityStep.Attested.of(bare),
        new PlanApprovalStep.Approval(true, "ada@example.com", List.of(new PlanApprovalStep.Quote(PlanStep.ID,
            Money.usd("5.00")), new PlanApprovalStep.Quote(ResourceStep.ID, Money.of("12.30", "EUR")))),
        new PlanApprovalStep.Approval(false, null, List.of()),
        new AccountStep.Linked(new ProviderAccount("cloudflare", "acct_1", "conn_1", "Ada's account", "ada@example.com",
            ProviderAccount.LinkAction.LINKED_EXISTING, Map.of("region", "eu", "plan", "free"))),
        new AccountStep.Linked(new ProviderAccount("cloudflare", "acct_2", null, null, null,
            ProviderAccount.LinkAction.CREATED, Map.of())),
        new PaymentMethodStep.Ready("visa 4242"),
        new PaymentMethodStep.Ready(null),
        new ServiceStep.Provisioned(new ResourceRef("cloudflare", "res_1", "workers:paid", "my-app-plan"),
            Money.usd("5.00")),
        new ServiceStep.Provisioned(WORKERS, null),
        new DomainStep.Registered(new ResourceRef("cloudflare", "res_3", "registrar:domain", "my-app-domain"),
            "my-app.com", Money.usd("10.44")),
        new DomainStep.Progress("res_3"),
        new DomainStep.Progress("res_3", "my-app.com", Money.usd("10.44")),
        new DomainStep.Progress("res_3", "my-app.com", null),
        new ServiceStep.Priced("res_1", Money.usd("50.00")),
        new CredentialsStep.Issued("cloudflare", "acct_1", "tok_1", "runs/run_codec/deploy-token", T,
            List.of("Workers Scripts Write", "Workers Routes Write"), List.of("203.0.113.0/24"),
            Map.of("zone_id", "z1"), PreparedCredentials.BroadOutcome.ROLLED, null),
        new CredentialsStep.Issued("cloudflare", "acct_1", "tok_2", "runs/run_codec/deploy-token", null, List.of(),
            List.of(), Map.of(), PreparedCredentials.BroadOutcome.KEPT, T),
        new DeployStep.Deployed(new DeployedApp("cloudflare", "acct_1", "my-app", URI.create("https://my-app.acct.workers.dev"),
            URI.create("https://my-app.com"), Map.of("version_id", "v1"))),
        new DeployStep.Deployed(new DeployedApp("cloudflare", "acct_1", "my-app", URI.create("https://my-app.acct.workers.dev"),
            null, Map.of())),
        new VerifyStep.Checked(new Verification(URI.create("https://my-app.com"), true, 200, "hello \"from\" my-app\n",
            null)),
        new VerifyStep.Checked(new Verification(URI.create("https://my-app.com"), false, 0, null, "no local runtime")),
        new Engine.Rotated("tok_2", "tok_1"),
        new Engine.Revoked("tok_2", T));
  }

  @ParameterizedTest
  @MethodSource("outputs")
  void everyStepsOutput_roundTrips(Record output) {
    String json = OutputCodec.encode(output);

    Record back = OutputCodec.decode(json, output.getClass(), RUN, StepId.of("any"));

    assertThat(back).isEqualTo(output);
    assertThat(Json.parseObject(json)).as("one JSON object").isNotNull();
  }

  @Test
  void valueTypes_areWrittenAsTheStringsPeopleRead() {
    String json = OutputCodec.encode(new CredentialsStep.Issued("cloudflare", "acct_1", "tok_1", "runs/r/deploy-token",
        T, List.of("Workers Scripts Write"), List.of(), Map.of(), PreparedCredentials.BroadOutcome.DELETED, null));
    String money = OutputCodec.encode(new ServiceStep.Provisioned(WORKERS, Money.usd("15.44")));
    String approval = OutputCodec.encode(new PlanApprovalStep.Approval(true, "ada", List.of(
        new PlanApprovalStep.Quote(StepId.of("plan"), Money.usd("5.00")))));

    assertThat(Json.parseObject(json)).containsEntry("expiresAt", "2026-11-02T09:00:00.123Z")
        .containsEntry("broadOutcome", "DELETED").containsEntry("tokenId", "tok_1");
    assertThat(Json.parseObject(money)).containsEntry("charged", "USD 15.44");
    assertThat(approval).contains("\"step\":\"plan\"").contains("\"amount\":\"USD 5.00\"");
  }

  @Test
  void absentOptionalParts_areLeftOut_andUnknownFieldsFromANewerVersionAreSkipped() {
    assertThat(OutputCodec.encode(new PaymentMethodStep.Ready(null))).isEqualTo("{}");

    ServiceStep.Provisioned read = OutputCodec.decode("{\"resource\":{\"provider\":\"cloudflare\",\"id\":\"res_2\","
        + "\"serviceId\":\"workers\",\"name\":\"my-app-resource\",\"shard\":7},\"tier\":[1,2]}",
        ServiceStep.Provisioned.class, RUN, ResourceStep.ID);

    assertThat(read).isEqualTo(new ServiceStep.Provisioned(WORKERS, null));
  }

  record WithSecret(String name, Secret token) {}

  record WithSecretList(List<Secret> tokens) {}

  record WithSecretMap(Map<String, Secret> tokens) {}

  record Nested(String name, WithSecret inner) {}

  record WithCredentials(DeployCredentials credentials) {}

  record WithPrincipal(Principal principal) {}

  @Test
  void aSecret_isNeverWritten_whereverItSits() {
    Secret canary = Secret.of("canary-7f3a19c2");
    List<Record> holders = List.of(new WithSecret("t", canary), new WithSecretList(List.of(canary)),
        new WithSecretMap(Map.of("t", canary)), new Nested("n", new WithSecret("t", canary)),
        new WithCredentials(new DeployCredentials("cloudflare", "acct_1", "tok_1", canary, null, List.of(), Map.of())));

    for (Record r : holders) {
      assertThatThrownBy(() -> OutputCodec.encode(r)).as(r.getClass().getSimpleName())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Secret is never written to the journal")
          .hasMessageNotContaining("canary");
    }
  }

  @Test
  void aClassThatIsNotAPlainValue_isRefused() {
    Principal p = Principal.builder("s", "https://issuer.test").build();

    assertThatThrownBy(() -> OutputCodec.encode(new WithPrincipal(p))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Principal.class.getName()).hasMessageContaining("not a plain value");
  }

  @Test
  void anEntryThatCannotBeRead_isATypedErrorNamingTheRunAndTheStep() {
    for (String bad : List.of("not json", "{\"resource\":{\"id\":\"res_1\"}}", "{\"verification\":{\"url\":\"https://a\","
        + "\"live\":true}}", "[1,2]", "null")) {
      Class<? extends Record> type = bad.contains("verification") ? VerifyStep.Checked.class : ServiceStep.Provisioned.class;

      assertThatThrownBy(() -> OutputCodec.decode(bad, type, RUN, ResourceStep.ID)).as(bad)
          .isInstanceOfSatisfying(JournalEntryException.class, e -> {
            assertThat(e.run()).isEqualTo(RUN);
            assertThat(e.step()).isEqualTo(ResourceStep.ID);
            assertThat(e.getMessage()).contains("step resource of run run_codec").contains(type.getSimpleName());
            assertThat(e.retryable()).isFalse();
          });
    }
  }
}
