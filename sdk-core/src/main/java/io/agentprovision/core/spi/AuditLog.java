package io.agentprovision.core.spi;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.internal.audit.InMemoryAuditLog;
import io.agentprovision.core.internal.audit.JsonlAuditLog;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An append-only, hash-chained record of every side effect: each entry carries the hash of its
 * predecessor, and its own hash covers every byte of it, so that {@link #verify()} detects an
 * edited, deleted, reordered or (against the recorded head) truncated entry. Thread-safe; appends
 * are serialized so the chain stays single. {@link #jsonl(Path, AuditKey)} keys the chain so that
 * it also holds against whoever can write the files.
 *
 * <pre>{@code
 * AuditLog audit = AuditLog.jsonl(Path.of("audit.jsonl"));
 * AuditVerification v = audit.verify();
 * if (!v.valid()) alarm(v.problems());
 * }</pre>
 */
public interface AuditLog {
  /** An in-memory log, for tests and short-lived hosts. */
  static AuditLog inMemory() {
    return new InMemoryAuditLog();
  }

  /**
   * A log in a JSON-lines file, one {@link #export} line per entry, with its head (entry count, last
   * hash, byte length) in {@code <file>.head}. Opens an existing file, verifies it whole and
   * continues its chain, creating the file and its directories when missing. An append returns
   * once its entry is forced to disk; concurrent appends share one force (given to a provisioner,
   * the head file is forced before the provisioner's next request that may change something,
   * approval question or run end instead: a machine that stops first may lose the entries appended
   * since, which no side effect followed; a process that dies loses none). Appends are serialized
   * across threads and, by a file lock, across processes, so several hosts on one machine may share
   * one file. Keep the file on a local disk.
   *
   * <p>Each entry's SHA-256 covers every byte of its line, and the head file names the last entry
   * any append acknowledged, so an edited, inserted, deleted, reordered or appended entry is
   * detected unless whoever made the change could also rewrite the head file; see
   * {@link #jsonl(Path, AuditKey)} for a chain that holds against them too.
   *
   * <pre>{@code
   * AuditLog audit = AuditLog.jsonl(Path.of("/var/lib/myapp/audit.jsonl"));
   * }</pre>
   *
   * @throws io.agentprovision.core.audit.AuditIntegrityException when the existing file does not verify,
   *     or its head file is missing, unreadable or ahead of its entries (the message names the first
   *     bad entry and what to do); such a file is never appended to
   */
  static AuditLog jsonl(Path file) {
    return jsonlBuilder(file).build();
  }

  /**
   * A keyed log in a JSON-lines file: like {@link #jsonl(Path)}, but each entry's hash is an
   * HMAC-SHA256 under {@code key}, recorded with the key's id, so that whoever can write the files
   * but does not hold the key cannot add, edit or rewrite entries without {@link #verify()}
   * noticing. Entries signed with older keys verify with the retired keys {@code key} carries
   * ({@link AuditKey#withRetired}). A plain log opened with a key is continued keyed: an
   * {@code audit.keyed} entry is appended at once and signs the plain entries' last hash.
   *
   * <pre>{@code
   * AuditLog audit = AuditLog.jsonl(path, AuditKey.of("audit-2026", Secret.of(System.getenv("AUDIT_KEY"))));
   * }</pre>
   *
   * @throws io.agentprovision.core.audit.AuditIntegrityException as {@link #jsonl(Path)} does, and when an
   *     entry is signed with a key id {@code key} does not hold
   */
  static AuditLog jsonl(Path file, AuditKey key) {
    return jsonlBuilder(file).key(key).build();
  }

  /**
   * A builder for a JSON-lines log with more choices than {@link #jsonl(Path)}: a key, how often a
   * keyed log moves its head file, re-anchoring a log whose head file was lost, a clock.
   */
  static JsonlBuilder jsonlBuilder(Path file) {
    return new JsonlBuilder(file);
  }

  /**
   * Options of a JSON-lines {@link AuditLog}; see {@link AuditLog#jsonl(Path)}.
   *
   * <pre>{@code
   * AuditLog audit = AuditLog.jsonlBuilder(path)
   *     .key(key)
   *     .reanchor("head file lost with the old disk; entries restored from backup 2026-11-20")
   *     .build();
   * }</pre>
   */
  final class JsonlBuilder {
    /** How many commits a keyed log makes between moves of its head file, unless told otherwise. */
    public static final int DEFAULT_KEYED_CHECKPOINT_EVERY = JsonlAuditLog.DEFAULT_KEYED_CHECKPOINT_EVERY;

    private final Path file;
    private @Nullable AuditKey key;
    private @Nullable Integer checkpointEvery;
    private @Nullable String reanchor;
    private Clock clock = Clock.systemUTC();

    private JsonlBuilder(Path file) {
      this.file = Objects.requireNonNull(file, "file");
    }

    /** Signs entries with {@code key} (see {@link AuditLog#jsonl(Path, AuditKey)}). */
    public JsonlBuilder key(AuditKey key) {
      this.key = Objects.requireNonNull(key, "key");
      return this;
    }

    /**
     * For a keyed log where the machine's boot cannot be known (not Linux): move the head file every
     * {@code commits} commits instead of every {@value #DEFAULT_KEYED_CHECKPOINT_EVERY}. There each
     * commit forces the log; between moves, entries past the head file verify by the key, so an
     * append needs one fsync instead of two, but cutting off the entries appended since the last move
     * is noticed only against a head kept elsewhere (each {@code Deployment.auditHead()}). {@code 1}
     * keeps the head file exact. Where the boot is known, a keyed log, as a plain one, moves its head
     * on every commit with one fsync (the head file's, its slot holding the commit's lines), and this
     * setting is not used. A plain log always moves its head on every commit: without a key, entries
     * past the head could not be told from forged ones.
     *
     * @throws InvalidRequestException when {@code commits} is below 1
     */
    public JsonlBuilder checkpointEvery(int commits) {
      if (commits < 1) {
        throw new InvalidRequestException("checkpointEvery", "must be at least 1 (was " + commits + ")",
            "pass 1 to move the head file on every commit, or more to move it less often");
      }
      this.checkpointEvery = commits;
      return this;
    }

    /**
     * When the head file is missing, unreadable or does not match the entries (after a restore from a
     * backup that lost it), verify the entries as a chain and anchor the log at the last one instead
     * of refusing it, appending an {@code audit.reanchored} entry that records {@code reason}, what
     * the head file was and how many entries were found. Entries that do not verify are still
     * refused. Without a problem to fix, nothing happens.
     *
     * @throws InvalidRequestException when {@code reason} is blank
     */
    public JsonlBuilder reanchor(String reason) {
      if (reason == null || reason.isBlank()) {
        throw new InvalidRequestException("reason", "is empty",
            "say why the log is re-anchored; it is recorded in the log");
      }
      this.reanchor = reason;
      return this;
    }

    /** The clock for the entries the log writes about itself (recovery, re-anchoring). */
    public JsonlBuilder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Opens the log.
     *
     * @throws InvalidRequestException when {@code checkpointEvery} was set without a key
     * @throws io.agentprovision.core.audit.AuditIntegrityException when the file does not verify
     */
    public AuditLog build() {
      if (checkpointEvery != null && checkpointEvery > 1 && key == null) {
        throw new InvalidRequestException("checkpointEvery", "needs a key: without one, entries past the head file "
            + "could not be told from forged ones", "pass key(...) as well, or leave checkpointEvery at 1");
      }
      int every = checkpointEvery != null ? checkpointEvery : key == null ? 1 : DEFAULT_KEYED_CHECKPOINT_EVERY;
      return JsonlAuditLog.open(new JsonlAuditLog.Options(file, key, every, reanchor, clock));
    }
  }

  /** Appends a record and returns it with its sequence number and hashes. */
  AuditEntry append(AuditRecord record);

  /**
   * Appends {@code records} in order, as {@link #append} would one after another, and returns
   * their entries. A log that forces its writes to disk may commit them together, with one disk sync
   * (the JSON-lines log does): when it returns, every one of them is on disk, as each
   * {@link #append} would have been, and a crash before then keeps all of them or none. Entries of
   * other appends made at the same time may come between them. The engine uses it for entries it
   * records together, with nothing done outside the SDK between them (a reservation and the budget
   * alerts it set off).
   */
  default List<AuditEntry> appendAll(List<AuditRecord> records) {
    List<AuditEntry> out = new java.util.ArrayList<>(records.size());
    for (AuditRecord r : records) {
      out.add(append(r));
    }
    return out;
  }

  /** Every entry, in order. */
  List<AuditEntry> entries();

  /** The last entry, if any. */
  Optional<AuditEntry> head();

  /** Checks the whole chain and the recorded head. */
  AuditVerification verify();

  /**
   * Checks only what was appended after entry {@code sequence}, whose hash an earlier verification
   * accepted as {@code hash}: that the entry is still there unchanged, that every later one follows
   * it link by link, and that the last is the recorded head. Much cheaper than {@link #verify()} on
   * a long log, and says nothing more of the entries before {@code sequence}. A {@code sequence} of
   * 0 verifies everything.
   */
  default AuditVerification verifyAfter(long sequence, String hash) {
    if (sequence <= 0) {
      return verify();
    }
    List<AuditEntry> all = entries();
    if (all.size() < sequence) {
      return new AuditVerification(false, all.size(), all.isEmpty() ? null : all.get(all.size() - 1).hash(),
          all.size() + 1L, List.of("the log holds " + all.size() + " entries, fewer than the " + sequence
              + " verified before (truncated)"));
    }
    AuditEntry at = all.get((int) (sequence - 1));
    if (at.sequence() != sequence || !at.hash().equals(hash)
        || !AuditChain.hash(at.sequence(), at.previousHash(), at.record()).equals(hash)) {
      return new AuditVerification(false, all.size(), all.get(all.size() - 1).hash(), sequence,
          List.of("entry " + sequence + " is no longer the one verified before (edited or replaced)"));
    }
    String head = head().map(AuditEntry::hash).orElse(null);
    return AuditChain.verifyFrom(sequence + 1, hash, all.subList((int) sequence, all.size()), head, null);
  }

  /** Writes every entry as one JSON object per line, in the same form the JSONL log stores. */
  void export(Writer out) throws IOException;
}
