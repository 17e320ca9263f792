package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * Writes the fixtures of {@link JsonlAuditLogFormat2Test}: logs and head files as an SDK writing
 * head file format 2 left them. Not a test: it was run once on the code of main at {@code 8e33b53}
 * (the last to write format 2), compiled against that build's classes, and its output committed
 * under {@code src/test/resources/io/agentprovision/core/internal/audit/format2/}; run on the code of
 * today it would write today's format. The records are those of {@code JsonlAuditLogTest.record}.
 *
 * <pre>{@code
 * javac -cp old-sdk-core.jar -d out Format2Fixtures.java && java -cp out:old-sdk-core.jar:... \
 *     io.agentprovision.core.internal.audit.Format2Fixtures <dir>
 * }</pre>
 *
 * <ul>
 *   <li>{@code plain.jsonl}, {@code plain.jsonl.head.gz}: a plain log after 20 appends in one boot,
 *       the machine stopped before closing: the log as written (its bytes after the last force, at
 *       {@code forced} of the newest head, are only in the head file's ring), the head file as
 *       forced.
 *   <li>{@code keyed.jsonl}, {@code keyed.jsonl.head.gz}: a keyed log ({@link #KEY}) after 20
 *       appends, closed.
 * </ul>
 */
final class Format2Fixtures {
  /** The key of the keyed fixture. */
  static AuditKey key() {
    return AuditKey.of("fixture", Secret.of("format-2-fixture-audit-key-0123456789abcdef"));
  }

  /** The boot the fixtures were written in. */
  static final String BOOT = "format-2-fixture-boot";

  /** How many entries each fixture holds. */
  static final int ENTRIES = 20;

  static final String KEY = "fixture";

  private Format2Fixtures() {}

  static AuditRecord record(int i) {
    return new AuditRecord(Instant.parse("2026-11-02T09:00:00Z").plusSeconds(i), RunId.of("run_1"),
        StepId.of("step-" + i), "resource.provision", AgentId.of("coding-agent-7"), "ada@example.com", null,
        Money.usd("5.00"), "ok", "run_1:step-" + i, Map.of("resource", "res_" + i, "note", "line\nbreak ü"));
  }

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    Map<Path, byte[]> durable = new ConcurrentHashMap<>();
    Disk disk = new Disk() {
      @Override
      public @Nullable String bootId() {
        return BOOT;
      }

      @Override
      public void force(FileChannel ch, Path file, boolean metaData) throws IOException {
        ch.force(metaData);
        durable.put(file, Files.readAllBytes(file));
      }
    };
    for (String name : new String[] {"plain", "keyed"}) {
      Path work = Files.createTempDirectory("format2");
      Path file = work.resolve("audit.jsonl").toAbsolutePath();
      AuditKey key = name.equals("keyed") ? key() : null;
      JsonlAuditLog log = JsonlAuditLog.open(new JsonlAuditLog.Options(file, key,
          key == null ? 1 : JsonlAuditLog.DEFAULT_KEYED_CHECKPOINT_EVERY, null, Clock.systemUTC()), disk);
      for (int i = 1; i <= ENTRIES; i++) {
        log.append(record(i));
      }
      if (key != null) {
        log.close();
      }
      Files.copy(file, out.resolve(name + ".jsonl"));
      byte[] head = key == null ? durable.get(log.headFile()) : Files.readAllBytes(log.headFile());
      try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(out.resolve(name + ".jsonl.head.gz")))) {
        gz.write(head);
      }
    }
  }
}
