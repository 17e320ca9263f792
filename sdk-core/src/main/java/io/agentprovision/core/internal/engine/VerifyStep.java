package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.UnverifiedAction;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.http.Polling;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Checks that the app answers at its URL, polling with backoff until it does, or the deployer says
 * nothing here can run it (no local runtime: the run finishes with a warning), or the verify
 * timeout ({@code AgentProvisioner.Builder.verifyTimeout}) runs out: then the app was deployed and did not answer, which is an outcome of its own
 * ({@link Verification.Result#NOT_ANSWERING}), never a success. What the run does then is the
 * provisioner's {@link UnverifiedAction}: finish as deployed but unverified, or fail the step.
 */
final class VerifyStep extends BaseStep<VerifyStep.Checked> {
  static final StepId ID = StepId.of("verify");
  /** Longest excerpt of the app's answer kept in the journal and the result. */
  static final int EXCERPT = 200;

  /** What the check found; the body excerpt is cut to {@link #EXCERPT} characters. */
  record Checked(Verification verification) {
    Checked {
      Objects.requireNonNull(verification, "verification");
    }
  }

  VerifyStep(List<StepId> dependsOn) {
    super(ID, StepKind.VERIFY, dependsOn, "check that the app answers", Checked.class);
  }

  /** Nothing outside the SDK changes before it ends: the app is only read. */
  @Override
  public boolean changesBeforeItEnds() {
    return false;
  }

  @Override
  public Checked run(StepRun ctx) {
    DeployedApp app = ctx.output(DeployStep.class).app();
    AtomicReference<@Nullable Verification> last = new AtomicReference<>();
    AtomicReference<@Nullable RuntimeException> deployerFailure = new AtomicReference<>();
    Verification v;
    try {
      // one request per poll (Deployer.verify makes a single attempt); bounded by the verify timeout, not the step's
      v = Polling.until(ctx, "app at " + app.primaryUrl(), () -> {
        try {
          Verification x = ctx.deployer().verify(app, ctx);
          last.set(x);
          return x;
        } catch (RuntimeException e) {
          deployerFailure.set(e);
          throw e;
        }
      }, x -> x.result() != Verification.Result.NOT_ANSWERING, new Polling.Backoff(Duration.ofSeconds(1),
          Duration.ofSeconds(8)), ctx.clock().instant().plus(ctx.verifyTimeout()));
    } catch (RuntimeException e) {
      Verification seen = last.get();
      if (e == deployerFailure.get() || seen == null || ctx.stopping()) {
        throw e;
      }
      v = seen; // it never answered before the step's time ran out
    }
    String outcome = switch (v.result()) {
      case LIVE -> "live";
      case NO_RUNTIME -> "not-run";
      case NOT_ANSWERING -> "unverified";
    };
    ctx.audit("app.verified").outcome(outcome).detail("url", v.url().toString())
        .detail("status", String.valueOf(v.status())).detailIfPresent("note", v.note()).record();
    if (v.result() == Verification.Result.NOT_ANSWERING && ctx.config().unverifiedAction() == UnverifiedAction.FAIL) {
      throw new AgentProvisionException("the app was deployed but did not answer at " + v.url() + " ("
          + (v.status() > 0 ? "HTTP " + v.status() : "no answer") + (v.note() != null ? ": " + v.note() : "")
          + "); the provisioner is set to fail a run whose app does not answer", null, false);
    }
    String body = v.bodyExcerpt();
    String excerpt = body == null || body.length() <= EXCERPT ? body : body.substring(0, EXCERPT);
    return new Checked(new Verification(v.url(), v.live(), v.status(), excerpt, v.note(), v.result()));
  }

  @Override
  public String summary(Checked out) {
    Verification v = out.verification();
    return switch (v.result()) {
      case LIVE -> "live, status " + v.status();
      case NO_RUNTIME -> "deployed, not run here";
      case NOT_ANSWERING -> "NOT answering" + (v.status() > 0 ? " (status " + v.status() + ")" : "");
    };
  }
}
