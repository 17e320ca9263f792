package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.ReservationRequest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The builders of the public records with many components: defaults, required parts, copies. */
class PublicRecordBuildersTest {
  private static final Instant T = Instant.parse("2026-11-02T09:00:00Z");

  private static Deployment.Builder deployment() {
    return Deployment.builder(RunId.of("run_1")).url(URI.create("https://my-app.com"))
        .account(new Deployment.AccountSummary("cloudflare", "acct_1", null, "ada@example.com",
            Deployment.AccountSummary.LinkAction.CREATED))
        .verification(new Deployment.AppCheck(URI.create("https://my-app.com"), true, 200, "hello", null))
        .auditHead("abc").finishedAt(T);
  }

  @Test
  void deployment_buildsWithWhatIsRequired_andCopiesItself() {
    Deployment d = deployment().resource(new Deployment.ResourceSummary("workers", "res_1", "my-app", null))
        .spent(List.of(Money.usd("15.44"))).warning("not run here").build();

    assertThat(d.providerUrl()).as("the provider's URL defaults to the URL").isEqualTo(d.url());
    assertThat(d.resources()).hasSize(1);
    assertThat(d.tokens()).isEmpty();
    assertThat(d.auditVerified()).isFalse();
    assertThat(d.toBuilder().build()).isEqualTo(d);
    assertThat(d.toBuilder().providerUrl(URI.create("https://my-app.acct.workers.dev")).build().providerUrl())
        .hasHost("my-app.acct.workers.dev");
  }

  @Test
  void deployment_withoutAnApp_hasNoUrlTokenOrCheck() {
    Deployment d = deployment().url(null).verification(null)
        .resource(new Deployment.ResourceSummary("d1", "res_2", "orders", null)).build();

    assertThat(d.hasApp()).isFalse();
    assertThat(d.url()).isNull();
    assertThat(d.providerUrl()).isNull();
    assertThat(d.verification()).isNull();
    assertThat(d.outcome()).isEqualTo(Deployment.Outcome.PROVISIONED);
    assertThat(d.toBuilder().build()).isEqualTo(d);
    assertThatThrownBy(() -> d.toBuilder().outcome(Deployment.Outcome.LIVE).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PROVISIONED exactly when it has no app URL");
    assertThat(deployment().build().hasApp()).isTrue();
  }

  @Test
  void deployment_withoutARequiredPart_namesIt() {
    assertThatThrownBy(() -> Deployment.builder(RunId.of("run_1")).build()).isInstanceOf(NullPointerException.class)
        .hasMessage("account");
    assertThatThrownBy(() -> Deployment.builder(RunId.of("run_1")).url(URI.create("https://my-app.com")).build())
        .isInstanceOf(NullPointerException.class).hasMessage("account");
    assertThatThrownBy(() -> deployment().verification(null).build())
        .isInstanceOf(NullPointerException.class).hasMessage("verification");
  }

  @Test
  void plannedStep_defaultsToAFreeStep_andCopiesItself() {
    PlannedStep free = PlannedStep.builder(StepId.of("deploy"), StepKind.DEPLOY, "deploy my-app").build();
    PlannedStep domain = PlannedStep.builder(StepId.of("domain"), StepKind.DOMAIN, "register my-app.com")
        .dependsOn(List.of(StepId.of("plan"))).serviceId("registrar:domain").quote(Money.usd("15.00")).priceFinal(false)
        .verdict(PlannedStep.Verdict.NEEDS_APPROVAL).approvals(List.of(CheckpointKind.DOMAIN_PURCHASE)).build();

    assertThat(free.paid()).isFalse();
    assertThat(free.priceFinal()).isTrue();
    assertThat(free.dependsOn()).isEmpty();
    assertThat(domain.paid()).isTrue();
    assertThat(domain.toBuilder().build()).isEqualTo(domain);
  }

  @Test
  void provisionPlan_cannotBeMadeByAHost() {
    assertThat(ProvisionPlan.class.getConstructors()).as("public constructors").isEmpty();
  }

  @Test
  void journalRecords_buildAndStepToTheirNextVersion() {
    RunRecord run = RunRecord.builder(RunId.of("run_1"), AgentId.of("agent"), "cloudflare", "{}").createdAt(T).build();
    StepRecord step = StepRecord.builder(RunId.of("run_1"), StepId.of("plan")).updatedAt(T).build();
    StepRecord next = step.next(T.plusSeconds(1)).status(StepStatus.RUNNING).reservation("r1").reservation("r1").build();

    assertThat(run.status()).isEqualTo(RunStatus.PLANNED);
    assertThat(run.updatedAt()).isEqualTo(T);
    assertThat(run.toBuilder().build()).isEqualTo(run);
    assertThat(step.status()).isEqualTo(StepStatus.PENDING);
    assertThat(next.version()).isEqualTo(1);
    assertThat(next.reservations()).containsExactly("r1");
    assertThatThrownBy(() -> StepRecord.builder(RunId.of("run_1"), StepId.of("plan")).build())
        .isInstanceOf(NullPointerException.class).hasMessage("updatedAt");
  }

  @Test
  void reservationRequest_needsItsTimes() {
    ReservationRequest r = ReservationRequest.builder("run_1:plan:1", AgentId.of("agent"), "cloudflare",
        Money.usd("5.00")).at(T).expiresAt(T.plus(Duration.ofHours(1))).build();

    assertThat(r.zone()).isEqualTo(java.time.ZoneOffset.UTC);
    assertThat(r.limits()).isEmpty();
    assertThat(r.run()).isNull();
    assertThatThrownBy(() -> ReservationRequest.builder("id", AgentId.of("agent"), "cloudflare", Money.usd("1.00"))
        .at(T).build()).isInstanceOf(NullPointerException.class).hasMessage("expiresAt");
  }

  @Test
  void spiRecords_buildWithTheirDefaults_andCopyThemselves() {
    io.agentprovision.core.orchestration.ResourceRef ref = new io.agentprovision.core.orchestration.ResourceRef(
        "cloudflare", "res_1", "workers", "my-app");
    var state = io.agentprovision.core.orchestration.ResourceState.builder(ref,
        io.agentprovision.core.orchestration.ResourceStatus.COMPLETE).charged(Money.usd("5.00")).build();
    var account = io.agentprovision.core.orchestration.ProviderAccount.builder("cloudflare", "acct_1")
        .email("ada@example.com").build();
    var creds = io.agentprovision.core.deploy.DeployCredentials.builder("cloudflare", "acct_1", "tok_1",
        Secret.of("value")).permissions(List.of("Workers Scripts Write")).build();
    var app = io.agentprovision.core.deploy.DeployedApp.builder("cloudflare", "acct_1", "my-app",
        URI.create("https://my-app.acct.workers.dev")).build();
    var offering = io.agentprovision.core.catalog.ServiceOffering.builder("workers:paid", "cloudflare",
        io.agentprovision.core.catalog.ServiceOffering.KIND_PLAN).build();
    var provider = io.agentprovision.core.catalog.ProviderInfo.builder("cloudflare").build();

    assertThat(state.attributes()).isEmpty();
    assertThat(state.needsInformation()).isNull();
    assertThat(account.linkAction()).isEqualTo(io.agentprovision.core.orchestration.ProviderAccount.LinkAction.UNKNOWN);
    assertThat(creds.expiresAt()).isNull();
    assertThat(app.primaryUrl()).isEqualTo(app.url());
    assertThat(offering.pricing().isPaid()).isFalse();
    assertThat(offering.scope()).isEqualTo("account");
    assertThat(provider).isEqualTo(io.agentprovision.core.catalog.ProviderInfo.named("cloudflare"));
    assertThat(List.of(state.toBuilder().build(), account.toBuilder().build(), creds.toBuilder().build(),
        app.toBuilder().build(), offering.toBuilder().build(), provider.toBuilder().build()))
        .containsExactly(state, account, creds, app, offering, provider);
  }
}
