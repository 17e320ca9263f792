package io.agentprovision.core.audit;

import io.agentprovision.core.spi.AuditLog;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The result of {@link AuditLog#verify()}.
 *
 * @param valid whether the chain is intact: every hash matches, sequence numbers are consecutive,
 *     each entry names its predecessor's hash, and the last entry is the recorded head
 * @param entries how many entries were checked
 * @param head the hash of the last entry, or null for an empty log
 * @param firstBadSequence the first entry found wrong, or 0 when valid
 * @param problems what was found wrong, in order
 */
public record AuditVerification(boolean valid, long entries, @Nullable String head, long firstBadSequence,
    List<String> problems) {
  public AuditVerification {
    problems = List.copyOf(problems);
  }
}
