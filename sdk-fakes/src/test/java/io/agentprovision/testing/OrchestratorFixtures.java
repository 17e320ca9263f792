package io.agentprovision.testing;

import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.payment.PaymentAuthorization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Shared set-up for the orchestrator tests. */
final class OrchestratorFixtures {
  static final Principal ADA = Principal.builder("user-1", "https://issuer.test").email("ada@example.com", true)
      .name("Ada").amr(List.of("pwd", "otp")).build();

  final VirtualTime time = VirtualTime.create();
  final ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);

  FakeStepContext ctx(String key) {
    return FakeStepContext.builder().time(time).approvals(gate).principal(ADA).run(RunId.of("run_1"))
        .step(StepId.of("step")).idempotencyKey(key).build();
  }

  ProviderAccount link(FakeOrchestrator orch) {
    return orch.linkAccount(new AccountLinkRequest("cloudflare", ADA, List.of(), Map.of()), ctx("link"));
  }

  PaymentAuthorization pay(String amount) {
    return new PaymentAuthorization("res_" + amount, Money.usd(amount), time.instant().plus(Duration.ofHours(1)),
        "test payment");
  }

  static ResourceRequest request(ProviderAccount account, String service, Map<String, Object> config,
      @Nullable PaymentAuthorization payment) {
    return new ResourceRequest("cloudflare", service, "my-" + service.replace(':', '-'), config, account, "proj_1",
        "production", payment);
  }
}
