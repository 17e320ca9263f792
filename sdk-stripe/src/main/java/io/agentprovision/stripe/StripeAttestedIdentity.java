package io.agentprovision.stripe;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.wire.WireRecords;
import io.agentprovision.stripe.internal.ProjectDirectory;
import io.agentprovision.stripe.internal.ProvisioningJson;
import io.agentprovision.stripe.internal.ProvisioningWire;
import io.agentprovision.stripe.internal.StripeCalls;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.time.Clock;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The human as Stripe attests them: the developer profile behind the Stripe account whose key the
 * SDK uses, with its e-mail and the fields Stripe verified.
 *
 * <p>Where it comes from, and how sure that is: Stripe's generated SDKs (C) give every
 * Provisioning project a {@code profile {email, verified_fields[country|email|name|phone]}} and a
 * {@code project_profile} id, marked deprecated in favour of a {@code /v2/provisioning/identity}
 * endpoint whose shape is not published. This provider therefore reads the profile from the
 * project it works in, found by name or created (creating a project is the one side effect, and
 * the same project {@link StripeProjects} then uses). The principal's subject is the
 * {@code project_profile} id and its issuer {@value #ISSUER}. Stripe attests no authentication
 * strength ({@code acr}/{@code amr}), so a request that requires MFA is rejected, and a run whose
 * policy needs a step-up is refused at {@code plan} ({@link #supportsStepUp()}): use an OIDC
 * identity provider for steps that need it.
 *
 * <pre>{@code
 * IdentityProvider identity = StripeAttestedIdentity.builder().api(stripeApi).project("my-app").build();
 * Principal human = identity.attest(new IdentityRequest(agent, runId, null, null, false));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class StripeAttestedIdentity implements IdentityProvider {
  /** The issuer on every principal this provider attests. */
  public static final String ISSUER = "stripe";
  /** The project read unless configured. */
  public static final String DEFAULT_PROJECT = "agentprovision";

  private final StripeApi api;
  private final ProjectDirectory projects;
  private final String project;
  private final String catalog;

  private StripeAttestedIdentity(Builder b) {
    this.api = Objects.requireNonNull(b.api, "api");
    // its own directory, not the client's shared one: an attestation is read from the project it names
    this.projects = new ProjectDirectory(new StripeCalls(api.client()), api.provisioningVersion(), Clock.systemUTC());
    this.project = b.project;
    this.catalog = b.catalog;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Principal attest(IdentityRequest request) {
    Objects.requireNonNull(request, "request");
    ProvisioningJson.ProjectJson p;
    try {
      p = projects.ensure(project, catalog, (attempt, delay, reason) -> { }).project();
    } catch (ProviderException e) {
      throw new IdentityRejectedException("stripe", "Stripe's attestation could not be read: " + e.getMessage(), e);
    }
    ProvisioningJson.ProfileJson profile = p.profile();
    String email = profile == null ? null : profile.email();
    Set<String> verified = new LinkedHashSet<>();
    for (String f : WireRecords.list(profile == null ? null : profile.verifiedFields())) {
      if (f != null) {
        verified.add(f.toLowerCase(Locale.ROOT));
      }
    }
    if (email == null || email.isBlank()) {
      throw new IdentityRejectedException("email", "Stripe attests no e-mail for this account");
    }
    if (!verified.contains("email")) {
      throw new IdentityRejectedException("email_verified", "Stripe has not verified the account's e-mail");
    }
    if (request.requireMfa()) {
      throw new IdentityRejectedException("mfa", "Stripe's attestation carries no authentication strength (acr/amr);"
          + " attest the human with an OIDC identity provider for steps that need MFA");
    }
    String subject = p.projectProfile();
    if (subject == null || subject.isBlank()) {
      subject = "stripe-profile:" + email.toLowerCase(Locale.ROOT);
    }
    return Principal.builder(subject, ISSUER)
        .email(email, true)
        .verifiedFields(verified)
        .amr(List.of())
        .build();
  }

  /**
   * No: Stripe attests neither a second factor nor when the person signed in, and takes no nonce, so
   * a run that needs a step-up is refused when it is planned. Attest people with an
   * {@code OidcIdentityProvider} for policies that require MFA.
   */
  @Override
  public boolean supportsStepUp() {
    return false;
  }

  @Override
  public String toString() {
    return "StripeAttestedIdentity{project=" + project + ", catalog=" + catalog + "}";
  }

  /** Builds a {@link StripeAttestedIdentity}. */
  public static final class Builder {
    private @Nullable StripeApi api;
    private String project = DEFAULT_PROJECT;
    private String catalog = StripeProjects.DEFAULT_CATALOG;

    private Builder() {}

    public Builder api(StripeApi stripeApi) {
      this.api = Objects.requireNonNull(stripeApi, "api");
      return this;
    }

    /** The project whose profile is read: the one the run provisions into. */
    public Builder project(String name) {
      Objects.requireNonNull(name, "project");
      if (name.isBlank()) {
        throw new InvalidRequestException("project", "is empty", "name the project, such as \"my-app\"");
      }
      this.project = name;
      return this;
    }

    /** The catalog partition of the project: {@code prod} (default), {@code dev} or {@code testing}. */
    public Builder catalog(String partition) {
      this.catalog = ProvisioningWire.catalogPartition(partition);
      return this;
    }

    public StripeAttestedIdentity build() {
      if (api == null) {
        throw new InvalidRequestException("api", "is not set", "call api(StripeApi)");
      }
      return new StripeAttestedIdentity(this);
    }
  }
}
