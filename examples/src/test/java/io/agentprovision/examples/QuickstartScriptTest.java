package io.agentprovision.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * quickstart.sh itself, run as a user runs it, with the test's classpath instead of a Maven build
 * (AGENTPROVISION_QUICKSTART_CLASSPATH), so what is checked is how the script hands its arguments
 * to java: each one intact, whatever it holds.
 */
class QuickstartScriptTest {
  private static final Path SCRIPT = QuickstartCommandTest.HOME.resolve("quickstart.sh");

  @TempDir
  Path cwd;

  private record Result(int exit, String out, String err) {}

  @BeforeEach
  void bash() {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
        "quickstart.sh is a bash script and there is no bash here");
  }

  private Result script(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    // surefire runs the tests from a manifest-only jar; the real classpath is in this property
    pb.environment().put("AGENTPROVISION_QUICKSTART_CLASSPATH",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Path stdout = cwd.resolve(".stdout");
    Path stderr = cwd.resolve(".stderr");
    Process p = pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    // a guard against a hung child, not a timing assertion
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("quickstart.sh finished").isTrue();
    return new Result(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  @Test
  void valueWithSpaces_arrivesAsOneArgument_readFromTheCallersFolder() throws Exception {
    Result r = script("--out", "my dir", "--domain", "ada shop", "--dry-run");

    // both values arrived whole: the domain is refused for its space, not split into two arguments
    assertThat(r.exit()).as(r.err()).isEqualTo(Quickstart.USAGE);
    assertThat(r.err()).contains("--domain \"ada shop\" has a character that domain names may not contain");

    Result ok = script("--out", "my dir", "--dry-run");
    assertThat(ok.exit()).as(ok.err()).isEqualTo(Quickstart.OK);
    assertThat(ok.out()).contains("output:       " + cwd.resolve("my dir"));
    assertThat(cwd.resolve("my dir")).doesNotExist();
  }

  @Test
  void emptyValue_arrivesEmpty_andIsRefusedAsSuch() throws Exception {
    Result r = script("--domain", "", "--yes", "--dry-run");

    assertThat(r.exit()).isEqualTo(Quickstart.USAGE);
    assertThat(r.err()).contains("quickstart.sh: --domain is empty").doesNotContain("'--yes'");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void help_exits0_withEveryOption() throws Exception {
    Result r = script("--help");

    assertThat(r.exit()).as(r.err()).isEqualTo(Quickstart.OK);
    assertThat(r.out()).startsWith("Usage: quickstart.sh [OPTIONS]").contains("--yes", "--direct", "--real",
        "--no-domain", "--domain=QUERY", "--allow-ip=CIDR", "--out=DIR", "Exit codes:");
  }
}
