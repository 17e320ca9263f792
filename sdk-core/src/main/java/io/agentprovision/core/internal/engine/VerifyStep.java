package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.http.Polling;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Checks that the app answers at its URL, polling with backoff until it does or the deployer says
 * it cannot run it here (no local runtime): then the run finishes with a warning instead.
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

  @Override
  public Checked run(StepRun ctx) {
    DeployedApp app = ctx.output(DeployStep.class).app();
    // one request per poll (Deployer.verify makes a single attempt); bounded by the verify timeout, not the step's
    Verification v = Polling.until(ctx, "app at " + app.primaryUrl(), () -> ctx.deployer().verify(app, ctx),
        x -> x.live() || (x.status() == 0 && x.note() != null), new Polling.Backoff(Duration.ofSeconds(1),
            Duration.ofSeconds(8)), ctx.clock().instant().plus(ctx.verifyTimeout()));
    ctx.audit("app.verified").outcome(v.live() ? "live" : "not-run").detail("url", v.url().toString())
        .detail("status", String.valueOf(v.status())).record();
    String body = v.bodyExcerpt();
    String excerpt = body == null || body.length() <= EXCERPT ? body : body.substring(0, EXCERPT);
    return new Checked(new Verification(v.url(), v.live(), v.status(), excerpt, v.note()));
  }

  @Override
  public String summary(Checked out) {
    return "live=" + out.verification().live() + " status=" + out.verification().status();
  }
}
