package io.agentprovision.core.identity;

import io.agentprovision.core.InvalidRequestException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The human on whose behalf an agent acts, as an {@link io.agentprovision.core.spi.IdentityProvider}
 * attested them: subject and issuer, e-mail and whether it was verified, the other fields the
 * issuer verified, and how strongly they authenticated ({@code acr}, {@code amr}, time).
 *
 * <pre>{@code
 * Principal p = Principal.builder("user-42", "https://id.example.com")
 *     .email("ada@example.com", true)
 *     .amr(List.of("pwd", "otp"))
 *     .authTime(Instant.now())
 *     .build();
 * p.multiFactor(); // true: "otp" is a second factor
 * }</pre>
 */
public final class Principal {
  /** {@code amr} values (RFC 8176) that show a factor beyond a password. */
  public static final Set<String> DEFAULT_MFA_AMR = Set.of("mfa", "otp", "hwk", "swk", "sms", "fpt", "face",
      "iris", "retina", "vbm", "sc", "pop");

  private final String subject;
  private final String issuer;
  private final @Nullable String email;
  private final boolean emailVerified;
  private final @Nullable String name;
  private final Set<String> verifiedFields;
  private final @Nullable String acr;
  private final List<String> amr;
  private final @Nullable Instant authTime;

  private Principal(Builder b) {
    this.subject = b.subject;
    this.issuer = b.issuer;
    this.email = b.email;
    this.emailVerified = b.emailVerified;
    this.name = b.name;
    this.verifiedFields = Set.copyOf(b.verifiedFields);
    this.acr = b.acr;
    this.amr = List.copyOf(b.amr);
    this.authTime = b.authTime;
  }

  public static Builder builder(String subject, String issuer) {
    return new Builder(subject, issuer);
  }

  public Builder toBuilder() {
    Builder b = new Builder(subject, issuer);
    b.email = email;
    b.emailVerified = emailVerified;
    b.name = name;
    b.verifiedFields = verifiedFields;
    b.acr = acr;
    b.amr = amr;
    b.authTime = authTime;
    return b;
  }

  /** The issuer's stable identifier for the person. */
  public String subject() {
    return subject;
  }

  /** Who attested: an OIDC issuer URL, {@code "stripe"}, or a host's own name. */
  public String issuer() {
    return issuer;
  }

  public @Nullable String email() {
    return email;
  }

  public boolean emailVerified() {
    return emailVerified;
  }

  public @Nullable String name() {
    return name;
  }

  /** The fields the issuer verified, such as {@code email}, {@code phone}, {@code name}, {@code address}. */
  public Set<String> verifiedFields() {
    return verifiedFields;
  }

  /** Authentication context class reference, when the issuer sent one. */
  public @Nullable String acr() {
    return acr;
  }

  /** Authentication methods references (RFC 8176), such as {@code ["pwd","otp"]}. */
  public List<String> amr() {
    return amr;
  }

  /** When the person last authenticated, when known. */
  public @Nullable Instant authTime() {
    return authTime;
  }

  /** Whether {@code amr} shows a factor beyond a password ({@link #DEFAULT_MFA_AMR}). */
  public boolean multiFactor() {
    for (String m : amr) {
      if (DEFAULT_MFA_AMR.contains(m.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  /** The form used on audit entries: {@code subject <email> @issuer}. Holds no credential. */
  public String display() {
    String d = display;
    if (d == null) {
      // every audit entry of a run names its principal this way: made once per principal (two threads
      // may both make it, the same text)
      d = subject + (email != null ? " <" + email + ">" : "") + " @" + issuer;
      display = d;
    }
    return d;
  }

  private @Nullable String display;

  @Override
  public boolean equals(Object o) {
    return o instanceof Principal p && p.subject.equals(subject) && p.issuer.equals(issuer)
        && Objects.equals(p.email, email) && p.emailVerified == emailVerified && Objects.equals(p.name, name)
        && p.verifiedFields.equals(verifiedFields) && Objects.equals(p.acr, acr) && p.amr.equals(amr)
        && Objects.equals(p.authTime, authTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(subject, issuer, email);
  }

  @Override
  public String toString() {
    return "Principal{" + display() + ", emailVerified=" + emailVerified + ", amr=" + amr
        + (acr != null ? ", acr=" + acr : "") + "}";
  }

  /** Builds a {@link Principal}. */
  public static final class Builder {
    private final String subject;
    private final String issuer;
    private @Nullable String email;
    private boolean emailVerified;
    private @Nullable String name;
    private Set<String> verifiedFields = Set.of();
    private @Nullable String acr;
    private List<String> amr = List.of();
    private @Nullable Instant authTime;

    private Builder(String subject, String issuer) {
      if (subject == null || subject.isBlank()) {
        throw new InvalidRequestException("subject", "is empty", "pass the issuer's subject identifier");
      }
      if (issuer == null || issuer.isBlank()) {
        throw new InvalidRequestException("issuer", "is empty", "pass the issuer's identifier");
      }
      this.subject = subject;
      this.issuer = issuer;
    }

    public Builder email(@Nullable String email, boolean verified) {
      this.email = email;
      this.emailVerified = email != null && verified;
      return this;
    }

    public Builder name(@Nullable String name) {
      this.name = name;
      return this;
    }

    public Builder verifiedFields(Set<String> fields) {
      this.verifiedFields = Set.copyOf(Objects.requireNonNull(fields, "fields"));
      return this;
    }

    public Builder acr(@Nullable String acr) {
      this.acr = acr;
      return this;
    }

    public Builder amr(List<String> amr) {
      this.amr = List.copyOf(Objects.requireNonNull(amr, "amr"));
      return this;
    }

    public Builder authTime(@Nullable Instant authTime) {
      this.authTime = authTime;
      return this;
    }

    public Principal build() {
      return new Principal(this);
    }
  }
}
