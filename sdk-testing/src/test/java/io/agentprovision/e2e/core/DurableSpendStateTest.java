package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.FakeOrchestrator;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spend state a host keeps on one machine with nothing to install: the file ledger and the file
 * policy store. A restarted host (a new provisioner over the same files) keeps the caps, the month's
 * spend and the alerts already fired; a policy change made by one provisioner is the policy of every
 * provisioner sharing the store.
 */
class DurableSpendStateTest {
  private final EngineHarness h = new EngineHarness();

  @TempDir
  Path dir;

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner host(FakeOrchestrator cloud, SpendPolicy seed) {
    h.orchestrator = cloud;
    return h.provisioner(b -> b.ledger(SpendLedger.file(dir.resolve("ledger"), h.time))
        .policyStore(PolicyStore.file(dir.resolve("policy.jsonl"))).spendPolicy(seed));
  }

  @Test
  void restartedHost_keepsTheCapTheMonthsSpendAndTheAlertsFired() {
    SpendPolicy cap = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("10.00")).perProvider())
        .requireApprovalAbove(Money.usd("50.00")).alertAt(50, 100).build();
    FakeOrchestrator before = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    AgentProvisioner first = host(before, cap);
    first.provisionAndDeploy(EngineHarness.request().domain(null).build());
    first.provisionAndDeploy(EngineHarness.request().domain(null).build());
    assertThat(h.events(ProvisioningEvent.BudgetAlert.class)).extracting(ProvisioningEvent.BudgetAlert::percent)
        .containsExactly(50, 100);
    first.close();
    h.events.clear();

    // a restart, built by someone who forgot the cap: the stored policy and the month's spend hold
    FakeOrchestrator after = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    AgentProvisioner restarted = host(after, SpendPolicy.defaults());

    assertThat(restarted.spendPolicy()).isEqualTo(cap);
    assertThat(restarted.spend(AgentId.of("coding-agent-7")).limits()).singleElement()
        .satisfies(u -> assertThat(u.used()).isEqualTo(Money.usd("10.00")));
    assertThatThrownBy(() -> restarted.provisionAndDeploy(EngineHarness.request().domain(null).build()))
        .isInstanceOf(PolicyViolationException.class);
    assertThat(after.charges()).isEmpty();
    assertThat(before.totalCharged("cloudflare")).isEqualTo(Money.usd("10.00"));
    assertThat(h.events(ProvisioningEvent.BudgetAlert.class)).as("alerts fired before the restart stay fired")
        .isEmpty();
  }

  @Test
  void aPolicyChange_isEveryHostsPolicy_andItsHistoryNamesWhoAndWhoApproved() {
    SpendPolicy cap = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("10.00")).perProvider())
        .requireApprovalAbove(Money.usd("50.00")).build();
    AgentProvisioner one = host(FakeOrchestrator.builder().paymentMethodOnFile(true).build(), cap);
    AgentProvisioner two = host(FakeOrchestrator.builder().paymentMethodOnFile(true).build(), cap);
    SpendPolicy raised = cap.toBuilder().replaceLimits(java.util.List.of(
        SpendLimit.monthly(Money.usd("15.00")).perProvider())).build();
    h.gate.on(CheckpointKind.RAISE_LIMIT, r -> ApprovalDecision.approved("ada", "ok", h.time.instant()));

    one.updateSpendPolicy(AgentId.of("coding-agent-7"), raised, "a third plan", null);

    assertThat(two.spendPolicy()).as("the other host applies it at once").isEqualTo(raised);
    two.provisionAndDeploy(EngineHarness.request().domain(null).build());
    two.provisionAndDeploy(EngineHarness.request().domain(null).build());
    two.provisionAndDeploy(EngineHarness.request().domain(null).build());
    assertThatThrownBy(() -> one.provisionAndDeploy(EngineHarness.request().domain(null).build()))
        .isInstanceOf(PolicyViolationException.class);
    assertThat(PolicyStore.file(dir.resolve("policy.jsonl")).history()).satisfiesExactly(
        first -> {
          assertThat(first.changedBy()).isEqualTo(PolicyChange.CONFIGURATION);
          assertThat(first.after()).isEqualTo(cap);
        },
        change -> {
          assertThat(change.before()).isEqualTo(cap);
          assertThat(change.after()).isEqualTo(raised);
          assertThat(change.changedBy()).isEqualTo("coding-agent-7");
          assertThat(change.approvedBy()).isEqualTo("ada");
          assertThat(change.reason()).isEqualTo("a third plan");
        });
  }
}
