package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunNotFoundException;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.journal.RunStatus;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs belong to the agent that started them: every call that takes a run id takes the calling agent
 * too, and another agent's run is refused exactly as a run that does not exist. Crossing agents is
 * the host's administrative call, audited with who and why.
 */
class RunScopingTest {
  private static final AgentId VICTIM = AgentId.of("coding-agent-7");
  private static final AgentId OTHER = AgentId.of("coding-agent-9");
  private static final RunId NOWHERE = RunId.of("run_that_never_was");

  private final EngineHarness h = new EngineHarness();
  private AgentProvisioner p;
  private Deployment victims;

  @BeforeEach
  void aRunOfTheVictim() {
    p = h.provisioner();
    victims = p.provisionAndDeploy(EngineHarness.request().build());
  }

  @AfterEach
  void close() {
    h.close();
  }

  /** The refusal's message with the run id blanked: the same for a run of another agent and for no run. */
  private static String shape(RunNotFoundException e) {
    return e.getMessage().replace(e.run().value(), "<run>");
  }

  @Test
  void resume_withAnotherAgentsRunId_isRefusedExactlyAsARunThatDoesNotExist() {
    RunNotFoundException theirs = catchThrowableOfType(() -> p.resume(OTHER, victims.runId()),
        RunNotFoundException.class);
    RunNotFoundException none = catchThrowableOfType(() -> p.resume(OTHER, NOWHERE), RunNotFoundException.class);

    assertThat(theirs).isNotNull();
    assertThat(none).isNotNull();
    assertThat(shape(theirs)).isEqualTo(shape(none));
    assertThat(theirs.field()).isEqualTo("runId");
    assertThat(theirs.getMessage()).doesNotContain(victims.url().toString()).doesNotContain("SUCCEEDED");
    assertThat(p.resume(VICTIM, victims.runId()).url()).isEqualTo(victims.url());
  }

  @Test
  void credentialCalls_onAnotherAgentsRun_areRefused_andTouchNothing() {
    String key = victims.tokens().get(0).vaultKey();
    String before = h.vault.get(key).orElseThrow().secret().reveal();

    assertThatThrownBy(() -> p.deployCredentials(OTHER, victims.runId())).isInstanceOf(RunNotFoundException.class);
    assertThatThrownBy(() -> p.rotateCredentials(OTHER, victims.runId())).isInstanceOf(RunNotFoundException.class);
    assertThatThrownBy(() -> p.revokeCredentials(OTHER, victims.runId(), "mine now"))
        .isInstanceOf(RunNotFoundException.class);

    assertThat(h.vault.get(key).orElseThrow().secret().reveal()).isEqualTo(before);
    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> {
      assertThat(t.rolls()).isZero();
      assertThat(t.revoked()).isFalse();
    });
    assertThat(p.deployCredentials(VICTIM, victims.runId()).token().reveal()).isEqualTo(before);
  }

  @Test
  void execute_ofAPlanNamingAnotherAgentsRunId_isRefused_andDoesNotHandOverTheirDeployment() {
    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().agent(OTHER).runId(victims.runId()).build()))
        .isInstanceOf(RunNotFoundException.class);

    assertThat(h.orchestrator.charges()).hasSize(2); // the victim's own run, nothing more
  }

  @Test
  void runs_listsTheCallingAgentsRunsOnly() {
    p.provisionAndDeploy(EngineHarness.request().agent(OTHER).project("theirs").build());

    assertThat(p.runs(VICTIM)).extracting(r -> r.id()).containsExactly(victims.runId());
    assertThat(p.runs(OTHER, RunStatus.SUCCEEDED)).singleElement().satisfies(r -> assertThat(r.agent()).isEqualTo(OTHER));
    assertThat(p.admin("ops:grace").runs()).hasSize(2);
  }

  @Test
  void admin_reachesAnyAgentsRun_andTheAuditSaysWhoAndWhy() {
    Deployment d = p.admin("ops:grace").resume(victims.runId(), "the agent's host crashed; ticket OPS-112");

    assertThat(d.url()).isEqualTo(victims.url());
    AuditRecord entry = h.audit.entries().stream().map(e -> e.record())
        .filter(r -> r.action().equals("admin.resume")).findFirst().orElseThrow();
    assertThat(entry.run()).isEqualTo(victims.runId());
    assertThat(entry.agent()).isEqualTo(VICTIM);
    assertThat(entry.details()).containsEntry("operator", "ops:grace")
        .containsEntry("reason", "the agent's host crashed; ticket OPS-112");
  }

  @Test
  void admin_withoutAnOperatorOrAReason_isRefusedBeforeAnythingHappens() {
    assertThatThrownBy(() -> p.admin(" ")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("operator"));
    assertThatThrownBy(() -> p.admin("ops:grace").revokeCredentials(victims.runId(), ""))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("reason"));

    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> assertThat(t.revoked()).isFalse());
    List<String> actions = h.auditActions();
    assertThat(actions).noneMatch(a -> a.startsWith("admin."));
  }
}
