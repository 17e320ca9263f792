package io.agentprovision.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.RunId;
import io.agentprovision.core.spi.AuditLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The Quickstart's exit code and last words for each way a run that deployed everything can end:
 * an app that answered, one deployed where no local runtime could run it (the sandbox without
 * workerd), and one that did not answer, which is not a success.
 */
class QuickstartExitCodeTest {
  private static final URI URL = URI.create("https://my-app.org");

  private static Deployment deployment(Deployment.Outcome outcome, Deployment.AppCheck check) {
    return Deployment.builder(RunId.of("run_qs")).url(URL)
        .account(new Deployment.AccountSummary("cloudflare", "acct_1", null, "ada@example.com",
            Deployment.AccountSummary.LinkAction.CREATED))
        .verification(check).auditHead("abc").finishedAt(Instant.parse("2026-11-02T09:00:00Z")).outcome(outcome).build();
  }

  private static String summary(Deployment d) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Quickstart.summary(d, AuditLog.inMemory(), Path.of("audit.jsonl"), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLiveApp_exits0() {
    Deployment d = deployment(Deployment.Outcome.LIVE, new Deployment.AppCheck(URL, true, 200, "hello", null));

    assertThat(Quickstart.exitCode(d)).isEqualTo(Quickstart.OK);
    assertThat(summary(d)).contains("The app answered 200: hello");
  }

  @Test
  void anAppNoLocalRuntimeCouldRun_exits0_andSaysItWasNotRun() {
    Deployment d = deployment(Deployment.Outcome.DEPLOYED_NOT_RUN,
        new Deployment.AppCheck(URL, false, 0, null, "no local runtime: workerd was not found"));

    assertThat(Quickstart.exitCode(d)).isEqualTo(Quickstart.OK);
    assertThat(summary(d)).contains("The app was deployed but not run: no local runtime");
  }

  @Test
  void anAppThatDidNotAnswer_exits3_andSaysSo() {
    Deployment d = deployment(Deployment.Outcome.DEPLOYED_UNVERIFIED,
        new Deployment.AppCheck(URL, false, 0, null, "Connection refused"));

    assertThat(Quickstart.exitCode(d)).isEqualTo(Quickstart.UNVERIFIED).isEqualTo(3)
        .isNotIn(Quickstart.OK, Quickstart.FAILED, Quickstart.STOPPED, Quickstart.USAGE);
    assertThat(summary(d)).contains("The app was deployed but DID NOT ANSWER at https://my-app.org (Connection refused)",
        "resume run run_qs to check again");
  }
}
