package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.spi.AuditLog;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A process for {@link JsonlAuditLogCrashTest} to kill: appends to the log {@code args[0]} (keyed
 * with the secret {@code args[1]} when given) from four threads until it is killed, printing
 * {@code acked <sequence> <hash>} as soon as each append returns.
 */
public final class AuditCrashAppenderMain {
  private AuditCrashAppenderMain() {}

  public static void main(String[] args) throws Exception {
    AuditLog log = args.length > 1
        ? AuditLog.jsonl(Path.of(args[0]), AuditKey.of("crash-test", Secret.of(args[1])))
        : AuditLog.jsonl(Path.of(args[0]));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (int i = 0; ; i++) {
          AuditEntry e = log.append(new AuditRecord(Instant.parse("2026-11-02T10:00:00Z").plusSeconds(i), null, null,
              "test.crash", AgentId.of("doomed-process"), null, null, null, "ok", null,
              Map.of("thread", Integer.toString(thread), "i", Integer.toString(i))));
          synchronized (out) {
            out.println("acked " + e.sequence() + " " + e.hash());
          }
        }
      });
      th.start();
      threads.add(th);
    }
    for (Thread t : threads) {
      t.join();
    }
  }
}
