package io.agentprovision.core.approval;

import static io.agentprovision.core.approval.ApprovalRequests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.ApprovalDecision.Outcome;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped gates: what each approves, what it refuses, who it records, and that each fails closed. */
class ApprovalGatesTest {
  private final ManualTime time = ManualTime.at("2026-11-22T10:00:00Z");

  @Nested
  class DenyAll {
    @Test
    void decide_anyCheckpoint_deniesNamingTheBuilderCallThatConfiguresAGate() throws Exception {
      ApprovalGate gate = ApprovalGates.denyAll(time);
      time.advance(Duration.ofSeconds(3));

      ApprovalDecision d = gate.decide(request(CheckpointKind.PLAN_APPROVAL, null, time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(d.approved()).isFalse();
      assertThat(d.reason()).contains("no approval gate is configured").contains("AgentProvisioner.builder().approvals(");
      assertThat(d.decidedAt()).isEqualTo(time.instant());
      assertThat(d.credential()).isNull();
    }

    @ParameterizedTest
    @EnumSource(CheckpointKind.class)
    void decide_everyKind_isDenied(CheckpointKind kind) throws Exception {
      assertThat(ApprovalGates.denyAll(time).decide(request(kind, Money.usd("0.01"), time.instant())).outcome())
          .isEqualTo(Outcome.DENIED);
    }
  }

  @Nested
  class ApproveAll {
    @ParameterizedTest
    @EnumSource(value = CheckpointKind.class, names = "STEP_UP", mode = EnumSource.Mode.EXCLUDE)
    void decide_anyKindButStepUp_approvesRecordingTheApprover(CheckpointKind kind) throws Exception {
      ApprovalDecision d = ApprovalGates.approveAll("cli --yes", time)
          .decide(request(kind, Money.usd("999.00"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
      assertThat(d.approver()).isEqualTo("cli --yes");
      assertThat(d.reason()).contains("in advance");
      assertThat(d.decidedAt()).isEqualTo(time.instant());
    }

    @Test
    void decide_stepUp_refusesBecauseABlanketApprovalIsNoSecondFactor() throws Exception {
      ApprovalDecision d = ApprovalGates.approveAll("cli --yes", time)
          .decide(request(CheckpointKind.STEP_UP, null, time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(d.approver()).isEqualTo("cli --yes");
      assertThat(d.reason()).contains("second factor");
      assertThat(d.credential()).isNull();
    }
  }

  @Nested
  class PolicyDriven {
    private final SpendPolicy policy = SpendPolicy.builder().requireApprovalAbove(Money.usd("20.00")).build();
    private final List<ApprovalRequest> delegated = new ArrayList<>();
    private final ApprovalGate delegate = r -> {
      delegated.add(r);
      return ApprovalDecision.denied("delegate", "asked the human", time.instant());
    };

    /** The gate as the engine calls it: every request carries the policy in force. */
    private ApprovalGate gate(Set<CheckpointKind> autoKinds) {
      ApprovalGate g = ApprovalGates.policyDriven(autoKinds, delegate);
      return r -> g.decide(withPolicy(r, policy));
    }

    private ApprovalRequest withPolicy(ApprovalRequest r, SpendPolicy p) {
      return new ApprovalRequest(r.id(), r.kind(), r.title(), r.reason(), r.cost(), r.agent(), r.principal(), r.run(),
          r.step(), r.requestedAt(), r.deadline(), r.url(), r.details(), p);
    }

    @Test
    void decide_readsThePolicyEachRequestCarries_soATightenedThresholdAppliesAtOnce() throws Exception {
      ApprovalGate g = ApprovalGates.policyDriven(EnumSet.of(CheckpointKind.DOMAIN_PURCHASE), delegate);
      SpendPolicy lenient = SpendPolicy.builder().requireApprovalAbove(Money.usd("20.00")).build();
      SpendPolicy tightened = lenient.toBuilder().requireApprovalAbove(Money.usd("0.00")).build();

      ApprovalDecision before = g.decide(withPolicy(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("15.44"),
          time.instant()), lenient));
      ApprovalDecision after = g.decide(withPolicy(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("15.44"),
          time.instant()), tightened));

      assertThat(before.approver()).isEqualTo(ApprovalGates.POLICY_APPROVER);
      assertThat(after.approver()).isEqualTo("delegate");
      assertThat(delegated).hasSize(1);
    }

    @Test
    void decide_aRequestWithoutAPolicy_goesToTheDelegate() throws Exception {
      ApprovalGate g = ApprovalGates.policyDriven(EnumSet.allOf(CheckpointKind.class), delegate);

      ApprovalDecision d = g.decide(request(CheckpointKind.PAID_PLAN, Money.usd("0.01"), time.instant()));

      assertThat(d.approver()).isEqualTo("delegate");
      assertThat(delegated).hasSize(1);
    }

    @Test
    void decide_listedKindWithinThreshold_approvesAsPolicyWithoutAskingTheDelegate() throws Exception {
      ApprovalRequest r = request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant());
      time.advance(Duration.ofSeconds(1));

      ApprovalDecision d = gate(EnumSet.of(CheckpointKind.PAID_PLAN)).decide(r);

      assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
      assertThat(d.approver()).isEqualTo(ApprovalGates.POLICY_APPROVER);
      assertThat(d.reason()).isEqualTo("within policy: USD 5.00 is not above USD 20.00");
      assertThat(d.decidedAt()).isEqualTo(r.requestedAt());
      assertThat(delegated).isEmpty();
    }

    @Test
    void decide_costEqualToThreshold_isWithinPolicy() throws Exception {
      ApprovalDecision d = gate(EnumSet.of(CheckpointKind.DOMAIN_PURCHASE))
          .decide(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("20.00"), time.instant()));

      assertThat(d.approver()).isEqualTo(ApprovalGates.POLICY_APPROVER);
      assertThat(delegated).isEmpty();
    }

    @Test
    void decide_listedKindAboveThreshold_delegates() throws Exception {
      ApprovalRequest r = request(CheckpointKind.PAID_PLAN, Money.usd("20.01"), time.instant());

      ApprovalDecision d = gate(EnumSet.of(CheckpointKind.PAID_PLAN)).decide(r);

      assertThat(d.approver()).isEqualTo("delegate");
      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @Test
    void decide_costInACurrencyTheThresholdCannotJudge_delegates() throws Exception {
      ApprovalRequest r = request(CheckpointKind.PAID_PLAN, Money.eur("1.00"), time.instant());

      gate(EnumSet.of(CheckpointKind.PAID_PLAN)).decide(r);

      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @Test
    void decide_unlistedKindWithinThreshold_delegates() throws Exception {
      ApprovalRequest r = request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), time.instant());

      gate(EnumSet.of(CheckpointKind.PAID_PLAN, CheckpointKind.PLAN_APPROVAL)).decide(r);

      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @Test
    void decide_withNoAutoKinds_delegatesEverything() throws Exception {
      ApprovalRequest r = request(CheckpointKind.PAID_PLAN, Money.usd("1.00"), time.instant());

      gate(Set.of()).decide(r);

      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @Test
    void decide_listedKindWithoutCostOrUrl_approvesAsNoCost() throws Exception {
      ApprovalDecision d = gate(EnumSet.of(CheckpointKind.TERMS_OF_SERVICE))
          .decide(request(CheckpointKind.TERMS_OF_SERVICE, null, time.instant()));

      assertThat(d.approver()).isEqualTo(ApprovalGates.POLICY_APPROVER);
      assertThat(d.reason()).isEqualTo("within policy: no cost");
    }

    @ParameterizedTest
    @EnumSource(value = CheckpointKind.class,
        names = {"ACCOUNT_CONSENT", "STEP_UP", "PAYMENT_METHOD", "ACTION_REQUIRED", "RAISE_LIMIT"})
    void decide_consentStepUpAndOtherHumanOnlyCheckpoints_alwaysDelegateEvenWhenListed(CheckpointKind kind)
        throws Exception {
      ApprovalRequest r = request(kind, null, time.instant());

      ApprovalDecision d = gate(EnumSet.allOf(CheckpointKind.class)).decide(r);

      assertThat(d.approver()).isEqualTo("delegate");
      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @Test
    void decide_listedKindThatSendsTheHumanToAUrl_delegates() throws Exception {
      ApprovalRequest r = request("apr_1", CheckpointKind.TERMS_OF_SERVICE, null, URI.create("https://provider.test/terms"),
          time.instant());

      gate(EnumSet.of(CheckpointKind.TERMS_OF_SERVICE)).decide(r);

      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @ParameterizedTest
    @EnumSource(value = CheckpointKind.class, names = {"PAID_PLAN", "DOMAIN_PURCHASE", "PAID_RESOURCE"})
    void decide_paidKindWithoutAPrice_delegatesBecauseThePolicyCannotJudgeIt(CheckpointKind kind) throws Exception {
      ApprovalRequest r = request(kind, null, time.instant());

      gate(EnumSet.of(kind)).decide(r);

      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }

    @Test
    void decide_planApprovalWithoutASinglePrice_delegates() throws Exception {
      // The engine leaves the plan approval's cost empty when the plan is priced in two currencies;
      // approving it approves every quote in it, so it must not pass as costing nothing.
      ApprovalRequest r = request(CheckpointKind.PLAN_APPROVAL, null, time.instant());

      gate(EnumSet.of(CheckpointKind.PLAN_APPROVAL, CheckpointKind.PAID_PLAN)).decide(r);

      assertThat(delegated).extracting(ApprovalRequest::id).containsExactly(r.id());
    }
  }

  @Nested
  class Console {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private ApprovalGate console(String input) {
      return ApprovalGates.console(new StringReader(input), out, time, "ada");
    }

    private String printed() {
      return printed.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"y\n", "Y\n", "yes\n", " YES \n", "y"})
    void decide_yes_approvesAsTheConsoleUser(String input) throws Exception {
      ApprovalDecision d = console(input).decide(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
      assertThat(d.approver()).isEqualTo("ada");
      assertThat(d.reason()).isEqualTo("approved at the console");
      assertThat(d.decidedAt()).isEqualTo(time.instant());
    }

    @ParameterizedTest
    @ValueSource(strings = {"n\n", "no\n", "\n", "yep\n", "sure\n"})
    void decide_anythingButYes_denies(String input) throws Exception {
      ApprovalDecision d = console(input).decide(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(d.approver()).isEqualTo("ada");
      assertThat(d.reason()).isEqualTo("declined at the console");
    }

    @Test
    void decide_endOfInput_denies() throws Exception {
      ApprovalDecision d = console("").decide(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(d.reason()).isEqualTo("no console input");
    }

    @Test
    void decide_printsKindTitleReasonCostAgentPrincipalUrlAndDetails() throws Exception {
      console("n\n").decide(request("apr_1", CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"),
          URI.create("https://registrar.test/checkout/123"), time.instant()));

      assertThat(printed())
          .contains("== Approval needed: domain purchase ==")
          .contains("Register my-app.com for USD 10.44")
          .contains("why:   the app needs a domain of its own")
          .contains("cost:  USD 10.44")
          .contains("agent: coding-agent-7 for user-1 <ada@example.com> @https://issuer.test")
          .contains("open:  https://registrar.test/checkout/123")
          .contains("domain: my-app.com")
          .contains("Approve? [y/N]");
    }

    @Test
    void decide_checkpointWithoutCostOrUrl_printsNeither() throws Exception {
      console("y\n").decide(request(CheckpointKind.TERMS_OF_SERVICE, null, time.instant()));

      assertThat(printed()).doesNotContain("cost:").doesNotContain("open:");
    }

    @Test
    void decide_severalRequests_readOneLineEach_inOrder() throws Exception {
      ApprovalGate gate = console("y\nn\n");

      assertThat(gate.decide(request(CheckpointKind.PLAN_APPROVAL, Money.usd("15.44"), time.instant())).outcome())
          .isEqualTo(Outcome.APPROVED);
      assertThat(gate.decide(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), time.instant())).outcome())
          .isEqualTo(Outcome.DENIED);
      assertThat(gate.decide(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant())).reason())
          .isEqualTo("no console input");
    }

    @Test
    void decide_accountConsent_returnsTheCallbackUrlsQueryParametersDecoded() throws Exception {
      ApprovalGate gate = console("  https://app.test/callback?code=abc%2F123&state=st+1&empty#fragment  \n");

      ApprovalDecision d = gate.decide(request("apr_1", CheckpointKind.ACCOUNT_CONSENT, null,
          URI.create("https://provider.test/oauth/authorize?state=st+1"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
      assertThat(d.approver()).isEqualTo("ada");
      assertThat(d.response()).containsExactlyInAnyOrderEntriesOf(Map.of("code", "abc/123", "state", "st 1", "empty", ""));
      assertThat(printed()).contains("open:  https://provider.test/oauth/authorize?state=st+1")
          .contains("Paste the URL your browser was sent back to");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "   \n"})
    void decide_accountConsentWithoutCallbackUrl_denies(String input) throws Exception {
      ApprovalDecision d = console(input).decide(request(CheckpointKind.ACCOUNT_CONSENT, null, time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(d.reason()).isEqualTo("no callback URL given");
      assertThat(d.response()).isEmpty();
    }

    @Test
    void decide_stepUp_returnsThePastedTokenAsASecret_andNeverPrintsIt() throws Exception {
      String token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJhbXIiOlsib3RwIl19.c2lnbmF0dXJl";

      ApprovalDecision d = console(" " + token + " \n").decide(request(CheckpointKind.STEP_UP, null, time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
      assertThat(d.reason()).isEqualTo("stepped up");
      assertThat(d.credential()).isNotNull();
      assertThat(d.credential().reveal()).isEqualTo(token);
      assertThat(printed()).contains("Paste a fresh ID token").doesNotContain(token).doesNotContain("eyJ");
      assertThat(d.toString()).doesNotContain(token);
    }

    @Test
    void decide_stepUpWithoutToken_denies() throws Exception {
      ApprovalDecision d = console("\n").decide(request(CheckpointKind.STEP_UP, null, time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(d.reason()).isEqualTo("no second factor given");
      assertThat(d.credential()).isNull();
    }

    @Test
    void decide_unreadableConsole_answersError() throws Exception {
      Reader broken = new Reader() {
        @Override
        public int read(char[] buf, int off, int len) throws IOException {
          throw new IOException("terminal gone");
        }

        @Override
        public void close() {}
      };

      ApprovalDecision d = ApprovalGates.console(broken, out, time, "ada")
          .decide(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.ERROR);
      assertThat(d.approved()).isFalse();
      assertThat(d.reason()).contains("console unreadable").contains("terminal gone");
    }

    @Test
    void decide_fromAnInputStream_readsUtf8Lines() throws Exception {
      ApprovalGate gate = ApprovalGates.console(new ByteArrayInputStream("yes\n".getBytes(StandardCharsets.UTF_8)), out, time);

      ApprovalDecision d = gate.decide(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant()));

      assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
      assertThat(d.approver()).isNotBlank();
    }
  }

  /** Which shipped gates say they answer at once (asked on the step's thread) and which wait. */
  @Nested
  class AnswersAtOnce {
    @ParameterizedTest
    @EnumSource(CheckpointKind.class)
    void denyAllApproveAllAndDeferred_answerEveryKindAtOnce(CheckpointKind kind) {
      ApprovalRequest r = request(kind, Money.usd("1.00"), time.instant());

      assertThat(ApprovalGates.denyAll(time).answersAtOnce(r)).isTrue();
      assertThat(ApprovalGates.approveAll("cli --yes", time).answersAtOnce(r)).isTrue();
      assertThat(ApprovalGates.deferred().answersAtOnce(r)).isTrue();
    }

    @Test
    void deferredTellingSomeoneOfEachRequest_waits_sinceTellingMayTakeTime() {
      assertThat(ApprovalGates.deferred(r -> {}).answersAtOnce(request(CheckpointKind.PLAN_APPROVAL, null,
          time.instant()))).isFalse();
    }

    @Test
    void aGateOfTheHost_waitsByDefault() {
      ApprovalGate host = r -> ApprovalDecision.approved("ada", "ok", time.instant());

      assertThat(host.answersAtOnce(request(CheckpointKind.PLAN_APPROVAL, null, time.instant()))).isFalse();
    }

    @Test
    void policyDriven_answersAtOnceWhatThePolicyApproves_andAsksItsDelegateAboutTheRest() {
      SpendPolicy policy = SpendPolicy.builder().requireApprovalAbove(Money.usd("5.00")).build();
      ApprovalGate waits = r -> ApprovalDecision.approved("ada", "ok", time.instant());
      ApprovalGate gate = ApprovalGates.policyDriven(EnumSet.of(CheckpointKind.PAID_PLAN, CheckpointKind.DOMAIN_PURCHASE),
          waits);

      assertThat(gate.answersAtOnce(withPolicy(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("4.00"), time.instant()),
          policy))).as("within the policy: the policy answers").isTrue();
      assertThat(gate.answersAtOnce(withPolicy(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("6.00"), time.instant()),
          policy))).as("above the threshold: a person, through the delegate").isFalse();
      assertThat(gate.answersAtOnce(withPolicy(request(CheckpointKind.STEP_UP, null, time.instant()), policy)))
          .as("never the policy's").isFalse();
      assertThat(gate.answersAtOnce(request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("4.00"), time.instant())))
          .as("no policy with the request: the delegate").isFalse();
      assertThat(ApprovalGates.policyDriven(EnumSet.noneOf(CheckpointKind.class), ApprovalGates.denyAll(time))
          .answersAtOnce(withPolicy(request(CheckpointKind.STEP_UP, null, time.instant()), policy)))
          .as("the delegate answers at once").isTrue();
    }

    private ApprovalRequest withPolicy(ApprovalRequest r, SpendPolicy policy) {
      return new ApprovalRequest(r.id(), r.kind(), r.title(), r.reason(), r.cost(), r.agent(), r.principal(), r.run(),
          r.step(), r.requestedAt(), r.deadline(), r.url(), r.details(), policy);
    }
  }
}
