package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link AuditLog} in memory. Appends are serialized; reads see a snapshot. */
public final class InMemoryAuditLog implements AuditLog {
  private final List<AuditEntry> entries = new ArrayList<>();

  @Override
  public synchronized AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    AuditEntry e = AuditChain.link(entries.isEmpty() ? null : entries.get(entries.size() - 1), record);
    entries.add(e);
    return e;
  }

  @Override
  public synchronized List<AuditEntry> entries() {
    return List.copyOf(entries);
  }

  @Override
  public synchronized Optional<AuditEntry> head() {
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
  }

  @Override
  public synchronized AuditVerification verify() {
    return AuditChain.verify(entries, null, null);
  }

  @Override
  public void export(Writer out) throws IOException {
    for (AuditEntry e : entries()) {
      out.write(AuditCodec.toLine(e));
      out.write('\n');
    }
    out.flush();
  }

  @Override
  public String toString() {
    return "InMemoryAuditLog{entries=" + entries().size() + "}";
  }
}
