package io.agentprovision.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.RunStatus;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunWatcherTest {
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
  private static final RunId RUN = RunId.of("run_w1");
  private static final AgentId AGENT = AgentId.of("agent-1");

  private final RunWatcher watcher = RunWatcher.create();

  private static ApprovalRequest ask(String id, CheckpointKind kind) {
    return ApprovalRequest.builder(id, kind, "title", "reason", AGENT).run(RUN).requestedAt(T0)
        .deadline(T0.plus(Duration.ofMinutes(15))).build();
  }

  @Test
  void aWaitForANewQuestion_isNotEndedByTheRunResumingBeforeTheDecisionIsHeard() {
    ApprovalRequest card = ask("apr_card", CheckpointKind.PAYMENT_METHOD);
    watcher.onEvent(new ProvisioningEvent.RunStarted(T0, RUN, AGENT, "cloudflare", false));
    watcher.onEvent(new ProvisioningEvent.ApprovalRequested(T0, RUN, card));
    watcher.onEvent(new ProvisioningEvent.RunFinished(T0, RUN, RunStatus.AWAITING_APPROVAL, Duration.ZERO, null));
    long seen = watcher.view(RUN).orElseThrow().version();

    // the person answers; the run resumes on another thread and says so before the decision's own event
    watcher.onEvent(new ProvisioningEvent.RunStarted(T0, RUN, AGENT, "cloudflare", true));

    assertThat(watcher.view(RUN).orElseThrow().waitingForPerson()).extracting(ApprovalRequest::id)
        .containsExactly("apr_card");
    assertThat(watcher.settledAfter(RUN, seen)).as("nothing new was asked and the run has not ended").isFalse();

    watcher.onEvent(new ProvisioningEvent.ApprovalDecided(T0, RUN, card, ApprovalDecision.denied("ada", "not now", T0)));
    assertThat(watcher.settledAfter(RUN, seen)).isFalse();
    watcher.onEvent(new ProvisioningEvent.RunFinished(T0, RUN, RunStatus.FAILED, Duration.ZERO, "denied"));
    assertThat(watcher.settledAfter(RUN, seen)).isTrue();
  }

  @Test
  void aWaitForANewQuestion_endsWhenAPersonIsAskedSomethingElse() throws InterruptedException {
    ApprovalRequest plan = ask("apr_plan", CheckpointKind.PLAN_APPROVAL);
    watcher.onEvent(new ProvisioningEvent.RunStarted(T0, RUN, AGENT, "cloudflare", false));
    watcher.onEvent(new ProvisioningEvent.ApprovalRequested(T0, RUN, plan));
    long seen = watcher.view(RUN).orElseThrow().version();
    assertThat(watcher.settledAfter(RUN, seen)).isFalse();
    assertThat(watcher.settledAfter(RUN, -1)).as("a first look sees the open question").isTrue();

    watcher.onEvent(new ProvisioningEvent.ApprovalDecided(T0, RUN, plan, ApprovalDecision.approved("ada", "ok", T0)));
    watcher.onEvent(new ProvisioningEvent.ApprovalRequested(T0, RUN, ask("apr_terms", CheckpointKind.TERMS_OF_SERVICE)));

    assertThat(watcher.settledAfter(RUN, seen)).isTrue();
    // already over: returned without waiting, whatever the timeout
    assertThat(watcher.awaitSettled(RUN, Duration.ofMinutes(5), seen).orElseThrow().waitingForPerson())
        .extracting(ApprovalRequest::id).containsExactly("apr_terms");
  }
}
