package io.agentprovision.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.examples.QuickstartCommand.UsageException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Quickstart's command line: what each option means, and what a user sees for a bad one. */
class QuickstartCommandTest {
  /** The repository, as quickstart.sh passes it: the default app and output are there. */
  static final Path HOME = repositoryRoot();

  static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("quickstart.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("no quickstart.sh above " + Path.of("").toAbsolutePath());
  }

  private static Quickstart.Options parse(String... args) {
    QuickstartCommand.Parsed parsed = QuickstartCommand.parse(args, HOME);
    assertThat(parsed).isInstanceOf(QuickstartCommand.Run.class);
    return ((QuickstartCommand.Run) parsed).options();
  }

  private static String refusal(String... args) {
    try {
      QuickstartCommand.parse(args, HOME);
    } catch (UsageException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted " + List.of(args));
  }

  private record Result(int exit, String out, String err) {}

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Quickstart.run(args, new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), false);
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  // ---- what each option means -----------------------------------------------------------------

  @Test
  void noOptions_meanTheSandboxDemoWithItsDefaults() {
    Quickstart.Options o = parse();

    assertThat(o.yes()).isFalse();
    assertThat(o.direct()).isFalse();
    assertThat(o.real()).isFalse();
    assertThat(o.dryRun()).isFalse();
    assertThat(o.app()).isEqualTo(HOME.resolve("examples/sample-app"));
    assertThat(o.plan()).isEqualTo("workers:paid");
    assertThat(o.domain()).isEqualTo("my-app");
    assertThat(o.allowIps()).isEmpty();
    assertThat(o.ttlDays()).isEqualTo(7);
    assertThat(o.out()).isEqualTo(HOME.resolve("target/quickstart"));
    assertThat(o.email()).isEqualTo("ada@example.com");
  }

  @Test
  void everyOption_setsWhatItSays() {
    Path app = HOME.resolve("examples/sample-app");
    Quickstart.Options o = parse("--yes", "--direct", "--real", "--dry-run", "--app", app.toString(),
        "--plan", "workers:free", "--domain", "ada-shop", "--allow-ip", "203.0.113.7", "--allow-ip", "2001:db8::/32",
        "--ttl-days", "30", "--out", "my dir", "--email", "bob@example.com");

    assertThat(o.yes()).isTrue();
    assertThat(o.direct()).isTrue();
    assertThat(o.real()).isTrue();
    assertThat(o.dryRun()).isTrue();
    assertThat(o.app()).isEqualTo(app);
    assertThat(o.plan()).isEqualTo("workers:free");
    assertThat(o.domain()).isEqualTo("ada-shop");
    assertThat(o.allowIps()).containsExactly("203.0.113.7", "2001:db8::/32");
    assertThat(o.ttlDays()).isEqualTo(30);
    assertThat(o.out()).isEqualTo(Path.of("my dir").toAbsolutePath());
    assertThat(o.email()).isEqualTo("bob@example.com");
  }

  @Test
  void shortYes_attachedValues_andNoDomain() {
    Quickstart.Options o = parse("-y", "--out=target/x", "--ttl-days=1", "--no-domain");

    assertThat(o.yes()).isTrue();
    assertThat(o.out()).isEqualTo(Path.of("target/x").toAbsolutePath());
    assertThat(o.ttlDays()).isEqualTo(1);
    assertThat(o.domain()).as("--no-domain").isNull();
  }

  @Test
  void relativeOut_isReadFromTheCurrentFolder_notTheRepository() {
    assertThat(parse("--out", "runs/a b").out()).isEqualTo(Path.of("").toAbsolutePath().resolve("runs/a b"));
  }

  @Test
  void theSpendState_isFilesByDefault_postgresOnRequest_andWithAJdbcUrl() {
    assertThat(parse().store()).isEqualTo("file");
    assertThat(parse().jdbcUrl()).isNull();
    assertThat(parse("--store", "postgres").store()).isEqualTo("postgres");
    assertThat(parse("--store", "postgres").jdbcUrl()).as("embedded").isNull();
    Quickstart.Options o = parse("--jdbc-url", "jdbc:postgresql://db.internal:5432/agentprovision");
    assertThat(o.store()).isEqualTo("postgres");
    assertThat(o.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/agentprovision");
  }

  @Test
  void aStoreThatIsNotOne_orFilesWithAJdbcUrl_orAPasswordInTheUrl_isRefused() {
    assertThat(refusal("--store", "mysql")).isEqualTo("--store 'mysql' is not a store: pass --store file or "
        + "--store postgres");
    assertThat(refusal("--store", "file", "--jdbc-url", "jdbc:postgresql://db/ap"))
        .startsWith("--store file and --jdbc-url cannot be used together");
    assertThat(refusal("--jdbc-url", "postgres://db/ap")).isEqualTo("--jdbc-url 'postgres://db/ap' is not a "
        + "PostgreSQL JDBC URL: pass one such as jdbc:postgresql://localhost:5432/agentprovision");
    assertThat(refusal("--jdbc-url", "jdbc:postgresql://db/ap?user=a&password=hunter2"))
        .startsWith("--jdbc-url holds a password").doesNotContain("hunter2");
  }

  // ---- what a user sees for a bad command line --------------------------------------------------

  @Test
  void emptyDomain_isRefusedAsEmpty_notSwallowed() {
    assertThat(refusal("--domain", "", "--yes"))
        .isEqualTo("--domain is empty: pass a word to search for, such as --domain my-app, or --no-domain to register none");
  }

  @Test
  void emptyOut_isRefused_ratherThanWritingIntoTheCurrentFolder() {
    assertThat(refusal("--out", "")).isEqualTo("--out is empty: pass a folder, such as --out target/quickstart");
  }

  @ParameterizedTest
  @CsvSource({"0", "91", "-3", "seven", "1.5", "''"})
  void ttlDaysOutOfRange_isWordedForTheCommandLine(String days) {
    assertThat(refusal("--ttl-days", days)).isEqualTo("--ttl-days must be 1..90 (was '" + days + "'): pass the deploy "
        + "token's lifetime in whole days, such as --ttl-days 7").doesNotContain("Duration");
  }

  @Test
  void optionWithoutItsValue_isRefused() {
    assertThat(refusal("--yes", "--out")).isEqualTo("Missing required parameter for option '--out' (DIR)");
  }

  @Test
  void anotherOptionWhereAValueBelongs_isRefused_notTakenAsTheValue() {
    assertThat(refusal("--out", "--yes")).isEqualTo("Expected parameter for option '--out' but found '--yes'");
    assertThat(refusal("--domain", "--no-domain")).contains("Expected parameter for option '--domain' but found '--no-domain'");
    assertThat(refusal("--email", "-q")).contains("Expected parameter for option '--email' but found '-q'");
  }

  @Test
  void unknownOption_isNamed_andATypoGetsASuggestion() {
    assertThat(refusal("--frobnicate")).isEqualTo("Unknown option: '--frobnicate'");
    assertThat(refusal("--ye")).isEqualTo("Unknown option: '--ye'; did you mean --yes?");
    assertThat(refusal("stray")).contains("'stray'");
  }

  @Test
  void anOptionGivenTwice_isRefused() {
    assertThat(refusal("--out", "a", "--out", "b")).contains("'--out'").contains("only once");
  }

  @Test
  void domainAndNoDomain_together_areRefused() {
    assertThat(refusal("--domain", "shop", "--no-domain"))
        .isEqualTo("--domain and --no-domain cannot be used together: pass one of them");
  }

  @Test
  void badValues_nameTheOption_andTheFix() {
    assertThat(refusal("--domain", "my app")).startsWith("--domain \"my app\" has a character that domain names may not contain").contains("use letters");
    assertThat(refusal("--allow-ip", "example.com"))
        .startsWith("--allow-ip \"example.com\" is not an IP address or CIDR range: pass addresses or ranges such as");
    assertThat(refusal("--allow-ip", "203.0.113.0/33")).startsWith("--allow-ip \"203.0.113.0/33\" has prefix length 33");
    assertThat(refusal("--plan", "workers paid")).isEqualTo("--plan 'workers paid' is not a service id: pass a catalog "
        + "service id such as \"workers:paid\"");
    assertThat(refusal("--email", "ada")).isEqualTo("--email 'ada' is not an e-mail address: pass one such as "
        + "--email ada@example.com");
    assertThat(refusal("--app", "no/such/app")).startsWith("--app '" + Path.of("no/such/app").toAbsolutePath()
        + "' is not a folder: pass the folder of a Worker app");
    assertThat(refusal("--real")).startsWith("--real needs --allow-ip: the deploy token is bound to the addresses");
  }

  @Test
  void appWithoutAMainModule_isRefusedBeforeAnythingStarts() throws Exception {
    Path empty = Files.createTempDirectory("quickstart-app");
    try {
      assertThat(refusal("--app", empty.toString())).contains("has no main module")
          .endsWith("such as --app examples/sample-app");
    } finally {
      Files.delete(empty);
    }
  }

  @Test
  void atFileArguments_areTakenAsTyped_notExpanded() throws Exception {
    Path file = Files.createTempFile("quickstart", ".args");
    try {
      Files.writeString(file, "--yes");
      assertThat(refusal("--domain", "@" + file)).startsWith("--domain \"@" + file + "\" has a character that domain names may not contain");
    } finally {
      Files.delete(file);
    }
  }

  // ---- exit codes -------------------------------------------------------------------------------

  @Test
  void help_exits0_andListsEveryOptionWithItsMeaningDefaultAndTheExitCodes() {
    Result r = run("--help");

    assertThat(r.exit()).isEqualTo(Quickstart.OK);
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("Usage: quickstart.sh [OPTIONS]").contains("-y, --yes", "--direct", "--real",
        "--app=DIR", "--plan=SERVICE", "--domain=QUERY", "--no-domain", "--allow-ip=CIDR", "--ttl-days=N", "--out=DIR",
        "--email=ADDRESS", "--dry-run", "-h, --help", "-V, --version");
    assertThat(r.out().replaceAll("\\s+", " ")).contains("Default: examples/sample-app.", "Default: workers:paid.",
        "Default: my-app.",
        "127.0.0.1/32", "1..90. Default: 7.", "Default: target/quickstart.", "Default: ada@example.com.");
    assertThat(r.out()).contains("Exit codes:", "  0   the app is live", "  1   the run failed",
        "  3   everything was deployed but the app did not answer",
        "  2   a human checkpoint or the spend policy stopped the run", "  64  bad options or missing configuration");
    assertThat(run("-h").out()).isEqualTo(r.out());
  }

  @Test
  void version_exits0_withTheProjectVersionAndTheWireVersions() {
    Result r = run("--version");

    assertThat(r.exit()).isEqualTo(Quickstart.OK);
    assertThat(r.out()).containsPattern("agentprovision Quickstart \\d+\\.\\d+\\.\\d+")
        .contains("provider protocol 0.1d").doesNotContain("unknown").doesNotContain("${");
  }

  @Test
  void badValue_exits64_withTheFixOnStandardError_andStartsNothing() {
    Result r = run("--ttl-days", "0", "--out", "never-created");

    assertThat(r.exit()).isEqualTo(Quickstart.USAGE).isEqualTo(64);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("quickstart.sh: --ttl-days must be 1..90 (was '0')", "./quickstart.sh --help");
    assertThat(Path.of("never-created")).doesNotExist();
  }

  @Test
  void dryRun_exits0_printsWhatItWouldUse_andCreatesNothing() {
    Result r = run("--dry-run", "--direct", "--no-domain", "--allow-ip", "203.0.113.0/24", "--out", "dry run out");

    assertThat(r.exit()).isEqualTo(Quickstart.OK);
    assertThat(r.out()).contains("dry run: nothing is started", "orchestrator: direct", "domain:       none",
        "deploy token: from [203.0.113.0/24], lives 7 days", "output:       " + Path.of("dry run out").toAbsolutePath());
    assertThat(Path.of("dry run out")).doesNotExist();
  }
}
