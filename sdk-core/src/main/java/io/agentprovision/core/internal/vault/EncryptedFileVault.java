package io.agentprovision.core.internal.vault;

import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.internal.fs.FileStamp;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.internal.fs.OwedForce;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import io.agentprovision.core.vault.VaultException.Reason;
import io.agentprovision.core.vault.VaultSealer;
import io.agentprovision.core.vault.VaultSealer.Sealed;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * {@link CredentialVault} in one file, every record sealed with AES-256-GCM.
 *
 * <p>What the file holds in clear: the format name and version, each entry's name (its vault key,
 * such as {@code run_1/cloudflare/deploy-token}), and for each record the id of the key that
 * sealed it and its nonce. Everything else of an entry (the secret, its attributes, when it was
 * stored and when it expires) is in the ciphertext. Entry names are left in clear on purpose: the
 * run journal and the audit log already name them, and listing keys must work without decrypting.
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
 * <p>Every change rewrites the file atomically (temporary file, then {@code ATOMIC_MOVE}) under a
 * lock on {@code <file>.lock} that holds across threads and processes, and every read reads the
 * file's current content, so several instances and processes may share one vault. Attached to a
 * provisioner's {@link DurabilityBarrier} ({@link #deferTo}), a change forces its new file but leaves
 * the directory (which makes the rename durable) to the barrier. A read whose bytes are the ones
 * this vault last read or wrote skips decoding them (what is kept is the sealed records, as on
 * disk, never a secret in clear), and while the file still has the {@link FileStamp} (inode,
 * length, modification time) it had when this vault last read it whole, a read does not read it at
 * all: any change by another vault or process replaces the file (a new inode) and changes its time.
 * A file modified less than {@value FileStamp#SETTLED_MILLIS} ms before it was read is read again
 * at the next read. A {@link #put} opens the file's key check for its key once per vault instance
 * (again only if the check's bytes or the provider's key object change), not at every put.
 * On POSIX file systems the file is readable by its owner only.
 */
public final class EncryptedFileVault implements CredentialVault, DurabilityBarrier.Deferring {
  private static final String FORMAT = "agentprovision-vault";
  private static final long VERSION = 1;

  private final Path file;
  private final Path lockFile;
  private final KeyProvider keys;
  private final VaultSealer sealer;
  /**
   * The file's bytes as this vault last read or wrote them, and what they decode to (sealed records
   * only, never a secret in clear): a read whose bytes are the same skips decoding them. Never
   * changed: an update changes a copy.
   */
  private volatile @Nullable Known known;

  private record Known(byte[] bytes, Doc doc, @Nullable FileStamp stamp) {}

  /**
   * The key checks this vault verified, each with the key its provider gave for the check's id then:
   * a put meeting the same check (the same bytes) while the provider still gives that same key
   * object does not open the check with GCM again.
   */
  private final java.util.concurrent.ConcurrentHashMap<Sealed, javax.crypto.SecretKey> verified =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The barriers owed the directory's force once attached ({@link #deferTo}); empty: every change forces it. */
  private final java.util.concurrent.CopyOnWriteArrayList<DurabilityBarrier> barriers =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final OwedForce owedDirectory;

  private EncryptedFileVault(Path file, KeyProvider keys) {
    this.file = file;
    this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
    this.keys = keys;
    this.sealer = VaultSealer.of(keys, file.toString());
    this.owedDirectory = new OwedForce(() -> AtomicFiles.syncDirectory(AtomicFiles.directoryOf(file)));
  }

  /**
   * A change then forces the new file before it returns, as before, and owes the directory's force
   * (which makes the rename durable) to {@code barrier}: a machine that stops before the barrier is
   * crossed comes back with the vault as it was before the change, or after it, each whole.
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
    Doc doc = v.read();
    for (Sealed check : doc.checks.values()) {
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
    update(doc -> {
      Sealed check = doc.checks.get(kid);
      if (check == null) {
        doc.checks.put(kid, sealer.newKeyCheck(kid));
      } else {
        javax.crypto.SecretKey key = keys.key(kid); // the key the record was just sealed with
        if (verified.get(check) != key) {
          sealer.checkKey(check, entry.key());
          verified.put(check, key);
        }
      }
      doc.records.put(entry.key(), sealed);
      return true;
    });
  }

  @Override
  public Optional<VaultEntry> get(String name) {
    Objects.requireNonNull(name, "key");
    Doc doc = read();
    Sealed r = doc.records.get(name);
    if (r == null) {
      return Optional.empty();
    }
    return Optional.of(sealer.open(name, r, doc.checks.get(r.keyId())));
  }

  @Override
  public boolean delete(String name) {
    Objects.requireNonNull(name, "key");
    boolean[] removed = new boolean[1];
    update(doc -> {
      removed[0] = doc.records.remove(name) != null;
      return removed[0];
    });
    return removed[0];
  }

  @Override
  public List<String> keys(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    List<String> out = new ArrayList<>();
    for (String k : read().records.keySet()) {
      if (k.startsWith(prefix)) {
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

  /** The file's content: key checks by key id and records by entry name, both sorted. */
  private static final class Doc {
    final TreeMap<String, Sealed> checks = new TreeMap<>();
    final TreeMap<String, Sealed> records = new TreeMap<>();

    /** A copy to change, leaving this one as it is. */
    Doc copy() {
      Doc d = new Doc();
      d.checks.putAll(checks);
      d.records.putAll(records);
      return d;
    }
  }

  private interface Change {
    /** Changes {@code doc}; returns whether anything changed. */
    boolean apply(Doc doc);
  }

  private void update(Change change) {
    try {
      AtomicFiles.withLock(lockFile, ch -> {
        Doc doc = read().copy(); // what the vault keeps of the file is never changed
        boolean changed = change.apply(doc);
        if (changed) {
          byte[] bytes = write(doc);
          known = null; // until the file is known to hold them
          if (barriers.isEmpty()) {
            AtomicFiles.replace(file, bytes);
          } else {
            AtomicFiles.replaceLeavingDirectory(file, bytes);
            owedDirectory.wrote();
            for (DurabilityBarrier b : barriers) {
              b.owe(owedDirectory);
            }
          }
          known = new Known(bytes, doc, null); // just written: read again (not decoded) until settled
        }
        return changed;
      });
    } catch (IOException e) {
      throw new VaultException(Reason.IO, null, "cannot write vault " + file + ": " + e, e);
    }
  }

  private Doc read() {
    Known was = known;
    if (was != null && was.stamp() != null && was.stamp().matches(file)) {
      return was.doc(); // the file as last read whole: not replaced, not changed since
    }
    FileStamp before = FileStamp.settled(file); // kept only if the file did not change while read
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Doc();
    } catch (IOException e) {
      throw new VaultException(Reason.IO, null, "cannot read vault " + file + ": " + e, e);
    }
    FileStamp stamp = before != null && before.size() == bytes.length && before.matches(file) ? before : null;
    Known k = known;
    if (k != null && Arrays.equals(k.bytes(), bytes)) {
      if (stamp != null && !stamp.equals(k.stamp())) {
        known = new Known(k.bytes(), k.doc(), stamp); // settled: the next read looks at the stamp only
      }
      return k.doc(); // the file as last read or written: not decoded again
    }
    try {
      Map<String, Object> m = Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
      if (!FORMAT.equals(m.get("format"))) {
        throw new IllegalArgumentException("it is not an agentprovision vault");
      }
      if (!Long.valueOf(VERSION).equals(m.get("version"))) {
        throw new IllegalArgumentException("its version " + m.get("version") + " is not " + VERSION
            + "; a newer SDK wrote it");
      }
      Doc doc = new Doc();
      for (Map.Entry<String, Object> e : Json.object(m, "key_checks").entrySet()) {
        doc.checks.put(e.getKey(), sealed(e.getKey(), asMap(e.getValue())));
      }
      for (Map.Entry<String, Object> e : Json.object(m, "entries").entrySet()) {
        Map<String, Object> r = asMap(e.getValue());
        String kid = Json.string(r, "kid");
        if (kid == null) {
          throw new IllegalArgumentException("entry '" + e.getKey() + "' has no key id");
        }
        doc.records.put(e.getKey(), sealed(kid, r));
      }
      known = new Known(bytes, doc, stamp);
      return doc;
    } catch (IllegalArgumentException e) {
      throw new VaultException(Reason.CORRUPT, null, "vault file " + file + " is unreadable: " + e.getMessage(), e);
    }
  }

  /**
   * The file's bytes for {@code doc}: its canonical JSON (keys sorted, no whitespace) and a newline,
   * byte for byte what {@link Json#canonical} makes of the same document, written directly: the
   * vault rewrites its whole file at each change, and building the maps to sort them again was
   * most of a put's CPU. The records are in {@link Doc}'s sorted maps already; the base64 text
   * needs no escaping.
   */
  private static byte[] write(Doc doc) {
    StringBuilder sb = new StringBuilder(128 + 160 * (doc.records.size() + doc.checks.size()));
    sb.append("{\"entries\":{");
    boolean first = true;
    for (Map.Entry<String, Sealed> e : doc.records.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      Json.quote(sb, e.getKey());
      Sealed r = e.getValue();
      sb.append(":{\"data\":\"").append(B64.encodeToString(r.data())).append("\",\"kid\":");
      Json.quote(sb, r.keyId());
      sb.append(",\"nonce\":\"").append(B64.encodeToString(r.nonce())).append("\"}");
    }
    sb.append("},\"format\":");
    Json.quote(sb, FORMAT);
    sb.append(",\"key_checks\":{");
    first = true;
    for (Map.Entry<String, Sealed> e : doc.checks.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      Json.quote(sb, e.getKey());
      Sealed c = e.getValue();
      sb.append(":{\"data\":\"").append(B64.encodeToString(c.data())).append("\",\"nonce\":\"")
          .append(B64.encodeToString(c.nonce())).append("\"}");
    }
    sb.append("},\"version\":").append(VERSION).append("}\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
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
