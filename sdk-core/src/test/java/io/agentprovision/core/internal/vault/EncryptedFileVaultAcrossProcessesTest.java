package io.agentprovision.core.internal.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One vault file shared by separate JVM processes: their appends and compactions interleave under
 * the file's lock without losing a put, a reader in this process that read before sees them, and a
 * process killed with {@code kill -9} in the middle of its puts leaves every put that returned.
 */
class EncryptedFileVaultAcrossProcessesTest {
  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("vault.bin");
  }

  private CredentialVault vault() {
    return CredentialVault.encryptedFile(file(), KeyProvider.of("k1", EncryptedFileVaultTest.KEY_1));
  }

  @Test
  void twoProcessesPuttingAtOnce_loseNothing_andAReaderThatReadBeforeSeesEveryPut() throws Exception {
    CredentialVault reader = vault();
    reader.put(EncryptedFileVaultLogTest.token("before", "b"));
    assertThat(reader.keys("")).containsExactly("before");
    // 2 x 400 puts of "shared": compactions in both processes, between the other's appends
    Process a = start("a", 100);
    Process b = start("b", 100);
    for (String name : List.of("a", "b")) {
      Process p = name.equals("a") ? a : b;
      List<String> out = lines(p);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(() -> String.join("\n", out) + errors(name)).isZero();
      assertThat(out).last().isEqualTo("done");
    }

    assertThat(reader.keys("a/")).hasSize(100);
    assertThat(reader.keys("b/")).hasSize(100);
    assertThat(reader.get("b/99").orElseThrow().secret().reveal()).isEqualTo("secret-b-99");
    assertThat(reader.get("shared").orElseThrow().secret().reveal()).isIn("a-99", "b-99");
    assertThat(vault().keys("")).hasSize(202);
    // 1,000 puts were made: a file holding at most this many lines was compacted as it went (a check of
    // its inode would not say so: a file system may give the compacted file the inode just freed)
    int live = 1 + 202; // the key check and the records
    assertThat(VaultFile.read(file()).lines.size() - 1).as("lines after the header, compacted as it went")
        .isLessThanOrEqualTo(3 * live + EncryptedFileVault.MIN_DEAD);
  }

  @Test
  void aProcessKilledWhilePutting_leavesEveryPutThatReturned() throws Exception {
    Process p = start("k", 0);
    List<String> seen = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && seen.size() < 80) {
        seen.add(line);
      }
      p.destroyForcibly(); // SIGKILL, wherever it is: in a put, between the two, appending a line
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    int returned = seen.size(); // "put 0" .. "put <returned - 1>" were printed after their puts returned

    CredentialVault after = vault();
    for (int i = 0; i < returned; i++) {
      assertThat(after.get("k/" + i)).as("k/" + i).isPresent();
    }
    int shared = Integer.parseInt(after.get("shared").orElseThrow().secret().reveal().substring(2));
    assertThat(shared).isGreaterThanOrEqualTo(returned - 1);
    after.put(EncryptedFileVaultLogTest.token("after", "a"));
    assertThat(vault().get("after")).isPresent();
  }

  private Process start(String name, int count) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path err = dir.resolve(name + ".err");
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), VaultWriterMain.class.getName(),
        file().toString(), name, Integer.toString(count)).redirectError(err.toFile()).start();
  }

  private static List<String> lines(Process p) throws Exception {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      return r.lines().toList();
    }
  }

  /** What the process started as {@code name} wrote to its standard error. */
  private String errors(String name) {
    try {
      return "\n" + Files.readString(dir.resolve(name + ".err"));
    } catch (java.io.IOException | RuntimeException e) {
      return e.toString();
    }
  }
}
