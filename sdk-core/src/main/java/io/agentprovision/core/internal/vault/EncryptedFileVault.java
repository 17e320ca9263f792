package io.agentprovision.core.internal.vault;

import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.internal.fs.OwedForce;
import io.agentprovision.core.internal.fs.SeenFile;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import io.agentprovision.core.vault.VaultException.Reason;
import io.agentprovision.core.vault.VaultSealer;
import io.agentprovision.core.vault.VaultSealer.Sealed;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.CRC32C;
import javax.crypto.SecretKey;
import org.jspecify.annotations.Nullable;

/**
 * {@link CredentialVault} in one file, every record sealed with AES-256-GCM.
 *
 * <p>What the file holds in clear: the format name and version, each entry's name (its vault key,
 * such as {@code run_1/cloudflare/deploy-token}), and for each record the id of the key that
 * sealed it and its nonce; a removal names the entry removed. Everything else of an entry (the
 * secret, its attributes, when it was stored and when it expires) is in the ciphertext. Entry names
 * are left in clear on purpose: the run journal and the audit log already name them, and listing
 * keys must work without decrypting.
 *
 * <p>Each record gets a fresh random 96-bit nonce; the entry name and the key id are bound as
 * additional authenticated data, so a record copied under another name, relabelled with another
 * key id, or altered in any byte fails to open with {@link VaultException} ({@link Reason#TAMPERED}).
 * For each key id the file also keeps a key check (a GCM tag over nothing), which lets the vault
 * tell a wrong key ({@link Reason#WRONG_KEY}, refused already when the vault is opened) from an
 * altered record. The sealing is {@link VaultSealer}'s, which every vault store shares.
 *
 * <p>Key rotation: records keep the key id they were sealed under and open as long as the
 * {@link KeyProvider} still has that key ({@link KeyProvider#rotating}); {@link #put} always seals
 * under the current key, so re-putting an entry moves it to the current key.
 *
 * <p><b>Format (version 2): a log.</b> The file is a header line and then one line per change: a
 * key check, a sealed record (the entry's current value) or a removal. Each line is its CRC-32C
 * (eight hex digits), a space, its canonical JSON and a newline; JSON escapes every newline inside
 * a name, so a newline ends a line. A change appends its lines, so what a change writes and forces
 * does not grow with what the vault holds; readers keep the records in memory and read only what was
 * appended since they last read. When the lines replaced or removed outnumber the live ones twice
 * over (and number more than 64), the change rewrites the file with its live lines
 * only (a compaction, atomically: temporary file, then {@code ATOMIC_MOVE}), so a change costs O(1)
 * amortised and the file stays within three times its live lines and 64. A change that replaces or
 * removes a record sealed under a key id other than the current one compacts at once: after a
 * rotation has re-put every entry, the file holds nothing the old key opens (such a rotation rewrites
 * the file once per entry, as every change of version 1 did). A replaced or removed record's
 * sealed bytes otherwise stay in the file until the next compaction.
 *
 * <p>Damage: bytes after the last newline are a change that was being written when its process or
 * machine stopped; it never returned, so they are ignored (and cut before the next change appends).
 * A complete line whose CRC does not match, that is not JSON or that repeats a record's nonce (an
 * earlier line appended again) makes every read and change fail with {@link Reason#TAMPERED} until
 * the file is repaired: a vault does not guess which entries such a line meant to change. A record
 * line whose bytes were altered and whose CRC was made to match fails to open ({@link Reason#TAMPERED}
 * for that entry), as before. Like version 1, the file is not protected against being rolled back
 * as a whole (or an old record of an entry being put back under the same name, with its CRC): whoever
 * may write the file can do that; the audit log is what is tamper-evident.
 *
 * <p>A version-1 file (one JSON document, which every change of earlier versions rewrote whole)
 * opens and reads; the first change here rewrites it as version 2. Earlier versions refuse a
 * version-2 file ({@link Reason#CORRUPT}), never read it as empty.
 *
 * <p>Sharing and durability: every change appends (or compacts) under a lock on {@code <file>.lock}
 * that holds across threads and processes (the vault keeps that file open after its first change, and
 * opens it again when an interrupt closed it), and forces what it appended to disk before it returns
 * (the file's data only: its name is already durable), so a change that returned survives a process
 * death and a machine stop, and a later change can tear only its own, last line. A compaction or the
 * file's creation replaces the file. Attached to a provisioner's {@link DurabilityBarrier}
 * ({@link #deferTo}), a compaction forces the new file but leaves the directory (which makes the
 * rename durable) to the barrier, and an append leaves its force to the barrier: a machine that stops
 * before the barrier is crossed may lose the change (its torn line is ignored, as above), but never
 * with a run journal line that reports the step that made it, nor after a request that may change
 * something outside. A read looks at the file's key (its inode), length and modification time;
 * while they are what it last saw, it reads nothing; when the file grew, it reads the appended bytes
 * (after checking the bytes just before them are the ones it read last); when the file was replaced
 * or changed in place, it reads it whole. Several instances and processes may therefore share one
 * vault. A {@link #put} opens the file's key check for its key once per vault instance (again only if
 * the check's bytes or the provider's key object change), not at every put. On POSIX file systems
 * the file is readable by its owner only.
 */
public final class EncryptedFileVault implements CredentialVault, DurabilityBarrier.Deferring {
  private static final String FORMAT = "agentprovision-vault";
  private static final long VERSION = 2;
  private static final long LEGACY_VERSION = 1;
  /** The first line of a version-2 file, byte for byte. */
  private static final byte[] HEADER =
      ("{\"format\":\"" + FORMAT + "\",\"version\":" + VERSION + "}\n").getBytes(StandardCharsets.UTF_8);
  /** Dead lines a file may hold whatever its size before a change compacts it. */
  static final int MIN_DEAD = 64;

  private final Path file;
  private final Path lockFile;
  /** This JVM's lock of {@link #lockFile}, shared with every vault of the file in the JVM. */
  private final java.util.concurrent.locks.ReentrantLock jvmLock;
  /** {@link #lockFile}, kept open; null until first locked. Guarded by {@link #jvmLock}. */
  private @Nullable FileChannel lockChannel;
  private final KeyProvider keys;
  private final VaultSealer sealer;

  /** Guards {@link #index}: what this vault knows of the file. */
  private final Object lock = new Object();
  /** The file as this vault last read or wrote it; null: read it whole next. Guarded by {@link #lock}. */
  private @Nullable Index index;

  /**
   * The key checks this vault verified, each with the key its provider gave for the check's id then:
   * a put meeting the same check (the same bytes) while the provider still gives that same key
   * object does not open the check with GCM again.
   */
  private final ConcurrentHashMap<Sealed, SecretKey> verified = new ConcurrentHashMap<>();

  /** The barriers owed the directory's force once attached ({@link #deferTo}); empty: every replacement forces it. */
  private final CopyOnWriteArrayList<DurabilityBarrier> barriers = new CopyOnWriteArrayList<>();
  private final OwedForce owedDirectory;
  /** The appended lines' force, owed once attached ({@link #deferTo}). */
  private final OwedForce owedFile;

  private EncryptedFileVault(Path file, KeyProvider keys) {
    this.file = file;
    this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
    this.jvmLock = AtomicFiles.jvmLock(lockFile);
    this.keys = keys;
    this.sealer = VaultSealer.of(keys, file.toString());
    this.owedDirectory = new OwedForce(() -> AtomicFiles.syncDirectory(AtomicFiles.directoryOf(file)));
    this.owedFile = new OwedForce(() -> {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.force(false);
      }
    });
  }

  /**
   * A compaction (or the file's creation) then forces the new file before it returns, as before, and
   * owes the directory's force (which makes the rename durable) to {@code barrier}: a machine that
   * stops before the barrier is crossed comes back with the vault as it was before the change, or
   * after it, each whole. Appended lines are owed too: forced by the barrier in its first phase,
   * before the run journal writes a line that reports the step's work (the step that put a secret
   * is not kept as ended without it) and before the next request that may change something.
   */
  @Override
  public void deferTo(DurabilityBarrier barrier) {
    Objects.requireNonNull(barrier, "barrier");
    barriers.addIfAbsent(barrier);
  }

  /**
   * Opens the vault in {@code file} (created on the first {@link #put}).
   *
   * @throws VaultException when the file is not a vault, or a key the provider supplies is not the
   *     one the file's records were sealed with
   */
  public static EncryptedFileVault open(Path file, KeyProvider keys) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(keys, "keys");
    EncryptedFileVault v = new EncryptedFileVault(file.toAbsolutePath().normalize(), keys);
    List<Sealed> checks;
    synchronized (v.lock) {
      checks = new ArrayList<>(v.refresh().checks.values());
    }
    for (Sealed check : checks) {
      v.sealer.checkKey(check, null);
    }
    return v;
  }

  /** The vault file. */
  public Path file() {
    return file;
  }

  @Override
  public void put(VaultEntry entry) {
    Objects.requireNonNull(entry, "entry");
    Sealed sealed = sealer.seal(entry);
    String kid = sealed.keyId();
    update(idx -> {
      List<Line> lines = new ArrayList<>(2);
      Sealed check = idx.checks.get(kid);
      if (check == null) {
        lines.add(Line.check(sealer.newKeyCheck(kid)));
      } else {
        SecretKey key = keys.key(kid); // the key the record was just sealed with
        if (verified.get(check) != key) {
          sealer.checkKey(check, entry.key());
          verified.put(check, key);
        }
      }
      lines.add(Line.record(entry.key(), sealed));
      return lines;
    });
  }

  @Override
  public Optional<VaultEntry> get(String name) {
    Objects.requireNonNull(name, "key");
    Sealed r;
    Sealed check;
    synchronized (lock) {
      Index idx = refresh();
      r = idx.records.get(name);
      if (r == null) {
        return Optional.empty();
      }
      check = idx.checks.get(r.keyId());
    }
    return Optional.of(sealer.open(name, r, check)); // outside the lock: other threads read meanwhile
  }

  @Override
  public boolean delete(String name) {
    Objects.requireNonNull(name, "key");
    boolean[] removed = new boolean[1];
    update(idx -> {
      removed[0] = idx.records.containsKey(name);
      return removed[0] ? List.of(Line.removal(name)) : List.of();
    });
    return removed[0];
  }

  @Override
  public List<String> keys(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    List<String> out = new ArrayList<>();
    synchronized (lock) {
      for (String k : refresh().records.tailMap(prefix, true).keySet()) {
        if (!k.startsWith(prefix)) {
          break; // sorted: the names with this prefix are together
        }
        out.add(k);
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "EncryptedFileVault{" + file + ", currentKey=" + keys.currentKeyId() + "}";
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * What the file holds (key checks by key id, records by entry name, sorted), and which bytes of
   * which file it was read from. Sealed records only, never a secret in clear.
   */
  private static final class Index {
    final TreeMap<String, Sealed> checks = new TreeMap<>();
    final TreeMap<String, Sealed> records = new TreeMap<>();
    /** The nonce of every key check and record line in the file (base64): a line appended again repeats one. */
    final HashSet<String> nonces = new HashSet<>();
    /** Lines after the header. */
    long lines;
    /** The file does not exist (yet): the first change creates it. */
    boolean absent;
    /** A version-1 file: the first change rewrites it as version 2. */
    boolean legacy;
    /** Where the file's complete lines end: a change appends here. */
    long end;
    /** Which file was read or written, up to {@link #end}, or null when not known: then it is read whole. */
    @Nullable SeenFile seen;

    long live() {
      return checks.size() + records.size();
    }

    /** Applies a line read or appended; {@code at} numbers it for the message. */
    void apply(Line l, Path file, long at) {
      if (l.nonce != null && !legacy && !nonces.add(l.nonce)) {
        throw new VaultException(Reason.TAMPERED, l.name, "line " + at + " of vault file " + file + " repeats "
            + "the record of an earlier line (its nonce): an earlier line was appended again; repair or restore the "
            + "file", null);
      }
      switch (l.kind) {
        case CHECK -> checks.put(l.name, l.sealed);
        case RECORD -> records.put(l.name, l.sealed);
        case REMOVAL -> records.remove(l.name);
      }
      lines++;
    }

    void moved(byte[] bytes, int from, int to) {
      end += to - from;
      if (seen != null && to > from) {
        seen = seen.appended(from == 0 && to == bytes.length ? bytes : Arrays.copyOfRange(bytes, from, to));
      }
    }
  }

  private enum Kind { CHECK, RECORD, REMOVAL }

  /** One line of the log: a key check (named by its key id), a record or a removal (named by the entry). */
  private record Line(Kind kind, String name, @Nullable Sealed sealed, @Nullable String nonce) {
    static Line check(Sealed c) {
      return new Line(Kind.CHECK, c.keyId(), c, B64.encodeToString(c.nonce()));
    }

    static Line record(String name, Sealed r) {
      return new Line(Kind.RECORD, name, r, B64.encodeToString(r.nonce()));
    }

    static Line removal(String name) {
      return new Line(Kind.REMOVAL, name, null, null);
    }

    /** The line's bytes: CRC-32C of its canonical JSON in hex, a space, the JSON, a newline. */
    void writeTo(StringBuilder sb) {
      Sealed s = sealed;
      StringBuilder json = new StringBuilder(64 + (s == null ? 0 : s.data().length * 4 / 3));
      switch (kind) {
        case CHECK -> {
          json.append("{\"check\":");
          Json.quote(json, name);
          json.append(",\"data\":\"").append(B64.encodeToString(Objects.requireNonNull(s).data())).append("\",\"nonce\":\"")
              .append(nonce).append("\"}");
        }
        case RECORD -> {
          Objects.requireNonNull(s);
          json.append("{\"data\":\"").append(B64.encodeToString(s.data())).append("\",\"kid\":");
          Json.quote(json, s.keyId());
          json.append(",\"name\":");
          Json.quote(json, name);
          json.append(",\"nonce\":\"").append(nonce).append("\"}");
        }
        case REMOVAL -> {
          json.append("{\"removed\":");
          Json.quote(json, name);
          json.append('}');
        }
      }
      String hex = Integer.toHexString(crc(json.toString().getBytes(StandardCharsets.UTF_8)));
      sb.append("00000000", hex.length(), 8).append(hex).append(' ').append(json).append('\n');
    }
  }

  private static int crc(byte[] b) {
    return crc(b, 0, b.length);
  }

  private static int crc(byte[] b, int from, int to) {
    CRC32C c = new CRC32C();
    c.update(b, from, to - from);
    return (int) c.getValue();
  }

  /**
   * {@link #lockFile}, opened (and its directory created) on the first change and kept open: a change
   * took the lock by creating the directory, opening and closing the file each time, a good part of
   * a put's CPU besides its sealing and its force. Called holding {@link #jvmLock}, so a channel
   * closed under another thread (an interrupt while it waited for the file lock) is never handed on:
   * it is opened again. The vault never deletes or replaces its lock file.
   */
  private FileChannel lockChannel() throws IOException {
    FileChannel c = lockChannel;
    if (c == null || !c.isOpen()) {
      Files.createDirectories(AtomicFiles.directoryOf(lockFile));
      c = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      lockChannel = c;
    }
    return c;
  }

  private interface Change {
    /** The lines that make the change, given the vault as it is (empty: nothing to change). */
    List<Line> lines(Index idx);
  }

  private void update(Change change) {
    try {
      AtomicFiles.withLock(jvmLock, this::lockChannel, ch -> {
        Index idx;
        List<Line> lines;
        boolean compact;
        long at;
        synchronized (lock) {
          idx = refresh(); // under the file lock: nothing is appended while this change is made
          lines = change.lines(idx);
          if (lines.isEmpty()) {
            return Boolean.FALSE;
          }
          compact = idx.absent || idx.legacy || stale(idx, lines) || tooManyDead(idx, lines);
          if (compact) {
            rewrite(idx, lines); // O(live), at most once per MIN_DEAD or 2 x live changes
            return Boolean.TRUE;
          }
          at = idx.end;
        }
        append(idx, at, lines);
        return Boolean.TRUE;
      });
    } catch (IOException e) {
      synchronized (lock) {
        index = null; // what reached the file is not known: read it whole next
      }
      throw new VaultException(Reason.IO, null, "cannot write vault " + file + ": " + e, e);
    }
  }

  /** Whether a line replaces or removes a record sealed under a key id other than the current one. */
  private boolean stale(Index idx, List<Line> lines) {
    String current = keys.currentKeyId();
    for (Line l : lines) {
      if (l.kind != Kind.CHECK) {
        Sealed was = idx.records.get(l.name);
        if (was != null && !was.keyId().equals(current)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether, with {@code lines} appended, the dead lines outnumber the live ones twice over (and MIN_DEAD). */
  private static boolean tooManyDead(Index idx, List<Line> lines) {
    long live = idx.live();
    for (Line l : lines) {
      boolean had = l.kind == Kind.CHECK ? idx.checks.containsKey(l.name) : idx.records.containsKey(l.name);
      live += l.kind == Kind.REMOVAL ? (had ? -1 : 0) : (had ? 0 : 1);
    }
    long dead = idx.lines + lines.size() - live;
    return dead > MIN_DEAD && dead > 2 * live;
  }

  /** Appends {@code lines} at the end of the complete lines of {@code idx}'s file and forces them. Under the file lock. */
  private void append(Index idx, long at, List<Line> lines) throws IOException {
    StringBuilder sb = new StringBuilder(256 * lines.size());
    for (Line l : lines) {
      l.writeTo(sb);
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      if (out.size() > at) {
        out.truncate(at); // a change that stopped while being written: it never returned
      }
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      long pos = at;
      while (buf.hasRemaining()) {
        pos += out.write(buf, pos);
      }
      if (barriers.isEmpty()) {
        // the data only: the file's name is durable since it was created, and its new length is
        // metadata fdatasync writes too
        out.force(false);
      }
    }
    if (!barriers.isEmpty()) {
      // owed like the other stores' writes: forced before the provisioner's next side effect and
      // before the run journal writes a line that reports the step's work (the barrier's first
      // phase), so a machine stop never keeps a step's end without the secrets it put
      owedFile.wrote();
      for (DurabilityBarrier b : barriers) {
        b.owe(owedFile);
      }
    }
    synchronized (lock) {
      // a read by another thread of this vault may have taken the lines in already (or read the file whole)
      if (index == idx && idx.end == at) {
        for (Line l : lines) {
          idx.apply(l, file, idx.lines + 1);
        }
        idx.moved(bytes, 0, bytes.length);
        if (idx.seen != null) {
          idx.seen = idx.seen.stamped(file);
        }
      }
    }
  }

  /** Rewrites the file with the live lines of {@code idx} and {@code lines}, atomically. Under both locks. */
  private void rewrite(Index idx, List<Line> lines) throws IOException {
    Index next = new Index();
    next.checks.putAll(idx.checks);
    next.records.putAll(idx.records);
    for (Line l : lines) {
      switch (l.kind) {
        case CHECK -> next.checks.put(l.name, l.sealed);
        case RECORD -> next.records.put(l.name, l.sealed);
        case REMOVAL -> next.records.remove(l.name);
      }
    }
    StringBuilder sb = new StringBuilder(HEADER.length + 320 * (int) Math.min(1 << 20, next.live()));
    sb.append(new String(HEADER, StandardCharsets.UTF_8));
    for (Sealed c : next.checks.values()) {
      Line l = Line.check(c);
      l.writeTo(sb);
      next.nonces.add(l.nonce);
    }
    for (Map.Entry<String, Sealed> e : next.records.entrySet()) {
      Line l = Line.record(e.getKey(), e.getValue());
      l.writeTo(sb);
      next.nonces.add(l.nonce);
    }
    next.lines = next.live();
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    index = null; // until the file is known to hold them
    if (barriers.isEmpty()) {
      AtomicFiles.replace(file, bytes);
    } else {
      AtomicFiles.replaceLeavingDirectory(file, bytes);
      owedFile.replaced(); // the new file, forced, holds every line appended before it
      owedDirectory.wrote();
      for (DurabilityBarrier b : barriers) {
        b.owe(owedDirectory);
      }
    }
    next.moved(bytes, 0, bytes.length);
    try {
      next.seen = SeenFile.of(file, bytes, bytes.length);
    } catch (IOException e) {
      return; // not known: read it whole next
    }
    index = next;
  }

  /**
   * The file as it is now, reading only what was appended since this vault last read it when it
   * can. Under {@link #lock}; the index returned is the live one, to be used under it.
   */
  private Index refresh() {
    try {
      Index idx = index;
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(file, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        Index none = new Index();
        none.absent = true;
        index = null;
        return none;
      }
      SeenFile seen = idx == null ? null : idx.seen;
      if (idx != null && seen != null && seen.key().equals(a.fileKey()) && a.size() >= idx.end) {
        boolean same = a.size() == idx.end;
        if (same && a.lastModifiedTime().equals(seen.modified())) {
          return idx; // as last read or written: nothing to read
        }
        // an append grows the file; the same length at another time is an edit in place: read whole
        if (!idx.legacy && !(same && seen.modified() != null) && readAppended(idx, seen)) {
          return idx;
        }
      }
      index = null;
      Index whole = readWhole();
      index = whole;
      return whole;
    } catch (IOException e) {
      index = null;
      throw new VaultException(Reason.IO, null, "cannot read vault " + file + ": " + e, e);
    } catch (RuntimeException e) {
      index = null; // a damaged line: every read reads the file again, and fails again until it is repaired
      throw e;
    }
  }

  /**
   * Reads what was appended to {@code idx}'s file past its end and applies it; false when the file
   * is not the one read (the bytes before the end differ: replaced or edited), to be read whole.
   */
  private boolean readAppended(Index idx, SeenFile seen) {
    byte[] more = seen.since(file);
    if (more == null) {
      return false;
    }
    int to = parseLines(idx, more, 0);
    idx.moved(more, 0, to);
    idx.seen = Objects.requireNonNull(idx.seen).stamped(file);
    return true;
  }

  /** Reads the file whole: a version-2 log, or a version-1 document. */
  private Index readWhole() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      Index none = new Index();
      none.absent = true;
      return none;
    }
    Index idx = new Index();
    if (startsWith(bytes, HEADER)) {
      int to = parseLines(idx, bytes, HEADER.length);
      idx.moved(bytes, 0, to);
    } else {
      idx.legacy = true; // its records are not lines: a record copied under another name fails to open, as before
      readVersion1(idx, bytes);
      idx.end = bytes.length;
    }
    try {
      idx.seen = SeenFile.of(file, bytes, idx.end);
    } catch (IOException e) {
      idx.seen = null; // not known: read it whole next
    }
    return idx;
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * Applies the complete lines of {@code bytes} from {@code from} to {@code idx}; returns where they
   * end (bytes after the last newline are a change that never returned, and are left).
   */
  private int parseLines(Index idx, byte[] bytes, int from) {
    int at = from;
    while (true) {
      int nl = indexOf(bytes, (byte) '\n', at);
      if (nl < 0) {
        return at;
      }
      idx.apply(parseLine(bytes, at, nl, idx.lines + 1), file, idx.lines + 1);
      at = nl + 1;
    }
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  /** The line in {@code bytes[from, nl)}, checked. */
  private Line parseLine(byte[] bytes, int from, int nl, long number) {
    String what = "line " + number + " of vault file " + file;
    if (nl - from < 10 || bytes[from + 8] != ' ') {
      throw damaged(what, "it has no check");
    }
    int want;
    try {
      want = Integer.parseUnsignedInt(new String(bytes, from, 8, StandardCharsets.US_ASCII), 16);
    } catch (NumberFormatException e) {
      throw damaged(what, "its check is not hex");
    }
    if (crc(bytes, from + 9, nl) != want) {
      throw damaged(what, "its check does not match its bytes");
    }
    try {
      Map<String, Object> m = Json.parseObject(new String(bytes, from + 9, nl - from - 9, StandardCharsets.UTF_8));
      String check = Json.string(m, "check");
      String name = Json.string(m, "name");
      String removed = Json.string(m, "removed");
      if (check != null) {
        return Line.check(sealed(check, m));
      }
      if (name != null) {
        String kid = Json.string(m, "kid");
        if (kid == null) {
          throw new IllegalArgumentException("entry '" + name + "' has no key id");
        }
        return Line.record(name, sealed(kid, m));
      }
      if (removed != null) {
        return Line.removal(removed);
      }
      throw new VaultException(Reason.CORRUPT, null, what + " is a change this SDK does not know; a newer SDK "
          + "wrote it", null);
    } catch (IllegalArgumentException e) {
      throw damaged(what, String.valueOf(e.getMessage()));
    }
  }

  private static VaultException damaged(String what, String why) {
    return new VaultException(Reason.TAMPERED, null, what + " is damaged (" + why + "): it was altered, or "
        + "written by something else; the vault reads nothing of the file until it is repaired or restored", null);
  }

  /** A version-1 file: one canonical JSON document holding every key check and record. */
  private void readVersion1(Index idx, byte[] bytes) {
    try {
      Map<String, Object> m;
      try {
        m = Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        Object version = firstLineVersion(bytes);
        if (version != null) {
          throw new IllegalArgumentException("its version " + version + " is not " + VERSION + " or "
              + LEGACY_VERSION + "; a newer SDK wrote it");
        }
        throw e;
      }
      if (!FORMAT.equals(m.get("format"))) {
        throw new IllegalArgumentException("it is not an agentprovision vault");
      }
      if (!Long.valueOf(LEGACY_VERSION).equals(m.get("version"))) {
        throw new IllegalArgumentException("its version " + m.get("version") + " is not " + VERSION + " or "
            + LEGACY_VERSION + (Long.valueOf(VERSION).equals(m.get("version")) ? "" : "; a newer SDK wrote it"));
      }
      for (Map.Entry<String, Object> e : Json.object(m, "key_checks").entrySet()) {
        idx.apply(Line.check(sealed(e.getKey(), asMap(e.getValue()))), file, idx.lines + 1);
      }
      for (Map.Entry<String, Object> e : Json.object(m, "entries").entrySet()) {
        Map<String, Object> r = asMap(e.getValue());
        String kid = Json.string(r, "kid");
        if (kid == null) {
          throw new IllegalArgumentException("entry '" + e.getKey() + "' has no key id");
        }
        idx.apply(Line.record(e.getKey(), sealed(kid, r)), file, idx.lines + 1);
      }
    } catch (IllegalArgumentException e) {
      throw new VaultException(Reason.CORRUPT, null, "vault file " + file + " is unreadable: " + e.getMessage(), e);
    }
  }

  /** The version a later format's header line names, or null when the first line is no such header. */
  private static @Nullable Object firstLineVersion(byte[] bytes) {
    int nl = indexOf(bytes, (byte) '\n', 0);
    if (nl < 0) {
      return null;
    }
    try {
      Map<String, Object> h = Json.parseObject(new String(bytes, 0, nl, StandardCharsets.UTF_8));
      return FORMAT.equals(h.get("format")) && h.get("version") instanceof Long v && v > VERSION ? v : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static final Base64.Encoder B64 = Base64.getEncoder();

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("a record is not an object");
    }
    return (Map<String, Object>) o;
  }

  private static Sealed sealed(String kid, Map<String, Object> m) {
    String nonce = Json.string(m, "nonce");
    String data = Json.string(m, "data");
    if (nonce == null || data == null) {
      throw new IllegalArgumentException("a record lacks its nonce or data");
    }
    return new Sealed(kid, Base64.getDecoder().decode(nonce), Base64.getDecoder().decode(data));
  }
}
