package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process appending from four threads is killed ({@code kill -9}) mid-flight: on reopening, every
 * append that returned is there with the hash it returned, the log verifies, and whatever was on
 * disk without being acknowledged was either moved aside (plain) or verified under the key (keyed).
 */
class JsonlAuditLogCrashTest {
  private static final String SECRET = "crash-test-secret-0123456789abcdef0123456789";

  @TempDir
  Path dir;

  @Test
  void plain_killedWhileAppending_keepsEveryAcknowledgedEntryAndAdoptsNothingElse() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Map<Long, String> acked = appendUntilKilled(file, null);

    AuditLog reopened = AuditLog.jsonl(file);

    assertKeeps(reopened, acked);
    List<AuditEntry> entries = reopened.entries();
    long last = acked.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
    // past the last acknowledged entry, a plain log holds at most entries acknowledged but not yet
    // printed, then the record of what was moved aside; never an entry whose head was not written
    assertThat(entries.subList((int) last, entries.size())).allSatisfy(e ->
        assertThat(e.record().action()).isIn("test.crash", "audit.recovered"));
  }

  @Test
  void keyed_killedWhileAppending_keepsEveryAcknowledgedEntry() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Map<Long, String> acked = appendUntilKilled(file, SECRET);

    AuditLog reopened = AuditLog.jsonl(file, AuditKey.of("crash-test", Secret.of(SECRET)));

    assertKeeps(reopened, acked);
    assertThat(reopened.entries()).allSatisfy(e -> assertThat(e.keyId()).isEqualTo("crash-test"));
  }

  private static void assertKeeps(AuditLog reopened, Map<Long, String> acked) {
    AuditVerification v = reopened.verify();
    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    List<AuditEntry> entries = reopened.entries();
    acked.forEach((seq, hash) -> {
      assertThat(entries.size()).as("entry %d was acknowledged", seq).isGreaterThanOrEqualTo(seq.intValue());
      assertThat(entries.get((int) (seq - 1)).hash()).as("entry %d", seq).isEqualTo(hash);
    });
  }

  /** Starts the appender, waits for 40 acknowledgements, kills it, and returns what it acknowledged. */
  private static Map<Long, String> appendUntilKilled(Path file, @Nullable String secret) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = secret == null
        ? new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), AuditCrashAppenderMain.class.getName(),
            file.toString())
        : new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), AuditCrashAppenderMain.class.getName(),
            file.toString(), secret);
    Path errors = file.resolveSibling("appender.err");
    Process child = pb.redirectError(errors.toFile()).start();
    Map<Long, String> acked = new LinkedHashMap<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (acked.size() < 40 && (line = out.readLine()) != null) {
        String[] parts = line.split(" ");
        acked.put(Long.parseLong(parts[1]), parts[2]);
      }
      // SIGKILL: no shutdown hooks, no flushing, wherever its threads are. Appends it acknowledged
      // after the lines read here are not checked (killing closes the pipe), only allowed.
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(acked).as(() -> read(errors)).hasSizeGreaterThanOrEqualTo(40);
    assertThat(Files.exists(file)).isTrue();
    return acked;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
