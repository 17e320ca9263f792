package io.agentprovision.core.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.ReceiptRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Receipts and mandates signed with real ES256 keys: what verifies, and every way a receipt is
 * refused (forged, unknown key, another algorithm, edited, for another run, amount, request or plan).
 */
class ApprovalReceiptsTest {
  private static final Instant NOW = Instant.parse("2026-11-02T09:00:00Z");
  private static final RunId RUN = RunId.of("run_1");
  private static final ReceiptKey HOST = ReceiptKey.generate("receipts-2026");
  private static final ApprovalReceipts RECEIPTS = ApprovalReceipts.of(HOST).issuer("acme-host");

  private static final CheckpointRequest PAY = CheckpointRequest.confirm(CheckpointKind.PAID_PLAN,
      "Pay USD 5.00 for workers:paid", "agent coding-agent-7 needs it for run run_1").withCost(Money.usd("5.00"));
  private static final List<PlannedStep> PLAN = List.of(
      PlannedStep.builder(StepId.of("identity"), StepKind.IDENTITY, "who").build(),
      PlannedStep.builder(StepId.of("plan"), StepKind.PLAN, "subscribe").serviceId("workers:paid")
          .quote(Money.usd("5.00")).verdict(PlannedStep.Verdict.NEEDS_APPROVAL).build());
  private static final String PLAN_HASH = ApprovalReceipts.planHash(PLAN);

  private static ApprovalReceipt claims(String approvalId, RunId run, Money amount, String requestHash) {
    return new ApprovalReceipt(approvalId, run, StepId.of("plan"), AgentId.of("coding-agent-7"), "user-1",
        CheckpointKind.PAID_PLAN, ApprovalDecision.Outcome.APPROVED, "ada", amount, requestHash, PLAN_HASH, null, NOW,
        "ignored", "ignored");
  }

  private static String receipt() {
    return RECEIPTS.sign(claims("apr_1", RUN, Money.usd("5.00"), ApprovalReceipts.requestHash(PAY)));
  }

  private static ReceiptExpectation expected() {
    return ReceiptExpectation.of(RUN, PAY, PLAN_HASH);
  }

  private static Reason refusal(Runnable r) {
    return catchThrowableOfType(ReceiptRejectedException.class, r::run).reason();
  }

  @Test
  void verify_aReceiptForExactlyThisApproval_readsEveryClaim() {
    ApprovalReceipt r = RECEIPTS.verify(receipt(), expected().forApproval("apr_1"));

    assertThat(r.approvalId()).isEqualTo("apr_1");
    assertThat(r.run()).isEqualTo(RUN);
    assertThat(r.kind()).isEqualTo(CheckpointKind.PAID_PLAN);
    assertThat(r.amount()).isEqualTo(Money.usd("5.00"));
    assertThat(r.approver()).isEqualTo("ada");
    assertThat(r.planHash()).isEqualTo(PLAN_HASH);
    assertThat(r.issuer()).isEqualTo("acme-host");
    assertThat(r.keyId()).isEqualTo("receipts-2026");
    assertThat(r.decidedAt()).isEqualTo(NOW);
    // anyone with the public half verifies it, nobody with it alone can sign
    ApprovalReceipts auditor = ApprovalReceipts.of(ReceiptKey.fromPublicJwk(HOST.publicJwk()));
    assertThat(auditor.verify(receipt()).approvalId()).isEqualTo("apr_1");
    assertThatThrownBy(() -> auditor.sign(claims("apr_2", RUN, Money.usd("5.00"), "x")))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void verify_aForgedSignature_isRefused() {
    // someone else's key under the host's key id
    ApprovalReceipts forger = ApprovalReceipts.of(ReceiptKey.generate("receipts-2026"));
    String forged = forger.sign(claims("apr_1", RUN, Money.usd("5.00"), ApprovalReceipts.requestHash(PAY)));

    assertThat(refusal(() -> RECEIPTS.verify(forged, expected()))).isEqualTo(Reason.SIGNATURE);
    String unknown = ApprovalReceipts.of(ReceiptKey.generate("someone-else")).sign(claims("apr_1", RUN,
        Money.usd("5.00"), ApprovalReceipts.requestHash(PAY)));
    assertThat(refusal(() -> RECEIPTS.verify(unknown))).isEqualTo(Reason.UNKNOWN_KEY);
  }

  @Test
  void verify_anEditedAmount_isRefused() {
    String[] parts = receipt().split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    assertThat(payload).contains("\"minor\":500");
    String edited = payload.replace("\"minor\":500", "\"minor\":50000");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        edited.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];

    assertThat(refusal(() -> RECEIPTS.verify(tampered, expected()))).isEqualTo(Reason.SIGNATURE);
    // a genuine receipt presented for another amount
    assertThat(refusal(() -> RECEIPTS.verify(receipt(), ReceiptExpectation.of(RUN, PAY.withCost(Money.usd("50.00")),
        PLAN_HASH)))).isIn(Reason.AMOUNT, Reason.REQUEST);
    assertThat(refusal(() -> RECEIPTS.verify(receipt(), new ReceiptExpectation(null, RUN, CheckpointKind.PAID_PLAN,
        Money.usd("50.00"), ApprovalReceipts.requestHash(PAY), PLAN_HASH)))).isEqualTo(Reason.AMOUNT);
  }

  @Test
  void verify_aReceiptReplayedOnAnotherPlanRunOrQuestion_isRefused() {
    List<PlannedStep> otherPlan = List.of(PLAN.get(0), PLAN.get(1).toBuilder().quote(Money.usd("50.00")).build());

    assertThat(refusal(() -> RECEIPTS.verify(receipt(), ReceiptExpectation.of(RUN, PAY,
        ApprovalReceipts.planHash(otherPlan))))).isEqualTo(Reason.PLAN);
    assertThat(refusal(() -> RECEIPTS.verify(receipt(), ReceiptExpectation.of(RunId.of("run_2"), PAY, PLAN_HASH))))
        .isEqualTo(Reason.RUN);
    CheckpointRequest other = CheckpointRequest.confirm(CheckpointKind.PAID_PLAN, "Pay USD 5.00 for workers:gold",
        PAY.reason()).withCost(Money.usd("5.00"));
    assertThat(refusal(() -> RECEIPTS.verify(receipt(), ReceiptExpectation.of(RUN, other, PLAN_HASH))))
        .isEqualTo(Reason.REQUEST);
    assertThat(refusal(() -> RECEIPTS.verify(receipt(), expected().forApproval("apr_9")))).isEqualTo(Reason.APPROVAL);
    assertThat(refusal(() -> RECEIPTS.verify(receipt(), new ReceiptExpectation(null, RUN, CheckpointKind.DOMAIN_PURCHASE,
        Money.usd("5.00"), ApprovalReceipts.requestHash(PAY), PLAN_HASH)))).isEqualTo(Reason.KIND);
  }

  @Test
  void verify_anotherAlgorithmOrGarbage_isRefusedBeforeItsClaimsAreRead() throws Exception {
    SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("receipts-2026")
        .type(new JOSEObjectType(ApprovalReceipts.TYPE)).build(), new JWTClaimsSet.Builder().jwtID("apr_1").build());
    hs.sign(new MACSigner(new byte[32]));

    assertThat(refusal(() -> RECEIPTS.verify(hs.serialize()))).isEqualTo(Reason.ALGORITHM);
    assertThat(refusal(() -> RECEIPTS.verify("not.a.jws"))).isEqualTo(Reason.MALFORMED);
    assertThat(refusal(() -> RECEIPTS.verify("x".repeat(ApprovalReceipts.MAX_LENGTH + 1)))).isEqualTo(Reason.MALFORMED);
    // a mandate is not a receipt, even signed with a trusted key
    String mandate = mandate(HOST, NOW.plus(Duration.ofDays(1)));
    assertThat(refusal(() -> RECEIPTS.verify(mandate))).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void verify_afterARotation_acceptsReceiptsOfTheRetiredKey() {
    String old = receipt();
    ReceiptKey rotated = ReceiptKey.generate("receipts-2027").withRetired(HOST.publicOnly());

    assertThat(ApprovalReceipts.of(rotated).verify(old).keyId()).isEqualTo("receipts-2026");
    assertThat(ApprovalReceipts.of(rotated).sign(claims("apr_3", RUN, Money.usd("1.00"), "h"))).isNotBlank();
    assertThatThrownBy(() -> rotated.withRetired(ReceiptKey.generate("receipts-2027")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("two different keys");
  }

  @Test
  void receiptKey_neverShowsItsPrivateHalf() {
    Secret jwk = HOST.privateJwk();
    ReceiptKey again = ReceiptKey.fromJwk(jwk);

    assertThat(again.canSign()).isTrue();
    assertThat(HOST.toString()).doesNotContain(jwk.reveal()).contains("receipts-2026");
    assertThat(HOST.publicJwk()).doesNotContain("\"d\"");
    assertThatThrownBy(() -> ReceiptKey.fromJwk(Secret.of("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"x\"}")))
        .isInstanceOf(InvalidRequestException.class).hasMessageNotContaining("c2VjcmV0");
  }

  // ---- mandates ------------------------------------------------------------------------------

  private static String mandate(ReceiptKey key, Instant expires) {
    return IntentMandate.builder("mnd-1").person("user-1").agent(AgentId.of("coding-agent-7")).provider("cloudflare")
        .services("workers:paid").total(Money.usd("20.00")).perStep(Money.usd("10.00")).issuedAt(NOW)
        .expiresAt(expires).sign(key);
  }

  @Test
  void mandateTrust_verifiesASignedMandateAndReadsEveryBound() {
    ReceiptKey ada = ReceiptKey.generate("ada-ui");
    MandateTrust trust = MandateTrust.trusting(ada.publicOnly());

    IntentMandate m = trust.verify(mandate(ada, NOW.plus(Duration.ofDays(14))), NOW);

    assertThat(m.id()).isEqualTo("mnd-1");
    assertThat(m.person()).isEqualTo("user-1");
    assertThat(m.agent()).isEqualTo(AgentId.of("coding-agent-7"));
    assertThat(m.provider()).isEqualTo("cloudflare");
    assertThat(m.services()).containsExactly("workers:paid");
    assertThat(m.total()).isEqualTo(Money.usd("20.00"));
    assertThat(m.perStep()).isEqualTo(Money.usd("10.00"));
    assertThat(m.expiresAt()).isEqualTo(NOW.plus(Duration.ofDays(14)));
    assertThat(m.approver()).isEqualTo("mandate:mnd-1");
  }

  @Test
  void mandateTrust_refusesAForgedExpiredOrReceiptShapedMandate() {
    ReceiptKey ada = ReceiptKey.generate("ada-ui");
    MandateTrust trust = MandateTrust.trusting(ada.publicOnly());

    assertThatThrownBy(() -> trust.verify(mandate(ReceiptKey.generate("ada-ui"), NOW.plus(Duration.ofDays(1))), NOW))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("signature");
    assertThatThrownBy(() -> trust.verify(mandate(ada, NOW.plus(Duration.ofHours(1))), NOW.plus(Duration.ofHours(2))))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("expired");
    String receiptByAda = ApprovalReceipts.of(ada).sign(claims("apr_1", RUN, Money.usd("5.00"), "h"));
    assertThatThrownBy(() -> trust.verify(receiptByAda, NOW)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("type");
  }
}
