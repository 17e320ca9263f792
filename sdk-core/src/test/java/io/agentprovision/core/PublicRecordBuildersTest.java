package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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

  private static Reservation.Builder reservation() {
    return Reservation.builder("run_1:domain:1", AgentId.of("agent"), "cloudflare", Money.usd("15.00")).createdAt(T)
        .expiresAt(T.plus(Duration.ofHours(1)));
  }

  @Test
  void reservation_startsHeld_andSettlesThroughItsCopy() {
    Reservation held = reservation().build();
    Reservation spent = held.toBuilder().status(Reservation.Status.COMMITTED).committed(Money.usd("14.20")).build();

    assertThat(held.status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(held.held()).isTrue();
    assertThat(held.committed()).isNull();
    assertThat(held.run()).isNull();
    assertThat(held.usage()).isEmpty();
    assertThat(held.description()).isEmpty();
    assertThat(held.counted(T)).as("a held reservation counts in full").isEqualTo(Money.usd("15.00"));
    assertThat(spent.counted(T)).as("a committed one counts what was spent").isEqualTo(Money.usd("14.20"));
    assertThat(spent.id()).isEqualTo(held.id());
    assertThat(held.toBuilder().build()).isEqualTo(held);
    Reservation full = reservation().run(RunId.of("run_1")).step(StepId.of("domain")).description("registrar:domain")
        .usage(List.of(new LimitUsage(io.agentprovision.core.policy.SpendLimit.daily(Money.usd("50.00")),
            "agent|cloudflare", new io.agentprovision.core.policy.SpendInterval.Window(T, T.plus(Duration.ofDays(1))),
            Money.usd("15.00"))))
        .build();
    assertThat(full.toBuilder().build()).isEqualTo(full);
  }

  @Test
  void reservation_withoutARequiredPart_namesIt() {
    assertThatThrownBy(() -> Reservation.builder("r", AgentId.of("agent"), "cloudflare", Money.usd("1.00")).build())
        .isInstanceOf(NullPointerException.class).hasMessage("createdAt");
    assertThatThrownBy(() -> Reservation.builder("r", AgentId.of("agent"), "cloudflare", Money.usd("1.00"))
        .createdAt(T).build()).isInstanceOf(NullPointerException.class).hasMessage("expiresAt");
    assertThatThrownBy(() -> Reservation.builder("r", AgentId.of("agent"), null, Money.usd("1.00")))
        .isInstanceOf(NullPointerException.class).hasMessage("provider");
    assertThatThrownBy(() -> reservation().status(Reservation.Status.COMMITTED).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("committed"));
    assertThatThrownBy(() -> reservation().committed(Money.parse("EUR 1.00")).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("committed"));
    assertThatThrownBy(() -> Reservation.builder("r", AgentId.of("agent"), "cloudflare", Money.usd("-1.00")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("amount"));
  }

  @Test
  void auditRecord_leavesOutWhatIsNotSet_andSortsItsDetails() {
    AuditRecord bare = AuditRecord.builder(T, "audit.reanchored", "ok").build();
    AuditRecord full = AuditRecord.builder(T, "spend.commit", "ok").run(RunId.of("run_1")).step(StepId.of("domain"))
        .agent(AgentId.of("agent")).principal("ada@example.com").approver("ada@example.com")
        .amount(Money.usd("15.00")).idempotencyKey("key_1").detail("reservation", "run_1:domain:1")
        .detail("provider", "cloudflare").build();

    assertThat(bare).isEqualTo(new AuditRecord(T, null, null, "audit.reanchored", null, null, null, null, "ok", null,
        Map.of()));
    assertThat(full.details().keySet()).containsExactly("provider", "reservation");
    assertThat(full.toBuilder().build()).isEqualTo(full);
    assertThat(bare.toBuilder().build()).isEqualTo(bare);
    assertThatThrownBy(() -> AuditRecord.builder(T, null, "ok")).isInstanceOf(NullPointerException.class)
        .hasMessage("action");
    assertThatThrownBy(() -> AuditRecord.builder(T, "spend.commit", " "))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("outcome"));
    assertThatThrownBy(() -> AuditRecord.builder(T, "spend.commit", "ok").detail("reservation", null))
        .isInstanceOf(NullPointerException.class).hasMessage("details[reservation]");
  }

  @Test
  void checkpointRequest_isAYesNoQuestion_untilToldMore() {
    CheckpointRequest bare = CheckpointRequest.builder(CheckpointKind.ACTION_REQUIRED, "Act", "the registrar paused")
        .build();
    CheckpointRequest full = CheckpointRequest.builder(CheckpointKind.DOMAIN_PURCHASE, "Buy my-app.com", "it is free")
        .cost(Money.usd("10.44")).url(URI.create("https://dash.example/checkout")).detail("domain", "my-app.com")
        .timeout(Duration.ofMinutes(30)).build();

    assertThat(bare).isEqualTo(CheckpointRequest.confirm(CheckpointKind.ACTION_REQUIRED, "Act", "the registrar paused"));
    assertThat(bare.cost()).isNull();
    assertThat(bare.url()).isNull();
    assertThat(bare.details()).isEmpty();
    assertThat(bare.timeout()).as("the provisioner's approval timeout applies").isNull();
    assertThat(full.toBuilder().build()).isEqualTo(full);
    assertThat(full.details()).containsEntry("domain", "my-app.com");
    assertThatThrownBy(() -> CheckpointRequest.builder(CheckpointKind.ACTION_REQUIRED, null, "r"))
        .isInstanceOf(NullPointerException.class).hasMessage("title");
    assertThatThrownBy(() -> bare.toBuilder().timeout(Duration.ZERO))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("timeout"));
    assertThatThrownBy(() -> bare.toBuilder().cost(Money.usd("-0.01")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("cost"));
  }

  @Test
  void paymentTokenRequest_needsItsExpiry_andCopiesItself() {
    PaymentTokenRequest r = PaymentTokenRequest.builder("profile_cloudflare", Money.usd("5.00"), "run_1:plan:pay")
        .expiresAt(T.plus(Duration.ofMinutes(10))).build();
    PaymentTokenRequest labelled = r.toBuilder().sellerExternalId("res_42").metadata("run", "run_1")
        .metadata("step", "plan").build();

    assertThat(r.sellerExternalId()).isNull();
    assertThat(r.metadata()).isEmpty();
    assertThat(r.toBuilder().build()).isEqualTo(r);
    assertThat(labelled.metadata()).isEqualTo(Map.of("run", "run_1", "step", "plan"));
    assertThat(labelled.toBuilder().build()).isEqualTo(labelled);
    assertThatThrownBy(() -> PaymentTokenRequest.builder("profile_cloudflare", Money.usd("5.00"), "k").build())
        .isInstanceOf(NullPointerException.class).hasMessage("expiresAt");
    assertThatThrownBy(() -> PaymentTokenRequest.builder("profile_cloudflare", null, "k"))
        .isInstanceOf(NullPointerException.class).hasMessage("maxAmount");
    assertThatThrownBy(() -> PaymentTokenRequest.builder("profile_cloudflare", Money.usd("5.00"), ""))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("idempotencyKey"));
    assertThatThrownBy(() -> PaymentTokenRequest.builder("profile_cloudflare", Money.usd("-5.00"), "k"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxAmount"));
  }
}
