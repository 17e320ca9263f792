package io.agentprovision.core.internal.audit;

import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.spi.AuditLog;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the fixture {@code format3/keyed-checkpoint.jsonl} (and its {@code .head.gz}): a keyed log
 * as the SDK before exact keyed heads left it, its head file of format 3 a checkpoint (written on
 * opening, moved every 64 commits) with {@link #ENTRIES} entries after it, closed. Not a test: it was
 * run once on the code of main at {@code f7c1169}, compiled against that build's classes, and its
 * output committed; run on the code of today it would write exact heads. Only the public API is used,
 * so it compiles against either.
 *
 * <pre>{@code
 * javac -cp old-benchmarks.jar -d out KeyedCheckpointFixture.java Format2Fixtures.java
 * java -cp out:old-benchmarks.jar io.agentprovision.core.internal.audit.KeyedCheckpointFixture <dir>
 * }</pre>
 */
final class KeyedCheckpointFixture {
  /** How many entries the fixture holds, all after its checkpoint. */
  static final int ENTRIES = 20;

  /** The key of the fixture. */
  static AuditKey key() {
    return AuditKey.of("fixture3", Secret.of("format-3-checkpoint-fixture-key-0123456789ab"));
  }

  private KeyedCheckpointFixture() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    Path work = Files.createTempDirectory("format3");
    Path file = work.resolve("audit.jsonl").toAbsolutePath();
    AuditLog log = AuditLog.jsonl(file, key());
    for (int i = 1; i <= ENTRIES; i++) {
      log.append(Format2Fixtures.record(i));
    }
    ((AutoCloseable) log).close();
    Files.copy(file, out.resolve("keyed-checkpoint.jsonl"));
    try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(out.resolve("keyed-checkpoint.jsonl.head.gz")))) {
      gz.write(Files.readAllBytes(work.resolve("audit.jsonl.head")));
    }
  }
}
