package io.agentprovision.e2e.core;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.Secret;
import io.agentprovision.core.WorkerApp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Secrets stay secret, MFA is enforced where policy says, the audit chain holds. */
class SecurityTest {
  private static final String ID_CANARY = "canary-id-token-7f3a19c2";
  private static final String BINDING_CANARY = "canary-binding-secret-91bd44e0";

  private static final io.agentprovision.core.AgentId AGENT = io.agentprovision.core.AgentId.of("coding-agent-7");

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private static Principal person(String subject, List<String> amr) {
    return Principal.builder(subject, "https://issuer.test").email(subject + "@example.com", true).amr(amr).build();
  }

  @Test
  void secretsNeverReachLogsEventsExceptionsAuditJournalOrToString() {
    Secret idToken = Secret.of(ID_CANARY);
    h.identity = FakeIdentityProvider.builder().token(idToken, person("ada", List.of("pwd"))).build();
    WorkerApp app = EngineHarness.app().toBuilder().secretText("API_KEY", Secret.of(BINDING_CANARY)).build();
    PrintStream originalErr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    List<String> surfaces = new ArrayList<>();
    Deployment d;
    String deployToken;
    List<String> broadTokens = new ArrayList<>();
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    try {
      AgentProvisioner p = h.provisioner();
      ProvisionRequest request = EngineHarness.request().app(app).identityToken(idToken).build();
      ProvisionPlan plan = p.plan(request);
      d = p.execute(plan);
      surfaces.add(request.toString());
      surfaces.add(plan.toString());
      surfaces.add(d.toString());
      surfaces.add(p.toString());
      deployToken = h.vault.get(d.tokens().get(0).vaultKey()).orElseThrow().secret().reveal();
      for (String k : h.vault.keys("runs/" + d.runId() + "/broad/")) {
        if (k.endsWith("_API_TOKEN")) { // the account id is stored alongside but is no secret
          broadTokens.add(h.vault.get(k).orElseThrow().secret().reveal());
        }
      }

      // a second run that fails after minting a token: its exception and compensation must be clean too
      h.deployer.failOn("deploy", 1, new ProviderException("cloudflare", 403, "10000", "req-9", "Authentication error",
          false));
      try {
        p.provisionAndDeploy(EngineHarness.request().app(app).identityToken(idToken).project("second").build());
      } catch (RuntimeException e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        surfaces.add(trace.toString());
      }
    } finally {
      System.setErr(originalErr);
    }
    surfaces.add(logs.toString(StandardCharsets.UTF_8));
    surfaces.add(h.events.toString());
    StringWriter export = new StringWriter();
    try {
      h.audit.export(export);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    surfaces.add(export.toString());
    for (RunRecord r : h.journal.runs()) {
      surfaces.add(r.toString());
      surfaces.add(h.journal.steps(r.id()).toString());
    }
    surfaces.add(h.gate.requests().toString());

    List<String> secrets = new ArrayList<>(List.of(ID_CANARY, BINDING_CANARY, deployToken));
    secrets.addAll(broadTokens);
    assertThat(broadTokens).isNotEmpty();
    String everything = String.join("\n", surfaces);
    assertThat(everything).contains("[redacted]").contains(d.runId().value());
    for (String secret : secrets) {
      assertThat(everything).doesNotContain(secret);
    }
    // and they are where they belong: the vault
    assertThat(h.vault.get("runs/" + d.runId() + "/app-secret/API_KEY").orElseThrow().secret().reveal())
        .isEqualTo(BINDING_CANARY);
  }

  @Test
  void sensitiveSteps_demandMfa_andAStepUpWithASecondFactorLetsThemThrough() {
    Secret password = Secret.of("id-token-password-only");
    h.identity = FakeIdentityProvider.builder().token(password, person("ada", List.of("pwd"))).build();
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN, CheckpointKind.DOMAIN_PURCHASE).build();
    h.gate.stepUp(r -> h.identity.stepUp(person("ada", List.of("pwd", "otp")).toBuilder().authTime(h.time.instant())
        .build(), r.details().get("nonce")));
    AgentProvisioner p = h.provisioner();

    Deployment d = p.provisionAndDeploy(EngineHarness.request().identityToken(password).build());

    assertThat(d.verification().live()).isTrue();
    assertThat(h.gate.requests(CheckpointKind.STEP_UP)).hasSize(1);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).singleElement()
        .satisfies(r -> assertThat(r.principal().multiFactor()).isTrue());
    assertThat(h.audit.entries()).anySatisfy(e -> {
      assertThat(e.record().action()).isEqualTo("identity.stepped_up");
      assertThat(e.record().details()).containsEntry("amr", "pwd,otp");
    });
  }

  @Test
  void sensitiveSteps_withoutAStepUp_buyNothing() {
    h.identity = FakeIdentityProvider.returning(person("ada", List.of("pwd")));
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN).build();
    h.gate.deny(CheckpointKind.STEP_UP, "no phone at hand");
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalDeniedException.class);
    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void stepUp_bySomeoneElse_isRejected() {
    Secret mine = Secret.of("id-token-ada");
    h.identity = FakeIdentityProvider.builder().token(mine, person("ada", List.of("pwd"))).build();
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN).build();
    h.gate.stepUp(r -> h.identity.stepUp(person("eve", List.of("pwd", "otp")).toBuilder().authTime(h.time.instant())
        .build(), r.details().get("nonce")));
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().identityToken(mine).build()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("subject"));
    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void principalWithoutVerifiedEmail_isRejectedBeforeAnyAccountIsCreated() {
    h.identity = FakeIdentityProvider.builder().requireVerifiedEmail(false)
        .principal(Principal.builder("ada", "https://issuer.test").email("ada@example.com", false).build()).build();
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOfSatisfying(IdentityRejectedException.class,
            e -> assertThat(e.check()).isEqualTo("email_verified"));
    assertThat(h.orchestrator.accounts()).isEmpty();
  }

  @Test
  void auditChainOfARun_verifies_andDetectsAnEditedOrDeletedEntry() {
    h.provisioner().provisionAndDeploy(EngineHarness.request().build());
    List<AuditEntry> entries = h.audit.entries();
    assertThat(AuditChain.verify(entries, entries.get(entries.size() - 1).hash(), (long) entries.size()).valid()).isTrue();

    List<AuditEntry> edited = new ArrayList<>(entries);
    AuditEntry e5 = edited.get(4);
    AuditRecord r = e5.record();
    edited.set(4, new AuditEntry(e5.sequence(), new AuditRecord(r.time(), r.run(), r.step(), r.action(), r.agent(),
        r.principal(), "someone-else", r.amount(), r.outcome(), r.idempotencyKey(), r.details()), e5.previousHash(),
        e5.hash()));
    AuditVerification v = AuditChain.verify(edited, null, null);
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(5);

    List<AuditEntry> deleted = new ArrayList<>(entries);
    deleted.remove(7);
    assertThat(AuditChain.verify(deleted, null, null).firstBadSequence()).isEqualTo(9);

    List<AuditEntry> truncated = entries.subList(0, entries.size() - 2);
    assertThat(AuditChain.verify(truncated, entries.get(entries.size() - 1).hash(), (long) entries.size()).valid())
        .isFalse();
  }

  @Test
  void rotateCredentials_rollsTheDeployTokenAndReplacesItInTheVault() {
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());
    String key = d.tokens().get(0).vaultKey();
    Secret before = h.vault.get(key).orElseThrow().secret();
    h.time.advance(Duration.ofDays(6));

    assertThat(p.credentialsDueForRotation(Duration.ofDays(2))).containsExactly(d.runId());
    assertThat(p.credentialsDueForRotation(Duration.ofHours(12))).isEmpty();
    Deployment.TokenSummary rotated = p.rotateCredentials(AGENT, d.runId());

    assertThat(rotated.tokenId()).isEqualTo(d.tokens().get(0).tokenId());
    Secret after = h.vault.get(key).orElseThrow().secret();
    assertThat(after.matches(before)).isFalse();
    assertThat(p.deployCredentials(AGENT, d.runId()).token().matches(after)).isTrue();
    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> assertThat(t.rolls()).isEqualTo(1));
    assertThat(h.auditActions()).contains("token.roll", "credentials.rotated");
    // rotation renewed the token for its lifetime, so it is no longer due
    assertThat(rotated.expiresAt()).isEqualTo(h.time.instant().plus(Duration.ofDays(7)));
    assertThat(p.credentialsDueForRotation(Duration.ofDays(2))).isEmpty();
  }

  @Test
  void deniedConsent_stopsCleanly() {
    h.orchestrator = FakeOrchestrator.builder().existingAccount("ada@example.com").paymentMethodOnFile(true).build();
    h.gate.deny(CheckpointKind.ACCOUNT_CONSENT, "not that account");
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalDeniedException.class);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.auditActions()).contains("run.failed");
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("approval.decided"))
        .anySatisfy(e -> assertThat(e.record().details()).containsEntry("kind", "ACCOUNT_CONSENT"));
  }
}
