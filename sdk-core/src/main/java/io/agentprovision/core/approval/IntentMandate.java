package io.agentprovision.core.approval;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.wire.Digests;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A bounded delegation a person signs in advance, so that runs can go on while they are away, in
 * the spirit of AP2's intent mandate: checkpoints that approve spending (a plan and its prices, a
 * paid plan or resource, a domain at its price) inside every bound are approved by the mandate,
 * recorded as such ({@code mandate:<id>} as the approver), each use audited and counted durably
 * against its total. Anything outside a bound goes to a person (or is refused, by
 * {@link MandateTrust#onExceeded}); checkpoints that do not spend (terms, consent, a change that
 * cannot be taken back, a look-alike domain, a step-up) always go to a person.
 *
 * <p>The bounds: the {@link #person} it is for (the run's human), the {@link #agent}, the
 * {@link #provider}, the catalog {@link #services}, a {@link #perStep} maximum, a {@link #total}
 * across every run (in one currency), and an expiry. A compact JWS ({@code typ} {@value #TYPE},
 * ES256) with claims {@code iss}, {@code sub} (the person), {@code jti} (the id), {@code iat},
 * {@code nbf}, {@code exp}, {@code agent}, {@code provider}, {@code services}, {@code total} and
 * {@code per_step} (each {@code {"minor": …, "currency": …}}). The host obtains it from the
 * person's approval UI, which holds the signing key; the host holds only its public half.
 *
 * <pre>{@code
 * // in the person's approval UI, with their key
 * String jws = IntentMandate.builder("mnd-2026-11-ada")
 *     .person("user-3f2a…").agent(AgentId.of("coding-agent-7")).provider("cloudflare")
 *     .services("workers:paid", "kv").total(Money.usd("40.00")).perStep(Money.usd("10.00"))
 *     .issuedAt(now).expiresAt(now.plus(Duration.ofDays(14)))
 *     .sign(adasKey);
 *
 * // in the host
 * IntentMandate m = provisioner.mandates().accept(jws);
 * }</pre>
 *
 * @param id the mandate's id ({@code jti})
 * @param issuer who issued it ({@code iss}): the approval UI
 * @param person the human's subject at the identity provider ({@code sub}): it approves only their runs
 * @param agent the agent it lets act
 * @param provider the provider it lets be paid
 * @param services the catalog services it lets be bought
 * @param total the most it lets be spent, across every run
 * @param perStep the most it lets one checkpoint approve
 * @param issuedAt when it was signed
 * @param notBefore when it starts to apply
 * @param expiresAt when it stops applying
 * @param keyId the key that signed it
 * @param sha256 SHA-256 (hex) of the compact JWS: what the audit log records of it
 */
public record IntentMandate(String id, String issuer, String person, AgentId agent, String provider,
    List<String> services, Money total, Money perStep, Instant issuedAt, Instant notBefore, Instant expiresAt,
    String keyId, String sha256) {
  /** The JWS {@code typ} of a mandate. */
  public static final String TYPE = "ap-intent-mandate+jwt";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}");

  public IntentMandate {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(person, "person");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    services = List.copyOf(services);
    Objects.requireNonNull(total, "total");
    Objects.requireNonNull(perStep, "perStep");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(sha256, "sha256");
  }

  /** The approver the engine records for a checkpoint this mandate approved. */
  public String approver() {
    return "mandate:" + id;
  }

  /** Whether it applies at {@code now} (not before it starts, not once it expired). */
  public boolean appliesAt(Instant now) {
    return !now.isBefore(notBefore) && now.isBefore(expiresAt);
  }

  /** A builder for the person's approval UI (and tests), which signs the mandate with the person's key. */
  public static Builder builder(String id) {
    return new Builder(id);
  }

  /** Reads a mandate whose signature {@link ApprovalReceipts#checked checked} out; its bounds are checked by the engine. */
  static IntentMandate read(SignedJWT jwt, String jws) {
    try {
      JWTClaimsSet c = jwt.getJWTClaimsSet();
      List<String> services = c.getStringListClaim("services");
      Money total = ApprovalReceipts.money(c.getJSONObjectClaim("total"));
      Money perStep = ApprovalReceipts.money(c.getJSONObjectClaim("per_step"));
      Date iat = c.getIssueTime();
      Date nbf = c.getNotBeforeTime();
      Date exp = c.getExpirationTime();
      if (services == null || services.isEmpty() || total == null || perStep == null || iat == null || exp == null
          || c.getJWTID() == null || c.getSubject() == null || c.getIssuer() == null) {
        throw new IllegalArgumentException("missing");
      }
      if (!total.sameCurrency(perStep)) {
        throw new IllegalArgumentException("currency");
      }
      return new IntentMandate(c.getJWTID(), c.getIssuer(), c.getSubject(),
          AgentId.of(Objects.requireNonNull(c.getStringClaim("agent"), "agent")),
          Objects.requireNonNull(c.getStringClaim("provider"), "provider"), services, total, perStep, iat.toInstant(),
          nbf == null ? iat.toInstant() : nbf.toInstant(), exp.toInstant(),
          Objects.requireNonNull(jwt.getHeader().getKeyID(), "kid"), Digests.sha256Hex(jws.trim()));
    } catch (ParseException | RuntimeException e) {
      throw new ReceiptRejectedException(ReceiptRejectedException.Reason.MALFORMED, "a mandate claim is missing or of "
          + "the wrong type (services, total and per_step in one currency, iat, exp, jti, sub, iss, agent, provider)");
    }
  }

  /** Builds and signs an {@link IntentMandate}; every bound is required. */
  public static final class Builder {
    private final String id;
    private @Nullable String issuer = "approval-ui";
    private @Nullable String person;
    private @Nullable AgentId agent;
    private @Nullable String provider;
    private final List<String> services = new ArrayList<>();
    private @Nullable Money total;
    private @Nullable Money perStep;
    private @Nullable Instant issuedAt;
    private @Nullable Instant notBefore;
    private @Nullable Instant expiresAt;

    private Builder(String id) {
      if (id == null || !ID.matcher(id).matches()) {
        throw new InvalidRequestException("id", "'" + id + "' is not a mandate id",
            "use up to 100 letters, digits and . _ : -, such as \"mnd-2026-11-ada\"");
      }
      this.id = id;
    }

    /** Who issues it (the approval UI's name); {@code "approval-ui"} by default. */
    public Builder issuer(String name) {
      this.issuer = Objects.requireNonNull(name, "issuer");
      return this;
    }

    /** The person's subject at the identity provider (the run's principal must be them). */
    public Builder person(String subject) {
      this.person = Objects.requireNonNull(subject, "person");
      return this;
    }

    public Builder agent(AgentId a) {
      this.agent = Objects.requireNonNull(a, "agent");
      return this;
    }

    public Builder provider(String p) {
      this.provider = Objects.requireNonNull(p, "provider");
      return this;
    }

    /** The catalog services it lets be bought (at least one); replaces any given before. */
    public Builder services(String... ids) {
      services.clear();
      for (String s : ids) {
        services.add(Objects.requireNonNull(s, "service"));
      }
      return this;
    }

    /** The most it lets be spent across every run. */
    public Builder total(Money m) {
      this.total = Objects.requireNonNull(m, "total").requireNonNegative("total");
      return this;
    }

    /** The most one checkpoint may approve. */
    public Builder perStep(Money m) {
      this.perStep = Objects.requireNonNull(m, "perStep").requireNonNegative("perStep");
      return this;
    }

    public Builder issuedAt(Instant at) {
      this.issuedAt = Objects.requireNonNull(at, "issuedAt");
      return this;
    }

    /** When it starts to apply; when it was issued unless set. */
    public Builder notBefore(Instant at) {
      this.notBefore = Objects.requireNonNull(at, "notBefore");
      return this;
    }

    public Builder expiresAt(Instant at) {
      this.expiresAt = Objects.requireNonNull(at, "expiresAt");
      return this;
    }

    /** Signs the mandate with the person's key, as a compact JWS. */
    public String sign(ReceiptKey personKey) {
      Objects.requireNonNull(personKey, "personKey");
      if (person == null || agent == null || provider == null || services.isEmpty() || total == null || perStep == null
          || issuedAt == null || expiresAt == null) {
        throw new InvalidRequestException("mandate", "is missing a bound", "set person, agent, provider, services, "
            + "total, perStep, issuedAt and expiresAt");
      }
      if (!total.sameCurrency(perStep)) {
        throw new InvalidRequestException("perStep", "is in " + perStep.currencyCode() + ", the total in "
            + total.currencyCode(), "use one currency");
      }
      if (!expiresAt.isAfter(issuedAt)) {
        throw new InvalidRequestException("expiresAt", "is not after issuedAt", "give the mandate a lifetime");
      }
      if (!personKey.canSign()) {
        throw new InvalidRequestException("personKey", "holds no private half", "sign with the person's own key");
      }
      JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(person).jwtID(id)
          .issueTime(Date.from(issuedAt)).notBeforeTime(Date.from(notBefore != null ? notBefore : issuedAt))
          .expirationTime(Date.from(expiresAt)).claim("agent", agent.value()).claim("provider", provider)
          .claim("services", List.copyOf(services)).claim("total", money(total)).claim("per_step", money(perStep))
          .build();
      ECKey k = personKey.current();
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(ReceiptKey.ALGORITHM).keyID(k.getKeyID())
          .type(new JOSEObjectType(TYPE)).build(), claims);
      try {
        jwt.sign(new ECDSASigner(k));
      } catch (JOSEException e) {
        throw new IllegalStateException("could not sign the mandate: " + e.getMessage(), e);
      }
      return jwt.serialize();
    }

    private static Map<String, Object> money(Money m) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("minor", m.minorUnits());
      out.put("currency", m.currencyCode());
      return out;
    }
  }
}
