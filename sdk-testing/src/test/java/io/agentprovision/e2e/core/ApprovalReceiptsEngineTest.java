package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalReceipt;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.approval.ReceiptExpectation;
import io.agentprovision.core.approval.ReceiptKey;
import io.agentprovision.core.approval.ReceiptRejectedException;
import io.agentprovision.core.approval.ReceiptVerification;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.testing.SimulatedCrash;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Signed approval receipts through the engine: every decision of a run, the first and the later
 * changes, carries an ES256 receipt in its audit and journal entries, bound to its run, request and
 * plan; {@code receipts().verify()} finds a receipt replayed, moved, edited or forged in the log; and
 * a journaled approval whose receipt was made for another run is not reused on resume.
 */
class ApprovalReceiptsEngineTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private static final RunId RUN = RunId.of("run_receipts");
  private final ReceiptKey key = ReceiptKey.generate("host-2026");
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner provisioner() {
    return h.provisioner(b -> b.receiptKey(key).receiptIssuer("test-host"));
  }

  private List<AuditEntry> decided() {
    return h.audit.entries().stream().filter(e -> e.record().action().equals("approval.decided")).toList();
  }

  /** The question as the gate saw it, rebuilt the way a host would to check the receipt. */
  private static CheckpointRequest asked(ApprovalRequest r) {
    return new CheckpointRequest(r.kind(), r.title(), r.reason(), r.cost(), r.url(), r.details(), null);
  }

  @Test
  void everyDecision_carriesAReceiptBoundToItsRunRequestAndPlan() {
    AgentProvisioner p = provisioner();
    ProvisionPlan plan = p.plan(EngineHarness.request().runId(RUN).build());

    Deployment d = p.execute(plan);

    assertThat(decided()).hasSize(h.gate.requests().size()).allSatisfy(e -> assertThat(e.record().details())
        .containsKey("receipt"));
    ApprovalReceipts verifier = ApprovalReceipts.of(ReceiptKey.fromPublicJwk(key.publicJwk()));
    String planHash = ApprovalReceipts.planHash(plan.steps());
    for (ApprovalRequest asked : h.gate.requests()) {
      String jws = decided().stream().filter(e -> asked.id().equals(e.record().details().get("approval_id")))
          .findFirst().orElseThrow().record().details().get("receipt");
      ApprovalReceipt r = verifier.verify(jws, ReceiptExpectation.of(RUN, asked(asked), planHash).forApproval(asked.id()));
      assertThat(r.approver()).isEqualTo("test-human");
      assertThat(r.issuer()).isEqualTo("test-host");
      assertThat(r.principal()).isEqualTo("user-1");
    }
    assertThat(h.journal.step(RUN, StepId.of("domain")).orElseThrow().decisions()).singleElement()
        .satisfies(dec -> assertThat(dec.receipt()).isNotNull());
    ReceiptVerification v = p.receipts().verify();
    assertThat(v.valid()).isTrue();
    assertThat(v.receipts()).isEqualTo(h.gate.requests().size());
    assertThat(v.unsigned()).isZero();
    assertThat(d.warnings()).isEmpty();
  }

  @Test
  void aChangesApprovals_carryReceiptsAndTheChangeSaysTheyVerified() {
    AgentProvisioner p = provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());

    LifecycleResult t = p.change(LifecycleRequest.teardown(AGENT, d.runId()).build());

    assertThat(t.receiptsVerified()).isTrue();
    assertThat(decided()).filteredOn(e -> t.runId().equals(e.record().run())).singleElement()
        .satisfies(e -> assertThat(e.record().details().get("kind")).isEqualTo("CHANGE_APPROVAL"))
        .satisfies(e -> assertThat(ApprovalReceipts.of(key).verify(e.record().details().get("receipt")).run())
            .isEqualTo(t.runId()));
    assertThat(p.receipts().verify().valid()).isTrue();
  }

  /** A copy of the audit log with one decided entry changed: what someone who can rewrite the log (without an audit key) could do. */
  private AuditLog rewritten(String kind, UnaryOperator<AuditRecord> change) {
    AuditLog copy = AuditLog.inMemory();
    boolean done = false;
    for (AuditEntry e : h.audit.entries()) {
      AuditRecord r = e.record();
      if (!done && r.action().equals("approval.decided") && kind.equals(r.details().get("kind"))) {
        r = change.apply(r);
        done = true;
      }
      copy.append(r);
    }
    assertThat(done).isTrue();
    return copy;
  }

  private static AuditRecord with(AuditRecord r, Money amount, Map<String, String> details) {
    return new AuditRecord(r.time(), r.run(), r.step(), r.action(), r.agent(), r.principal(), r.approver(), amount,
        r.outcome(), r.idempotencyKey(), details);
  }

  private ReceiptVerification verifyOver(AuditLog log) {
    return h.provisioner(b -> b.receiptKey(key).audit(log)).receipts().verify();
  }

  @Test
  void verify_findsAnEditedAmountAForgedReceiptAndAReceiptReplayedOnAnotherApproval() {
    provisioner().provisionAndDeploy(EngineHarness.request().build());
    AuditRecord plan = decided().stream().map(AuditEntry::record)
        .filter(r -> "PLAN_APPROVAL".equals(r.details().get("kind"))).findFirst().orElseThrow();

    // the amount edited in the log (its chain recomputed): the receipt still says USD 5.00
    ReceiptVerification edited = verifyOver(rewritten("DOMAIN_PURCHASE", r -> with(r, Money.usd("1.00"),
        r.details())));
    assertThat(edited.valid()).isFalse();
    assertThat(edited.problems()).singleElement()
        .satisfies(x -> assertThat(x.reason()).isEqualTo(ReceiptRejectedException.Reason.AMOUNT));

    // the plan approval's receipt put on the domain purchase's decision
    ReceiptVerification moved = verifyOver(rewritten("DOMAIN_PURCHASE", r -> {
      Map<String, String> details = new LinkedHashMap<>(r.details());
      details.put("receipt", plan.details().get("receipt"));
      return with(r, r.amount(), details);
    }));
    assertThat(moved.problems()).singleElement()
        .satisfies(x -> assertThat(x.reason()).isEqualTo(ReceiptRejectedException.Reason.APPROVAL));

    // a receipt signed by another key under the host's key id
    ApprovalReceipts forger = ApprovalReceipts.of(ReceiptKey.generate("host-2026"));
    ReceiptVerification forged = verifyOver(rewritten("DOMAIN_PURCHASE", r -> {
      ApprovalReceipt genuine = ApprovalReceipts.of(key).verify(r.details().get("receipt"));
      Map<String, String> details = new LinkedHashMap<>(r.details());
      details.put("receipt", forger.sign(genuine));
      return with(r, r.amount(), details);
    }));
    assertThat(forged.problems()).singleElement()
        .satisfies(x -> assertThat(x.reason()).isEqualTo(ReceiptRejectedException.Reason.SIGNATURE));

    // the same decision recorded twice
    h.audit.append(plan);
    ReceiptVerification replayed = h.provisioner(b -> b.receiptKey(key)).receipts().verify();
    assertThat(replayed.problems()).singleElement()
        .satisfies(x -> assertThat(x.reason()).isEqualTo(ReceiptRejectedException.Reason.REPLAYED));
  }

  @Test
  void resume_aJournaledApprovalWhoseReceiptIsAnotherRuns_isNotReusedAndThePersonIsAskedAgain() {
    RunId first = RunId.of("run_a");
    provisioner().provisionAndDeploy(EngineHarness.request().runId(first).build());
    CheckpointDecision other = h.journal.step(first, StepId.of("domain")).orElseThrow().decisions().get(0);
    h.orchestrator.crashBefore("submitInformation", 1); // run_b's purchase: approved, then the host died
    assertThatThrownBy(() -> provisioner().provisionAndDeploy(EngineHarness.request().runId(RUN).build()))
        .isInstanceOf(SimulatedCrash.class);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).hasSize(2);
    // someone who can write the journal moves run_a's approval (and receipt) into run_b, matching its question
    StepRecord domain = h.journal.step(RUN, StepId.of("domain")).orElseThrow();
    CheckpointDecision mine = domain.decisions().get(0);
    CheckpointDecision moved = new CheckpointDecision(mine.sequence(), other.approvalId(), mine.kind(),
        mine.fingerprint(), other.outcome(), other.approver(), other.decidedAt(), false, other.receipt());
    assertThat(h.journal.saveStep(domain.next(h.time.instant()).decisions(List.of(moved)).build())).isTrue();

    Deployment d = provisioner().resume(AGENT, RUN);

    assertThat(d.domain()).isEqualTo("my-app.com");
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).as("asked again, not reused").hasSize(3);
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("approval.receipt_refused"))
        .singleElement().satisfies(e -> {
          assertThat(e.record().run()).isEqualTo(RUN);
          assertThat(e.record().details()).containsEntry("reason", "run")
              .containsEntry("approval_id", other.approvalId());
        });
    assertThat(h.auditActions()).doesNotContain("approval.reused");
  }
}
