package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Establishes the human the run acts for, through the identity provider, from the request's ID
 * token. A provider account is created or linked for a verified e-mail only. Its output is the
 * principal of the run from then on (on resume too, since it is journaled); nothing to undo.
 */
final class IdentityStep extends BaseStep<IdentityStep.Attested> {
  static final StepId ID = StepId.of("identity");

  /** The principal as the journal keeps it (the ID token itself is never kept). */
  record Attested(String subject, String issuer, @Nullable String email, boolean emailVerified, @Nullable String name,
      List<String> verifiedFields, @Nullable String acr, List<String> amr, @Nullable Instant authTime) {
    Attested {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(issuer, "issuer");
      verifiedFields = List.copyOf(verifiedFields);
      amr = List.copyOf(amr);
    }

    static Attested of(Principal p) {
      return new Attested(p.subject(), p.issuer(), p.email(), p.emailVerified(), p.name(),
          new java.util.ArrayList<>(new java.util.TreeSet<>(p.verifiedFields())), p.acr(), p.amr(), p.authTime());
    }

    Principal principal() {
      return Principal.builder(subject, issuer).email(email, emailVerified).name(name)
          .verifiedFields(Set.copyOf(verifiedFields)).acr(acr).amr(amr).authTime(authTime).build();
    }
  }

  IdentityStep() {
    super(ID, StepKind.IDENTITY, List.of(), "establish the human principal", Attested.class);
  }

  /** Nothing outside the SDK changes before it ends: the identity provider is asked to attest a token, which changes nothing; the run is filed by its own forced save. */
  @Override
  public boolean changesBeforeItEnds() {
    return false;
  }

  @Override
  public Attested run(StepRun ctx) {
    Principal p = ctx.config().identity().attest(new IdentityRequest(ctx.agent(), ctx.runId(),
        ctx.request().identityToken(), null, false));
    if (p.email() == null || !p.emailVerified()) {
      throw new IdentityRejectedException("email_verified", p.display() + " has no verified e-mail; a provider account "
          + "is created or linked for a verified e-mail only");
    }
    ctx.audit("identity.attested").principal(p).detail("issuer", p.issuer()).detail("amr", String.join(",", p.amr()))
        .detail("mfa", String.valueOf(p.multiFactor())).detail("subject", p.subject()).detail("email", String.valueOf(p.email())).record();
    // filed under the person before the output is journaled: a run another run may reuse is always found
    ctx.config().journal().fileRun(ctx.runId(), PrincipalLock.name(p, ctx.request().provider()));
    return Attested.of(p);
  }

  @Override
  public @Nullable String summary(Attested out) {
    return out.email();
  }
}
