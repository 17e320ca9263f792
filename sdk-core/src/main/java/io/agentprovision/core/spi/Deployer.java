package io.agentprovision.core.spi;

import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.DomainRenewal;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.RenewalRequest;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.orchestration.AccessConfiguration;

/**
 * Puts code live with provider credentials: mints the narrow deploy token, uploads the app, binds
 * its hostnames, checks that it answers, and undoes all that. {@code CloudflareDeployer} is the
 * shipped one. Thread-safe; every operation is idempotent (a re-deploy of the same script name
 * replaces it, a second bind of a bound domain is a no-op).
 */
public interface Deployer {
  /** The provider it deploys to, such as {@code "cloudflare"}. */
  String provider();

  /**
   * The catalog service to provision before deploying, such as {@code "workers"}; its revealed
   * credentials are the broad credential given to {@link #prepareCredentials}.
   */
  String deployableService();

  /**
   * Mints the credential to deploy with, as narrow as {@link CredentialRequest#spec()} and the app
   * allow, and retires the broad one as the spec says. Audits the token it mints through
   * {@link StepContext#audit}.
   */
  PreparedCredentials prepareCredentials(CredentialRequest request, StepContext ctx);

  /** Uploads and deploys the app and binds its hostnames. */
  DeployedApp deploy(DeployRequest request, StepContext ctx);

  /**
   * Requests the app's URL once and reports whether it answered. The engine polls this (with
   * backoff, up to the provisioner's verify timeout) while a fresh deployment propagates, so an
   * implementation makes one attempt and does not wait or retry itself.
   */
  Verification verify(DeployedApp app, StepContext ctx);

  /** Removes the app and its hostname bindings. */
  void undeploy(DeployedApp app, DeployCredentials credentials, StepContext ctx);

  /**
   * Rolls the credential's value (same permissions, new secret) and, when
   * {@link RotationRequest#renewFor()} is given, gives it a fresh lifetime. Idempotent on
   * {@link StepContext#idempotencyKey()}.
   */
  DeployCredentials rotate(RotationRequest request, StepContext ctx);

  /**
   * Deletes the credential at the provider; deleting a deleted one is not an error. {@code broad} is
   * the orchestrator's broad credential when still held, for deployers whose narrow token cannot
   * delete itself.
   */
  void revoke(DeployCredentials credentials, @org.jspecify.annotations.Nullable AccessConfiguration broad,
      StepContext ctx);

  /**
   * Turns a registered domain's automatic renewal off where the registrar's API allows it, and says
   * where the registration stands (renewing or not, when it expires). A domain stays registered
   * until it expires either way: registrations are not refundable. Called when a deployment is torn
   * down. The default supports nothing and says so, and the teardown reports the renewal as staying on.
   */
  default DomainRenewal stopAutoRenew(RenewalRequest request, StepContext ctx) {
    return DomainRenewal.unsupported(request.domain(), provider() + "'s deployer cannot change a domain's renewal");
  }
}
