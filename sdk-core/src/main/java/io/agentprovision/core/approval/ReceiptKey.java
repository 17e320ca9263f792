package io.agentprovision.core.approval;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import java.text.ParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An ES256 (ECDSA on P-256) key for signing and verifying approval receipts and intent mandates, as
 * compact JWS. The host holds the signing key of its receipts (configure it with
 * {@code AgentProvisioner.builder().receiptKey(...)}) and hands the public half to whoever checks
 * them; a person's approval UI holds the signing key of their intent mandates, and the host is
 * given its public half ({@link MandateTrust}).
 *
 * <p>The private half is a {@link Secret}: it appears in no message, entry or {@link #toString()}.
 * Keep it where the host keeps its other keys (a secret manager, an environment variable), not
 * beside the audit log whose approvals it signs.
 *
 * <pre>{@code
 * ReceiptKey key = ReceiptKey.generate("receipts-2026");          // once; store key.privateJwk() safely
 * ReceiptKey same = ReceiptKey.fromJwk(Secret.of(System.getenv("RECEIPT_JWK")));
 * String forAuditors = same.publicJwk();                           // {"kty":"EC","crv":"P-256",…}
 *
 * // after a rotation: sign with the new key, still verify receipts signed with the old one
 * ReceiptKey rotated = ReceiptKey.generate("receipts-2027").withRetired(same.publicOnly());
 * }</pre>
 */
public final class ReceiptKey {
  /** The one signing algorithm: ECDSA with P-256 and SHA-256. */
  public static final JWSAlgorithm ALGORITHM = JWSAlgorithm.ES256;
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final String id;
  /** Every key this one verifies with, by id; the current one first (with its private half, when held). */
  private final Map<String, ECKey> keys;

  private ReceiptKey(String id, Map<String, ECKey> keys) {
    this.id = id;
    this.keys = Collections.unmodifiableMap(keys);
  }

  /** A new P-256 key pair with this id, from the platform's strong random source. */
  public static ReceiptKey generate(String keyId) {
    checkId(keyId);
    try {
      ECKey k = new ECKeyGenerator(Curve.P_256).keyID(keyId).keyUse(KeyUse.SIGNATURE).algorithm(ALGORITHM).generate();
      return single(k);
    } catch (JOSEException e) {
      throw new IllegalStateException("this JVM cannot make P-256 keys: " + e.getMessage(), e);
    }
  }

  /**
   * A key from its JWK (an EC P-256 key with a {@code kid}): with the private half ({@code d}) it
   * signs and verifies, without it only verifies.
   *
   * @throws InvalidRequestException when it is not such a key (the message never shows the key)
   */
  public static ReceiptKey fromJwk(Secret jwk) {
    Objects.requireNonNull(jwk, "jwk");
    JWK parsed;
    try {
      parsed = JWK.parse(jwk.reveal());
    } catch (ParseException e) {
      throw new InvalidRequestException("jwk", "is not a JSON Web Key", "pass the JWK that ReceiptKey.privateJwk() or "
          + "publicJwk() gave, such as {\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":…}");
    }
    if (!(parsed instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
      throw new InvalidRequestException("jwk", "is a " + parsed.getKeyType() + " key, not an EC P-256 key",
          "receipts and mandates are signed with ES256; generate a key with ReceiptKey.generate(id)");
    }
    if (ec.getKeyID() == null) {
      throw new InvalidRequestException("jwk", "has no key id (kid)", "give the key a kid, such as \"receipts-2026\"");
    }
    checkId(ec.getKeyID());
    return single(ec);
  }

  /** A verifying key from a public JWK, as {@link #publicJwk()} gives it. */
  public static ReceiptKey fromPublicJwk(String jwk) {
    Objects.requireNonNull(jwk, "jwk");
    return fromJwk(Secret.of(jwk)).publicOnly();
  }

  private static ReceiptKey single(ECKey k) {
    Map<String, ECKey> m = new LinkedHashMap<>();
    m.put(k.getKeyID(), k);
    return new ReceiptKey(k.getKeyID(), m);
  }

  private static void checkId(@Nullable String keyId) {
    if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
      throw new InvalidRequestException("keyId", "'" + keyId + "' is not a key id",
          "start with a letter or digit and use up to 64 letters, digits and . _ -, such as \"receipts-2026\"");
    }
  }

  /**
   * This key for signing, and the {@code retired} keys (public halves suffice) for verifying what was
   * signed before a rotation.
   *
   * @throws InvalidRequestException when two different keys share an id
   */
  public ReceiptKey withRetired(ReceiptKey... retired) {
    Map<String, ECKey> all = new LinkedHashMap<>(keys);
    for (ReceiptKey r : retired) {
      Objects.requireNonNull(r, "retired");
      for (Map.Entry<String, ECKey> e : r.keys.entrySet()) {
        ECKey known = all.putIfAbsent(e.getKey(), e.getValue());
        if (known != null && !known.toPublicJWK().equals(e.getValue().toPublicJWK())) {
          throw new InvalidRequestException("retired", "two different keys have the id '" + e.getKey() + "'",
              "give every key its own id; the id in each receipt picks the key that verifies it");
        }
      }
    }
    return new ReceiptKey(id, all);
  }

  /** The same keys without any private half: verifies, cannot sign. */
  public ReceiptKey publicOnly() {
    Map<String, ECKey> pub = new LinkedHashMap<>();
    keys.forEach((k, v) -> pub.put(k, v.toPublicJWK()));
    return new ReceiptKey(id, pub);
  }

  /** The id of the key new receipts are signed with. */
  public String keyId() {
    return id;
  }

  /** Whether this key can sign (holds the current key's private half). */
  public boolean canSign() {
    return current().isPrivate();
  }

  /** The current key's public half as a JWK, for whoever verifies receipts. */
  public String publicJwk() {
    return current().toPublicJWK().toJSONString();
  }

  /** The current key with its private half, as a JWK to store where the host keeps secrets. */
  public Secret privateJwk() {
    if (!canSign()) {
      throw new InvalidRequestException("key", "'" + id + "' holds no private half", "use the signing key");
    }
    return Secret.of(current().toJSONString());
  }

  ECKey current() {
    return Objects.requireNonNull(keys.get(id), "current key");
  }

  /** The key with {@code kid}, current or retired, or null. */
  @Nullable ECKey verifying(String kid) {
    return keys.get(kid);
  }

  @Override
  public String toString() {
    return "ReceiptKey{" + id + ", ES256" + (canSign() ? ", signs" : ", verifies only")
        + (keys.size() > 1 ? ", retired=" + keys.keySet().stream().skip(1).toList() : "") + "}";
  }
}
