package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.wire.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one serialized form of audit entries: the canonical JSON that is hashed, and the JSON line
 * that files and exports hold. Every store uses it, so logs verify wherever they are read.
 */
public final class AuditCodec {
  private AuditCodec() {}

  /** The canonical JSON of a record at a sequence number: the bytes the chain hashes. */
  public static String canonical(long sequence, AuditRecord r) {
    Map<String, Object> m = recordMap(r);
    m.put("seq", sequence);
    return Json.canonical(m);
  }

  private static Map<String, Object> recordMap(AuditRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", r.time().toString());
    putIf(m, "run", r.run() == null ? null : r.run().value());
    putIf(m, "step", r.step() == null ? null : r.step().value());
    m.put("action", r.action());
    putIf(m, "agent", r.agent() == null ? null : r.agent().value());
    putIf(m, "principal", r.principal());
    putIf(m, "approver", r.approver());
    putIf(m, "amount", r.amount() == null ? null : r.amount().toString());
    m.put("outcome", r.outcome());
    putIf(m, "idempotency_key", r.idempotencyKey());
    m.put("details", r.details());
    return m;
  }

  private static void putIf(Map<String, Object> m, String k, Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  /** One JSON line (without newline) holding the entry with its chain fields. */
  public static String toLine(AuditEntry e) {
    Map<String, Object> m = recordMap(e.record());
    m.put("seq", e.sequence());
    m.put("prev", e.previousHash());
    m.put("hash", e.hash());
    return Json.canonical(m);
  }

  /**
   * Reads a line written by {@link #toLine}.
   *
   * @throws IllegalArgumentException when the line is not such an entry
   */
  public static AuditEntry fromLine(String line) {
    Map<String, Object> m = Json.parseObject(line);
    Map<String, String> details = new LinkedHashMap<>();
    for (Map.Entry<String, Object> d : Json.object(m, "details").entrySet()) {
      details.put(d.getKey(), String.valueOf(d.getValue()));
    }
    String time = req(m, "time");
    String run = Json.string(m, "run");
    String step = Json.string(m, "step");
    String agent = Json.string(m, "agent");
    String amount = Json.string(m, "amount");
    AuditRecord r = new AuditRecord(Instant.parse(time), run == null ? null : RunId.of(run),
        step == null ? null : StepId.of(step), req(m, "action"), agent == null ? null : AgentId.of(agent),
        Json.string(m, "principal"), Json.string(m, "approver"), amount == null ? null : Money.parse(amount),
        req(m, "outcome"), Json.string(m, "idempotency_key"), details);
    Object seq = m.get("seq");
    if (!(seq instanceof Number n)) {
      throw new IllegalArgumentException("audit line has no seq");
    }
    return new AuditEntry(n.longValue(), r, req(m, "prev"), req(m, "hash"));
  }

  private static String req(Map<String, Object> m, String k) {
    String v = Json.string(m, k);
    if (v == null) {
      throw new IllegalArgumentException("audit line has no " + k);
    }
    return v;
  }
}
