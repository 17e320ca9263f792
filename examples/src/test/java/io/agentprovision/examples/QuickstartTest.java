package io.agentprovision.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.testing.cloudflare.WorkerdRuntime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Quickstart, run end to end against the local sandbox as a user runs it. */
class QuickstartTest {
  @TempDir
  Path out;

  private record Result(int exit, String output) {}

  private Result run(String input, boolean interactive, String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    String[] all = java.util.stream.Stream.concat(java.util.stream.Stream.of(args),
        java.util.stream.Stream.of("--out", out.toString(), "--app", app().toString())).toArray(String[]::new);
    int exit = Quickstart.run(all, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), print, Map.of(),
        interactive);
    return new Result(exit, bytes.toString(StandardCharsets.UTF_8));
  }

  private static Path app() {
    Path p = Path.of("sample-app");
    return p.toFile().isDirectory() ? p : Path.of("examples", "sample-app");
  }

  private List<AuditEntry> audit() {
    return AuditLog.jsonl(out.resolve("audit.jsonl")).entries();
  }

  @Test
  void quickstart_withYes_deploysALiveAppOnItsDomain_spendsWithinPolicy_andVerifiesTheAudit() throws Exception {
    Result r = run("", false, "--yes");

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.OK);
    assertThat(r.output())
        .contains("URL:        https://my-app.org/")
        .contains("Spent:      [USD 15.11]")
        .contains("monthly/per-provider provider=cloudflare: USD 15.11 of USD 100.00 used")
        .contains("may: [Workers Scripts Write, Workers Routes Write]; from: [127.0.0.1/32]")
        .contains("= [redacted]")
        .containsPattern("Audit: +\\d+ entries, head [0-9a-f]{64}, chain verified");
    if (WorkerdRuntime.locate().isPresent()) {
      assertThat(r.output()).contains("The app answered 200: Hello from my-app.org: deployed by an agent");
    } else {
      assertThat(r.output()).contains("The app was deployed but not run");
    }
    // every checkpoint was approved, and the audit says by whom
    assertThat(audit()).filteredOn(e -> e.record().action().equals("approval.decided"))
        .isNotEmpty().allSatisfy(e -> assertThat(e.record().approver()).isEqualTo("cli --yes"));
    assertThat(AuditLog.jsonl(out.resolve("audit.jsonl")).verify().valid()).isTrue();
    // the governance report lies next to the audit log, and the summary says where
    Path report = out.resolve("report.html");
    assertThat(r.output()).contains("Report:     " + report);
    assertThat(Files.readString(report)).contains("my-app.org", "cli --yes", "quickstart-agent", "USD 15.11")
        .doesNotContain("<script");
    assertThat(Files.readString(out.resolve("report.json"))).contains("\"schema\": \"agentprovision.inventory/1\"");
    assertThat(Files.readString(out.resolve("report.csv"))).startsWith("kind,time,run,agent,human,provider,id,");
    // the demo vault key opens every credential in the vault: only its owner may read it
    PosixFileAttributeView key = Files.getFileAttributeView(out.resolve("vault.key"), PosixFileAttributeView.class);
    if (key != null) {
      assertThat(PosixFilePermissions.toString(key.readAttributes().permissions())).isEqualTo("rw-------");
    }
  }

  @Test
  void quickstart_appAnswers_whenWorkerdIsInstalled() {
    assumeTrue(WorkerdRuntime.locate().isPresent(),
        "workerd is not installed (./scripts/install-workerd.sh): the app cannot be run here");

    Result r = run("", false, "--yes", "--no-domain");

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.OK);
    assertThat(r.output()).contains("The app answered 200: Hello from sample-app.").contains("workers.dev");
  }

  @Test
  void quickstart_atTheConsole_asksAtEachCheckpoint_andGoesOnWhenTheHumanSaysYes() {
    Result r = run("y\ny\ny\ny\ny\n", true);

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.OK);
    assertThat(r.output()).contains("== Approval needed: plan approval ==", "== Approval needed: terms of service ==",
        "== Approval needed: payment method ==", "Confirm it is you with a second factor", "nonce: ",
        "== Approval needed: domain purchase ==", "cost:  USD 10.11");
  }

  @Test
  void quickstart_humanSaysNoToTheDomain_stopsWithoutBuyingIt() {
    Result r = run("y\ny\ny\ny\nn\n", true);

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.STOPPED);
    assertThat(r.output()).contains("Stopped at a human checkpoint").contains("declined at the console")
        .contains("Report:     " + out.resolve("report.html"));
    assertThat(audit()).filteredOn(e -> e.record().action().equals("domain.registered")).isEmpty();
  }

  @Test
  void quickstart_withNobodyAtTheConsoleAndNoYes_stopsAtTheFirstCheckpoint() {
    Result r = run("", false);

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.STOPPED);
    assertThat(r.output()).contains("no one is at the console").contains("rerun with --yes");
    assertThat(audit()).noneSatisfy(e -> assertThat(e.record().action()).startsWith("spend."));
  }

  @Test
  void quickstart_direct_deploysThroughTheProviderProtocol() {
    Result r = run("", false, "--yes", "--direct");

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.OK);
    assertThat(r.output()).contains("orchestrator: direct").contains("Spent:      [USD 15.11]");
  }

  @Test
  void quickstart_badArguments_sayHowToUseIt() {
    Result r = run("", false, "--frobnicate");

    assertThat(r.exit()).isEqualTo(Quickstart.USAGE);
    assertThat(r.output()).contains("Unknown option: '--frobnicate'").contains("./quickstart.sh --help");
    assertThat(out).isEmptyDirectory();
  }

  @Test
  void quickstart_runTwiceOnTheDefaultFiles_countsTheFirstRunsSpendAgainstTheCap() {
    Result first = run("", false, "--yes");
    Result second = run("", false, "--yes");

    assertThat(first.exit()).as(first.output()).isEqualTo(Quickstart.OK);
    assertThat(second.exit()).as(second.output()).isEqualTo(Quickstart.OK);
    assertThat(second.output()).contains("Spend state: files in " + out)
        .contains("monthly/per-provider provider=cloudflare: USD 30.22 of USD 100.00 used");
    assertThat(out.resolve("velocity").resolve("velocity.jsonl")).as("the velocity counts are kept beside the ledger")
        .exists();
  }

  @Test
  void quickstart_storePostgres_keepsTheMonthsSpendInItsOwnPostgres_acrossRuns() {
    Result first = run("", false, "--yes", "--store", "postgres");
    Result second = run("", false, "--yes", "--store", "postgres");

    assertThat(first.exit()).as(first.output()).isEqualTo(Quickstart.OK);
    assertThat(first.output()).contains("PostgreSQL up: embedded, data in " + out.resolve("postgres"))
        .contains("monthly/per-provider provider=cloudflare: USD 15.11 of USD 100.00 used");
    assertThat(second.exit()).as(second.output()).isEqualTo(Quickstart.OK);
    assertThat(second.output()).as("the restarted Quickstart reads the month's spend from the database")
        .contains("monthly/per-provider provider=cloudflare: USD 30.22 of USD 100.00 used");
    assertThat(out.resolve("ledger")).as("nothing kept in files").doesNotExist();
  }

  @Test
  void quickstart_jdbcUrlWithNoServerBehindIt_refusesBeforeStartingAnything() {
    Result r = run("", false, "--yes", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/agentprovision");

    assertThat(r.exit()).as(r.output()).isEqualTo(Quickstart.USAGE);
    assertThat(r.output()).contains("Cannot start: ").contains("127.0.0.1:1").doesNotContain("Sandbox up");
    assertThat(audit()).as("nothing was done, so nothing audited").isEmpty();
  }

  @Test
  void quickstart_real_withoutCredentials_refusesBeforeDoingAnything() {
    Result r = run("", false, "--real", "--allow-ip", "203.0.113.7");

    assertThat(r.exit()).isEqualTo(Quickstart.USAGE);
    assertThat(r.output()).contains("STRIPE_API_KEY").contains("is not set");
  }
}
