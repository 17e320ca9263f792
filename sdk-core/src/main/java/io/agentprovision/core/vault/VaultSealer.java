package io.agentprovision.core.vault;

import io.agentprovision.core.Secret;
import io.agentprovision.core.internal.random.StripedSecureRandom;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultException.Reason;
import io.agentprovision.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.jspecify.annotations.Nullable;

/**
 * The sealing every persistent {@link io.agentprovision.core.spi.CredentialVault} shares, so that a
 * record sealed by one store opens in another and no store writes its own crypto: AES-256-GCM under
 * the {@link KeyProvider}'s current key, a fresh random 96-bit nonce per record, and the entry's name
 * and the key id bound as additional authenticated data, so that a record copied under another name,
 * relabelled with another key id, or altered in any byte fails to open ({@link Reason#TAMPERED}).
 * Everything of an entry but its name (the secret, its attributes, when it was stored and expires)
 * is inside the ciphertext.
 *
 * <p>A store also keeps, per key id, a {@linkplain #newKeyCheck key check} (a GCM tag over nothing
 * under that key), which lets it tell a wrong key ({@link Reason#WRONG_KEY}) from an altered record.
 * Keys never leave the {@link KeyProvider}; a store holds only {@link Sealed} records.
 *
 * <pre>{@code
 * VaultSealer sealer = VaultSealer.of(keys, "vault " + where);
 * VaultSealer.Sealed record = sealer.seal(entry);          // store record.keyId(), nonce(), data()
 * VaultEntry back = sealer.open(entry.key(), record, keyCheckFor(record.keyId()));
 * }</pre>
 *
 * <p>For vault implementations; hosts use {@link io.agentprovision.core.spi.CredentialVault}.
 * Thread-safe.
 */
public final class VaultSealer {
  /** What the authenticated data names, so that records of this form never open as anything else. */
  private static final String FORMAT = "agentprovision-vault/1";
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  /** The nonce length, in bytes. */
  public static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final KeyProvider keys;
  private final String where;
  private final SecureRandom random = StripedSecureRandom.SHARED;

  private VaultSealer(KeyProvider keys, String where) {
    this.keys = keys;
    this.where = where;
  }

  /**
   * A sealer with {@code keys}; {@code where} names the store in error messages (a file path, a
   * database), never a key.
   *
   * @throws VaultException when the current key is not an AES-256 key
   */
  public static VaultSealer of(KeyProvider keys, String where) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(where, "where");
    VaultSealer s = new VaultSealer(keys, where);
    SecretKey current = s.key(keys.currentKeyId(), null);
    byte[] encoded = current.getEncoded();
    if (encoded != null && encoded.length != 32) {
      throw new VaultException(Reason.WRONG_KEY, null, "the current vault key '" + keys.currentKeyId() + "' has "
          + encoded.length + " bytes; AES-256 needs 32");
    }
    return s;
  }

  /**
   * A sealed record: the id of the key that sealed it, its nonce and the ciphertext with its tag.
   * Arrays are copied in and out, so a record cannot be changed after it is made.
   *
   * @param keyId the key id
   * @param nonce the nonce ({@link #NONCE_BYTES} bytes)
   * @param data ciphertext and tag
   */
  public record Sealed(String keyId, byte[] nonce, byte[] data) {
    public Sealed {
      Objects.requireNonNull(keyId, "keyId");
      nonce = Objects.requireNonNull(nonce, "nonce").clone();
      data = Objects.requireNonNull(data, "data").clone();
      if (nonce.length != NONCE_BYTES) {
        throw new IllegalArgumentException("a record's nonce is not " + NONCE_BYTES + " bytes");
      }
    }

    @Override
    public byte[] nonce() {
      return nonce.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Sealed s && s.keyId.equals(keyId) && Arrays.equals(s.nonce, nonce)
          && Arrays.equals(s.data, data);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * keyId.hashCode() + Arrays.hashCode(nonce)) + Arrays.hashCode(data);
    }

    /** The key id and lengths only. */
    @Override
    public String toString() {
      return "Sealed{keyId=" + keyId + ", " + data.length + " bytes}";
    }
  }

  /** The id of the key new records are sealed with. */
  public String currentKeyId() {
    return keys.currentKeyId();
  }

  /** Whether the key provider has the key {@code keyId}. */
  public boolean hasKey(String keyId) {
    return knownKey(keyId) != null;
  }

  /** Seals {@code entry} under the current key, bound to its name. */
  public Sealed seal(VaultEntry entry) {
    Objects.requireNonNull(entry, "entry");
    String kid = keys.currentKeyId();
    byte[] plain = payload(entry);
    try {
      return seal(key(kid, entry.key()), kid, aad(kid, entry.key()), plain);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * Opens the record stored under {@code name}. When it fails authentication and {@code keyCheck}
   * (the store's check for the record's key id) shows the key itself is wrong, the error says so
   * ({@link Reason#WRONG_KEY}); otherwise the record was altered ({@link Reason#TAMPERED}).
   *
   * @throws VaultException when the record does not open; never returns a value it could not authenticate
   */
  public VaultEntry open(String name, Sealed record, @Nullable Sealed keyCheck) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(record, "record");
    SecretKey key = key(record.keyId(), name);
    byte[] plain;
    try {
      plain = open(key, aad(record.keyId(), name), record);
    } catch (AEADBadTagException e) {
      if (keyCheck != null) {
        checkKey(keyCheck, name);
      }
      throw new VaultException(Reason.TAMPERED, name, "vault entry '" + name + "' in " + where
          + " failed authentication: it was altered, or copied from another entry; it was not returned", e);
    }
    return entry(name, plain);
  }

  /** A key check for {@code keyId}: a GCM tag over nothing under that key, to store beside the records. */
  public Sealed newKeyCheck(String keyId) {
    return seal(key(keyId, null), keyId, checkAad(keyId), new byte[0]);
  }

  /**
   * Checks a stored key check against the key provider's key of the same id; a key id the provider
   * does not have is left alone (records sealed under it fail to open with {@link Reason#UNKNOWN_KEY}).
   *
   * @param entry the entry being read or written, for the message, or null
   * @throws VaultException ({@link Reason#WRONG_KEY}) when the key supplied under that id is not the
   *     one the store was sealed with
   */
  public void checkKey(Sealed keyCheck, @Nullable String entry) {
    Objects.requireNonNull(keyCheck, "keyCheck");
    SecretKey k = knownKey(keyCheck.keyId());
    if (k == null) {
      return;
    }
    try {
      open(k, checkAad(keyCheck.keyId()), keyCheck);
    } catch (AEADBadTagException e) {
      throw new VaultException(Reason.WRONG_KEY, entry, "the key supplied as '" + keyCheck.keyId() + "' is not the "
          + "key vault " + where + " was sealed with under that id (or its key check was altered); supply the right "
          + "key", e);
    }
  }

  // ---------------------------------------------------------------------------------------------

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

  private static byte[] aad(String kid, String name) {
    return Json.canonical(List.of(FORMAT, "entry", kid, name)).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] checkAad(String kid) {
    return Json.canonical(List.of(FORMAT, "key-check", kid)).getBytes(StandardCharsets.UTF_8);
  }

  private Sealed seal(SecretKey key, String kid, byte[] aad, byte[] plain) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = cipher();
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      return new Sealed(kid, nonce, c.doFinal(plain));
    } catch (GeneralSecurityException e) {
      throw new VaultException(Reason.WRONG_KEY, null, "cannot seal with the vault key '" + kid + "': "
          + e.getMessage(), e);
    }
  }

  /**
   * Each thread's AES-GCM cipher, initialised afresh for every record: looking the transformation
   * up among the providers cost about as much as sealing a record. Every use starts with
   * {@code init}, which resets whatever the last use left (a failed authentication included), with
   * the record's own nonce (each seal draws a fresh random one, as before).
   */
  private static final ThreadLocal<@Nullable Cipher> CIPHER = new ThreadLocal<>();

  private static Cipher cipher() throws GeneralSecurityException {
    Cipher c = CIPHER.get();
    if (c == null) {
      c = Cipher.getInstance(TRANSFORMATION);
      CIPHER.set(c);
    }
    return c;
  }

  private static byte[] open(SecretKey key, byte[] aad, Sealed s) throws AEADBadTagException {
    byte[] data = s.data;
    if (data.length < TAG_BITS / 8) {
      throw new AEADBadTagException("the record is shorter than its authentication tag");
    }
    try {
      Cipher c = cipher();
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, s.nonce));
      c.updateAAD(aad);
      return c.doFinal(data);
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

  private static VaultEntry entry(String name, byte[] plain) {
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
