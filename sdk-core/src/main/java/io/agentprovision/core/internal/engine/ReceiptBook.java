package io.agentprovision.core.internal.engine;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalReceipt;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.ReceiptExpectation;
import io.agentprovision.core.approval.ReceiptRejectedException;
import io.agentprovision.core.approval.ReceiptRejectedException.Reason;
import io.agentprovision.core.approval.ReceiptVerification;
import io.agentprovision.core.approval.Receipts;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.StepRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The engine's side of signed approval receipts: signs one for every decision it records (when the
 * provisioner has a key), checks a journaled approval's receipt before a resumed step reuses it,
 * checks a run's receipts when the run ends, and every receipt in the audit log on request.
 */
final class ReceiptBook implements Receipts {
  private final EngineConfig config;

  ReceiptBook(EngineConfig config) {
    this.config = config;
  }

  boolean signing() {
    ApprovalReceipts r = config.receipts();
    return r != null && r.key().canSign();
  }

  /** The receipt of {@code decision}, or null when the provisioner signs none. */
  @Nullable String sign(Checkpoints.Asker who, ApprovalRequest request, ApprovalDecision decision, String requestHash,
      @Nullable String mandate) {
    ApprovalReceipts r = config.receipts();
    if (r == null || !r.key().canSign()) {
      return null;
    }
    return r.sign(new ApprovalReceipt(request.id(), who.run(), who.step(), who.agent(),
        who.principal() == null ? null : who.principal().subject(), request.kind(), decision.outcome(),
        decision.approver(), request.cost(), requestHash, who.planHash(), mandate, decision.decidedAt(), r.issuer(),
        r.key().keyId()));
  }

  /**
   * The receipt of {@code decision} given through the journal to the parked approval {@code a}
   * ({@code decidedAt} by this host's clock), or null when the provisioner signs none. It binds the
   * plan hash the step journaled when it parked ({@code Parking.PLAN_HASH}); the person's subject is
   * not in the journal's record, so it names none (the step's own receipt, signed when it takes the
   * answer, does).
   */
  @Nullable String sign(ApprovalRecord a, ApprovalDecision decision, Instant decidedAt) {
    ApprovalReceipts r = config.receipts();
    if (r == null || !r.key().canSign()) {
      return null;
    }
    return r.sign(new ApprovalReceipt(a.id(), a.run(), a.step(), a.agent(), null, a.kind(), decision.outcome(),
        decision.approver(), a.cost(), a.fingerprint(), a.details().get(Parking.PLAN_HASH), null, decidedAt,
        r.issuer(), r.key().keyId()));
  }

  /**
   * Why the journaled approval {@code earlier} may not be reused for a request expected to be
   * {@code expected}, or null when its receipt stands for it (or the provisioner signs none).
   */
  @Nullable ReceiptRejectedException refusalOfReuse(CheckpointDecision earlier, ReceiptExpectation expected) {
    ApprovalReceipts r = config.receipts();
    if (r == null) {
      return null;
    }
    String jws = earlier.receipt();
    if (jws == null) {
      return new ReceiptRejectedException(Reason.MISSING, "the journaled approval " + earlier.approvalId()
          + " carries no receipt");
    }
    try {
      r.verify(jws, expected.forApproval(earlier.approvalId()));
      return null;
    } catch (ReceiptRejectedException e) {
      return e;
    }
  }

  @Override
  public ApprovalReceipt verify(String jws, ReceiptExpectation expected) {
    return receipts().verify(jws, expected);
  }

  private ApprovalReceipts receipts() {
    ApprovalReceipts r = config.receipts();
    if (r == null) {
      throw new InvalidRequestException("receiptKey", "this provisioner signs no approval receipts",
          "configure AgentProvisioner.builder().receiptKey(ReceiptKey...)");
    }
    return r;
  }

  /**
   * Whether every receipt journaled with {@code run}'s decisions verifies and says what its decision
   * says; adds a line to {@code warnings} for each that does not.
   */
  boolean verifyRun(RunId run, List<String> warnings) {
    ApprovalReceipts r = config.receipts();
    if (r == null) {
      return true;
    }
    boolean ok = true;
    for (StepRecord s : config.journal().steps(run)) {
      for (CheckpointDecision d : s.decisions()) {
        String jws = d.receipt();
        if (jws == null) {
          continue;
        }
        String problem = problem(r, jws, d.approvalId(), run, s.step(), d.kind().name(), d.outcome(), d.approver(),
            null, false, d.fingerprint());
        if (problem != null) {
          ok = false;
          warnings.add("the receipt of approval " + d.approvalId() + " in step " + s.step() + " does not verify: "
              + problem);
        }
      }
    }
    return ok;
  }

  @Override
  public ReceiptVerification verify() {
    ApprovalReceipts r = receipts();
    Map<String, String> requested = new HashMap<>();
    Set<String> seen = new HashSet<>();
    List<ReceiptVerification.Problem> problems = new ArrayList<>();
    int count = 0;
    int unsigned = 0;
    for (AuditEntry e : config.audit().entries()) {
      AuditRecord a = e.record();
      Map<String, String> d = a.details();
      if (a.action().equals("approval.requested")) {
        String id = d.get("approval_id");
        String hash = d.get("request_sha256");
        if (id != null && hash != null) {
          requested.put(id, hash);
        }
        continue;
      }
      if (!a.action().equals("approval.decided")) {
        continue;
      }
      String id = d.get("approval_id");
      String jws = d.get("receipt");
      if (jws == null) {
        unsigned++;
        continue;
      }
      count++;
      if (id != null && !seen.add(id)) {
        problems.add(new ReceiptVerification.Problem(e.sequence(), id, Reason.REPLAYED, "a receipt of approval " + id
            + " was recorded for a decision before"));
        continue;
      }
      ApprovalDecision.Outcome outcome;
      try {
        outcome = ApprovalDecision.Outcome.valueOf(a.outcome().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException x) {
        outcome = null;
      }
      String[] problem = problemWithReason(r, jws, id, a.run(), a.step(), d.get("kind"), outcome, a.approver(),
          a.amount(), true, id == null ? null : requested.get(id));
      if (problem != null) {
        problems.add(new ReceiptVerification.Problem(e.sequence(), id, Reason.valueOf(problem[0]), problem[1]));
      }
    }
    return new ReceiptVerification(problems.isEmpty(), count, unsigned, problems);
  }

  private static @Nullable String problem(ApprovalReceipts r, String jws, @Nullable String approvalId,
      @Nullable RunId run, @Nullable StepId step, @Nullable String kind, ApprovalDecision.@Nullable Outcome outcome,
      @Nullable String approver, @Nullable Money amount, boolean checkAmount, @Nullable String requestHash) {
    String[] p = problemWithReason(r, jws, approvalId, run, step, kind, outcome, approver, amount, checkAmount,
        requestHash);
    return p == null ? null : p[1];
  }

  /** The first way {@code jws} differs from the decision it is recorded with, as {reason, detail}, or null. */
  private static String @Nullable [] problemWithReason(ApprovalReceipts r, String jws, @Nullable String approvalId,
      @Nullable RunId run, @Nullable StepId step, @Nullable String kind, ApprovalDecision.@Nullable Outcome outcome,
      @Nullable String approver, @Nullable Money amount, boolean checkAmount, @Nullable String requestHash) {
    ApprovalReceipt c;
    try {
      c = r.verify(jws);
    } catch (ReceiptRejectedException x) {
      return new String[] {x.reason().name(), x.getMessage()};
    }
    if (!Objects.equals(approvalId, c.approvalId())) {
      return new String[] {Reason.APPROVAL.name(), "issued for approval " + c.approvalId() + ", recorded for "
          + approvalId};
    }
    if (!Objects.equals(run, c.run()) || !Objects.equals(step, c.step())) {
      return new String[] {Reason.RUN.name(), "issued in run " + c.run() + " step " + c.step() + ", recorded in run "
          + run + " step " + step};
    }
    if (kind == null || !kind.equals(c.kind().name())) {
      return new String[] {Reason.KIND.name(), "issued for " + c.kind() + ", recorded for " + kind};
    }
    if (outcome != c.outcome() || !Objects.equals(approver, c.approver())) {
      return new String[] {Reason.OUTCOME.name(), "says " + c.outcome() + " by " + c.approver() + ", recorded as "
          + outcome + " by " + approver};
    }
    if (checkAmount && !Objects.equals(amount, c.amount())) {
      return new String[] {Reason.AMOUNT.name(), "issued for " + c.amount() + ", recorded for " + amount};
    }
    if (requestHash != null && !requestHash.equals(c.requestHash())) {
      return new String[] {Reason.REQUEST.name(), "issued for another question than the one recorded"};
    }
    return null;
  }
}
