package io.agentprovision.core.internal.vault;

import io.agentprovision.core.Secret;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import io.agentprovision.core.vault.VaultException.Reason;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
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
 * altered record.
 *
 * <p>Key rotation: records keep the key id they were sealed under and open as long as the
 * {@link KeyProvider} still has that key ({@link KeyProvider#rotating}); {@link #put} always seals
 * under the current key, so re-putting an entry moves it to the current key.
 *
 * <p>Every change rewrites the file atomically (temporary file, then {@code ATOMIC_MOVE}) under a
 * lock on {@code <file>.lock} that holds across threads and processes, and every read reads the
 * file, so several instances and processes may share one vault. On POSIX file systems the file is
 * readable by its owner only.
 */
public final class EncryptedFileVault implements CredentialVault {
  private static final String FORMAT = "agentprovision-vault";
  private static final long VERSION = 1;
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final Path file;
  private final Path lockFile;
  private final KeyProvider keys;
  private final SecureRandom random = new SecureRandom();

  private EncryptedFileVault(Path file, KeyProvider keys) {
    this.file = file;
    this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
    this.keys = keys;
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
    SecretKey current = v.key(keys.currentKeyId(), null);
    if (current.getEncoded() != null && current.getEncoded().length != 32) {
      throw new VaultException(Reason.WRONG_KEY, null, "the current vault key '" + keys.currentKeyId() + "' has "
          + current.getEncoded().length + " bytes; AES-256 needs 32");
    }
    Doc doc = v.read();
    for (String kid : doc.checks.keySet()) {
      SecretKey k = v.knownKey(kid);
      if (k != null) {
        v.requireCheck(doc, kid, k, null);
      }
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
    String kid = keys.currentKeyId();
    SecretKey key = key(kid, entry.key());
    byte[] plain = payload(entry);
    Sealed sealed = seal(key, aad(kid, entry.key()), plain);
    Arrays.fill(plain, (byte) 0);
    update(doc -> {
      if (!doc.checks.containsKey(kid)) {
        doc.checks.put(kid, seal(key, checkAad(kid), new byte[0]));
      } else {
        requireCheck(doc, kid, key, entry.key());
      }
      doc.records.put(entry.key(), new Record(kid, sealed));
      return true;
    });
  }

  @Override
  public Optional<VaultEntry> get(String name) {
    Objects.requireNonNull(name, "key");
    Doc doc = read();
    Record r = doc.records.get(name);
    if (r == null) {
      return Optional.empty();
    }
    SecretKey key = key(r.kid(), name);
    byte[] plain;
    try {
      plain = open(key, aad(r.kid(), name), r.sealed());
    } catch (AEADBadTagException e) {
      requireCheck(doc, r.kid(), key, name);
      throw new VaultException(Reason.TAMPERED, name, "vault entry '" + name + "' in " + file
          + " failed authentication: it was altered, or copied from another entry; it was not returned", e);
    }
    return Optional.of(entry(name, plain));
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

  private record Sealed(byte[] nonce, byte[] data) {}

  private record Record(String kid, Sealed sealed) {}

  /** The file's content: key checks by key id and records by entry name, both sorted. */
  private static final class Doc {
    final TreeMap<String, Sealed> checks = new TreeMap<>();
    final TreeMap<String, Record> records = new TreeMap<>();
  }

  private interface Change {
    /** Changes {@code doc}; returns whether anything changed. */
    boolean apply(Doc doc);
  }

  private void update(Change change) {
    try {
      AtomicFiles.withLock(lockFile, ch -> {
        Doc doc = read();
        boolean changed = change.apply(doc);
        if (changed) {
          AtomicFiles.replace(file, write(doc));
        }
        return changed;
      });
    } catch (IOException e) {
      throw new VaultException(Reason.IO, null, "cannot write vault " + file + ": " + e, e);
    }
  }

  private Doc read() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Doc();
    } catch (IOException e) {
      throw new VaultException(Reason.IO, null, "cannot read vault " + file + ": " + e, e);
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
        doc.checks.put(e.getKey(), sealed(asMap(e.getValue())));
      }
      for (Map.Entry<String, Object> e : Json.object(m, "entries").entrySet()) {
        Map<String, Object> r = asMap(e.getValue());
        String kid = Json.string(r, "kid");
        if (kid == null) {
          throw new IllegalArgumentException("entry '" + e.getKey() + "' has no key id");
        }
        doc.records.put(e.getKey(), new Record(kid, sealed(r)));
      }
      return doc;
    } catch (IllegalArgumentException e) {
      throw new VaultException(Reason.CORRUPT, null, "vault file " + file + " is unreadable: " + e.getMessage(), e);
    }
  }

  private static byte[] write(Doc doc) {
    Map<String, Object> checks = new LinkedHashMap<>();
    doc.checks.forEach((kid, s) -> checks.put(kid, sealedMap(s)));
    Map<String, Object> entries = new LinkedHashMap<>();
    doc.records.forEach((name, r) -> {
      Map<String, Object> m = sealedMap(r.sealed());
      m.put("kid", r.kid());
      entries.put(name, m);
    });
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("version", VERSION);
    m.put("key_checks", checks);
    m.put("entries", entries);
    return (Json.canonical(m) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, Object> sealedMap(Sealed s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nonce", Base64.getEncoder().encodeToString(s.nonce()));
    m.put("data", Base64.getEncoder().encodeToString(s.data()));
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("a record is not an object");
    }
    return (Map<String, Object>) o;
  }

  private static Sealed sealed(Map<String, Object> m) {
    String nonce = Json.string(m, "nonce");
    String data = Json.string(m, "data");
    if (nonce == null || data == null) {
      throw new IllegalArgumentException("a record lacks its nonce or data");
    }
    byte[] n = Base64.getDecoder().decode(nonce);
    if (n.length != NONCE_BYTES) {
      throw new IllegalArgumentException("a record's nonce is not " + NONCE_BYTES + " bytes");
    }
    return new Sealed(n, Base64.getDecoder().decode(data));
  }

  /** The key with this id, or a typed error naming the entry that needed it. */
  private SecretKey key(String kid, @Nullable String entry) {
    SecretKey k = knownKey(kid);
    if (k == null) {
      throw new VaultException(Reason.UNKNOWN_KEY, entry, (entry == null ? "" : "vault entry '" + entry + "' is sealed "
          + "under ") + "key id '" + kid + "', which the KeyProvider does not have; add that key to it "
          + "(KeyProvider.rotating) to open records sealed under it");
    }
    return k;
  }

  private @Nullable SecretKey knownKey(String kid) {
    try {
      return keys.key(kid);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private void requireCheck(Doc doc, String kid, SecretKey key, @Nullable String entry) {
    Sealed check = doc.checks.get(kid);
    if (check == null) {
      return;
    }
    try {
      open(key, checkAad(kid), check);
    } catch (AEADBadTagException e) {
      throw new VaultException(Reason.WRONG_KEY, entry, "the key supplied as '" + kid + "' is not the key vault "
          + file + " was sealed with under that id (or the file's key check was altered); supply the right key", e);
    }
  }

  private static byte[] aad(String kid, String name) {
    return Json.canonical(List.of(FORMAT + "/" + VERSION, "entry", kid, name)).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] checkAad(String kid) {
    return Json.canonical(List.of(FORMAT + "/" + VERSION, "key-check", kid)).getBytes(StandardCharsets.UTF_8);
  }

  private Sealed seal(SecretKey key, byte[] aad, byte[] plain) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance(TRANSFORMATION);
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      return new Sealed(nonce, c.doFinal(plain));
    } catch (GeneralSecurityException e) {
      throw new VaultException(Reason.WRONG_KEY, null, "cannot seal with the current vault key '"
          + keys.currentKeyId() + "': " + e.getMessage(), e);
    }
  }

  private static byte[] open(SecretKey key, byte[] aad, Sealed s) throws AEADBadTagException {
    if (s.data().length < TAG_BITS / 8) {
      throw new AEADBadTagException("the record is shorter than its authentication tag");
    }
    try {
      Cipher c = Cipher.getInstance(TRANSFORMATION);
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, s.nonce()));
      c.updateAAD(aad);
      return c.doFinal(s.data());
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException | java.security.ProviderException e) {
      // a key of the wrong size or type, or a malformed record: authentication cannot succeed
      AEADBadTagException bad = new AEADBadTagException(e.getMessage());
      bad.initCause(e);
      throw bad;
    }
  }

  private static byte[] payload(VaultEntry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("secret", e.secret().reveal());
    m.put("attributes", e.attributes());
    m.put("stored_at", e.storedAt().toString());
    m.put("expires_at", e.expiresAt() == null ? null : e.expiresAt().toString());
    return Json.canonical(m).getBytes(StandardCharsets.UTF_8);
  }

  private VaultEntry entry(String name, byte[] plain) {
    try {
      Map<String, Object> m = Json.parseObject(new String(plain, StandardCharsets.UTF_8));
      String secret = Json.string(m, "secret");
      String storedAt = Json.string(m, "stored_at");
      if (secret == null || storedAt == null) {
        throw new IllegalArgumentException("the record lacks its secret or time");
      }
      Map<String, String> attributes = new LinkedHashMap<>();
      Json.object(m, "attributes").forEach((k, v) -> attributes.put(k, String.valueOf(v)));
      String expires = Json.string(m, "expires_at");
      return new VaultEntry(name, Secret.of(secret), attributes, Instant.parse(storedAt),
          expires == null ? null : Instant.parse(expires));
    } catch (RuntimeException e) {
      // authenticated yet malformed: written by something else with the key; never echo the content
      throw new VaultException(Reason.CORRUPT, name, "vault entry '" + name + "' decrypted but is not an entry this "
          + "SDK wrote", null);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }
}
