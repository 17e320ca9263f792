package io.agentprovision.benchmarks.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the flow harness counts and times besides the flows: the syncs after the warm-up, the stores' calls. */
class FlowMeasuresTest {
  @TempDir Path dir;

  @Test
  void fsyncCounter_countsOnlyTheSyncsAfterItsMark() throws IOException {
    Path file = dir.resolve("journal").resolve("run_1.json");
    Files.createDirectories(file.getParent());
    Path elsewhere = Files.createTempFile("not-counted-", ".bin");
    FsyncCounter c = new FsyncCounter(dir);
    c.start();
    force(file); // during the warm-up
    c.mark();
    force(file);
    force(file);
    force(elsewhere); // outside the stores' directory
    c.stop();
    Files.deleteIfExists(elsewhere);

    assertThat(c.count()).as("syncs under the directory after the mark").isEqualTo(2);
    assertThat(c.byFile()).containsOnlyKeys("journal/<run>");
    assertThat(c.byFile().get("journal/<run>")[0]).isEqualTo(2);
  }

  @Test
  void storeTimes_countsEachOutermostCallWhileOnOnly() {
    StoreTimes times = new StoreTimes();
    CredentialVault vault = times.wrap("vault", CredentialVault.class, CredentialVault.inMemory());
    VaultEntry e = new VaultEntry("run_1/token", Secret.of("s3cret-value"), Map.of(), Instant.EPOCH, null);
    vault.put(e); // not counted: off
    times.on = true;
    vault.put(e);
    assertThat(vault.get("run_1/token")).isPresent();
    assertThat(vault.get("run_2/token")).isEmpty();
    times.on = false;
    vault.keys("run_");

    assertThat(times.tallies()).containsOnlyKeys("vault.put", "vault.get");
    assertThat(times.tallies().get("vault.put").calls.sum()).isEqualTo(1);
    assertThat(times.tallies().get("vault.get").calls.sum()).isEqualTo(2);
    assertThat(times.tallies().get("vault.get").wall.sum()).isPositive();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    times.print(new PrintStream(buf, true, StandardCharsets.UTF_8), 1);
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("vault.get", "vault (all)", "every store",
        StepAttribution.OUTSIDE + " vault");
  }

  @Test
  void storeTimes_passesTheStoresErrorsOnAsTheyAre() {
    StoreTimes times = new StoreTimes();
    times.on = true;
    CredentialVault vault = times.wrap("vault", CredentialVault.class, CredentialVault.inMemory());
    assertThatThrownBy(() -> vault.get(null)).isInstanceOf(NullPointerException.class);
    assertThat(times.tallies().get("vault.get").calls.sum()).isEqualTo(1);
  }

  @Test
  void threadCpu_printsTheProvisionersThreadsApartFromTheRest() {
    Map<String, long[]> before = ThreadCpu.byGroup();
    long process = ThreadCpu.process();
    long x = 0;
    for (int i = 0; i < 200_000; i++) {
      x += AgentId.of("a" + (i % 10)).value().length();
    }
    Map<String, long[]> after = ThreadCpu.byGroup();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ThreadCpu.print(before, after, ThreadCpu.process() - process, 1, new PrintStream(buf, true, StandardCharsets.UTF_8));

    assertThat(x).isPositive();
    assertThat(ThreadCpu.kind("flow-step-3")).isEqualTo("provisioner steps");
    assertThat(ThreadCpu.kind("flow-run-1")).isEqualTo("provisioner runs");
    assertThat(ThreadCpu.kind("OkHttp TaskRunner")).isEqualTo("okhttp");
    assertThat(ThreadCpu.kind("MockWebServer 1")).isEqualTo("other");
    assertThat(buf.toString(StandardCharsets.UTF_8)).startsWith("CPU per flow:").contains("  other ", "process");
  }

  private static void force(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
      ch.force(true);
    }
  }
}
