package io.agentprovision.core.spi;

import io.agentprovision.core.InvalidRequestException;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Supplies the AES-256 keys a vault encrypts with. Keys have ids, so that a vault can decrypt
 * records written under an older key after the current one was rotated.
 *
 * <pre>{@code
 * KeyProvider keys = KeyProvider.fromBase64("k1", System.getenv("AGENTPROVISION_VAULT_KEY"));
 * }</pre>
 */
public interface KeyProvider {
  /** The id of the key new records are encrypted with. */
  String currentKeyId();

  /**
   * The key with this id.
   *
   * @throws IllegalArgumentException when no such key is known
   */
  SecretKey key(String keyId);

  /** One key, given as 32 bytes. */
  static KeyProvider of(String keyId, byte[] key) {
    Objects.requireNonNull(keyId, "keyId");
    if (key == null || key.length != 32) {
      throw new InvalidRequestException("key", "must be 32 bytes for AES-256 (was " + (key == null ? 0 : key.length) + ")",
          "generate 32 random bytes, for example with `openssl rand -base64 32`");
    }
    SecretKey k = new SecretKeySpec(key.clone(), "AES");
    return new KeyProvider() {
      @Override
      public String currentKeyId() {
        return keyId;
      }

      @Override
      public SecretKey key(String id) {
        if (!keyId.equals(id)) {
          throw new IllegalArgumentException("no vault key with id " + id);
        }
        return k;
      }

      @Override
      public String toString() {
        return "KeyProvider{" + keyId + "}";
      }
    };
  }

  /** One key given in base64 (as {@code openssl rand -base64 32} prints it). */
  static KeyProvider fromBase64(String keyId, String base64Key) {
    if (base64Key == null || base64Key.isBlank()) {
      throw new InvalidRequestException("key", "is empty", "pass 32 random bytes in base64, from `openssl rand -base64 32`");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64Key.trim());
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("key", "is not base64", "pass the output of `openssl rand -base64 32`");
    }
    return of(keyId, bytes);
  }

  /** Several keys: {@code current} encrypts, all of them decrypt. */
  static KeyProvider rotating(String current, Map<String, byte[]> keys) {
    Objects.requireNonNull(current, "current");
    if (!keys.containsKey(current)) {
      throw new InvalidRequestException("current", "key id '" + current + "' is not among " + keys.keySet(),
          "pass the id of one of the keys");
    }
    Map<String, KeyProvider> each = new java.util.HashMap<>();
    keys.forEach((id, bytes) -> each.put(id, of(id, bytes)));
    return new KeyProvider() {
      @Override
      public String currentKeyId() {
        return current;
      }

      @Override
      public SecretKey key(String id) {
        KeyProvider p = each.get(id);
        if (p == null) {
          throw new IllegalArgumentException("no vault key with id " + id);
        }
        return p.key(id);
      }

      @Override
      public String toString() {
        return "KeyProvider{current=" + current + ", ids=" + each.keySet() + "}";
      }
    };
  }
}
