package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.spi.AuditLog;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A second process for {@link JsonlAuditLogTest}: appends {@code args[1]} entries to the log
 * {@code args[0]}, printing {@code ready} after the first so the parent appends while it goes on.
 */
public final class AuditAppenderMain {
  private AuditAppenderMain() {}

  public static void main(String[] args) {
    AuditLog log = AuditLog.jsonl(Path.of(args[0]));
    int n = Integer.parseInt(args[1]);
    for (int i = 0; i < n; i++) {
      log.append(new AuditRecord(Instant.parse("2026-11-02T10:00:00Z").plusSeconds(i), null, null, "test.append",
          AgentId.of("child-process"), null, null, null, "ok", null, Map.of("writer", "child", "i", Integer.toString(i))));
      if (i == 0) {
        System.out.println("ready");
        System.out.flush();
      }
    }
  }
}
