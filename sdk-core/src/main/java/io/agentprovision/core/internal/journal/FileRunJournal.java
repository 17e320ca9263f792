package io.agentprovision.core.internal.journal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.internal.fs.Positional;
import io.agentprovision.core.internal.fs.SeenFile;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * {@link RunJournal} in a directory: one file per run, holding the run record, its steps and its
 * parked approvals, one JSON object per line. Every save reads the run's file (what was appended to it
 * since this journal last read it: see below), applies the version
 * check of {@link RunJournal} and appends the saved record as a line (the last line for a record
 * wins), under a lock on {@code .journal.lock} in the directory that holds across the threads of
 * this JVM and across processes. Reads go to the files, so a journal opened again after a crash, or
 * by another process, sees every run saved before.
 *
 * <p><b>Durability.</b> A save returns only once its line is on disk: the file is forced after the
 * append ({@link java.nio.channels.FileChannel#force}), so what a step journaled is durable before
 * the engine goes on to its side effect. The force is a <em>group commit</em>: it happens after the
 * lock is let go, and one force covers every line appended to the file before it, so the saves of a
 * run's concurrent steps share one disk sync instead of queueing one after another, and a save
 * costs one sync rather than the two of replacing a file (the temporary file and the directory).
 * A step's result ({@link #saveStepResult}) is appended without waiting for a force: the run's next
 * save, which waits for one, makes it durable with its own line, so a step's end and the next step's
 * start cost one sync. Attached to a provisioner's {@link DurabilityBarrier} ({@link #deferTo}),
 * saves, filings and lease changes force nothing: the barrier forces the files before the
 * provisioner's next side effect outside the process (a request that may change something, an
 * approval question, a run's end), after the other stores' forces. And a save that says what the run
 * or a step did (the run's state, an approval, a step's end, output, progress or checkpoint decisions;
 * not a step's start)
 * first waits for what the other stores owe that barrier ({@link DurabilityBarrier#settleBefore}): the
 * kernel may write a line's page back at once, so a line may reach the disk before its force, and it
 * must never reach it before the audit entries, reservations and commits of the steps it records.
 * Attached, a run's first save writes the run's file where it stays and owes its force and the
 * directory's (which makes the name durable) like a line's; a machine that stops before the barrier
 * is crossed may leave no file, an empty one, part of its header line or zeros, each read as no file
 * (and by another process that reads the file while it is being written), and the run's next save
 * writes it whole. Used alone, a run's first save creates its file atomically (temporary file,
 * {@code ATOMIC_MOVE}, directory forced), and so does a rewrite that drops superseded lines once a
 * file holds 512 of them ({@code COMPACT_AFTER}), or that moves a file of the previous format
 * (version 2, one indented document, still read) to this one.
 *
 * <p><b>What a journal keeps.</b> Each journal keeps what it last read or wrote of recent run files
 * ({@value #CACHED_RUNS}) and of the lease file: the records, and the file's key (its inode), the
 * length of its intact part and the bytes just before that end ({@code SeenFile}). A save or a read
 * then reads only the bytes appended since, by this process or another, and parses only their
 * lines, instead of the whole file; a file replaced (a rewrite), cut, or whose last bytes changed is
 * read whole. A file whose key, length and modification time are still those the journal left it
 * with (a save looks at its file's time right after appending) is not opened at all: nothing was
 * appended. A file edited in place by hand, its length and last bytes unchanged, is seen as edited
 * by a journal opened after the edit.
 *
 * <p>The journal keeps {@code .journal.lock} open (one channel per journal) and takes its file lock
 * through it at each save, rather than opening and closing the file each time. It also keeps the
 * files of the runs it last appended to open for appending (at most {@value #APPENDERS}), each with
 * the key of the file it was opened on: a save whose look at its run's file (under the lock) finds
 * another file there, a rewrite since by any journal or a copy put in its place, opens that one.
 *
 * <p><b>After a crash</b> the file ends with what was forced and maybe part of a line whose save
 * never returned: a last line without its newline, or one that does not parse, is ignored by
 * readers and cut off by the next save. Any other line that does not parse makes the file
 * unreadable, with its name in the error. A save whose force fails throws; its line, already
 * written, may still be read afterwards, as the line of a save cut short by a crash may survive
 * it: either way the caller never learnt that the save happened, which is what resuming a run
 * already allows for (a step journaled as running is run again with its idempotency key).
 *
 * <p>Leases live in {@code .leases.json} beside the run files, kept the same way (a header, then a
 * line per change of a lease, the last for a name winning; appended and forced as a group commit)
 * under the same lock, so that renewing a lease never touches a run's file. A release is appended
 * without waiting for its force (the next change's force covers it): lost in a machine crash, it is
 * a lease left to expire, as any lease of a host that died. Attached to a barrier, acquires and
 * renewals too return before their force (see {@link #deferTo}): one lost in a machine crash is a
 * lease of a host that died with it, and its token, handed out again, goes to a tenure that begins
 * after every holder of the lost one stopped. Fencing tokens are counted across
 * names: every new tenure takes one more than the last token the file gave any name, which the
 * header keeps ({@code last_token}), so a token is above every earlier token of its name and a
 * released name needs no slot: the journal keeps one map of the leases held and applies each line
 * read or written to it in place, under a lock of its own, and a release removes the name. The
 * file is rewritten atomically, with the last token and a line per lease held, once it holds
 * {@code COMPACT_AFTER} lines more than twice the leases held. Memory, the file and what another
 * process reads on opening it then follow the leases held, not the names ever leased.
 *
 * <p>A host that dies holding leases releases none of them. An acquire (the only lease change given
 * the caller's time: the journal reads no clock) rewrites the file once it holds {@code
 * COMPACT_AFTER} lines more than twice the leases unexpired at that time, and a rewrite at an
 * acquire leaves out the leases expired at it ({@code expiresAt <= now}, when anyone may take them):
 * the file and every journal's memory then follow the leases alive. A dropped lease is as one taken
 * over (its holder's renewal and release are refused; its name's next tenure takes a token above
 * the header's last token); a holder that renewed its expired lease before the rewrite keeps it.
 * The rewrite's header says how many leases it wrote ({@code leases}); a line appended after them
 * is applied only if a journal could have written it: a change of the tenure held (same token) or
 * a new tenure (a token above every token the file gave before it). A dropped or superseded
 * tenure copied back in by hand, with its older token, is left out (and logged) by every journal
 * alike. A file rewritten by hand whole is beyond that check, as it is beyond any. A lease file
 * of version 2 (a slot per name ever leased, tokens counted per name) is read as it is, its last
 * token the greatest it holds, and rewritten in version 3 by the first change; an earlier release
 * refuses version 3 rather than count a forgotten name's tokens from 1 again.
 *
 * <p>Runs filed by key ({@link #fileRun}: the engine files each run under its person, so that a
 * person's next run finds their account and plan without reading every run) are listed in
 * {@code .filed-runs.json}, a header and then a line per filing, appended and forced under the same
 * lock. Each journal keeps what it read of that file and reads only what was appended since. The
 * index is started in a directory that holds no run yet; a directory written by an earlier version
 * keeps none, and is read through as before.
 *
 * <p>File names are the run id with characters outside {@code [A-Za-z0-9._-]} replaced, followed
 * by a hash of the id, so that ids differing only in case or in replaced characters never share a
 * file, on any file system. The files hold no secrets (see {@link RunRecord} and {@link StepRecord}).
 */
public final class FileRunJournal implements RunJournal, DurabilityBarrier.Deferring {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FileRunJournal.class);
  private static final String FORMAT = "agentprovision-run";
  /**
   * 3: a header line, then one saved record per line ({@code run}, {@code step} or {@code approval}).
   * 2 (read, and moved to 3 on the next save): one document, a step's output as one JSON string
   * with typed reservations and checkpoint decisions beside it.
   */
  private static final long VERSION = 3;
  private static final long DOCUMENT_VERSION = 2;
  /** Lines a run's file may hold before a save rewrites it with only the latest of each record. */
  static final int COMPACT_AFTER = 512;
  /** Run files a journal keeps open for appending (the runs under way, usually a few). */
  static final int APPENDERS = 16;
  /** Run files whose parsed lines a journal keeps, so that a run's saves do not parse its file again. */
  static final int CACHED_RUNS = 128;
  private static final String SUFFIX = ".json";
  /** What a run id may not keep in its file's name; compiled once (a flow names its run's file about 60 times). */
  private static final java.util.regex.Pattern NOT_IN_NAME = java.util.regex.Pattern.compile("[^A-Za-z0-9._-]");

  private static final String LEASES_FORMAT = "agentprovision-leases";
  /**
   * 3: a header with the last token given ({@code last_token}) and how many lease lines the rewrite
   * that wrote it wrote ({@code leases}; earlier releases neither write nor read it), then a line per
   * change of a lease; a rewrite keeps only the leases held. 2 (read, and moved to 3 by the first
   * change): the same lines under a header without {@code last_token}, a rewrite keeping every name ever leased for
   * its last token. (The first format, one indented document, had no version.)
   */
  private static final long LEASES_VERSION = 3;
  private static final long LEASES_VERSION_BY_NAME = 2;

  private static final String FILED_FORMAT = "agentprovision-filed-runs";
  private static final long FILED_VERSION = 1;

  private final Path dir;
  private final Path lockFile;
  /** This JVM's lock of {@link #lockFile}, shared with every journal of the directory in the JVM. */
  private final java.util.concurrent.locks.ReentrantLock jvmLock;
  /** {@link #lockFile}, kept open; null until first locked. */
  private @Nullable FileChannel lockChannel;
  private final Path leaseFile;
  private final Path filedFile;
  /** The runs filed by key, as read so far from {@link #filedFile}. */
  private final FiledIndex filed = new FiledIndex();
  private final GroupForce.Forcer forcer;
  /**
   * What this journal last read or wrote of recent run files, so that a save or a read parses only
   * the lines appended since (by this process or another) instead of the whole file; the least
   * recently used are dropped past {@value #CACHED_RUNS}. Every {@link Doc} in it is never changed
   * again: a save applies its change to a copy.
   */
  private final Map<Path, Cached> cache = java.util.Collections.synchronizedMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Cached> eldest) {
          return size() > CACHED_RUNS;
        }
      });
  /**
   * The files of recent runs by id: a flow names its run's file about 60 times, and each name is a
   * pattern's replacement and a SHA-256; the least recently used are dropped past {@value #CACHED_RUNS}.
   */
  private final Map<RunId, Path> files = java.util.Collections.synchronizedMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<RunId, Path> eldest) {
          return size() > CACHED_RUNS;
        }
      });
  /**
   * Guards {@link #leasesSeen} and the slots in it. Taken inside the file lock by a change and alone
   * by a read, never the other way round, and held only while the file's new lines are applied or
   * one line is written: a read never waits for a force.
   */
  private final Object leasesLock = new Object();
  /** The lease file as this journal last read or wrote it; null before, and while it must be read whole. */
  private @Nullable LeasesSeen leasesSeen;
  /** Slots parsed from the lease file so far (they are never copied): tests watch that an operation's count does not grow with the file's history. */
  private long leaseSlotsLoaded;
  /**
   * The highest token this journal has read in or written to the lease file (guarded by {@link
   * #leasesLock}). A new tenure takes a token above it even if the file is later replaced by an
   * older copy, so that this process never hands out a token twice.
   */
  private long leaseTokenFloor;
  /**
   * Run files kept open for appending, each with the file's key (its inode) when it was opened; the
   * least recently used are closed past {@value #APPENDERS}. A save opened, sized and closed its run's
   * file for every line, about 30 times a flow. Used only holding the journal's lock, under which no
   * journal replaces a run file: a file found with another key (a rewrite since, by any process)
   * gets a new channel.
   */
  private final LinkedHashMap<Path, Appender> appenders = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Path, Appender> eldest) {
      if (size() > APPENDERS) {
        closeQuietly(eldest.getValue().channel());
        return true;
      }
      return false;
    }
  };

  /** A run file's channel kept open for appending, and the key of the file it was opened on. */
  private record Appender(Object key, FileChannel channel) {}

  /** The group commit of each run file with saves waiting for a force; dropped when idle. */
  private final ConcurrentHashMap<Path, GroupForce> groups = new ConcurrentHashMap<>();
  /** The barriers owed the forces of run files and of the index, once attached; empty: saves force. */
  private final java.util.concurrent.CopyOnWriteArrayList<DurabilityBarrier> barriers =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The journal directory's force, owed for the names of run files created in place. */
  private final GroupForce directoryGroup;

  /** How a new run file is opened: it must not be there yet. */
  private static final Set<java.nio.file.OpenOption> CREATE_NEW =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  /** A new run file's permissions where the file system has POSIX ones: its owner's only. */
  private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY =
      java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.util.EnumSet.of(
          java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));

  private GroupForce groupOf(Path file) {
    return new GroupForce(file, forcer);
  }

  private FileRunJournal(Path dir, GroupForce.Forcer forcer) {
    this.dir = dir;
    this.lockFile = dir.resolve(".journal.lock");
    this.jvmLock = AtomicFiles.jvmLock(lockFile);
    this.leaseFile = dir.resolve(".leases.json");
    this.filedFile = dir.resolve(".filed-runs.json");
    this.forcer = forcer;
    // the default forcer opens a file for writing, which a directory cannot be; a test's watches both
    this.directoryGroup = new GroupForce(dir, forcer == GroupForce.Forcer.DISK ? AtomicFiles::syncDirectory : forcer);
  }

  /**
   * Runs {@code action} holding this JVM's lock of {@link #lockFile} and an exclusive file lock on
   * it, through a channel this journal keeps open: a save takes the lock about 30 times a flow, and
   * opening and closing the file each time was a good part of a save's CPU. The lock file is never
   * replaced or deleted by the journal; a channel closed under it (a thread interrupted while
   * waiting for the lock) is opened again by the next call.
   */
  private <T> T locked(AtomicFiles.LockedAction<T> action) throws IOException {
    return AtomicFiles.withLock(jvmLock, this::lockChannel, action);
  }

  /** Runs {@code action} as {@link #locked} does, also holding {@link #leasesLock}. */
  private <T> T lockedLeases(AtomicFiles.LockedAction<T> action) throws IOException {
    return locked(ch -> {
      synchronized (leasesLock) {
        return action.run(ch);
      }
    });
  }

  private synchronized FileChannel lockChannel() throws IOException {
    FileChannel c = lockChannel;
    if (c == null || !c.isOpen()) {
      c = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      lockChannel = c;
    }
    return c;
  }

  /** Opens the journal in {@code dir}, creating the directory when missing. */
  public static FileRunJournal open(Path dir) {
    return open(dir, GroupForce.Forcer.DISK);
  }

  /** Opens the journal in {@code dir}, syncing files with {@code forcer} (tests watch the syncs so). */
  static FileRunJournal open(Path dir, GroupForce.Forcer forcer) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(forcer, "forcer");
    Path d = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(d);
    } catch (IOException e) {
      throw new AgentProvisionException("cannot create the run journal directory " + d + ": " + e, e);
    }
    FileRunJournal journal = new FileRunJournal(d, forcer);
    journal.startIndexIfNew();
    return journal;
  }

  /**
   * Run files, the run index and the lease file are then written without a force: the barrier
   * forces them before the provisioner's next side effect. A lease change is seen by every process
   * sharing the directory as soon as the journal's lock is let go, forced or not (the page cache, or
   * a shared file system's client, which writes what it holds back when the lock is let go); a
   * machine stop that loses it also stopped every process that wrote it, none of which acted on it
   * outside the process: the barrier forces it before their next side effect.
   */
  @Override
  public void deferTo(DurabilityBarrier barrier) {
    Objects.requireNonNull(barrier, "barrier");
    barriers.addIfAbsent(barrier);
  }

  /** Waits for the force of {@code ticket} of {@code f}'s group, or owes it to the barriers when deferred. */
  private void forceOrOwe(Path f, GroupForce group, long ticket) throws IOException {
    if (barriers.isEmpty()) {
      group.awaitForced(ticket);
      return;
    }
    DurabilityBarrier.Debt debt = group.debt(() -> {
      if (group.idle()) {
        groups.remove(f, group);
      }
    });
    for (DurabilityBarrier b : barriers) {
      b.owe(debt);
    }
  }

  /** The journal directory. */
  public Path directory() {
    return dir;
  }

  /** The file that holds {@code run}. */
  public Path fileOf(RunId run) {
    Path known = files.get(run);
    if (known != null) {
      return known;
    }
    Path f = nameOf(run);
    files.put(run, f);
    return f;
  }

  private Path nameOf(RunId run) {
    String readable = NOT_IN_NAME.matcher(run.value()).replaceAll("_");
    if (readable.length() > 64) {
      readable = readable.substring(0, 64);
    }
    return dir.resolve(readable + "--" + HexFormat.of().formatHex(Digests.sha256(run.value()), 0, 8) + SUFFIX);
  }

  @Override
  public boolean saveRun(RunRecord record) {
    Objects.requireNonNull(record, "record");
    return update(record.id(), doc -> {
      if (!Versions.follows(doc.run == null ? null : doc.run.version(), record.version())) {
        return null;
      }
      doc.run = record;
      return line("run", runMap(record));
    });
  }

  @Override
  public Optional<RunRecord> run(RunId id) {
    Objects.requireNonNull(id, "id");
    Doc doc = read(fileOf(id));
    return Optional.ofNullable(doc == null ? null : doc.run);
  }

  @Override
  public List<RunRecord> runs(RunStatus... statuses) {
    Set<RunStatus> wanted = Set.of(statuses);
    List<RunRecord> out = new ArrayList<>();
    for (Doc doc : docs()) {
      if (doc.run != null && (wanted.isEmpty() || wanted.contains(doc.run.status()))) {
        out.add(doc.run);
      }
    }
    out.sort(Comparator.comparing(RunRecord::createdAt).thenComparing(RunRecord::id));
    return out;
  }

  /**
   * Files {@code run} under {@code key} in {@code .filed-runs.json}, forced before this returns (a
   * person's next run must find this one after a crash), unless it is filed there already. False,
   * filing nothing, in a directory whose runs were journaled before the index was kept there.
   */
  @Override
  public boolean fileRun(RunId run, String key) {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(key, "key");
    GroupForce group = groups.computeIfAbsent(filedFile, this::groupOf);
    long[] ticket = {-1};
    try {
      boolean kept = locked(ch -> {
        synchronized (filed) {
          if (!filed.refresh()) {
            return false;
          }
          if (!filed.contains(key, run)) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("key", key);
            line.put("run", run.value());
            JsonLines.append(filedFile, filed.end, JsonLines.line(line));
            ticket[0] = group.appended();
            filed.refresh();
          }
          return true;
        }
      });
      if (ticket[0] >= 0) {
        forceOrOwe(filedFile, group, ticket[0]);
      }
      return kept;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot write the run index " + filedFile + ": " + e, e);
    } finally {
      if (group.idle()) {
        groups.remove(filedFile, group);
      }
    }
  }

  /**
   * The runs filed under {@code key}, oldest first, from what this journal read of
   * {@code .filed-runs.json} and what was appended since (by this process or another): a look costs
   * the lines appended since the last, not the runs filed.
   */
  @Override
  public Optional<List<RunId>> runsFiledUnder(String key) {
    Objects.requireNonNull(key, "key");
    synchronized (filed) {
      try {
        if (!filed.refresh()) {
          return Optional.empty();
        }
      } catch (IOException e) {
        throw new AgentProvisionException("cannot read the run index " + filedFile + ": " + e, e);
      }
      return Optional.of(filed.snapshot(key));
    }
  }

  /**
   * Starts the index of runs by key in a directory that holds no run yet, so that it is complete:
   * every run the directory will hold is filed by the engine that journals it. A directory with runs
   * and no index was written by an earlier version, which filed nothing; it keeps no index, and a
   * person's runs are found by reading the runs through, as before.
   */
  private void startIndexIfNew() {
    try {
      locked(ch -> {
        if (!Files.exists(filedFile) && !holdsRuns()) {
          Map<String, Object> header = new LinkedHashMap<>();
          header.put("format", FILED_FORMAT);
          header.put("version", FILED_VERSION);
          AtomicFiles.replace(filedFile, JsonLines.line(header));
          return true;
        }
        return false;
      });
    } catch (IOException e) {
      throw new AgentProvisionException("cannot start the run index " + filedFile + ": " + e, e);
    }
  }

  private boolean holdsRuns() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        if (!f.getFileName().toString().startsWith(".")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * {@code .filed-runs.json} as read so far: a header, then a line per filing. The file only grows
   * (a torn last line, left by a crash, is cut off by the next filing), so a refresh reads the bytes
   * appended since the last one. Guarded by its own monitor.
   */
  private final class FiledIndex {
    private final Map<String, FiledRuns> byKey = new HashMap<>();
    /** The length of the file's intact part read so far; 0 before the header is read. */
    long end;

    /** Reads what was appended since the last refresh; false when the directory keeps no index. */
    boolean refresh() throws IOException {
      long size;
      try {
        size = Files.size(filedFile);
      } catch (NoSuchFileException e) {
        byKey.clear();
        end = 0;
        return false;
      }
      if (size < end) { // replaced by hand: read it again
        byKey.clear();
        end = 0;
      }
      if (size == end) {
        return true;
      }
      byte[] bytes = new byte[(int) (size - end)];
      try (FileChannel in = FileChannel.open(filedFile, StandardOpenOption.READ)) {
        Positional.read(in, ByteBuffer.wrap(bytes), end); // a file cut meanwhile leaves zeros, no line
      }
      int from = 0;
      try {
        for (int nl = JsonLines.indexOf(bytes, from); nl >= 0; nl = JsonLines.indexOf(bytes, from)) {
          Map<String, Object> line;
          try {
            line = Json.parseObject(new String(bytes, from, nl - from, StandardCharsets.UTF_8));
          } catch (RuntimeException e) {
            if (nl == bytes.length - 1) {
              break; // the last line, torn by a crash
            }
            throw new IllegalArgumentException("a line is not JSON", e);
          }
          if (end == 0 && from == 0) {
            if (!FILED_FORMAT.equals(line.get("format")) || !Long.valueOf(FILED_VERSION).equals(line.get("version"))) {
              throw new IllegalArgumentException("it is not a version-" + FILED_VERSION + " run index");
            }
          } else {
            byKey.computeIfAbsent(required(line, "key"), k -> new FiledRuns()).add(RunId.of(required(line, "run")));
          }
          from = nl + 1;
        }
      } catch (RuntimeException e) {
        throw new AgentProvisionException("the run index " + filedFile + " is unreadable: " + e.getMessage()
            + "; delete it (the journal then finds a person's runs by reading every run)", e);
      }
      end += from;
      return true;
    }

    boolean contains(String key, RunId run) {
      FiledRuns runs = byKey.get(key);
      return runs != null && runs.contains(run);
    }

    List<RunId> snapshot(String key) {
      FiledRuns runs = byKey.get(key);
      return runs == null ? List.of() : runs.snapshot();
    }
  }

  @Override
  public boolean saveStep(StepRecord record) {
    return saveStep(record, true);
  }

  /**
   * Appends the step's line without waiting for a force: the next save of the run waits for one
   * that began after its own write, which covers this line too (see {@link RunJournal#saveStepResult}).
   */
  @Override
  public boolean saveStepResult(StepRecord record) {
    return saveStep(record, false);
  }

  private boolean saveStep(StepRecord record, boolean force) {
    Objects.requireNonNull(record, "record");
    return update(record.run(), reportsWork(record), doc -> {
      StepRecord current = doc.steps.get(record.step());
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return null;
      }
      doc.steps.put(record.step(), record);
      return line("step", stepMap(record));
    }, force);
  }

  @Override
  public Optional<StepRecord> step(RunId run, StepId step) {
    Objects.requireNonNull(step, "step");
    Doc doc = read(fileOf(Objects.requireNonNull(run, "run")));
    return Optional.ofNullable(doc == null ? null : doc.steps.get(step));
  }

  @Override
  public List<StepRecord> steps(RunId run) {
    Doc doc = read(fileOf(Objects.requireNonNull(run, "run")));
    return doc == null ? List.of() : List.copyOf(doc.steps.values());
  }

  @Override
  public Optional<Lease> acquireLease(String name, String owner, Instant now, Instant until) {
    Objects.requireNonNull(now, "now");
    return changeLease(name, (slot, next) -> Leases.acquire(slot, name, owner, now, until, next), true, now);
  }

  @Override
  public Optional<Lease> renewLease(Lease held, Instant until) {
    Objects.requireNonNull(until, "until");
    return changeLease(held.name(), (slot, next) -> Leases.renew(slot, held, until));
  }

  /**
   * Gives the lease up without waiting for a force: the next lease change's force covers it. A
   * release a machine crash loses leaves the lease to expire, as a host that died holding it would;
   * every process on this machine's files died with the crash, so nobody waits on a holder alive.
   */
  @Override
  public boolean releaseLease(Lease held) {
    return changeLease(held.name(), (slot, next) -> Leases.release(slot, held), false, null).isPresent();
  }

  @Override
  public Optional<Lease> lease(String name) {
    Objects.requireNonNull(name, "name");
    synchronized (leasesLock) {
      LeaseFile f = loadLeases();
      Leases.Slot slot = f == null ? null : f.slots().held.get(name);
      return Optional.ofNullable(slot == null ? null : slot.lease());
    }
  }

  /** {@link #leaseSlotsLoaded}. */
  long leaseSlotsLoaded() {
    synchronized (leasesLock) {
      return leaseSlotsLoaded;
    }
  }

  /** A lease operation on a name's slot (null: not held), given the token a new tenure would take. */
  @FunctionalInterface
  private interface LeaseOp {
    Leases.Change apply(Leases.@Nullable Slot slot, long next);
  }

  private Optional<Lease> changeLease(String name, LeaseOp op) {
    return changeLease(name, op, true, null);
  }

  /**
   * Applies {@code op} to {@code name}'s slot under the locks and writes what it changed. {@code now}
   * is the caller's time when it gave one (an acquire): a rewrite then drops the leases expired at
   * it, and the rewrite is due once the file holds {@code COMPACT_AFTER} lines more than twice the
   * leases unexpired at it. The journal reads no clock of its own (see {@link RunJournal}).
   */
  private Optional<Lease> changeLease(String name, LeaseOp op, boolean force, @Nullable Instant now) {
    Objects.requireNonNull(name, "name");
    GroupForce group = groups.computeIfAbsent(leaseFile, this::groupOf);
    long[] ticket = {-1};
    try {
      Optional<Lease> answer = lockedLeases(ch -> {
        LeaseFile loaded = loadLeases();
        LeaseSlots all = loaded == null ? new LeaseSlots(leaseTokenFloor) : loaded.slots();
        Leases.Change change = op.apply(all.held.get(name), all.lastToken + 1);
        Leases.Slot store = change.store();
        if (store != null) {
          // The slots are changed in place: whatever happens below, the journal reads the file
          // whole again unless the write is known to have gone through.
          leasesSeen = null;
          all.apply(name, store);
          leaseTokenFloor = Math.max(leaseTokenFloor, all.lastToken);
          // Rewritten once the file holds COMPACT_AFTER lines more than twice the leases held: a
          // rewrite writes each of them (and another journal then reads them all), so it comes
          // after as many lines as it writes, or many runs held at once would have their leases
          // rewritten every few hundred lines.
          if (loaded == null || !loaded.current() || rewriteDue(all, loaded.lines(), now)) {
            if (now != null) {
              all.dropExpired(now);
            }
            byte[] whole = writeLeases(all);
            all.rewritten();
            AtomicFiles.replace(leaseFile, whole); // new, of an earlier format, or grown long
            SeenFile seen = SeenFile.of(leaseFile, whole, whole.length);
            leasesSeen = seen == null ? null : new LeasesSeen(seen, all, 1 + all.held.size());
            ticket[0] = group.replaced();
          } else {
            byte[] line = JsonLines.line(slotMap(name, store));
            JsonLines.append(leaseFile, loaded.end(), line);
            if (loaded.seen() != null) {
              leasesSeen = new LeasesSeen(loaded.seen().appended(line).stamped(leaseFile), all, loaded.lines() + 1);
            }
            ticket[0] = group.appended();
          }
        }
        return change.answer();
      });
      if (ticket[0] >= 0 && force) {
        // Deferred, an acquire or a renewal is forced by the barrier before the holder's next side
        // effect, like the run's own lines: another process sees the line at once (the page cache,
        // or the shared file system when the lock is let go), and a machine stop that loses it also
        // stopped every holder whose lease it was, so nobody alive acts on a lease lost.
        forceOrOwe(leaseFile, group, ticket[0]);
      }
      return answer;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot write the lease file " + leaseFile + ": " + e, e);
    } finally {
      if (group.idle()) {
        groups.remove(leaseFile, group);
      }
    }
  }

  /** The lease file as read: its leases, whether it is in the current format, its lines and intact length. */
  private record LeaseFile(LeaseSlots slots, boolean current, int lines, long end, @Nullable SeenFile seen) {}

  /**
   * The lease file (current format) as last read or written: its leases and its lines. The slots
   * are this journal's own, changed in place under {@link #leasesLock} (copying them per operation
   * would cost every lease held); nothing outside that lock sees them.
   */
  private record LeasesSeen(SeenFile seen, LeaseSlots slots, int lines) {}

  /**
   * The leases of the file, as a line per change leaves them: a slot per name held, and the last
   * token any tenure of any name was given. A released name has no slot: every new tenure, of any
   * name, takes the last token plus one, which is above any token the name had, so a name can be
   * forgotten without its tokens ever going back. Memory and the file then follow the leases held,
   * not every name ever leased.
   */
  private static final class LeaseSlots {
    final Map<String, Leases.Slot> held = new LinkedHashMap<>();
    /** The token a new tenure takes one more than: the file's, or more (see {@link #leaseTokenFloor}). */
    long lastToken;
    /** The last token the file itself shows (its header's, or a greater one in a line): what its next line is checked against. */
    long fileToken;
    /**
     * Whether the lines after the leases a rewrite wrote are checked ({@link #applyRead}): the file
     * says how many leases its rewrite wrote ({@code leases} in the header). A file without that
     * count (written by an earlier release) is read as it is, as before.
     */
    boolean checked;
    /** The file's lines at which the leases held are next counted for expiry ({@link #rewriteDue}). */
    long countAt;
    /** The earliest expiry of the leases unexpired at their last count: they are counted again once it is reached. */
    Instant countWhen = Instant.MAX;

    LeaseSlots(long lastToken) {
      this.lastToken = lastToken;
    }

    void apply(String name, Leases.Slot slot) {
      lastToken = Math.max(lastToken, slot.lastToken());
      fileToken = Math.max(fileToken, slot.lastToken());
      if (slot.lease() == null) {
        held.remove(name);
      } else {
        held.put(name, slot);
      }
    }

    /**
     * Applies a line read after the leases a rewrite wrote, if a journal could have written it:
     * a change of the tenure held (a renewal or a release: same token, same owner or none) or a new
     * tenure (a token above every token the file gave before it). Anything else (a tenure the file
     * dropped or that was taken over, brought back with its older token by an edit or a copied
     * line) is left out, so that its holder stays refused as every journal refused it before: the
     * check is the same for every journal reading the file, so all of them agree on what is held.
     *
     * @return whether the line was applied
     */
    boolean applyRead(String name, Leases.Slot slot) {
      if (checked) {
        Leases.Slot current = held.get(name);
        Lease stored = current == null ? null : current.lease();
        Lease line = slot.lease();
        boolean sameTenure = current != null && stored != null && current.lastToken() == slot.lastToken()
            && (line == null || line.owner().equals(stored.owner()));
        if (!sameTenure && slot.lastToken() <= fileToken) {
          return false;
        }
      }
      apply(name, slot);
      return true;
    }

    /** Drops every lease expired at {@code now}: its holder is refused from then on, as after a takeover. */
    void dropExpired(Instant now) {
      held.values().removeIf(s -> s.lease() == null || s.lease().expiredAt(now));
    }

    /** After this journal wrote the file whole: its header holds the last token, its lines the leases held. */
    void rewritten() {
      fileToken = lastToken;
      checked = true;
      countAt = 0;
      countWhen = Instant.MAX;
    }
  }

  /**
   * Whether a change should rewrite the lease file: once it holds {@code COMPACT_AFTER} lines more
   * than twice the leases held, or, given the caller's {@code now}, more than twice the leases
   * unexpired at it (a host whose runs died leaves leases that no one releases: they must not
   * keep the file long until someone takes each name). Counting them costs a pass over the leases
   * held; it is done once the file holds {@code COMPACT_AFTER} lines, and then again only once a
   * lease unexpired at the last count may have expired (its expiry as stored then is reached; a
   * renewal only puts it later) or after an eighth of the leases held in more lines (for the
   * leases acquired since), so that a lease change stays O(1) in amortised cost while many leases
   * are held and renewed.
   */
  private static boolean rewriteDue(LeaseSlots all, int lines, @Nullable Instant now) {
    if (lines >= COMPACT_AFTER + 2L * all.held.size()) {
      return true;
    }
    if (now == null || lines < COMPACT_AFTER || (lines < all.countAt && now.isBefore(all.countWhen))) {
      return false;
    }
    int live = 0;
    Instant earliest = Instant.MAX;
    for (Leases.Slot s : all.held.values()) {
      Lease l = s.lease();
      if (l != null && !l.expiredAt(now)) {
        live++;
        earliest = l.expiresAt().isBefore(earliest) ? l.expiresAt() : earliest;
      }
    }
    if (lines >= COMPACT_AFTER + 2L * live) {
      return true;
    }
    all.countAt = lines + all.held.size() / 8L + 1;
    all.countWhen = earliest;
    return false;
  }

  /**
   * Reads the lease file (hold {@link #leasesLock}): a header line, then a line per change of a
   * lease (the last for a name wins); or, from before leases were appended, one indented document
   * listing them. A file seen before has only its appended lines parsed, applied to the slots kept
   * in file order, and the slots returned are those kept (change them only under the same lock).
   *
   * <p>Why changing the slots in place is safe: every reader and writer in this journal applies
   * lines under {@link #leasesLock}, each appended line exactly once and in the file's order (the
   * kept {@link SeenFile} moves past a line in the same step that applies it), so nobody sees a
   * torn or older state; lines that fail to parse, or a write whose outcome is not known, drop what
   * is kept ({@code leasesSeen = null}) and the file is read whole into new slots. The last token is
   * never lower than the file says (the header's, or a greater one in a line), nor than this journal
   * ever read or wrote ({@link #leaseTokenFloor}).
   */
  private @Nullable LeaseFile loadLeases() {
    LeaseFile f = readLeases();
    if (f != null) {
      // a file replaced by an older copy does not take this journal's tokens back
      f.slots().lastToken = Math.max(f.slots().lastToken, leaseTokenFloor);
      leaseTokenFloor = f.slots().lastToken;
    }
    return f;
  }

  private @Nullable LeaseFile readLeases() {
    LeasesSeen c = leasesSeen;
    if (c != null) {
      byte[] more = c.seen().since(leaseFile);
      if (more != null) {
        try {
          JsonLines.Lines appended = JsonLines.records(more, 0, c.lines() + 1);
          if (appended.records().isEmpty()) {
            return new LeaseFile(c.slots(), true, c.lines(), c.seen().end(), c.seen());
          }
          leasesSeen = null; // until every line is applied
          for (Map<String, Object> line : appended.records()) {
            putSlot(c.slots(), line, false);
          }
          LeasesSeen now = new LeasesSeen(c.seen().grown(more, appended.end()), c.slots(),
              c.lines() + appended.records().size());
          leasesSeen = now;
          return new LeaseFile(now.slots(), true, now.lines(), now.seen().end(), now.seen());
        } catch (RuntimeException e) {
          leasesSeen = null; // read whole below, which says what is wrong
        }
      }
    }
    byte[] bytes;
    Object key;
    try {
      key = Files.readAttributes(leaseFile, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      bytes = Files.readAllBytes(leaseFile);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot read the lease file " + leaseFile + ": " + e, e);
    }
    // what to do about a file that cannot be read: one of a newer release must not be deleted
    String advice = "; delete it when no host runs (every run's lease is then free)";
    try {
      JsonLines.Parsed p = JsonLines.parse(bytes);
      LeaseSlots out = new LeaseSlots(0);
      if (p == null) {
        Map<String, Object> m = Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
        if (!LEASES_FORMAT.equals(m.get("format"))) {
          throw new IllegalArgumentException("it is not a lease file");
        }
        for (Object o : Json.list(m, "leases")) {
          if (!(o instanceof Map<?, ?> raw)) {
            throw new IllegalArgumentException("a lease is not an object");
          }
          putSlot(out, cast(raw), true);
        }
        return new LeaseFile(out, false, 1, bytes.length, null);
      }
      if (!LEASES_FORMAT.equals(p.header().get("format"))) {
        throw new IllegalArgumentException("it is not a lease file");
      }
      Object version = p.header().get("version");
      boolean current = Long.valueOf(LEASES_VERSION).equals(version);
      int written = 0;
      if (current) {
        out.lastToken = number(p.header(), "last_token");
        out.fileToken = out.lastToken;
        if (p.header().get("leases") != null) {
          written = Math.toIntExact(number(p.header(), "leases"));
          out.checked = true;
        }
      } else if (!Long.valueOf(LEASES_VERSION_BY_NAME).equals(version)) {
        advice = "";
        throw new IllegalArgumentException("it is a lease file of version " + version + ", which this release does"
            + " not read (it reads versions " + LEASES_VERSION_BY_NAME + " and " + LEASES_VERSION
            + "): a newer release wrote it; upgrade this host");
      }
      int i = 0;
      for (Map<String, Object> line : p.records()) {
        putSlot(out, line, !out.checked || i++ < written);
      }
      if (!current) {
        return new LeaseFile(out, false, 1 + p.records().size(), p.end(), null); // moved to the current format by the first change
      }
      SeenFile seen = null;
      try {
        SeenFile after = SeenFile.of(leaseFile, bytes, p.end());
        seen = after != null && after.key().equals(key) ? after : null;
      } catch (IOException e) {
        seen = null; // replaced or removed meanwhile: nothing kept
      }
      if (seen != null) {
        leasesSeen = new LeasesSeen(seen, out, 1 + p.records().size());
      }
      return new LeaseFile(out, true, 1 + p.records().size(), p.end(), seen);
    } catch (RuntimeException e) {
      throw new AgentProvisionException("the lease file " + leaseFile + " is unreadable: " + e.getMessage() + advice, e);
    }
  }

  /**
   * Applies a line of the lease file: as it is when {@code written} (a lease a rewrite wrote, or a
   * file of an earlier format), otherwise only if a journal could have appended it ({@link
   * LeaseSlots#applyRead}).
   */
  private void putSlot(LeaseSlots out, Map<String, Object> l, boolean written) {
    leaseSlotsLoaded++;
    String name = required(l, "name");
    String owner = Json.string(l, "owner");
    String expires = Json.string(l, "expires_at");
    long token = number(l, "token");
    Lease lease = owner == null || expires == null ? null : new Lease(name, owner, token, Instant.parse(expires));
    Leases.Slot slot = new Leases.Slot(lease, token);
    if (written) {
      out.apply(name, slot);
    } else if (!out.applyRead(name, slot)) {
      LOG.warn("the lease file {} holds a line no journal appended (name {}, token {}, at or below the file's"
          + " last token {}, not the tenure held): left out; was the file edited or copied?", leaseFile, name,
          token, out.fileToken);
    }
  }

  private static Map<String, Object> slotMap(String name, Leases.Slot slot) {
    Map<String, Object> l = new LinkedHashMap<>();
    Lease lease = slot.lease();
    l.put("name", name);
    l.put("owner", lease == null ? null : lease.owner());
    l.put("token", slot.lastToken());
    l.put("expires_at", lease == null ? null : lease.expiresAt().toString());
    return l;
  }

  /** The whole lease file in the current format: the header with the last token, then each lease held. */
  private static byte[] writeLeases(LeaseSlots all) {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("format", LEASES_FORMAT);
    header.put("version", LEASES_VERSION);
    header.put("last_token", all.lastToken);
    // how many lines follow as the leases held: a reader checks only the lines appended after them
    header.put("leases", all.held.size());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(JsonLines.line(header));
    all.held.forEach((name, slot) -> out.writeBytes(JsonLines.line(slotMap(name, slot))));
    return out.toByteArray();
  }

  @Override
  public boolean saveApproval(ApprovalRecord record) {
    Objects.requireNonNull(record, "record");
    return update(record.run(), doc -> {
      ApprovalRecord current = doc.approvals.get(record.id());
      if (current == null && record.version() == 0 && find(record.id()) != null) {
        return null; // the id is taken by another run's approval
      }
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return null;
      }
      doc.approvals.put(record.id(), record);
      return line("approval", approvalMap(record));
    });
  }

  @Override
  public Optional<ApprovalRecord> approval(String id) {
    return Optional.ofNullable(find(Objects.requireNonNull(id, "id")));
  }

  private @Nullable ApprovalRecord find(String id) {
    for (Doc doc : docs()) {
      ApprovalRecord a = doc.approvals.get(id);
      if (a != null) {
        return a;
      }
    }
    return null;
  }

  @Override
  public List<ApprovalRecord> approvalsOf(RunId run) {
    Doc doc = read(fileOf(Objects.requireNonNull(run, "run")));
    List<ApprovalRecord> out = doc == null ? new ArrayList<>() : new ArrayList<>(doc.approvals.values());
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }

  @Override
  public List<ApprovalRecord> approvals(ApprovalRecord.Status... statuses) {
    Set<ApprovalRecord.Status> wanted = Set.of(statuses);
    List<ApprovalRecord> out = new ArrayList<>();
    for (Doc doc : docs()) {
      for (ApprovalRecord a : doc.approvals.values()) {
        if (wanted.isEmpty() || wanted.contains(a.status())) {
          out.add(a);
        }
      }
    }
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }

  /** Every run file in the directory, read. */
  private List<Doc> docs() {
    List<Doc> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        if (f.getFileName().toString().startsWith(".")) {
          continue; // a temporary file left by a crash, or the lease file
        }
        Doc doc = read(f);
        if (doc != null) {
          out.add(doc);
        }
      }
    } catch (IOException e) {
      throw new AgentProvisionException("cannot list the run journal " + dir + ": " + e, e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "FileRunJournal{" + dir + "}";
  }

  // ---------------------------------------------------------------------------------------------

  /** One run's file. */
  private static final class Doc {
    final RunId id;
    @Nullable RunRecord run;
    final LinkedHashMap<StepId, StepRecord> steps = new LinkedHashMap<>();
    final LinkedHashMap<String, ApprovalRecord> approvals = new LinkedHashMap<>();

    Doc(RunId id) {
      this.id = id;
    }

    /** A copy to change, leaving this one as it is. */
    Doc copy() {
      Doc d = new Doc(id);
      d.run = run;
      d.steps.putAll(steps);
      d.approvals.putAll(approvals);
      return d;
    }

    /** The lines {@link #write} makes of it: the header and the latest of each record. */
    int lines() {
      return 1 + (run == null ? 0 : 1) + steps.size() + approvals.size();
    }
  }

  private interface Change {
    /** Applies the change to {@code doc}; returns the line to append, or null to store nothing. */
    byte @Nullable [] apply(Doc doc);
  }

  private boolean update(RunId id, Change change) {
    return update(id, true, change, true);
  }

  /**
   * Whether a step's line says what the step did beyond starting: an end (any status but running),
   * an output or progress. Such a line must not reach the disk before what the step wrote to the
   * other stores (its reservation's commit, its audit entries). A start claims nothing: a step found
   * running on resume is run again under its key.
   */
  private static boolean reportsWork(StepRecord r) {
    // a checkpoint's decision is reused on resume (audited as reused): its line must not outlive the
    // audit entry that recorded the person's decision
    return r.status() != StepStatus.RUNNING || r.output() != null || r.progress() != null
        || !r.decisions().isEmpty();
  }

  /**
   * Applies {@code change} to the run's file; with {@code force}, returns once the line is on disk.
   * With {@code reports} (the line says what the run or a step did), it first waits until what the
   * other stores owe the barriers is on disk.
   * Without, the line's group keeps it as written and not yet forced (so the group is not dropped),
   * and the next save of the file forces it with its own.
   */
  private boolean update(RunId id, boolean reports, Change change, boolean force) {
    Path f = fileOf(id);
    if (reports) {
      for (DurabilityBarrier b : barriers) {
        // the line says what the run or a step did: written only once what they wrote to the other
        // stores is on disk, or the kernel could write it back first and a machine stop keep it alone
        b.settleBefore(1);
      }
    }
    GroupForce group = groups.computeIfAbsent(f, this::groupOf);
    long ticket;
    long[] created = {-1};
    try {
      ticket = locked(ch -> {
        Loaded loaded = load(f);
        Doc doc = loaded == null ? new Doc(id) : loaded.doc.copy(); // what the cache holds is never changed
        byte[] line = change.apply(doc);
        if (line == null) {
          return -1L;
        }
        if (loaded == null || loaded.version != VERSION || loaded.lines >= COMPACT_AFTER) {
          byte[] whole = write(doc);
          cache.remove(f);
          dropAppender(f); // the file is replaced: a channel kept open holds the old one
          if (loaded == null && !barriers.isEmpty() && createInPlace(f, whole, doc)) {
            // a new run's file, written where it stays and owed like a line: its force and the
            // directory's (which makes its name durable) are the barrier's, before the next side
            // effect; a stop before them leaves no file, an empty one or a torn first line, each
            // read as no file (loadWhole), and the run's next save writes it again
            created[0] = directoryGroup.appended();
            return group.appended();
          }
          // a file of the previous format, one grown long, or a new file of a journal used alone (or
          // one left torn by a stop): written whole, atomically and durably (replace forces the file
          // and the directory), which covers every line before
          AtomicFiles.replace(f, whole);
          SeenFile seen = SeenFile.of(f, whole, whole.length);
          if (seen != null) {
            cache.put(f, new Cached(seen, doc, doc.lines()));
          }
          return group.replaced();
        }
        cache.remove(f); // until the append is known to have gone through
        appendLine(f, loaded, line);
        if (loaded.seen != null) {
          cache.put(f, new Cached(loaded.seen.appended(line).stamped(f), doc, loaded.lines + 1));
        }
        return group.appended();
      });
    } catch (IOException e) {
      throw new AgentProvisionException("cannot write the run journal file " + f + ": " + e, e);
    }
    try {
      if (ticket < 0) {
        return false;
      }
      if (force || !barriers.isEmpty()) {
        forceOrOwe(f, group, ticket); // a result's line is owed too when deferred: no later save may come
      }
      if (created[0] >= 0) {
        forceOrOwe(dir, directoryGroup, created[0]);
      }
      return true;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot force the run journal file " + f + " to disk: " + e, e);
    } finally {
      if (group.idle()) {
        groups.remove(f, group); // a save racing this one may use a fresh group: it then forces on its own
      }
    }
  }

  /**
   * Creates run file {@code f} holding {@code whole} ({@code doc} written) through a channel kept for its next lines, the
   * file readable and writable by its owner only where the file system has POSIX permissions (as
   * {@link AtomicFiles#replace} makes it). Returns false, writing nothing, when a file is already
   * there (one a stop left empty or torn, read as no file: replaced whole instead). Forces nothing.
   * Call holding the journal's lock.
   */
  private boolean createInPlace(Path f, byte[] whole, Doc doc) throws IOException {
    FileChannel out;
    try {
      out = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
          ? FileChannel.open(f, CREATE_NEW, OWNER_ONLY)
          : FileChannel.open(f, CREATE_NEW);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return false;
    }
    try {
      JsonLines.write(out, 0, whole);
      SeenFile seen = SeenFile.of(f, whole, whole.length);
      if (seen != null) {
        cache.put(f, new Cached(seen, doc, doc.lines()));
        appenders.put(f, new Appender(seen.key(), out));
        return true;
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(out);
      Files.deleteIfExists(f); // a partial file no save returned for: the next save starts it again
      throw e;
    }
    closeQuietly(out); // no file keys here: a channel per line, as for any file of this journal
    return true;
  }

  /**
   * Appends {@code line} to run file {@code f} at the end of its intact part, through the channel kept
   * for it when that was opened on the file {@code loaded} was read from (its key, looked at under
   * this lock), else through a new one kept from now on. A file system without file keys gets a
   * channel per line, as before. A failed write closes the kept channel (an interrupt has closed it
   * anyway): the next save opens the file again. Call holding the journal's lock.
   */
  private void appendLine(Path f, Loaded loaded, byte[] line) throws IOException {
    Object key = loaded.seen == null ? null : loaded.seen.key();
    if (key == null) {
      JsonLines.append(f, loaded.end, line);
      return;
    }
    Appender a = appenders.get(f);
    if (a != null && (!a.key().equals(key) || !a.channel().isOpen())) {
      dropAppender(f);
      a = null;
    }
    boolean kept = a != null;
    if (a == null) {
      a = new Appender(key, FileChannel.open(f, StandardOpenOption.WRITE));
      appenders.put(f, a);
    }
    try {
      if (kept && loaded.sizeIsEnd) {
        // the look at the path that loaded the file, under this lock, found the file this channel was
        // kept for (its key) exactly end long: the channel's size would say the same
        JsonLines.write(a.channel(), loaded.end, line);
      } else {
        JsonLines.append(a.channel(), loaded.end, line);
      }
    } catch (IOException | RuntimeException e) {
      dropAppender(f);
      throw e;
    }
  }

  /** Closes and forgets the channel kept for run file {@code f}, if any. Call holding the journal's lock. */
  private void dropAppender(Path f) {
    Appender a = appenders.remove(f);
    if (a != null) {
      closeQuietly(a.channel());
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing was written through it since its last append returned
    }
  }

  private static byte[] line(String kind, Map<String, Object> record) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(kind, record);
    return JsonLines.line(m);
  }

  /** The whole file in the current format: the header line, then the latest of each record. */
  private static byte[] write(Doc doc) {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("format", FORMAT);
    header.put("version", VERSION);
    header.put("run_id", doc.id.value());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(JsonLines.line(header));
    if (doc.run != null) {
      out.writeBytes(line("run", runMap(doc.run)));
    }
    for (StepRecord s : doc.steps.values()) {
      out.writeBytes(line("step", stepMap(s)));
    }
    for (ApprovalRecord a : doc.approvals.values()) {
      out.writeBytes(line("approval", approvalMap(a)));
    }
    return out.toByteArray();
  }

  private static Map<String, Object> runMap(RunRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id().value());
    m.put("agent", r.agent().value());
    m.put("provider", r.provider());
    m.put("status", r.status().name());
    m.put("request", r.request());
    m.put("created_at", r.createdAt().toString());
    m.put("updated_at", r.updatedAt().toString());
    m.put("error", r.error());
    m.put("version", r.version());
    return m;
  }

  private static Map<String, Object> stepMap(StepRecord s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", s.step().value());
    m.put("status", s.status().name());
    m.put("idempotency_key", s.idempotencyKey());
    m.put("attempts", s.attempts());
    m.put("output", s.output());
    m.put("progress", s.progress());
    m.put("reservations", s.reservations());
    List<Object> decisions = new ArrayList<>();
    for (CheckpointDecision d : s.decisions()) {
      Map<String, Object> dm = new LinkedHashMap<>();
      dm.put("sequence", d.sequence());
      dm.put("approval_id", d.approvalId());
      dm.put("kind", d.kind().name());
      dm.put("fingerprint", d.fingerprint());
      dm.put("outcome", d.outcome().name());
      dm.put("approver", d.approver());
      dm.put("decided_at", d.decidedAt().toString());
      dm.put("handed_back", d.handedBack());
      if (d.receipt() != null) {
        dm.put("receipt", d.receipt());
      }
      decisions.add(dm);
    }
    m.put("decisions", decisions);
    m.put("error", s.error());
    m.put("updated_at", s.updatedAt().toString());
    m.put("version", s.version());
    return m;
  }

  private static Map<String, Object> approvalMap(ApprovalRecord a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", a.id());
    m.put("step", a.step().value());
    m.put("sequence", a.sequence());
    m.put("agent", a.agent().value());
    m.put("kind", a.kind().name());
    m.put("title", a.title());
    m.put("reason", a.reason());
    m.put("cost", a.cost() == null ? null : a.cost().toString());
    m.put("url", a.url() == null ? null : a.url().toString());
    m.put("details", new LinkedHashMap<>(new java.util.TreeMap<>(a.details())));
    m.put("principal", a.principal());
    m.put("fingerprint", a.fingerprint());
    m.put("requested_at", a.requestedAt().toString());
    m.put("deadline", a.deadline().toString());
    m.put("status", a.status().name());
    m.put("outcome", a.outcome() == null ? null : a.outcome().name());
    m.put("approver", a.approver());
    m.put("decision_reason", a.decisionReason());
    m.put("decided_at", a.decidedAt() == null ? null : a.decidedAt().toString());
    m.put("handed_back", a.handedBack());
    m.put("updated_at", a.updatedAt().toString());
    m.put("version", a.version());
    return m;
  }

  private static ApprovalRecord approval(Map<String, Object> m, RunId run) {
    Map<String, String> details = new LinkedHashMap<>();
    Json.object(m, "details").forEach((k, v) -> details.put(k, String.valueOf(v)));
    String cost = Json.string(m, "cost");
    String url = Json.string(m, "url");
    String outcome = Json.string(m, "outcome");
    String decidedAt = Json.string(m, "decided_at");
    return new ApprovalRecord.Builder(required(m, "id"), run, StepId.of(required(m, "step")),
        Math.toIntExact(number(m, "sequence")), AgentId.of(required(m, "agent")),
        CheckpointKind.valueOf(required(m, "kind")), required(m, "title"), required(m, "reason"),
        required(m, "fingerprint"), Instant.parse(required(m, "requested_at")), Instant.parse(required(m, "deadline")))
        .cost(cost == null ? null : Money.parse(cost)).url(url == null ? null : URI.create(url)).details(details)
        .principal(Json.string(m, "principal")).status(ApprovalRecord.Status.valueOf(required(m, "status")))
        .outcome(outcome == null ? null : ApprovalDecision.Outcome.valueOf(outcome)).approver(Json.string(m, "approver"))
        .decisionReason(Json.string(m, "decision_reason"))
        .decidedAt(decidedAt == null ? null : Instant.parse(decidedAt)).handedBack(Json.string(m, "handed_back"))
        .updatedAt(Instant.parse(required(m, "updated_at"))).version(number(m, "version")).build();
  }

  private @Nullable Doc read(Path f) {
    Loaded l = load(f);
    return l == null ? null : l.doc;
  }

  /**
   * A run's file as read: its records, the format version it is in, how many lines it holds and
   * the length of its intact part (where the next line goes); {@code sizeIsEnd} when the look at
   * the file that decided it is {@code seen}'s file found it exactly {@code end} long (nothing past
   * the intact part to cut off before the next line).
   */
  private record Loaded(Doc doc, long version, int lines, long end, @Nullable SeenFile seen, boolean sizeIsEnd) {}

  /** A run file as this journal last read or wrote it (version 3): its records and how many lines it held. */
  private record Cached(SeenFile seen, Doc doc, int lines) {}

  /**
   * Reads a run's file: from what this journal read of it before and the lines appended since,
   * when it is still that file; else whole.
   */
  private @Nullable Loaded load(Path f) {
    Cached c = cache.get(f);
    if (c != null) {
      byte[] more = c.seen().since(f);
      if (more != null) {
        if (more.length == 0) {
          return new Loaded(c.doc(), VERSION, c.lines(), c.seen().end(), c.seen(), true);
        }
        try {
          JsonLines.Lines appended = JsonLines.records(more, 0, c.lines() + 1);
          Doc doc = c.doc();
          if (!appended.records().isEmpty()) {
            doc = doc.copy();
            for (Map<String, Object> line : appended.records()) {
              apply(doc, line);
            }
          }
          Cached now = new Cached(c.seen().grown(more, appended.end()), doc, c.lines() + appended.records().size());
          cache.put(f, now);
          return new Loaded(doc, VERSION, now.lines(), now.seen().end(), now.seen(), appended.end() == more.length);
        } catch (RuntimeException e) {
          cache.remove(f); // read whole below, which says what is wrong
        }
      }
    }
    Loaded whole = loadWhole(f);
    if (whole != null && whole.seen != null) {
      cache.put(f, new Cached(whole.seen, whole.doc, whole.lines));
    } else {
      cache.remove(f);
    }
    return whole;
  }

  private @Nullable Loaded loadWhole(Path f) {
    byte[] bytes;
    Object key;
    try {
      key = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      bytes = Files.readAllBytes(f);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot read the run journal file " + f + ": " + e, e);
    }
    if (firstSaveCutShort(bytes)) {
      return null;
    }
    try {
      JsonLines.Parsed p = JsonLines.parse(bytes);
      if (p == null || Long.valueOf(DOCUMENT_VERSION).equals(p.header().get("version"))) {
        Map<String, Object> m = Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
        if (!FORMAT.equals(m.get("format")) || !Long.valueOf(DOCUMENT_VERSION).equals(m.get("version"))) {
          throw new IllegalArgumentException(notThisFormat());
        }
        return new Loaded(document(m, f), DOCUMENT_VERSION, 1, bytes.length, null, false);
      }
      if (!FORMAT.equals(p.header().get("format")) || !Long.valueOf(VERSION).equals(p.header().get("version"))) {
        throw new IllegalArgumentException(notThisFormat());
      }
      Doc doc = new Doc(idOf(p.header(), f));
      for (Map<String, Object> line : p.records()) {
        apply(doc, line);
      }
      SeenFile seen = null;
      try {
        // kept only when the file read is the one whose key was taken before (not replaced meanwhile)
        SeenFile after = SeenFile.of(f, bytes, p.end());
        seen = after != null && after.key().equals(key) ? after : null;
      } catch (IOException e) {
        seen = null; // replaced or removed meanwhile: nothing kept
      }
      return new Loaded(doc, VERSION, 1 + p.records().size(), p.end(), seen, false);
    } catch (RuntimeException e) { // whatever is wrong with the file, say which file
      throw new AgentProvisionException("the run journal file " + f + " is unreadable: " + e.getMessage()
          + "; restore it from a backup or move it aside", e);
    }
  }

  /** What every run file's header line starts with, up to its run id. */
  private static final byte[] HEADER_START;

  static {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("format", FORMAT);
    header.put("version", VERSION);
    header.put("run_id", "");
    byte[] line = JsonLines.line(header);
    HEADER_START = java.util.Arrays.copyOf(line, line.length - 3); // without the id's closing quote, the brace, the newline
  }

  /**
   * Whether {@code bytes} are what a run's first save, made in place ({@code createInPlace}), leaves
   * when a stop cuts it short, or what another process reads of it while it is written (under the
   * lock, which a read does not take): no newline yet, and nothing but the start of a header line,
   * maybe followed by the zeros of blocks allocated and never written. Read as no file. Anything
   * else without a newline (a line that is no header, a document of the previous format) is read as
   * before, and refused when damaged.
   */
  static boolean firstSaveCutShort(byte[] bytes) {
    int n = bytes.length;
    while (n > 0 && bytes[n - 1] == 0) {
      n--;
    }
    if (JsonLines.indexOf(bytes, 0) >= 0) {
      return false;
    }
    int fixed = Math.min(n, HEADER_START.length);
    if (!java.util.Arrays.equals(bytes, 0, fixed, HEADER_START, 0, fixed)) {
      return false;
    }
    // past the fixed part, the id as a JSON string: the header's end (a quote and a brace) comes last
    // if at all (an id holding those two escaped is read as before: its cut-short file is refused)
    for (int i = HEADER_START.length; i + 1 < n; i++) {
      if (bytes[i] == '"' && bytes[i + 1] == '}') {
        return i + 2 == n;
      }
    }
    return true;
  }

  private static String notThisFormat() {
    return "it is not a version-" + VERSION + " (or version-" + DOCUMENT_VERSION + ") run file";
  }

  private RunId idOf(Map<String, Object> m, Path f) {
    RunId id = RunId.of(required(m, "run_id"));
    if (!fileOf(id).getFileName().equals(f.getFileName())) {
      throw new IllegalArgumentException("it holds run " + id + ", whose file has another name");
    }
    return id;
  }

  /** One saved record's line applied to {@code doc}: the later line for a record wins. */
  private static void apply(Doc doc, Map<String, Object> line) {
    if (line.get("run") instanceof Map<?, ?> run) {
      doc.run = run(cast(run), doc.id);
    } else if (line.get("step") instanceof Map<?, ?> step) {
      StepRecord s = step(cast(step), doc.id);
      doc.steps.put(s.step(), s);
    } else if (line.get("approval") instanceof Map<?, ?> approval) {
      ApprovalRecord a = approval(cast(approval), doc.id);
      doc.approvals.put(a.id(), a);
    } else {
      throw new IllegalArgumentException("a line holds no run, step or approval");
    }
  }

  /** A file of the previous format: one document. */
  private Doc document(Map<String, Object> m, Path f) {
    Doc doc = new Doc(idOf(m, f));
    if (m.get("run") instanceof Map<?, ?> run) {
      doc.run = run(cast(run), doc.id);
    }
    for (Object o : Json.list(m, "steps")) {
      if (!(o instanceof Map<?, ?> step)) {
        throw new IllegalArgumentException("a step is not an object");
      }
      StepRecord s = step(cast(step), doc.id);
      doc.steps.put(s.step(), s);
    }
    for (Object o : Json.list(m, "approvals")) { // absent in files written before approvals could park
      if (!(o instanceof Map<?, ?> approval)) {
        throw new IllegalArgumentException("an approval is not an object");
      }
      ApprovalRecord a = approval(cast(approval), doc.id);
      doc.approvals.put(a.id(), a);
    }
    return doc;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static RunRecord run(Map<String, Object> m, RunId fileId) {
    RunId id = RunId.of(required(m, "id"));
    if (!id.equals(fileId)) {
      throw new IllegalArgumentException("it holds run " + id + " under the name of run " + fileId);
    }
    return new RunRecord(id, AgentId.of(required(m, "agent")), required(m, "provider"),
        RunStatus.valueOf(required(m, "status").toUpperCase(Locale.ROOT)), required(m, "request"),
        Instant.parse(required(m, "created_at")), Instant.parse(required(m, "updated_at")), Json.string(m, "error"),
        number(m, "version"));
  }

  private static StepRecord step(Map<String, Object> m, RunId run) {
    StepRecord.Builder b = StepRecord.builder(run, StepId.of(required(m, "step")))
        .status(StepStatus.valueOf(required(m, "status").toUpperCase(Locale.ROOT)))
        .idempotencyKey(Json.string(m, "idempotency_key"))
        .attempts(Math.toIntExact(number(m, "attempts")))
        .output(Json.string(m, "output"))
        .progress(Json.string(m, "progress"))
        .error(Json.string(m, "error"))
        .updatedAt(Instant.parse(required(m, "updated_at")))
        .version(number(m, "version"));
    for (Object o : Json.list(m, "reservations")) {
      if (!(o instanceof String id)) {
        throw new IllegalArgumentException("a reservation id is not a string");
      }
      b.reservation(id);
    }
    for (Object o : Json.list(m, "decisions")) {
      if (!(o instanceof Map<?, ?> raw)) {
        throw new IllegalArgumentException("a checkpoint decision is not an object");
      }
      Map<String, Object> d = cast(raw);
      b.decision(new CheckpointDecision(Math.toIntExact(number(d, "sequence")), required(d, "approval_id"),
          CheckpointKind.valueOf(required(d, "kind")), required(d, "fingerprint"),
          ApprovalDecision.Outcome.valueOf(required(d, "outcome")), required(d, "approver"),
          Instant.parse(required(d, "decided_at")), Boolean.TRUE.equals(d.get("handed_back")),
          Json.string(d, "receipt")));
    }
    return b.build();
  }

  private static String required(Map<String, Object> m, String key) {
    String v = Json.string(m, key);
    if (v == null) {
      throw new IllegalArgumentException("'" + key + "' is missing");
    }
    return v;
  }

  private static long number(Map<String, Object> m, String key) {
    if (!(m.get(key) instanceof Long n)) {
      throw new IllegalArgumentException("'" + key + "' is not a whole number");
    }
    return n;
  }
}
