package io.agentprovision.core.audit;

import io.agentprovision.core.AgentProvisionException;
import java.util.Objects;

/**
 * An audit log refused to open or to continue because its record cannot be trusted as it stands:
 * an entry does not verify, the head that was recorded apart from the entries is missing or does
 * not match them, or the entries are signed with a key that was not supplied. The log is left as
 * it was found (it is evidence); nothing is appended to it. The message names the file, the first
 * bad entry and what to do; it never holds a key.
 *
 * <pre>{@code
 * try {
 *   audit = AuditLog.jsonl(path, key);
 * } catch (AuditIntegrityException e) {
 *   switch (e.reason()) {
 *     case MISSING_HEAD -> restoreHeadFromBackupOrReanchor(path);
 *     case UNKNOWN_KEY -> addRetiredKey(e);
 *     default -> alarm(e); // keep the files as evidence and start a new log
 *   }
 * }
 * }</pre>
 */
public class AuditIntegrityException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  /** Why the log was refused. */
  public enum Reason {
    /**
     * An entry was edited, inserted, deleted, reordered or is not an entry at all (its hash or key
     * signature does not match its bytes, or it does not follow the entry before it).
     */
    TAMPERED,
    /** The head file records more entries than the log holds: entries were cut off the end. */
    TRUNCATED,
    /** The log holds entries but its head file is gone, so a cut-off end could not be detected. */
    MISSING_HEAD,
    /** The head file exists but neither of its records is readable or authentic. */
    HEAD_UNREADABLE,
    /** The entries are signed with a key and the log was opened without one. */
    KEY_REQUIRED,
    /** An entry is signed with a key id that is not among the keys supplied. */
    UNKNOWN_KEY,
    /**
     * The log was opened with a key but its last entries are not signed: it was written without a
     * key, or rewritten by someone without it.
     */
    NOT_KEYED,
    /** The file was written by an earlier version whose hash did not cover every field. */
    UNSUPPORTED_FORMAT,
    /** The log file was moved or replaced while the log had it open. */
    REPLACED
  }

  private final Reason reason;
  private final long firstBadSequence;

  /**
   * @param reason why
   * @param firstBadSequence the first entry found wrong (for a truncation, the first one missing),
   *     or 0 when no single entry is at fault
   * @param message what was found and how to fix it, never a key
   */
  public AuditIntegrityException(Reason reason, long firstBadSequence, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.firstBadSequence = firstBadSequence;
  }

  /** Why the log was refused. */
  public Reason reason() {
    return reason;
  }

  /** The first entry found wrong (for a truncation, the first one missing), or 0. */
  public long firstBadSequence() {
    return firstBadSequence;
  }
}
