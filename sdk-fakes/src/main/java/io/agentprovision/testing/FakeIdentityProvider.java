package io.agentprovision.testing;

import io.agentprovision.core.Secret;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.IdentityProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdentityProvider} that attests principals a test chose, with the checks a real one
 * makes: evidence (when required) must be a token registered with {@link #register}, the e-mail must
 * be verified, and {@link IdentityRequest#requireMfa()} is refused for a principal whose
 * {@code amr} shows no second factor. Each refusal is an {@link IdentityRejectedException} whose
 * {@link IdentityRejectedException#check() check} names what failed and whose message never holds
 * the token. Tokens can be registered while a test runs. A step-up (a request with a
 * {@link IdentityRequest#nonce() nonce}) needs a token minted by {@link #stepUp} for that nonce, good
 * once, as an OIDC issuer's would be. Thread-safe.
 *
 * <pre>{@code
 * Principal pwd = Principal.builder("u1", "https://id.test").email("ada@example.com", true).amr(List.of("pwd")).build();
 * Principal mfa = pwd.toBuilder().amr(List.of("pwd", "otp")).build();
 * FakeIdentityProvider idp = FakeIdentityProvider.builder()
 *     .token(Secret.of("id-token-1"), pwd)
 *     .build();
 * // what the step-up checkpoint hands over: a fresh sign-in answering the engine's nonce
 * ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
 *     .stepUp(r -> idp.stepUp(mfa.toBuilder().authTime(time.instant()).build(), r.details().get("nonce")));
 * }</pre>
 *
 * <p>Without any registered token and without {@link Builder#requireEvidence(boolean)}, every
 * request gets the {@linkplain Builder#principal default principal}, whatever evidence it carries.
 */
public final class FakeIdentityProvider implements IdentityProvider {
  /** The principal attested when none is configured: a verified e-mail and a password only. */
  public static final Principal DEFAULT_PRINCIPAL = Principal.builder("user-1", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").amr(List.of("pwd")).build();
  /** The method that is recorded and can be faulted. */
  public static final List<String> METHODS = List.of("attest");

  /** A token and whom it attests; {@code nonce} is set for a step-up's answer, which is good for one check only. */
  private record Mapping(Secret token, Principal principal, @Nullable String nonce) {}

  private final @Nullable Principal defaultPrincipal;
  private volatile boolean evidenceRequired;
  private final boolean requireVerifiedEmail;
  private final List<Mapping> tokens = new CopyOnWriteArrayList<>();
  private final List<IdentityRequest> requests = new CopyOnWriteArrayList<>();
  private final List<Secret> usedStepUps = new CopyOnWriteArrayList<>();
  private final boolean supportsStepUp;
  private final SecureRandom random = new SecureRandom();
  private final FaultInjector faults = new FaultInjector(METHODS);

  private FakeIdentityProvider(Builder b) {
    this.defaultPrincipal = b.principal;
    this.evidenceRequired = b.requireEvidence || !b.tokens.isEmpty();
    this.requireVerifiedEmail = b.requireVerifiedEmail;
    this.supportsStepUp = b.supportsStepUp;
    this.tokens.addAll(b.tokens);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Attests {@code principal} to every request that needs no evidence. */
  public static FakeIdentityProvider returning(Principal principal) {
    return builder().principal(principal).build();
  }

  @Override
  public Principal attest(IdentityRequest request) {
    Objects.requireNonNull(request, "request");
    return faults.call("attest", false, () -> {
      requests.add(request);
      Mapping m = resolve(request.evidence());
      checkNonce(m, request);
      Principal p = m.principal;
      if (requireVerifiedEmail && (p.email() == null || !p.emailVerified())) {
        throw new IdentityRejectedException("email_verified", "the principal " + p.subject() + " has no verified e-mail");
      }
      if (request.requireMfa() && !p.multiFactor()) {
        throw new IdentityRejectedException("mfa", "multi-factor authentication is required and the principal "
            + p.subject() + " authenticated with " + p.amr() + " only; step up with a second factor");
      }
      return p;
    });
  }

  /**
   * As an OIDC issuer's token would be checked: a request with a nonce (a step-up) needs a token
   * minted for that nonce by {@link #stepUp}, used once; a step-up token is refused where no nonce
   * was asked for.
   */
  private void checkNonce(Mapping m, IdentityRequest request) {
    String expected = request.nonce();
    if (expected == null) {
      if (m.nonce != null) {
        throw new IdentityRejectedException("nonce", "the token carries a nonce, but none was expected here: it was "
            + "minted for a step-up");
      }
      return;
    }
    if (m.nonce == null || !MessageDigest.isEqual(m.nonce.getBytes(StandardCharsets.UTF_8),
        expected.getBytes(StandardCharsets.UTF_8))) {
      throw new IdentityRejectedException("nonce", "the token's nonce is not the one sent with the authentication "
          + "request (a replayed or foreign token)");
    }
    synchronized (usedStepUps) {
      for (Secret used : usedStepUps) {
        if (used.matches(m.token)) {
          throw new IdentityRejectedException("replay", "this step-up token was already used once");
        }
      }
      usedStepUps.add(m.token);
    }
  }

  private Mapping resolve(@Nullable Secret evidence) {
    if (!evidenceRequired) {
      if (defaultPrincipal == null) {
        throw new IdentityRejectedException("configuration", "the fake has neither a principal nor tokens");
      }
      return new Mapping(evidence == null ? Secret.of("none") : evidence, defaultPrincipal, null);
    }
    if (evidence == null) {
      throw new IdentityRejectedException("evidence", "no evidence was presented; sign the human in first");
    }
    Mapping match = null;
    for (Mapping m : tokens) {
      // every mapping is compared, in constant time, so timing says nothing about which matched
      if (m.token.matches(evidence) && match == null) {
        match = m;
      }
    }
    if (match == null) {
      throw new IdentityRejectedException("token", "the evidence presented is not a token this issuer recognises");
    }
    return match;
  }

  /**
   * Registers a token that attests {@code principal} from now on; the first registration of a
   * value wins. From the first registration on, evidence is required (also after every token is
   * revoked).
   */
  public FakeIdentityProvider register(Secret token, Principal principal) {
    tokens.add(new Mapping(Objects.requireNonNull(token, "token"), Objects.requireNonNull(principal, "principal"), null));
    evidenceRequired = true;
    return this;
  }

  /**
   * A fresh sign-in of {@code principal} answering a step-up's {@code nonce} (the {@code "nonce"}
   * detail of the {@code STEP_UP} checkpoint): what the host's sign-in hands back. The token is good
   * for one check with that nonce. Give the principal the second factor ({@code amr}) and the time of
   * the sign-in ({@code authTime}) the test needs: the engine refuses a step-up without them.
   *
   * <pre>{@code
   * gate.stepUp(r -> idp.stepUp(ada.toBuilder().amr(List.of("pwd", "otp")).authTime(time.instant()).build(),
   *     r.details().get("nonce")));
   * }</pre>
   */
  public Secret stepUp(Principal principal, String nonce) {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(nonce, "nonce");
    byte[] b = new byte[18];
    random.nextBytes(b);
    Secret token = Secret.of("fake-step-up-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    tokens.add(new Mapping(token, principal, nonce));
    evidenceRequired = true;
    return token;
  }

  /** Whether the engine may step up with this fake: true unless built with {@code supportsStepUp(false)}. */
  @Override
  public boolean supportsStepUp() {
    return supportsStepUp;
  }

  /** Forgets every mapping of this token value (a revoked or expired ID token). */
  public FakeIdentityProvider revoke(Secret token) {
    Objects.requireNonNull(token, "token");
    tokens.removeIf(m -> m.token.matches(token));
    return this;
  }

  /** Every request seen, in order (their evidence stays redacted in {@code toString}). */
  public List<IdentityRequest> requests() {
    return List.copyOf(requests);
  }

  /** The {@code nth} call of {@code method} ({@code "attest"}) from now on throws {@code error}. */
  public FakeIdentityProvider failOn(String method, int nth, RuntimeException error) {
    faults.failOn(method, nth, error);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on throws {@link SimulatedCrash} before attesting. */
  public FakeIdentityProvider crashBefore(String method, int nth) {
    faults.crashBefore(method, nth);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on attests, then throws {@link SimulatedCrash}. */
  public FakeIdentityProvider crashAfter(String method, int nth) {
    faults.crashAfter(method, nth);
    return this;
  }

  /** The call recorder and fault injector behind this fake. */
  public FaultInjector faults() {
    return faults;
  }

  /** Builds a {@link FakeIdentityProvider}. */
  public static final class Builder {
    private @Nullable Principal principal = DEFAULT_PRINCIPAL;
    private boolean requireEvidence;
    private boolean requireVerifiedEmail = true;
    private boolean supportsStepUp = true;
    private final List<Mapping> tokens = new ArrayList<>();

    private Builder() {}

    /** The principal attested when no evidence is required; {@link #DEFAULT_PRINCIPAL} by default. */
    public Builder principal(Principal p) {
      this.principal = Objects.requireNonNull(p, "principal");
      return this;
    }

    /** Registers a token that attests {@code p}; from the first one on, evidence is required. */
    public Builder token(Secret token, Principal p) {
      tokens.add(new Mapping(Objects.requireNonNull(token, "token"), Objects.requireNonNull(p, "principal"), null));
      return this;
    }

    /** Whether the fake says it can verify step-ups ({@link IdentityProvider#supportsStepUp()}); true by default. */
    public Builder supportsStepUp(boolean supported) {
      this.supportsStepUp = supported;
      return this;
    }

    /** Requires evidence even before any token is registered (then every request is refused until one is). */
    public Builder requireEvidence(boolean required) {
      this.requireEvidence = required;
      return this;
    }

    /** Whether a principal without a verified e-mail is refused (check {@code "email_verified"}); true by default. */
    public Builder requireVerifiedEmail(boolean required) {
      this.requireVerifiedEmail = required;
      return this;
    }

    public FakeIdentityProvider build() {
      return new FakeIdentityProvider(this);
    }
  }

  @Override
  public String toString() {
    return "FakeIdentityProvider{tokens=" + tokens.size() + ", requests=" + requests.size() + "}";
  }
}
