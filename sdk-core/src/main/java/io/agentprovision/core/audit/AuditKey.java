package io.agentprovision.core.audit;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.AuditLog;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key of a keyed audit chain: each entry's hash is an HMAC-SHA256 under this key instead of a
 * plain SHA-256, so someone who can write the log's files but does not hold the key cannot add,
 * edit or rewrite entries without {@link AuditLog#verify()} noticing. The key id is recorded in
 * every entry it signs, so keys can be rotated: new entries are signed with the current key, and
 * older entries verify with the retired keys the host still supplies.
 *
 * <p>Keep the key outside the log's folder (an environment variable, a secret manager): a key that
 * sits beside the log protects nothing from whoever can write the log. It is a {@link Secret} and
 * never appears in entries, messages or {@link #toString()}.
 *
 * <pre>{@code
 * AuditKey key = AuditKey.of("audit-2026", Secret.of(System.getenv("AUDIT_KEY")));  // openssl rand -base64 32
 * AuditLog audit = AuditLog.jsonl(Path.of("/var/lib/myapp/audit.jsonl"), key);
 *
 * // after rotating: sign with the new key, still verify entries signed with the old one
 * AuditKey rotated = AuditKey.of("audit-2027", Secret.of(System.getenv("AUDIT_KEY_2027")))
 *     .withRetired(AuditKey.of("audit-2026", Secret.of(System.getenv("AUDIT_KEY"))));
 * }</pre>
 */
public final class AuditKey {
  /** The fewest key bytes accepted: HMAC-SHA256's output size. */
  public static final int MIN_KEY_BYTES = 32;
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final String ALGORITHM = "HmacSHA256";

  private final String id;
  /** Every key this one verifies with, by id; the current one first. */
  private final Map<String, SecretKeySpec> keys;

  private AuditKey(String id, Map<String, SecretKeySpec> keys) {
    this.id = id;
    this.keys = Collections.unmodifiableMap(keys);
  }

  /**
   * A key with this id. The secret's UTF-8 bytes are the HMAC key; at least {@value #MIN_KEY_BYTES}
   * of them, such as the output of {@code openssl rand -base64 32}.
   */
  public static AuditKey of(String id, Secret secret) {
    Objects.requireNonNull(secret, "secret");
    if (id == null || !KEY_ID.matcher(id).matches()) {
      throw new InvalidRequestException("id", "'" + id + "' is not a key id",
          "start with a letter or digit and use up to 64 letters, digits and . _ -, such as \"audit-2026\"");
    }
    byte[] bytes = secret.revealBytes();
    if (bytes.length < MIN_KEY_BYTES) {
      throw new InvalidRequestException("secret", "is " + bytes.length + " bytes; an audit key needs at least "
          + MIN_KEY_BYTES, "generate one with `openssl rand -base64 32` and keep it outside the log's folder");
    }
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    keys.put(id, new SecretKeySpec(bytes, ALGORITHM));
    return new AuditKey(id, keys);
  }

  /**
   * This key for signing, and the {@code retired} keys (with any they retired in turn) for verifying
   * entries signed before a rotation.
   *
   * @throws InvalidRequestException when two keys share an id
   */
  public AuditKey withRetired(AuditKey... retired) {
    Map<String, SecretKeySpec> all = new LinkedHashMap<>(keys);
    for (AuditKey r : retired) {
      Objects.requireNonNull(r, "retired");
      for (Map.Entry<String, SecretKeySpec> e : r.keys.entrySet()) {
        SecretKeySpec known = all.putIfAbsent(e.getKey(), e.getValue());
        if (known != null && !java.security.MessageDigest.isEqual(known.getEncoded(), e.getValue().getEncoded())) {
          throw new InvalidRequestException("retired", "two different keys have the id '" + e.getKey() + "'",
              "give every key its own id; the id is recorded in each entry to pick the key that verifies it");
        }
      }
    }
    return new AuditKey(id, all);
  }

  /** The id of the key new entries are signed with. */
  public String id() {
    return id;
  }

  /** The ids of every key entries can be verified with: this one and the retired ones. */
  public Set<String> ids() {
    return keys.keySet();
  }

  /** Whether entries signed with {@code keyId} can be verified. */
  public boolean has(String keyId) {
    return keys.containsKey(keyId);
  }

  /**
   * A new HMAC-SHA256 initialised with the key {@code keyId}, for {@link AuditLog} implementations
   * that sign or verify entries. Each call returns a new instance (a {@link Mac} is not thread-safe).
   *
   * @throws IllegalArgumentException when no key has that id
   */
  public Mac newMac(String keyId) {
    SecretKeySpec k = keys.get(keyId);
    if (k == null) {
      throw new IllegalArgumentException("no audit key with id " + keyId + " (known: " + keys.keySet() + ")");
    }
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(k);
      return mac;
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(ALGORITHM + " is unavailable in this JVM", e);
    }
  }

  /** The key ids only, never a key. */
  @Override
  public String toString() {
    return "AuditKey{id=" + id + (keys.size() > 1 ? ", retired=" + keys.keySet().stream().skip(1).toList() : "") + "}";
  }
}
