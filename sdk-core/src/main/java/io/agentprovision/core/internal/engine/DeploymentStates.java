package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.journal.JournalEntryException;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Where a deployment's {@link DeploymentState} lives: an entry of the deployment's own run in the
 * journal, under {@link #STEP}, beside the steps that made what it describes. The first change
 * starts it from those steps' outputs; every change after that is a compare-and-set on the entry,
 * so that hosts sharing a journal see one history and one holder at a time.
 */
final class DeploymentStates {
  /** The journal entry of a deployment's run that holds its state; not a step the run runs. */
  static final StepId STEP = StepId.of("lifecycle");
  /** Steps whose outputs are not resources, or are read under their own type. */
  private static final Set<StepId> NOT_RESOURCES = Set.of(IdentityStep.ID, PlanApprovalStep.ID, AccountStep.ID,
      PaymentMethodStep.ID, DomainStep.ID, CredentialsStep.ID, DeployStep.ID, VerifyStep.ID, STEP);
  private static final int MAX_ATTEMPTS = 64;

  private DeploymentStates() {}

  /** The deployment's state now: as last changed, or as its run left it when nothing changed it yet. */
  static DeploymentState read(RunJournal journal, RunId deployment, ProvisionRequest request) {
    StepRecord cur = journal.step(deployment, STEP).orElse(null);
    String json = cur == null ? null : cur.output();
    return json == null ? initial(journal, deployment, request) : OutputCodec.decode(json, DeploymentState.class,
        deployment, STEP);
  }

  /**
   * Applies {@code change} to the deployment's state and saves it, trying again when another thread
   * or host saved in between; an exception from {@code change} leaves the state as it was.
   */
  static DeploymentState update(RunJournal journal, RunId deployment, ProvisionRequest request, Instant now,
      UnaryOperator<DeploymentState> change) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      StepRecord cur = journal.step(deployment, STEP).orElse(null);
      String json = cur == null ? null : cur.output();
      DeploymentState before = json == null ? initial(journal, deployment, request)
          : OutputCodec.decode(json, DeploymentState.class, deployment, STEP);
      DeploymentState after = change.apply(before);
      String out = OutputCodec.encode(after);
      StepRecord next = (cur == null ? StepRecord.builder(deployment, STEP).updatedAt(now) : cur.next(now))
          .status(StepStatus.SUCCEEDED).output(out).build();
      if (journal.saveStep(next)) {
        return after;
      }
    }
    throw new AgentProvisionException("the state of deployment " + deployment + " changed " + MAX_ATTEMPTS
        + " times while one change was being saved; try again", null, true);
  }

  /** The state a deployment's run left: what its steps produced. */
  static DeploymentState initial(RunJournal journal, RunId deployment, ProvisionRequest request) {
    ProviderAccount account = null;
    DeployedApp app = null;
    boolean revoked = false;
    List<DeploymentState.Held> held = new ArrayList<>();
    for (StepRecord r : journal.steps(deployment)) {
      String json = r.output();
      if (r.status() != StepStatus.SUCCEEDED || json == null) {
        continue;
      }
      StepId id = r.step();
      if (id.equals(AccountStep.ID)) {
        account = OutputCodec.decode(json, AccountStep.Linked.class, deployment, id).account();
      } else if (id.equals(DeployStep.ID)) {
        app = OutputCodec.decode(json, DeployStep.Deployed.class, deployment, id).app();
      } else if (id.equals(CredentialsStep.ID)) {
        revoked = OutputCodec.decode(json, CredentialsStep.Issued.class, deployment, id).revokedAt() != null;
      } else if (id.equals(DomainStep.ID)) {
        DomainStep.Registered d = OutputCodec.decode(json, DomainStep.Registered.class, deployment, id);
        DomainRequest dr = request.domain();
        int years = dr == null ? 1 : dr.years();
        // the registrar's own expiry replaces this estimate once it is asked (a teardown asks)
        Instant expires = r.updatedAt().atZone(ZoneOffset.UTC).plusYears(years).toInstant();
        // what the request asked of renewal is not what the registrar keeps: unknown until the registrar is asked
        held.add(new DeploymentState.Held(d.resource(), DeploymentState.Role.DOMAIN, d.charged(), d.domain(),
            null, expires, null, null));
      } else if (!NOT_RESOURCES.contains(id)) {
        ServiceStep.Provisioned p = provisioned(json, deployment, id);
        if (p != null) {
          DeploymentState.Role role = id.equals(PlanStep.ID) ? DeploymentState.Role.PLAN
              : id.equals(ResourceStep.ID) ? DeploymentState.Role.DEPLOYABLE : DeploymentState.Role.SERVICE;
          held.add(new DeploymentState.Held(p.resource(), role, p.charged(), null, null, null, null, null));
        }
      }
    }
    // plans first, then what runs on them, then the domain: the order a teardown undoes in reverse
    held.sort((a, b) -> Integer.compare(a.role().ordinal(), b.role().ordinal()));
    return new DeploymentState(null, account, false, held, app, false, revoked, List.of());
  }

  /** A step's output read as a provisioned resource, or null when it is something else (a pseudo-step's record). */
  private static ServiceStep.@Nullable Provisioned provisioned(String json, RunId run, StepId step) {
    try {
      return OutputCodec.decode(json, ServiceStep.Provisioned.class, run, step);
    } catch (JournalEntryException e) {
      return null;
    }
  }
}
