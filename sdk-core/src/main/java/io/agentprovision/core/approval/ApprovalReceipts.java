package io.agentprovision.core.approval;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ReceiptRejectedException.Reason;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.text.ParseException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Signs and verifies approval receipts: each decision at a checkpoint as a compact JWS (ES256,
 * {@code typ} {@value #TYPE}) with the host's {@link ReceiptKey}, binding the approver, the
 * checkpoint kind, the amount, the run and hashes of the exact request and plan (see
 * {@link ApprovalReceipt} for the claims). In the spirit of AP2's cart mandate: a receipt proves
 * that this host's engine recorded this decision for this question, and cannot be moved to another
 * run, plan, amount or question without the key.
 *
 * <pre>{@code
 * ApprovalReceipts receipts = ApprovalReceipts.of(ReceiptKey.fromPublicJwk(hostPublicJwk));
 * ApprovalReceipt r = receipts.verify(jws, ReceiptExpectation.of(run, checkpointRequest, planHash));
 * }</pre>
 *
 * <p>Verification has security defaults by construction: ES256 only (no {@code none}, no HMAC), a
 * known {@code kid}, the receipt's own type, a size bound before parsing, and every claim typed.
 */
public final class ApprovalReceipts {
  /** The JWS {@code typ} of a receipt. */
  public static final String TYPE = "ap-approval-receipt+jwt";
  /** The issuer when none is configured. */
  public static final String DEFAULT_ISSUER = "agentprovision";
  /** The longest receipt read: far above any receipt the engine writes, so parsing stays cheap. */
  public static final int MAX_LENGTH = 8192;

  private final ReceiptKey key;
  private final String issuer;

  private ApprovalReceipts(ReceiptKey key, String issuer) {
    this.key = key;
    this.issuer = issuer;
  }

  /** Receipts signed (when {@code key} can sign) and verified with {@code key}, issued as {@value #DEFAULT_ISSUER}. */
  public static ApprovalReceipts of(ReceiptKey key) {
    return new ApprovalReceipts(Objects.requireNonNull(key, "key"), DEFAULT_ISSUER);
  }

  /** These receipts issued as {@code name} (the host's name, such as {@code "acme-provisioner"}). */
  public ApprovalReceipts issuer(String name) {
    if (name == null || name.isBlank() || name.length() > 200) {
      throw new InvalidRequestException("issuer", "must be 1 to 200 characters", "pass the host's name");
    }
    return new ApprovalReceipts(key, name);
  }

  public ReceiptKey key() {
    return key;
  }

  public String issuer() {
    return issuer;
  }

  /**
   * The hash a receipt binds of a checkpoint request: SHA-256 (hex) of the canonical JSON of its kind,
   * title, reason, cost, link and details. The same question always has the same hash; changing a
   * word, the amount or a detail changes it. Also what a resumed step compares to reuse an approval.
   * The {@code reservation} detail (the id of the money held while the question is asked) is left out:
   * a step asking again after its run was parked or interrupted holds a new reservation for the same
   * payment, and the question is the same.
   */
  public static String requestHash(CheckpointRequest c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", c.kind().name());
    m.put("title", c.title());
    m.put("reason", c.reason());
    m.put("cost", c.cost() == null ? null : c.cost().toString());
    m.put("url", c.url() == null ? null : c.url().toString());
    Map<String, String> details = new LinkedHashMap<>(c.details());
    details.remove("reservation");
    m.put("details", details);
    return Digests.sha256Hex(Json.canonical(m));
  }

  /**
   * The hash a receipt binds of a run's plan: SHA-256 (hex) of the canonical JSON of its steps in
   * order, each with its id, kind, service, quote, whether the quote is the price, and the policy's
   * verdict. A host recomputes it from {@code ProvisionPlan.steps()} or {@code LifecyclePlan.steps()}.
   */
  public static String planHash(List<PlannedStep> steps) {
    List<Object> out = new ArrayList<>();
    for (PlannedStep s : steps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", s.id().value());
      m.put("kind", s.kind().name());
      m.put("service", s.serviceId());
      m.put("quote", s.quote() == null ? null : s.quote().toString());
      m.put("final", s.priceFinal());
      m.put("verdict", s.verdict().name());
      out.add(m);
    }
    return Digests.sha256Hex(Json.canonical(out));
  }

  /**
   * Signs {@code r} (its {@code issuer} and {@code keyId} are this signer's, whatever the record says).
   *
   * @throws InvalidRequestException when the key holds no private half
   */
  public String sign(ApprovalReceipt r) {
    Objects.requireNonNull(r, "receipt");
    if (!key.canSign()) {
      throw new InvalidRequestException("receiptKey", "'" + key.keyId() + "' can only verify",
          "configure the signing key (with its private half) on the provisioner");
    }
    JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().issuer(issuer).jwtID(r.approvalId()).subject(r.approver())
        .issueTime(Date.from(r.decidedAt())).claim("decided_at", r.decidedAt().toString())
        .claim("run", r.run() == null ? null : r.run().value()).claim("step", r.step() == null ? null : r.step().value())
        .claim("agent", r.agent().value()).claim("principal", r.principal()).claim("kind", r.kind().name())
        .claim("outcome", r.outcome().name()).claim("amount", amount(r.amount()))
        .claim("request_sha256", r.requestHash()).claim("plan_sha256", r.planHash()).claim("mandate", r.mandate());
    ECKey k = key.current();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(ReceiptKey.ALGORITHM).keyID(k.getKeyID())
        .type(new JOSEObjectType(TYPE)).build(), c.build());
    try {
      jwt.sign(new ECDSASigner(k));
    } catch (JOSEException e) {
      throw new IllegalStateException("could not sign a receipt with '" + k.getKeyID() + "': " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  private static @Nullable Map<String, Object> amount(@Nullable Money m) {
    if (m == null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("minor", m.minorUnits());
    out.put("currency", m.currencyCode());
    return out;
  }

  /**
   * Checks that {@code jws} is a receipt this host's key signed, and reads it.
   *
   * @throws ReceiptRejectedException naming the check that failed
   */
  public ApprovalReceipt verify(String jws) {
    return read(checked(jws, TYPE, key), key);
  }

  /**
   * Checks that {@code jws} is a receipt this host's key signed for an approval of exactly what
   * {@code expected} describes, and reads it.
   *
   * @throws ReceiptRejectedException naming the first claim that differs, or the check that failed
   */
  public ApprovalReceipt verify(String jws, ReceiptExpectation expected) {
    Objects.requireNonNull(expected, "expected");
    ApprovalReceipt r = verify(jws);
    if (expected.approvalId() != null && !expected.approvalId().equals(r.approvalId())) {
      throw new ReceiptRejectedException(Reason.APPROVAL, "issued for approval " + r.approvalId() + ", not "
          + expected.approvalId());
    }
    if (!Objects.equals(expected.run(), r.run())) {
      throw new ReceiptRejectedException(Reason.RUN, "issued in run " + r.run() + ", not " + expected.run());
    }
    if (expected.kind() != r.kind()) {
      throw new ReceiptRejectedException(Reason.KIND, "issued for a " + r.kind() + " checkpoint, not " + expected.kind());
    }
    if (!Objects.equals(expected.amount(), r.amount())) {
      throw new ReceiptRejectedException(Reason.AMOUNT, "issued for " + r.amount() + ", not " + expected.amount());
    }
    if (!expected.requestHash().equals(r.requestHash())) {
      throw new ReceiptRejectedException(Reason.REQUEST, "issued for another question than the one asked");
    }
    if (!Objects.equals(expected.planHash(), r.planHash())) {
      throw new ReceiptRejectedException(Reason.PLAN, "issued under another plan than this run's");
    }
    if (r.outcome() != ApprovalDecision.Outcome.APPROVED) {
      throw new ReceiptRejectedException(Reason.OUTCOME, "it records " + r.outcome() + ", not an approval");
    }
    return r;
  }

  /**
   * Parses {@code jws} and checks its size, algorithm, type, key and signature: what every signed
   * statement of this SDK (receipts, intent mandates) goes through before its claims are read.
   */
  static SignedJWT checked(@Nullable String jws, String type, ReceiptKey keys) {
    if (jws == null || jws.isBlank()) {
      throw new ReceiptRejectedException(Reason.MALFORMED, "it is empty");
    }
    if (jws.length() > MAX_LENGTH) {
      throw new ReceiptRejectedException(Reason.MALFORMED, "it is " + jws.length() + " characters, more than "
          + MAX_LENGTH);
    }
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(jws.trim());
    } catch (ParseException e) {
      throw new ReceiptRejectedException(Reason.MALFORMED, "it is not a compact JWS");
    }
    JWSHeader h = jwt.getHeader();
    if (!ReceiptKey.ALGORITHM.equals(h.getAlgorithm())) {
      throw new ReceiptRejectedException(Reason.ALGORITHM, "signed with " + h.getAlgorithm() + "; only ES256 is accepted");
    }
    if (h.getType() == null || !type.equals(h.getType().getType())) {
      throw new ReceiptRejectedException(Reason.MALFORMED, "its type is " + (h.getType() == null ? "missing"
          : "'" + h.getType().getType() + "'") + ", not " + type);
    }
    String kid = h.getKeyID();
    ECKey k = kid == null ? null : keys.verifying(kid);
    if (k == null) {
      throw new ReceiptRejectedException(Reason.UNKNOWN_KEY, "signed by key " + (kid == null ? "(none named)"
          : "'" + kid + "'") + ", which the host does not trust");
    }
    try {
      if (!jwt.verify(new ECDSAVerifier(k.toECPublicKey()))) {
        throw new ReceiptRejectedException(Reason.SIGNATURE, "the signature does not verify with key '" + kid
            + "': forged, or edited after signing");
      }
    } catch (JOSEException e) {
      throw new ReceiptRejectedException(Reason.SIGNATURE, "the signature cannot be checked with key '" + kid + "'");
    }
    return jwt;
  }

  private static ApprovalReceipt read(SignedJWT jwt, ReceiptKey keys) {
    try {
      JWTClaimsSet c = jwt.getJWTClaimsSet();
      String run = c.getStringClaim("run");
      String step = c.getStringClaim("step");
      return new ApprovalReceipt(required(c.getJWTID(), "jti"), run == null ? null : RunId.of(run),
          step == null ? null : StepId.of(step), AgentId.of(required(c.getStringClaim("agent"), "agent")),
          c.getStringClaim("principal"), CheckpointKind.valueOf(required(c.getStringClaim("kind"), "kind")),
          ApprovalDecision.Outcome.valueOf(required(c.getStringClaim("outcome"), "outcome")),
          required(c.getSubject(), "sub"), money(c.getJSONObjectClaim("amount")),
          required(c.getStringClaim("request_sha256"), "request_sha256"), c.getStringClaim("plan_sha256"),
          c.getStringClaim("mandate"), Instant.parse(required(c.getStringClaim("decided_at"), "decided_at")),
          required(c.getIssuer(), "iss"), Objects.requireNonNull(jwt.getHeader().getKeyID(), "kid"));
    } catch (ParseException | IllegalArgumentException | DateTimeParseException | NullPointerException e) {
      throw new ReceiptRejectedException(Reason.MALFORMED, "a claim is missing or of the wrong type");
    }
  }

  static @Nullable Money money(@Nullable Map<String, Object> m) {
    if (m == null) {
      return null;
    }
    if (!(m.get("minor") instanceof Number n) || !(m.get("currency") instanceof String cur)) {
      throw new IllegalArgumentException("amount");
    }
    return Money.ofMinor(n.longValue(), cur);
  }

  private static String required(@Nullable String v, String claim) {
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException(claim);
    }
    return v;
  }

  @Override
  public String toString() {
    return "ApprovalReceipts{issuer=" + issuer + ", key=" + key + "}";
  }
}
