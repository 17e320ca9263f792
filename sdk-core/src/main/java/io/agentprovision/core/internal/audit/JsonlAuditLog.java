package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.internal.audit.HeadFile.Head;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.internal.fs.OwedForce;
import io.agentprovision.core.internal.fs.Positional;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLockInterruptionException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link AuditLog} in a JSON-lines file: one {@link AuditCodec#toLine} line per entry, and beside it
 * {@code <file>.head} recording the number of entries, the last hash and the byte length they
 * occupy (see {@link HeadFile}: a ring of slots overwritten in turn, each with a check, holding the last
 * commits' lines).
 *
 * <p><b>Appends</b> are committed in groups: an append queues its record, and whichever appender
 * holds the lock writes every queued entry in one write and moves the head once for all of them
 * (a <em>group commit</em>), so concurrent appenders share one disk sync. In a plain chain the head
 * file moves on every commit, before any of its appends returns, so the head always names the last
 * acknowledged entry and anything after it is, by construction, not acknowledged. The head file is
 * also the redo log of the last commits ({@link HeadFile}: a ring of slots, each a head and the
 * commit's lines): a commit writes its lines to the log, then its slot, and forces only the head
 * file; the log is forced when the ring comes round to a slot whose lines it has not forced (once
 * per {@value HeadFile#SLOTS} commits or so), for a commit too long for a slot, and on closing. So
 * a commit costs one sync. Unforced writes survive the death of a process, not of the
 * machine: in the boot that wrote the head (which each slot names) the log is checked against it
 * exactly as it stands; after a restart, opening first writes again, from the ring, the bytes
 * between the last force and the head that the log lacks or holds as zeros (nothing else: any other
 * difference is left for verification to refuse). A keyed chain commits the same way, its slots
 * signed with the key and marked {@code exact}, so entries past its head were acknowledged by no
 * append and are moved aside as a plain chain's are. Where the boot cannot be known, every commit
 * forces the log as well, and a keyed chain's head file is a checkpoint moved every
 * {@code checkpointEvery} commits (and on open): entries after such a checkpoint (one not marked
 * exact, as every keyed head of an SDK before exact heads was) are adopted on reading when they
 * verify under the key, which no one without the key can forge. An
 * append returns only once its entry is on disk, in the log or in the ring. The lock holds across
 * the threads of this JVM and across processes ({@link FileChannel#lock}), so several hosts on one
 * machine may share a file.
 *
 * <p><b>Opening</b> verifies the whole chain, each line's hash over its own bytes, and the head: the
 * log must end with the entry the head file records, or, past it, hold only what a crash can
 * leave. A torn last line, and in a plain chain complete entries past the head (written by an
 * append that never returned, or by someone else: the two cannot be told apart without a key),
 * are moved to {@code <file>.unacknowledged} and an {@code audit.recovered} entry records that;
 * they are never adopted. Anything else that does not verify (an edited, inserted, deleted or
 * reordered entry, a head file that is missing, unreadable or ahead of the entries) is refused with
 * an {@link AuditIntegrityException} and the files are left as they are.
 *
 * <p><b>Reading</b> ({@link #verify()}, {@link #verifyAfter}) streams the file and checks each
 * line's hash over its bytes without parsing it into a record; an index of where every
 * {@value OffsetIndex#EVERY}th entry starts lets {@link #verifyAfter} seek to the checkpoint, so
 * its cost does not grow with the log.
 */
public final class JsonlAuditLog implements AuditLog, DurabilityBarrier.Deferring, AutoCloseable {
  /** How many commits a keyed log makes between head file checkpoints, unless told otherwise. */
  public static final int DEFAULT_KEYED_CHECKPOINT_EVERY = 64;
  private static final Logger LOG = LoggerFactory.getLogger(JsonlAuditLog.class);
  static final int CHUNK = 64 * 1024;
  /** How many commits in a row one appender may lead before handing over. */
  private static final int MAX_ROUNDS_LED = 4;

  /**
   * How to open a log.
   *
   * @param key the key of a keyed chain, or null for a plain one
   * @param checkpointEvery commits between head file writes (1 for a plain chain)
   * @param reanchor why the log is re-anchored at its last entry when its head is missing or does
   *     not match, or null to refuse such a log
   */
  public record Options(Path file, @Nullable AuditKey key, int checkpointEvery, @Nullable String reanchor,
      Clock clock) {
    public Options {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(clock, "clock");
    }

    /** A plain log at {@code file}, refusing a log whose head does not match. */
    public static Options of(Path file) {
      return new Options(file, null, 1, null, Clock.systemUTC());
    }
  }

  /** An append waiting for a group commit. */
  private static final class Pending {
    final AuditRecord record;
    /** Set, after {@link #entry} or {@link #failure}, under the lock once the append is decided. */
    volatile boolean done;
    volatile @Nullable AuditEntry entry;
    volatile @Nullable Exception failure;

    Pending(AuditRecord record) {
      this.record = record;
    }
  }

  private final Path file;
  private final Path headFile;
  private final Path asideFile;
  private final Path dir;
  private final @Nullable AuditKey key;
  private final int checkpointEvery;
  private final Clock clock;
  private final Disk disk;
  /**
   * The log, kept open between operations. An interrupt that lands while a thread does I/O on it
   * closes it (a {@link FileChannel} is interruptible); the next operation opens it again.
   */
  private volatile FileChannel ch;
  private volatile boolean closed;
  private final Object fileKey;
  /** This JVM's lock of the file, looked up once ({@link AtomicFiles#jvmLock}). */
  private final ReentrantLock jvmLock;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  /** Who leads the next commit of this instance: guards {@link #leading}, and followers wait on it. */
  private final Object turn = new Object();
  private boolean leading;

  // Everything below is guarded by the file's lock (AtomicFiles.withLock).
  private final ChainHasher hasher;
  private final HeadFile.Encoder headEncoder;
  private final OffsetIndex index = new OffsetIndex();
  private @Nullable FileChannel headCh;
  private @Nullable Object headFileKey;
  /** The head file's size when {@link #headChannel()} last looked at its path. */
  private long headSize;
  /** Counts the holds of the lock; {@link #headCheckedIn} is the hold in which the head file's path was last looked at. */
  private long lockHolds;
  private long headCheckedIn = -1;
  /**
   * The log's directory as {@link Disk#directoryState} described it just before both files' paths
   * were last looked at and found to be the files open, or null: while it is unchanged, the paths
   * are not looked at again. Looking at a file's attributes makes Linux (6.13 and later) give the
   * file's next change a fine-grained time, which marks its inode dirty, and on a file system
   * without a journal every force then writes the inode's block too: a second disk write per commit.
   */
  private @Nullable Object dirSeen;
  /** The hold of the lock in which the unchanged directory vouched for both files' paths. */
  private long dirVouchedIn = -1;
  /** Where the log's last byte and the one after it are read to learn that its size is still {@link #end}. */
  private final ByteBuffer sizeProbe = ByteBuffer.allocate(2);
  /**
   * Where the head's slot and the next slot's header are read, in one read, to be compared with
   * {@link #headRaw}; kept to read them without allocating.
   */
  private final ByteBuffer headScratch = ByteBuffer.allocate(HeadFile.SLOT + HeadFile.HEADER);
  /**
   * The head file's headers (or a format 1 file) as last read or written, and what they hold, to
   * skip decoding an unchanged file; the ring's slots are what decides when the log must be forced.
   */
  private byte[] headRaw = new byte[0];
  private HeadFile.@Nullable Read headRead;
  /** The whole head file as read on opening, for the data blocks of its ring; empty after. */
  private byte[] headFull = new byte[0];
  private @Nullable Head head;
  /** How much of the log is known to be on disk (forced); the ring's data blocks hold the rest. */
  private long forcedEnd;
  private int commitsSinceHead;
  /** The verified end of the chain: entries, the last hash, the byte after the last line. */
  private long entries;
  private String hash = AuditChain.GENESIS;
  private long end;
  private boolean keyed;
  private @Nullable AuditEntry last;
  /** A commit that failed part-way, for the next holder of the lock to settle; see {@link #settleInflight}. */
  private @Nullable Inflight inflight;

  /** A commit's batch and the bytes it writes at {@code from}, kept until it succeeds or is settled. */
  private record Inflight(long from, byte[] bytes, List<Pending> batch, List<AuditEntry> entries) {
    long to() {
      return from + bytes.length;
    }

    AuditEntry lastEntry() {
      return entries.get(entries.size() - 1);
    }
  }

  /**
   * The barriers owed the head file's forces of a plain log, once attached ({@link #deferTo});
   * empty: every commit forces it before the append returns.
   */
  private final CopyOnWriteArrayList<DurabilityBarrier> barriers = new CopyOnWriteArrayList<>();
  /** The head file's owed force, shared by concurrent crossings. */
  private final OwedForce owedHead;
  /** The head file's channel the last owed slot was written through. */
  private volatile @Nullable FileChannel owedHeadChannel;

  private JsonlAuditLog(Options o, Disk disk, Path file, FileChannel ch, Object fileKey) {
    this.disk = disk;
    this.file = file;
    this.headFile = file.resolveSibling(file.getFileName() + ".head");
    this.asideFile = file.resolveSibling(file.getFileName() + ".unacknowledged");
    this.dir = Objects.requireNonNull(file.getParent(), "a log file's directory");
    this.key = o.key();
    this.checkpointEvery = o.checkpointEvery();
    this.clock = o.clock();
    this.ch = ch;
    this.fileKey = fileKey;
    this.hasher = new ChainHasher(o.key());
    this.headEncoder = new HeadFile.Encoder(o.key());
    this.jvmLock = AtomicFiles.jvmLock(file);
    this.owedHead = new OwedForce(this::forceHeadFile);
  }

  /**
   * A plain log's commits then write their slot of the head file without forcing it: the
   * provisioner's barrier forces it before the provisioner's next request that may change something,
   * approval question or run end. A machine that stops first may lose the entries appended since the
   * last crossing (none of which a side effect outside the process followed); a process that dies
   * loses nothing, as before. A keyed log forces its entries at every commit, as before.
   */
  @Override
  public void deferTo(DurabilityBarrier barrier) {
    Objects.requireNonNull(barrier, "barrier");
    if (key == null) {
      barriers.addIfAbsent(barrier);
    }
  }

  /** Forces the head file: through the channel the last owed slot was written by, or a new one when it closed. */
  private void forceHeadFile() throws IOException {
    FileChannel c = owedHeadChannel;
    if (c != null && c.isOpen()) {
      try {
        disk.force(c, headFile, false);
        return;
      } catch (ClosedChannelException e) {
        // closed meanwhile (the file replaced, or an interrupt): forcing the path covers what was written
      }
    }
    try (FileChannel o = FileChannel.open(headFile, StandardOpenOption.WRITE)) {
      disk.force(o, headFile, false);
    }
  }

  /**
   * Opens a plain log at {@code file}, creating it (and its directories) when missing, and
   * continues its chain.
   *
   * @throws AuditIntegrityException when the file does not verify; the message names the first
   *     bad entry and what to do
   */
  public static JsonlAuditLog open(Path file) {
    return open(Options.of(file));
  }

  /**
   * Opens a log as {@code options} say.
   *
   * @throws AuditIntegrityException when the file does not verify; the message names the first
   *     bad entry and what to do
   */
  public static JsonlAuditLog open(Options options) {
    return open(options, Disk.SYSTEM);
  }

  /** {@link #open(Options)} on {@code disk}. */
  static JsonlAuditLog open(Options options, Disk disk) {
    Path file = options.file().toAbsolutePath().normalize();
    FileChannel ch;
    Object key;
    try {
      Path dir = AtomicFiles.directoryOf(file);
      Files.createDirectories(dir);
      boolean created = !Files.exists(file);
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      if (created) {
        AtomicFiles.syncDirectory(dir);
      }
      key = identity(file);
    } catch (IOException e) {
      throw new AgentProvisionException("cannot open audit log " + file + ": " + e, e);
    }
    JsonlAuditLog log = new JsonlAuditLog(options, disk, file, ch, key);
    try {
      log.lockedRun(c -> log.openLocked(options.reanchor()));
    } catch (RuntimeException e) {
      log.close();
      throw e;
    }
    return log;
  }

  /** The log file. */
  public Path file() {
    return file;
  }

  /** The file holding the head: {@code <file>.head}. */
  public Path headFile() {
    return headFile;
  }

  /** Where bytes found after the head on opening are moved: {@code <file>.unacknowledged}. */
  public Path unacknowledgedFile() {
    return asideFile;
  }

  /**
   * Appends {@code record} and returns once it is on disk. The entry is written by whichever
   * appender holds the lock, together with every other queued one. An interrupt does not cut an
   * append short (the record of a cancelled run matters most); the thread's interrupt status is kept.
   */
  @Override
  public AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    Pending mine = new Pending(record);
    appendQueued(List.of(mine));
    return result(mine);
  }

  /**
   * Appends {@code records} in one commit, with one force, when no commit is under way: they are
   * queued together, and whoever leads the next commit takes every queued append (a commit whose
   * lines do not fit a slot of the head file's ring forces the log as well, in the same commit). A
   * crash before the force keeps none of them, after it all: the head moves once, past the last.
   */
  @Override
  public List<AuditEntry> appendAll(List<AuditRecord> records) {
    List<Pending> mine = new ArrayList<>(records.size());
    for (AuditRecord r : records) {
      mine.add(new Pending(Objects.requireNonNull(r, "record")));
    }
    if (mine.isEmpty()) {
      return List.of();
    }
    appendQueued(mine);
    List<AuditEntry> out = new ArrayList<>(mine.size());
    for (Pending p : mine) {
      out.add(result(p));
    }
    return out;
  }

  /** Queues {@code mine} (in order, together) and returns once each of them is decided. */
  private void appendQueued(List<Pending> mine) {
    synchronized (queue) { // so that the leader of a commit drains all of them or none
      queue.addAll(mine);
    }
    Pending last = mine.get(mine.size() - 1);
    if (!awaitTurn(last)) {
      return; // a leader committed them (or failed them) with its own batch
    }
    try {
      lockedRun(c -> {
        if (last.done) {
          return; // an earlier holder of the lock committed them with its own
        }
        try {
          refresh(); // settles a commit an interrupt cut short, which may decide these appends too
        } catch (ClosedChannelException | FileLockInterruptionException e) {
          throw e;
        } catch (IOException | RuntimeException e) {
          fail(drain(), e); // the log cannot be continued: every queued append learns it now
          return;
        }
        // Keep leading while appends queue up (a few rounds, so this caller is not held for long):
        // handing over to a follower costs a thread switch, which on a busy machine can take longer
        // than the commit.
        for (int round = 0; round < MAX_ROUNDS_LED; round++) {
          List<Pending> batch = drain();
          if (batch.isEmpty()) {
            break;
          }
          commit(batch); // under the same lock: nothing else wrote since the last round
          wakeFollowers();
        }
      });
    } finally {
      try {
        if (!allDone(mine)) { // given up: no later commit may write what this caller is told failed
          lockedRun(c -> {
            for (Pending p : mine) {
              if (!p.done) {
                queue.remove(p);
                p.failure = new AgentProvisionException("audit log " + file + ": the entry was not appended", null,
                    true);
                p.done = true;
              }
            }
          });
        }
      } finally {
        endTurn();
      }
    }
  }

  /**
   * Waits until {@code mine} is decided or this thread may lead the next commit; returns whether it
   * leads. Followers wait here, not on the file's lock, so that a decided append costs its thread
   * no lock at all, and everything queued while one commit runs goes into the next. Uninterruptible:
   * an interrupt is kept for the caller.
   */
  private boolean awaitTurn(Pending mine) {
    boolean interrupted = false;
    synchronized (turn) {
      try {
        while (true) {
          if (mine.done) {
            return false;
          }
          if (!leading) {
            leading = true;
            return true;
          }
          try {
            turn.wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static boolean allDone(List<Pending> mine) {
    for (Pending p : mine) {
      if (!p.done) {
        return false;
      }
    }
    return true;
  }

  private void wakeFollowers() {
    synchronized (turn) {
      turn.notifyAll();
    }
  }

  private void endTurn() {
    synchronized (turn) {
      leading = false;
      turn.notifyAll();
    }
  }

  private AuditEntry result(Pending mine) {
    if (mine.failure instanceof RuntimeException e) {
      throw e;
    }
    if (mine.failure != null) {
      throw new AgentProvisionException("cannot append to audit log " + file + ": " + mine.failure, mine.failure);
    }
    return Objects.requireNonNull(mine.entry, "entry");
  }

  private List<Pending> drain() {
    List<Pending> batch = new ArrayList<>();
    synchronized (queue) { // appends queued together (appendAll) are drained together
      for (Pending p = queue.poll(); p != null; p = queue.poll()) {
        if (!p.done) {
          batch.add(p);
        }
      }
    }
    return batch;
  }

  private static void fail(List<Pending> batch, Exception e) {
    for (Pending p : batch) {
      p.failure = e;
      p.done = true;
    }
  }

  /**
   * Writes {@code batch}; on an interrupt that closed the channel, leaves it in flight for the next
   * holder of the lock (this thread, retrying) to settle; on any other failure, fails it.
   */
  private void commit(List<Pending> batch) throws IOException {
    List<AuditRecord> records = new ArrayList<>(batch.size());
    batch.forEach(p -> records.add(p.record));
    try {
      List<AuditEntry> written = write(records, batch);
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).entry = written.get(i);
        batch.get(i).done = true;
      }
    } catch (ClosedChannelException | FileLockInterruptionException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      fail(batch, e); // the in-flight bytes are settled (cut back) by the next holder of the lock
    }
  }

  @Override
  public List<AuditEntry> entries() {
    return locked(c -> {
      refresh();
      List<AuditEntry> out = new ArrayList<>((int) Math.min(entries, 1 << 20));
      Lines.forEachLine(ch, 0, end, (text, lineNo) -> {
        try {
          out.add(AuditCodec.fromLine(text));
        } catch (RuntimeException e) {
          throw new AuditIntegrityException(Reason.TAMPERED, lineNo, "audit log " + file + ": line " + lineNo
              + " is not an audit entry (" + e.getMessage() + "); run verify() for the full report");
        }
      });
      return List.copyOf(out);
    });
  }

  @Override
  public Optional<AuditEntry> head() {
    return locked(c -> {
      refresh();
      return Optional.ofNullable(lastEntry());
    });
  }

  /**
   * Like {@link AuditLog#verifyAfter}: seeks to entry {@code sequence} by the offset index, checks
   * that it still hashes to {@code hash}, then follows the chain to the head. Reads about
   * {@value OffsetIndex#EVERY} lines plus the new ones, however long the log. Anything unusual
   * (a head that moved back, a file cut short) gets the full {@link #verify()} report.
   */
  @Override
  public AuditVerification verifyAfter(long sequence, String hash) {
    Objects.requireNonNull(hash, "hash");
    if (sequence <= 0) {
      return verify();
    }
    return locked(c -> {
      try {
        refresh();
      } catch (AuditIntegrityException e) {
        return verifyLocked();
      }
      if (sequence > entries) {
        return new AuditVerification(false, entries, entries == 0 ? null : this.hash, entries + 1,
            List.of("the log holds " + entries + " entries, fewer than the " + sequence + " verified before (truncated)"));
      }
      long[] from = index.floor(sequence);
      if (from == null) {
        return verifyLocked(); // never expected: every verified entry is indexed
      }
      long at = Lines.skipLines(ch, from[1], sequence - from[0], end);
      ChainScan scan = new ChainScan(ch, new ChainHasher(key), null, false, ChainScan.SHORT_CHUNK)
          .after(sequence - 1, AuditChain.GENESIS, false, sequence - 1, at);
      scan.trustFirstLink = true;
      scan.run(at, end);
      List<String> problems = new ArrayList<>();
      long firstBad = 0;
      if (scan.verifiedSeq < sequence || !checkpointHash(at, hash)) {
        problems.add("entry " + sequence + " is no longer the one verified before (edited or replaced)");
        firstBad = sequence;
      }
      problems.addAll(scan.problems);
      firstBad = earliest(firstBad, scan.firstBad);
      if (scan.clean() && (scan.verifiedEnd != end || scan.verifiedSeq != entries)) {
        problems.add("the last entry is not the recorded head (changed while being checked)");
        firstBad = earliest(firstBad, scan.verifiedSeq + 1);
      }
      if (key != null && scan.lastKeyId == null && entries > 0) {
        problems.add("entries up to " + entries + " are not signed with a key, so anyone with access to the log "
            + "could have rewritten them");
        firstBad = earliest(firstBad, entries);
      }
      return new AuditVerification(problems.isEmpty(), entries, this.hash, firstBad, problems);
    });
  }

  /** Whether the entry starting at {@code at} carries {@code hash} (its own hash was checked by the scan). */
  private boolean checkpointHash(long at, String hash) throws IOException {
    String line = Lines.lineAt(ch, at);
    int h = line.length() - 66;
    return h > 0 && line.regionMatches(h, hash, 0, hash.length()) && hash.length() == 64;
  }

  @Override
  public AuditVerification verify() {
    return locked(c -> verifyLocked());
  }

  /** Writes the stored lines as they are on disk, up to the head, without holding them all in memory. */
  @Override
  public void export(Writer out) throws IOException {
    Objects.requireNonNull(out, "out");
    long upTo = locked(c -> {
      refresh();
      return end;
    });
    // [0, upTo) is verified and only ever appended after, so it is read without the lock
    ByteBuffer buf = ByteBuffer.allocate(CHUNK);
    long pos = 0;
    while (pos < upTo) {
      buf.clear();
      buf.limit((int) Math.min(CHUNK, upTo - pos));
      Lines.readFully(channel(), buf, pos);
      int lastNewline = -1;
      for (int i = buf.limit() - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          lastNewline = i;
          break;
        }
      }
      if (lastNewline < 0) { // a line longer than the chunk: write it whole
        String line = Lines.lineAt(channel(), pos);
        out.write(line);
        out.write('\n');
        pos += line.getBytes(StandardCharsets.UTF_8).length + 1L;
        continue;
      }
      out.write(new String(buf.array(), 0, lastNewline + 1, StandardCharsets.UTF_8));
      pos += lastNewline + 1;
    }
    out.flush();
  }

  /**
   * Forces the log (its last commits may be on disk only in the head file's ring) and releases the
   * files. Appends after closing fail.
   */
  @Override
  public void close() {
    closed = true;
    try {
      FileChannel c = ch;
      if (c.isOpen()) {
        disk.force(c, file, false);
      }
      if (!owedHead.settled()) {
        owedHead.settle(); // the slots a barrier was owed: the head names every entry appended
      }
    } catch (IOException e) {
      LOG.warn("audit log {}: forcing it on closing failed ({}); its last commits are in {}", file, e.toString(),
          headFile.getFileName());
    }
    try {
      ch.close();
      FileChannel h = headCh;
      if (h != null) {
        h.close();
      }
    } catch (IOException e) {
      LOG.warn("audit log {}: closing failed: {}", file, e.toString());
    }
  }

  @Override
  public String toString() {
    return "JsonlAuditLog{" + file + (key == null ? "" : ", keyed=" + key.id()) + "}";
  }

  // --- opening and following the file --------------------------------------------------------

  private void openLocked(@Nullable String reanchor) throws IOException {
    HeadFile.Read read = readHead(true);
    Head recorded = read == null ? null : read.head();
    boolean moveHead = false;
    if (read != null && recorded != null && mayHaveLostUnforcedBytes(recorded)) {
      Head from = redo(read, recorded);
      moveHead = from != recorded; // the newest slot was a commit the crash cut short
      recorded = from;
    }
    headFull = new byte[0];
    long size = ch.size();
    ChainScan scan = new ChainScan(ch, hasher, index, true).after(0, AuditChain.GENESIS, false, 0, 0);
    if (recorded == null) {
      scan.run(0, size);
      refuseIfBroken(scan);
      if (size == 0 && read == null) {
        createHead();
        return;
      }
      if (reanchor == null) {
        if (read == null) {
          throw new AuditIntegrityException(Reason.MISSING_HEAD, scan.verifiedSeq + 1, "audit log " + file
              + " holds entries but its head file " + headFile.getFileName() + " is missing, so a cut-off end "
              + "cannot be ruled out; it will not be continued. " + headFix());
        }
        throw headUnreadable(read);
      }
      reanchorAt(scan, size, read == null ? "missing" : "unreadable", null, reanchor);
      return;
    }
    head = recorded;
    forcedEnd = Math.max(forcedEnd, recorded.forced());
    scan.run(0, Math.min(recorded.bytes(), size));
    if (!scan.clean() || scan.tornAt >= 0 || size < recorded.bytes() || scan.verifiedSeq != recorded.entries()
        || (recorded.entries() > 0 && !scan.lastHash().equals(recorded.hash()))) {
      refuseIfBroken(scan);
      boolean cut = size < recorded.bytes() || scan.verifiedSeq < recorded.entries();
      if (reanchor != null) {
        scan.run(scan.verifiedEnd, size);
        refuseIfBroken(scan);
        reanchorAt(scan, size, cut ? "ahead of the entries" : "not matching the entries", recorded, reanchor);
        return;
      }
      if (cut) {
        throw new AuditIntegrityException(Reason.TRUNCATED, scan.verifiedSeq + 1, "audit log " + file
            + " does not verify, first bad entry " + (scan.verifiedSeq + 1) + ": the head records "
            + recorded.entries() + " entries but " + scan.verifiedSeq + " were found (truncated: cut off); it will "
            + "not be continued. " + evidenceFix());
      }
      throw new AuditIntegrityException(Reason.TAMPERED, scan.verifiedSeq, "audit log " + file
          + " does not verify, first bad entry " + scan.verifiedSeq + ": the last entry's hash is not the recorded "
          + "head (truncated or replaced); it will not be continued. " + evidenceFix());
    }
    requireSignedHead(recorded, scan.lastKeyId);
    adopt(scan.verifiedSeq, scan.lastHash(), scan.verifiedEnd, scan.keyedBefore);
    settleTail(size, reanchor != null);
    requireKeyedUnless(reanchor != null);
    if (key != null && entries > 0 && !keyed) {
      // A plain log continued with a key, as the host asked: the first keyed entry signs the hash
      // of the plain ones, so from here on they cannot be rewritten without the key either.
      write(List.of(system("audit.keyed", Map.of("key_id", key.id(), "plain_entries", Long.toString(entries),
          "reason", Objects.requireNonNull(reanchor)))));
      writeHead();
    } else if (moveHead || head == null || head.entries() != entries || head.bytes() != end) {
      writeHead();
    }
  }

  /**
   * Whether the log may lack bytes that {@code h} names: some were not forced when it was written,
   * and the machine may have stopped since (unforced writes survive a process's death, not the
   * machine's). In the boot that wrote the head the log is checked against it as it stands, so a
   * cut is refused exactly as if everything had been forced.
   */
  private boolean mayHaveLostUnforcedBytes(Head h) {
    String boot = disk.bootId();
    return h.forced() < h.bytes() && (boot == null || !boot.equals(h.boot()));
  }

  /**
   * Writes again, from the ring's data blocks, the bytes between the last force and the head that a
   * stopped machine lost: where the log is shorter, or holds zeros (a length that reached the disk
   * before the data did). Anything else that differs is left for verification to refuse: it is not
   * what a crash leaves. Returns the head the log continues from: {@code newest}, or the one before
   * it when the newest slot's data block is torn (its commit's force never completed, so no append
   * returned for it).
   */
  private Head redo(HeadFile.Read read, Head newest) throws IOException {
    record Piece(long from, byte[] data) {}
    Head h = newest;
    List<Piece> pieces = new ArrayList<>();
    while (true) {
      pieces.clear();
      long low = h.bytes();
      Head k = h;
      boolean torn = false;
      boolean broken = false;
      while (low > h.forced()) {
        if (k == null || k.bytes() != low) {
          broken = true;
          break;
        }
        if (k.redo() > 0) {
          byte[] data = HeadFile.data(headFull, k);
          if (data == null) {
            torn = k == h;
            broken = !torn;
            break;
          }
          pieces.add(new Piece(k.redoFrom(), data));
          low = k.redoFrom();
        }
        k = read.ofGen(k.gen() - 1);
      }
      if (torn) {
        Head before = read.ofGen(h.gen() - 1);
        if (before == null) {
          return newest;
        }
        h = before;
        if (h.forced() >= h.bytes()) {
          return h;
        }
        continue;
      }
      if (broken) {
        Head before = newestBefore(read, h.gen());
        if (before != null && !logHolds(h.forced(), h.bytes())) {
          // A log whose head file's forces are put off to a barrier: the machine stopped with a later
          // slot on disk and an earlier one not (pages go back in any order). No side effect followed
          // what those slots name, and the log lacks it: go back to a head whose lines the ring holds.
          h = before;
          if (h.forced() >= h.bytes()) {
            return h;
          }
          continue;
        }
        return newest; // the ring does not hold them: verification refuses the log as cut
      }
      break;
    }
    long size = ch.size();
    if (size < h.forced()) {
      return newest; // shorter than what was forced: not a crash
    }
    boolean missing = false;
    for (Piece piece : pieces) {
      long from = piece.from();
      byte[] data = piece.data();
      byte[] found = new byte[(int) Math.max(0, Math.min(size, from + data.length) - from)];
      Lines.readFully(ch, ByteBuffer.wrap(found), from);
      for (int i = 0; i < found.length; i++) {
        if (found[i] != data[i]) {
          if (found[i] != 0) {
            return newest;
          }
          missing = true;
        }
      }
      missing |= found.length < data.length;
    }
    for (Piece piece : missing ? pieces : List.<Piece>of()) {
      writeFully(ch, piece.data(), piece.from());
    }
    // read back or written again, the bytes up to the head are made durable in this boot before the
    // ring may move past them
    disk.force(ch, file, false);
    if (missing) {
      LOG.warn("audit log {}: the machine stopped before bytes {} to {} reached the disk; written again from {}",
          file, h.forced(), h.bytes(), headFile.getFileName());
    }
    forcedEnd = Math.max(forcedEnd, h.bytes());
    return h;
  }

  /** The newest slot of {@code read}'s ring older than generation {@code gen}, if any. */
  private static @Nullable Head newestBefore(HeadFile.Read read, long gen) {
    Head best = null;
    for (Head s : read.slots()) {
      if (s != null && s.gen() < gen && (best == null || s.gen() > best.gen())) {
        best = s;
      }
    }
    return best;
  }

  /**
   * Whether the log holds bytes {@code from} to {@code to}, none of them zero (a line never holds a
   * zero byte; a stopped machine leaves zeros where a length reached the disk before the data did).
   */
  private boolean logHolds(long from, long to) throws IOException {
    if (ch.size() < to) {
      return false;
    }
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    for (long at = from; at < to; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), to - at));
      Lines.readFully(ch, buf, at);
      for (int i = 0; i < buf.limit(); i++) {
        if (buf.get(i) == 0) {
          return false;
        }
      }
      at += buf.limit();
    }
    return true;
  }

  /**
   * A keyed log must end with a keyed entry; one that does not was written without the key or
   * rewritten by someone without it, unless the host explicitly asks to start keying it.
   */
  private void requireKeyedUnless(boolean keyingAllowed) {
    if (key != null && entries > 0 && !keyed && !keyingAllowed) {
      throw new AuditIntegrityException(Reason.NOT_KEYED, entries, "audit log " + file + ": entries up to " + entries
          + " are not signed with an audit key, so anyone with access to the log could have written them; it will "
          + "not be continued with key '" + key.id() + "'. If it is a plain log you now want keyed, open it once with "
          + "AuditLog.jsonlBuilder(path).key(key).reanchor(\"why\").build(), which signs it as it stands. If it was "
          + "keyed, someone rewrote it: " + evidenceFix());
    }
  }

  /**
   * Brings this instance up to what is on disk before every operation: another instance or
   * process may have appended, a crash may have left a torn line, someone may have tampered.
   */
  private void refresh() throws IOException {
    long size = checkNotReplaced();
    if (inflight != null) {
      settleInflight();
      size = ch.size();
    }
    HeadFile.Read read = readHead();
    Head recorded = read == null ? null : read.head();
    if (size == end && recorded != null && recorded.equals(head)) {
      return;
    }
    if (read == null) {
      throw new AuditIntegrityException(Reason.MISSING_HEAD, entries + 1, "audit log " + file + ": its head file "
          + headFile.getFileName() + " was deleted while the log was open, so a cut-off end cannot be ruled out; "
          + "it will not be continued. " + headFix());
    }
    if (recorded == null) {
      throw headUnreadable(read);
    }
    Head known = head;
    if (known != null && (recorded.gen() < known.gen() || recorded.bytes() < known.bytes()
        || recorded.entries() < known.entries() || (known.keyId() != null && recorded.keyId() == null))) {
      throw new AuditIntegrityException(Reason.TAMPERED, recorded.entries() + 1, "audit log " + file
          + " does not verify, first bad entry " + (recorded.entries() + 1) + ": its head file went back to an "
          + "earlier head (replaced with an older copy); it will not be continued. " + evidenceFix());
    }
    if (size < end || recorded.bytes() > size) {
      long firstMissing = Math.min(entries, recorded.entries()) + 1;
      throw new AuditIntegrityException(Reason.TRUNCATED, firstMissing, "audit log " + file
          + " does not verify, first bad entry " + firstMissing + ": the file is shorter than the entries already "
          + "recorded (truncated: cut off); it will not be continued. " + evidenceFix());
    }
    if ((key == null || recorded.exact()) && recorded.bytes() < end) {
      throw new AuditIntegrityException(Reason.TAMPERED, recorded.entries() + 1, "audit log " + file
          + " does not verify, first bad entry " + (recorded.entries() + 1) + ": its head file is behind entries "
          + "already acknowledged (replaced); it will not be continued. " + evidenceFix());
    }
    head = recorded;
    forcedEnd = Math.max(forcedEnd, recorded.forced());
    if (recorded.bytes() > end) { // another instance or process committed: follow it up to its head
      ChainScan scan = new ChainScan(ch, hasher, index, true).after(entries, hash, keyed, entries, end);
      scan.run(end, recorded.bytes());
      refuseIfBroken(scan);
      if (scan.tornAt >= 0 || scan.verifiedEnd != recorded.bytes() || scan.verifiedSeq != recorded.entries()
          || !scan.lastHash().equals(recorded.hash())) {
        throw new AuditIntegrityException(Reason.TAMPERED, scan.verifiedSeq, "audit log " + file
            + " does not verify, first bad entry " + scan.verifiedSeq + ": the last entry's hash is not the recorded "
            + "head (truncated or replaced); it will not be continued. " + evidenceFix());
      }
      requireSignedHead(recorded, scan.lastKeyId);
      adopt(scan.verifiedSeq, scan.lastHash(), scan.verifiedEnd, scan.keyedBefore);
      requireKeyedUnless(false);
    }
    if (size > end) {
      settleTail(size, false);
    }
  }

  /**
   * Deals with the bytes after the verified end, up to {@code size}: a keyed log adopts the keyed
   * entries that verify there; a torn last line, and in a plain log any entry past the head, is
   * moved aside and the move recorded; a complete line that does not continue the chain is refused.
   */
  private void settleTail(long size, boolean keyingAllowed) throws IOException {
    if (size <= end) {
      return;
    }
    // a log that adopts nothing past its head moves its whole tail aside, so only one that adopts
    // indexes what it scans here
    boolean adopts = adoptsPastHead(head);
    ChainScan scan = new ChainScan(ch, hasher, adopts ? index : null, true).after(entries, hash, keyed, entries, end);
    scan.stopBeforePlain = key != null; // a plain entry past a keyed one is moved aside, not refused
    scan.run(end, size);
    refuseIfBroken(scan);
    if (adopts && scan.verifiedEnd > end) {
      LOG.info("audit log {}: entries {} to {} follow its last head checkpoint and verify under the key; adopted",
          file, entries + 1, scan.verifiedSeq);
      adopt(scan.verifiedSeq, scan.lastHash(), scan.verifiedEnd, scan.keyedBefore);
    }
    if (size > end) {
      requireKeyedUnless(keyingAllowed); // recording the move would sign a plain log
      moveAside(end, size, scan.tornAt >= 0);
    }
    writeHead();
  }

  /** Copies {@code [from, to)} to the side file, cuts the log back to {@code from}, and records that. */
  private void moveAside(long from, long to, boolean torn) throws IOException {
    long completeLines = 0;
    boolean endsWithNewline = false;
    ByteBuffer buf = ByteBuffer.allocate(CHUNK);
    for (long pos = from; pos < to; pos += buf.limit()) { // streamed: whatever was appended may be large
      buf.clear();
      buf.limit((int) Math.min(CHUNK, to - pos));
      Lines.readFully(ch, buf, pos);
      for (int i = 0; i < buf.limit(); i++) {
        completeLines += buf.get(i) == '\n' ? 1 : 0;
      }
      endsWithNewline = buf.get(buf.limit() - 1) == '\n';
    }
    boolean created = !Files.exists(asideFile);
    try (FileChannel aside = FileChannel.open(asideFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      for (long pos = from; pos < to; ) {
        pos += ch.transferTo(pos, to - pos, aside);
      }
      if (!endsWithNewline) {
        aside.write(ByteBuffer.wrap(new byte[] {'\n'}));
      }
      aside.force(true);
    }
    if (created) {
      AtomicFiles.syncDirectory(AtomicFiles.directoryOf(asideFile));
    }
    ch.truncate(from);
    disk.force(ch, file, true);
    forcedEnd = from;
    index.truncateAfter(entries);
    LOG.warn("audit log {}: moved {} bytes after entry {} that no append acknowledged ({}) to {}; they are not part "
        + "of the log", file, to - from, entries, torn ? "an interrupted write" : "written past the recorded head",
        asideFile);
    Map<String, String> details = new LinkedHashMap<>();
    details.put("moved_to", asideFile.getFileName().toString());
    details.put("bytes", Long.toString(to - from));
    details.put("after_entry", Long.toString(entries));
    if (completeLines > 0) {
      details.put("complete_lines", Long.toString(completeLines));
    }
    details.put("torn_line", Boolean.toString(torn));
    write(List.of(system("audit.recovered", details)));
  }

  /** Re-anchors the log at the last entry of {@code scan} (which followed the whole chain), recording it. */
  private void reanchorAt(ChainScan scan, long size, String headState, @Nullable Head recorded, String reason)
      throws IOException {
    adopt(scan.verifiedSeq, scan.lastHash(), scan.verifiedEnd, scan.keyedBefore);
    if (head == null) {
      createHead();
    }
    if (size > end) {
      moveAside(end, size, true);
    }
    Map<String, String> details = new LinkedHashMap<>();
    details.put("reason", reason);
    details.put("head_file", headState);
    details.put("entries_found", Long.toString(scan.verifiedSeq));
    if (recorded != null) {
      details.put("head_recorded_entries", Long.toString(recorded.entries()));
      if (recorded.hash() != null) {
        details.put("head_recorded_hash", recorded.hash());
      }
    }
    LOG.warn("audit log {}: re-anchored at entry {} (head file {}): {}", file, entries, headState, reason);
    write(List.of(system("audit.reanchored", details)));
    writeHead();
  }

  private AuditRecord system(String action, Map<String, String> details) {
    return AuditRecord.builder(clock.instant(), action, "ok").details(details).build();
  }

  /** Refuses the log when {@code scan} found a line that does not continue the chain. */
  private void refuseIfBroken(ChainScan scan) {
    if (!scan.clean()) {
      Reason reason = Objects.requireNonNullElse(scan.firstReason, Reason.TAMPERED);
      String fix = switch (reason) {
        case KEY_REQUIRED -> "Open it with its key: AuditLog.jsonl(path, key).";
        case UNKNOWN_KEY -> "Supply the key it names as a retired key (AuditKey.withRetired).";
        case UNSUPPORTED_FORMAT -> "Keep it as evidence, move it and " + headFile.getFileName() + " aside, and start "
            + "a new log.";
        default -> evidenceFix();
      };
      throw new AuditIntegrityException(reason, scan.firstBad, "audit log " + file + " does not verify, first bad "
          + "entry " + scan.firstBad + ": " + scan.problems.get(0) + "; it will not be continued. " + fix);
    }
  }

  /** In a keyed log, a head naming a keyed entry must be signed with the key. */
  private void requireSignedHead(Head recorded, @Nullable String lastKeyId) {
    if (key != null && lastKeyId != null && recorded.keyId() == null) {
      throw new AuditIntegrityException(Reason.TAMPERED, recorded.entries(), "audit log " + file + ": its head file "
          + headFile.getFileName() + " is not signed with the log's key (written by someone without it); it will "
          + "not be continued. " + evidenceFix());
    }
  }

  private AuditIntegrityException headUnreadable(HeadFile.Read read) {
    if (read.keyRequired()) {
      return new AuditIntegrityException(Reason.KEY_REQUIRED, 0, "audit log " + file + ": its head file "
          + headFile.getFileName() + " is signed with an audit key; open the log with its key: AuditLog.jsonl(path, key)");
    }
    if (read.unknownKey() != null) {
      return new AuditIntegrityException(Reason.UNKNOWN_KEY, 0, "audit log " + file + ": its head file "
          + headFile.getFileName() + " is signed with audit key '" + read.unknownKey() + "', which was not supplied; "
          + "supply it as a retired key (AuditKey.withRetired)");
    }
    return new AuditIntegrityException(Reason.HEAD_UNREADABLE, 0, "audit log " + file + ": the audit head file "
        + headFile + " is unreadable (" + read.problem() + "); it will not be continued. " + headFix());
  }

  private String headFix() {
    return "Restore " + headFile.getFileName() + " from a backup, or, if it is lost, re-anchor the log at its last "
        + "entry with AuditLog.jsonlBuilder(path).reanchor(\"why\").build(), which verifies the entries and records "
        + "the re-anchoring in the log";
  }

  private String evidenceFix() {
    return "Keep it as evidence, move it and " + headFile.getFileName() + " aside, and start a new log (or restore "
        + "both from a backup)";
  }

  private void adopt(long seq, String lastHash, long endOffset, boolean anyKeyed) {
    if (seq != entries || endOffset != end) {
      last = null;
    }
    entries = seq;
    hash = seq == 0 ? AuditChain.GENESIS : lastHash;
    end = endOffset;
    keyed = anyKeyed;
  }

  // --- writing -------------------------------------------------------------------------------

  /** Appends entries the log writes about itself (recovery, re-anchoring, keying). */
  private List<AuditEntry> write(List<AuditRecord> records) throws IOException {
    return write(records, List.of());
  }

  /**
   * Appends entries for {@code records} after the verified end, in one write and one force, then
   * moves the head (always in a plain log, every {@code checkpointEvery} commits in a keyed one).
   * This instance's view of the log changes only once all of that succeeded; until then the batch is
   * {@link #inflight}.
   */
  private List<AuditEntry> write(List<AuditRecord> records, List<Pending> batch) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(records.size() * 512);
    List<AuditEntry> out = new ArrayList<>(records.size());
    long[] starts = new long[records.size()];
    long seq = entries;
    String prev = hash;
    String kid = key == null ? null : key.id();
    for (AuditRecord r : records) {
      seq++;
      byte[] body = AuditCodec.body(seq, prev, kid, r).getBytes(StandardCharsets.UTF_8);
      String h = hasher.hash(kid, body);
      starts[out.size()] = end + bytes.size();
      AuditCodec.writeLine(bytes, body, h);
      out.add(new AuditEntry(seq, r, prev, h, kid));
      prev = h;
    }
    Inflight f = new Inflight(end, bytes.toByteArray(), batch, out);
    inflight = f;
    ByteBuffer buf = ByteBuffer.wrap(f.bytes());
    long at = f.from();
    while (buf.hasRemaining()) {
      at += ch.write(buf, at);
    }
    // A commit's lines go into the head file's ring, which is forced instead of the log (a keyed
    // log's slots are signed, as its entries are); one too long for a slot, or where the boot cannot
    // be told, forces the log. Only where the boot cannot be told is a keyed log's head a checkpoint
    // moved every checkpointEvery commits; elsewhere every commit moves it, as a plain log's.
    boolean redo = disk.bootId() != null && f.bytes().length <= HeadFile.DATA;
    if (!redo) {
      disk.force(ch, file, false);
      forcedEnd = at;
    }
    boolean moveHead = key == null || exactKeyedHead() || commitsSinceHead + 1 >= checkpointEvery;
    if (moveHead) {
      writeHead(seq, prev, at, redo ? f.bytes() : null);
    }
    for (int i = 0; i < starts.length; i++) {
      index.add(out.get(i).sequence(), starts[i]);
    }
    adopt(seq, prev, at, keyed || kid != null);
    last = out.get(out.size() - 1);
    commitsSinceHead = moveHead ? 0 : commitsSinceHead + 1;
    inflight = null;
    return out;
  }

  /**
   * Settles a commit that failed part-way ({@link #inflight}): an interrupt closed the channel, or
   * writing failed. Its bytes are this instance's own and no append returned for them, so unless
   * the head already names them (the head moved before the failure, or another process adopted
   * them), they are cut back, silently, and the appends still waiting are queued again. When the head
   * names them, the commit happened after all: it is made durable and its appends complete.
   */
  private void settleInflight() throws IOException {
    // It stays in flight until settled: an interrupt here (another thread cancelling) leaves it for
    // the retry, which settles it again, so each append is either committed once or queued once.
    Inflight f = Objects.requireNonNull(inflight);
    forcedEnd = Math.min(forcedEnd, f.from()); // what it wrote is not known to be forced
    long size = ch.size();
    byte[] found = new byte[(int) Math.max(0, Math.min(size, f.to()) - f.from())];
    Lines.readFully(ch, ByteBuffer.wrap(found), f.from());
    boolean ours = Arrays.equals(found, 0, found.length, f.bytes(), 0, found.length);
    HeadFile.Read read = readHead();
    Head recorded = read == null ? null : read.head();
    AuditEntry lastOfBatch = f.lastEntry();
    boolean named = recorded != null && ours && size >= f.to() && recorded.bytes() >= f.to()
        && (recorded.bytes() > f.to() || (recorded.entries() == lastOfBatch.sequence()
            && lastOfBatch.hash().equals(recorded.hash())));
    if (named) {
      disk.force(ch, file, false);
      disk.force(headChannel(), headFile, false);
      forcedEnd = f.to();
      inflight = null;
      for (int i = 0; i < f.batch().size(); i++) {
        Pending p = f.batch().get(i);
        if (!p.done) {
          p.entry = f.entries().get(i);
          p.done = true;
        }
      }
      LOG.debug("audit log {}: a commit cut short by an interrupt had moved the head; completed", file);
      return; // refresh() follows the head over them
    }
    if (ours && found.length > 0 && (recorded == null || recorded.bytes() <= f.from())) {
      ch.truncate(f.from());
      disk.force(ch, file, true);
      LOG.debug("audit log {}: cut back {} bytes of a commit that did not complete", file, found.length);
    }
    inflight = null;
    for (Pending p : f.batch()) {
      if (!p.done) {
        queue.add(p);
      }
    }
    if (f.batch().isEmpty()) { // an entry the log writes about itself: write it again now
      write(f.entries().stream().map(AuditEntry::record).toList());
    }
  }

  /** Moves the head file to the verified end. */
  private void writeHead() throws IOException {
    writeHead(entries, hash, end, null);
  }

  /**
   * Moves the head file to {@code n} entries ending at {@code endOffset}: the oldest slot of the
   * ring, its header followed by its data block (when {@code redo}, the commit's lines, is given),
   * overwritten in place in one write and forced. The log is forced first when that slot still holds lines the
   * log has not forced, so that every unforced byte stays in the ring.
   */
  private void writeHead(long n, String lastHash, long endOffset, byte @Nullable [] redo) throws IOException {
    HeadFile.Read ring = headRead;
    if (ring == null || ring.oldFormat() || ring.slots().length != HeadFile.SLOTS
        || (exactKeyedHead() && (head == null || !head.exact()))) {
      // a head file of format 1 or 2 is upgraded on its first move; a keyed log's checkpoints are
      // replaced whole by its first exact head, so no SDK before exact heads finds one to go on from
      createHead(n, lastHash, endOffset);
      return;
    }
    if (key != null && redo == null && forcedEnd < endOffset) { // a keyed checkpoint names only forced entries
      disk.force(ch, file, false);
      forcedEnd = endOffset;
    }
    long gen = head == null ? 1 : head.gen() + 1;
    int slot = HeadFile.slot(gen);
    Head replaced = ring.slots()[slot];
    if (ring.spoiled()[slot] || (replaced != null && replaced.redo() > 0 && replaced.bytes() > forcedEnd)) {
      disk.force(ch, file, false); // the ring wraps: the lines only the replaced slot held go to disk
      forcedEnd = endOffset;
      redo = null;
    }
    Head h = new Head(gen, n, n == 0 ? null : lastHash, endOffset, key == null ? null : key.id(),
        Math.min(forcedEnd, endOffset), redo == null ? 0 : redo.length, redo == null ? null : headEncoder.sha(redo),
        disk.bootId(), exactKeyedHead());
    // header and lines in one write from the slot's start: of a commit up to 3.5 KiB, one page to force
    byte[] bytes = headEncoder.slotBytes(h, redo);
    FileChannel hc = headChannelOfThisHold();
    writeFully(hc, bytes, HeadFile.slotOffset(gen));
    if (key == null && !barriers.isEmpty()) {
      // deferred: the slot is forced by the provisioner's barrier, before anything outside may depend on it
      owedHeadChannel = hc;
      owedHead.wrote();
      for (DurabilityBarrier b : barriers) {
        b.owe(owedHead);
      }
    } else {
      disk.force(hc, headFile, false);
    }
    Head[] slots = ring.slots();
    boolean[] spoiled = ring.spoiled();
    slots[slot] = h;
    spoiled[slot] = false;
    if (headRaw.length == HeadFile.HEADERS) { // it was read under this lock, so it is what the file held
      System.arraycopy(bytes, 0, headRaw, slot * HeadFile.HEADER, HeadFile.HEADER);
    } else {
      headRaw = new byte[0]; // decoded afresh on the next read
    }
    headRead = new HeadFile.Read(h, null, false, null, slots, spoiled, 3);
    head = h;
    commitsSinceHead = 0;
  }

  /**
   * Whether this log writes keyed heads that are exact: keyed, and the boot known, so that every
   * commit moves the head (through the ring) before any of its appends returns.
   */
  private boolean exactKeyedHead() {
    return key != null && disk.bootId() != null;
  }

  /**
   * Whether entries past the recorded head may be adopted because they verify under the key: in a
   * keyed log whose head is a checkpoint (written every so many commits, by an SDK before exact
   * keyed heads or where the boot cannot be told), not past an exact one, which every acknowledged
   * commit moved.
   */
  private boolean adoptsPastHead(@Nullable Head recorded) {
    return key != null && (recorded == null || !recorded.exact());
  }

  private static void writeFully(FileChannel c, byte[] bytes, long at) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      at += c.write(buf, at);
    }
  }

  /** Creates the head file of an empty log (or of one being re-anchored), atomically. */
  private void createHead() throws IOException {
    createHead(entries, hash, end);
  }

  /**
   * Writes a whole new head file, atomically, holding one head of {@code n} entries ending at
   * {@code endOffset}, the log forced up to there (a new file holds no lines to redo).
   */
  private void createHead(long n, String lastHash, long endOffset) throws IOException {
    if (forcedEnd < endOffset) {
      disk.force(ch, file, false);
    }
    forcedEnd = endOffset;
    long gen = head == null ? 1 : head.gen() + 1;
    Head h = new Head(gen, n, n == 0 ? null : lastHash, endOffset, key == null ? null : key.id(), endOffset, 0, null,
        disk.bootId(), exactKeyedHead());
    byte[] content = HeadFile.newFile(h, key);
    // a page per write, so that a commit's force writes back the pages of its slot, not the whole file
    AtomicFiles.replace(headFile, content, HeadFile.PAGE);
    closeHeadChannel();
    headRaw = HeadFile.headersOf(content, 3);
    headRead = HeadFile.decode(headRaw, 3, key);
    head = h;
    commitsSinceHead = 0;
  }

  // --- files ---------------------------------------------------------------------------------

  private interface IoAction<T> {
    T run(FileChannel ch) throws IOException;
  }

  /** An action under the lock that is run for its effect alone. */
  private interface IoStep {
    void run(FileChannel ch) throws IOException;
  }

  /** {@link #locked(IoAction)} for an action that returns nothing. */
  private void lockedRun(IoStep step) {
    locked(c -> {
      step.run(c);
      return Boolean.TRUE;
    });
  }

  /**
   * Runs {@code action} under the file's lock. The thread's interrupt status is cleared for the
   * duration (an interrupt pending at a channel operation would close the channel for every user
   * of this log) and restored afterwards; an interrupt that lands during I/O closes the channel, and
   * the action is run again on a reopened one.
   */
  private <T> T locked(IoAction<T> action) {
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          return AtomicFiles.withLock(jvmLock, channel(), c -> {
            lockHolds++;
            return action.run(c);
          });
        } catch (ClosedChannelException | FileLockInterruptionException e) {
          interrupted |= Thread.interrupted();
          if (closed || attempt == 10) {
            throw new AgentProvisionException("cannot use audit log " + file + ": " + (closed ? "it is closed" : e), e);
          }
        } catch (IOException e) {
          throw new AgentProvisionException("cannot use audit log " + file + ": " + e, e);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The log's channel, opened again when an interrupt closed it. */
  private synchronized FileChannel channel() throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    FileChannel c = ch;
    if (!c.isOpen()) {
      checkNotReplaced(true); // by its path: the closed channel cannot be read
      c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      ch = c;
    }
    return c;
  }

  private static Object identity(Path p) throws IOException {
    return identity(p, Files.readAttributes(p, BasicFileAttributes.class));
  }

  private static Object identity(Path p, BasicFileAttributes a) {
    Object k = a.fileKey();
    return k != null ? k : p;
  }

  /**
   * Refuses a log whose file is no longer the one this instance opened; returns its size, which,
   * the file being the one open, is the size of {@link #ch}'s file (one look at the path for both).
   * When the log's directory is as it was when the paths were last looked at ({@link #dirSeen}),
   * neither file can have been replaced, moved or deleted since, and the size is read from the
   * open file instead: {@link #end} when it holds a byte at {@code end - 1} and none at
   * {@code end}; anything else (another process appended, the file was cut) looks at the path.
   */
  private long checkNotReplaced() throws IOException {
    return checkNotReplaced(false);
  }

  /** {@link #checkNotReplaced()}; when {@code thorough}, the paths are looked at whatever the directory says. */
  private long checkNotReplaced(boolean thorough) throws IOException {
    Object dirNow = thorough ? null : disk.directoryState(dir);
    if (dirNow != null && dirNow.equals(dirSeen) && sizeIsEnd()) {
      dirVouchedIn = lockHolds;
      return end;
    }
    dirSeen = null;
    dirVouchedIn = -1;
    long size = pathSize();
    FileChannel hc = headCh;
    if (dirNow != null && hc != null && hc.isOpen()) {
      headChannel(); // the head file's path too, after the directory was described, before it is trusted
      dirSeen = dirNow;
    }
    return size;
  }

  /** Whether the log holds a byte at {@link #end} - 1 and none at {@link #end}, read from the open file. */
  private boolean sizeIsEnd() throws IOException {
    ByteBuffer b = sizeProbe;
    b.clear();
    long at = end == 0 ? 0 : end - 1;
    if (end == 0) {
      b.limit(1);
    }
    // one read: a file holds what a regular read returns, so one byte means the file ends at end
    // (a commit by another process, which would make it longer, also moves the ring, which is read next)
    int n = ch.read(b, at);
    return Math.max(n, 0) == (end == 0 ? 0 : 1);
  }

  /** {@link #checkNotReplaced} by looking at the log's path. */
  private long pathSize() throws IOException {
    Object now;
    long size = 0;
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      now = identity(file, a);
      size = a.size();
    } catch (NoSuchFileException e) {
      now = null;
    }
    if (!fileKey.equals(now)) {
      throw new AuditIntegrityException(Reason.REPLACED, 0, "audit log " + file + " was moved, deleted or replaced "
          + "while this log had it open; it will not be written to. Open the log again");
    }
    return size;
  }

  /**
   * The head file's channel, reopened when the file was replaced (a head restored from a backup);
   * notes the file's size in {@link #headSize} from the same look at its path.
   */
  private FileChannel headChannel() throws IOException {
    FileChannel open = headCh;
    if (dirVouchedIn == lockHolds && open != null && open.isOpen()) {
      headCheckedIn = lockHolds; // the unchanged directory vouched for its path in this hold
      return open;
    }
    BasicFileAttributes a = Files.readAttributes(headFile, BasicFileAttributes.class);
    Object now = identity(headFile, a);
    FileChannel hc = headCh;
    if (hc == null || !hc.isOpen() || !now.equals(headFileKey)) {
      closeHeadChannel();
      hc = FileChannel.open(headFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
      headCh = hc;
      headFileKey = now;
      headRaw = new byte[0]; // another file: read it whole before trusting what was cached
    }
    headSize = a.size();
    headCheckedIn = lockHolds;
    return hc;
  }

  /**
   * {@link #headChannel()}, without looking at the path again when it was looked at since the lock
   * was taken (a commit reads the headers, then writes its slot, in one hold of the lock).
   */
  private FileChannel headChannelOfThisHold() throws IOException {
    FileChannel hc = headCh;
    return hc != null && hc.isOpen() && headCheckedIn == lockHolds ? hc : headChannel();
  }

  private void closeHeadChannel() throws IOException {
    FileChannel hc = headCh;
    headCh = null;
    headFileKey = null;
    if (hc != null) {
      hc.close();
    }
  }

  /** The head file as it is now, or null when it is missing; an unchanged file is not decoded again. */
  private HeadFile.@Nullable Read readHead() throws IOException {
    return readHead(false);
  }

  /**
   * {@link #readHead()}; with {@code full}, the whole file is read and kept in {@link #headFull}
   * for its data blocks, else only its headers. Of format 3, when this instance knows the ring,
   * only the headers of the head's slot and the next are read: every writer of the ring (this
   * instance, another one, another process, all under the file's lock) writes the slot after the
   * head it found, and a file put in its place is noticed by {@link #headChannel()}, so when those
   * two are as cached, so is the head.
   */
  private HeadFile.@Nullable Read readHead(boolean full) throws IOException {
    FileChannel hc;
    try {
      hc = headChannel();
    } catch (NoSuchFileException e) {
      closeHeadChannel();
      return null;
    }
    long size = headSize;
    int format = HeadFile.formatOfSize(size);
    HeadFile.Read cached = headRead;
    Head cachedHead = cached == null ? null : cached.head();
    if (!full && format == 3 && cached != null && cached.format() == 3 && cachedHead != null
        && headRaw.length == HeadFile.HEADERS) {
      // what every commit reads: the head's slot and the next, compared in place with what this
      // instance last read or wrote
      if (unchangedNear(hc, cachedHead.gen())) {
        return cached;
      }
      if (dirVouchedIn == lockHolds) { // changed in place: look at its path (and its size) after all
        dirSeen = null;
        dirVouchedIn = -1;
        try {
          hc = headChannel();
        } catch (NoSuchFileException e) {
          closeHeadChannel();
          return null;
        }
        size = headSize;
        format = HeadFile.formatOfSize(size);
      }
    }
    if (format == 0) {
      headRaw = new byte[0];
      headRead = null;
      return HeadFile.unknownSize(size);
    }
    // of format 2, only the headers say where the head is; format 3 has them in every slot
    int length = format == 2 && !full ? HeadFile.V2_HEADERS : (int) size;
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining() && hc.read(buf, buf.position()) > 0) {
      // read it all
    }
    if (buf.hasRemaining()) { // cut while being read
      headRaw = new byte[0];
      headRead = null;
      return HeadFile.unknownSize(buf.position());
    }
    byte[] content = buf.array();
    if (full) {
      headFull = content;
    }
    byte[] raw = format == 1 ? content : format == 2 && length == HeadFile.V2_HEADERS ? content
        : HeadFile.headersOf(content, format);
    if (cached != null && cached.format() == format && Arrays.equals(raw, headRaw)) {
      return cached;
    }
    HeadFile.Read read = HeadFile.decode(raw, format, key);
    headRaw = read.head() != null ? raw : new byte[0];
    headRead = read.head() != null ? read : null;
    return read;
  }

  /**
   * Whether the headers of the slots of {@code gen} and the next generation are as {@link #headRaw}
   * holds them. Next to each other in the file but for the ring's last slot, they are read in one
   * read from the head's slot's start to the end of the next one's header (a data block between
   * them, a page or two of the cache): one system call a commit instead of two.
   */
  private boolean unchangedNear(FileChannel hc, long gen) throws IOException {
    int slot = HeadFile.slot(gen);
    int next = HeadFile.slot(gen + 1);
    ByteBuffer buf = headScratch;
    buf.clear();
    if (next == slot + 1) {
      if (!Positional.read(hc, buf, HeadFile.slotOffset(gen))) {
        return false; // cut short in place
      }
      return sameHeader(buf, 0, slot) && sameHeader(buf, HeadFile.SLOT, next);
    }
    buf.limit(HeadFile.HEADER); // the ring wraps: the two headers are a file apart
    if (!Positional.read(hc, buf, HeadFile.slotOffset(gen)) || !sameHeader(buf, 0, slot)) {
      return false;
    }
    buf.clear().limit(HeadFile.HEADER);
    return Positional.read(hc, buf, HeadFile.slotOffset(gen + 1)) && sameHeader(buf, 0, next);
  }

  /** Whether {@code buf} holds at {@code at} the header of slot {@code slot} as {@link #headRaw} holds it. */
  private boolean sameHeader(ByteBuffer buf, int at, int slot) {
    int raw = slot * HeadFile.HEADER;
    return Arrays.equals(buf.array(), at, at + HeadFile.HEADER, headRaw, raw, raw + HeadFile.HEADER);
  }

  private @Nullable AuditEntry lastEntry() throws IOException {
    if (entries == 0) {
      return null;
    }
    AuditEntry e = last;
    if (e == null) {
      String line = Lines.lastLine(ch, end);
      try {
        e = AuditCodec.fromLine(line);
      } catch (RuntimeException bad) {
        throw new AuditIntegrityException(Reason.TAMPERED, entries, "audit log " + file + ": the entry at the head is "
            + "unreadable (" + bad.getMessage() + "); run verify() for the full report");
      }
      last = e;
    }
    return e;
  }

  private static long earliest(long a, long b) {
    return a == 0 ? b : b == 0 ? a : Math.min(a, b);
  }

  // --- the full report -----------------------------------------------------------------------

  /** Checks everything on disk and reports, never repairing and never throwing for what it finds. */
  private AuditVerification verifyLocked() throws IOException {
    List<String> problems = new ArrayList<>();
    long firstBad = 0;
    try {
      checkNotReplaced(true);
    } catch (AuditIntegrityException e) {
      problems.add(e.getMessage());
    }
    long size = ch.size();
    HeadFile.Read read = readHead();
    Head recorded = read == null ? null : read.head();
    ChainScan scan = new ChainScan(ch, new ChainHasher(key), null, false).after(0, AuditChain.GENESIS, false, 0, 0);
    long entriesAtHead = -1;
    boolean headMatches = true;
    if (recorded != null && recorded.bytes() <= size) {
      scan.run(0, recorded.bytes());
      entriesAtHead = scan.entries;
      headMatches = scan.tornAt < 0 && scan.entries == recorded.entries()
          && (recorded.entries() == 0 || scan.lastHash().equals(recorded.hash()));
      String keyAtHead = scan.lastKeyId;
      if (key != null && keyAtHead != null && recorded.keyId() == null) {
        problems.add("the head file is not signed with the log's key (written by someone without it)");
        firstBad = earliest(firstBad, recorded.entries());
      }
      scan.stopBeforePlain = key != null;
      scan.run(recorded.bytes(), size);
      if (scan.plainAt >= 0) { // entries past the head of a keyed log that are not keyed
        scan.stopBeforePlain = false;
        scan.run(scan.plainAt, size);
      }
    } else {
      scan.run(0, size);
    }
    problems.addAll(scan.problems);
    firstBad = earliest(firstBad, scan.firstBad);
    long found = scan.entries;
    if (read == null && found > 0) {
      problems.add("the head file " + headFile + " is missing, so a cut-off tail cannot be ruled out");
      firstBad = earliest(firstBad, found + 1);
    } else if (read != null && recorded == null) {
      problems.add(headUnreadable(read).getMessage());
      firstBad = earliest(firstBad, found + 1);
    }
    if (scan.tornAt >= 0) {
      problems.add("the file ends with an incomplete line at byte " + scan.tornAt + " (an interrupted write)");
      firstBad = earliest(firstBad, found + 1);
    }
    if (recorded != null) {
      if (recorded.bytes() > size || entriesAtHead < recorded.entries()) {
        long atHead = Math.max(entriesAtHead, 0);
        problems.add("the head records " + recorded.entries() + " entries but " + (recorded.bytes() > size ? found
            : atHead) + " were found (truncated or extended)");
        firstBad = earliest(firstBad, Math.min(recorded.entries(), recorded.bytes() > size ? found : atHead) + 1);
      }
      if (!headMatches || recorded.bytes() > size) {
        problems.add("the last entry's hash is not the recorded head (truncated or replaced)");
        firstBad = earliest(firstBad, found + 1);
      } else if (found > recorded.entries()) {
        long past = found - recorded.entries();
        long adoptable = adoptsPastHead(recorded) ? scan.verifiedSeq - recorded.entries() : 0;
        if (past > adoptable) {
          problems.add("entries " + (recorded.entries() + adoptable + 1) + " to " + found + " come after the recorded "
              + "head and no append acknowledged them (written by someone else, or by an append a crash cut short; "
              + "opening the log moves them aside)");
          firstBad = earliest(firstBad, recorded.entries() + adoptable + 1);
        }
      }
    }
    if (key != null && found > 0 && scan.lastKeyId == null) {
      problems.add("entries up to " + found + " are not signed with a key, so anyone with access to the log could "
          + "have rewritten them");
      firstBad = earliest(firstBad, found);
    }
    return new AuditVerification(problems.isEmpty(), found, found == 0 ? null : scan.lastHash(), firstBad, problems);
  }
}
