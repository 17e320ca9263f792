package io.agentprovision.core.spi;

import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendLimit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The party that brokers between the agent and providers: it lists catalogs, creates or links
 * provider accounts, provisions and changes resources, reveals and rotates their credentials, and
 * pays providers. {@code StripeProjects} speaks Stripe's Provisioning API v2;
 * {@code DirectOrchestrator} has the host application play this part, speaking the provider
 * protocol itself.
 *
 * <p>Contract:
 * <ul>
 *   <li>Thread-safe: the engine calls it from concurrent steps.</li>
 *   <li>Every call that creates or changes something uses {@link StepContext#idempotencyKey()} (or a
 *       key derived from it) so that a retry or a resume does not repeat it; where the remote API has
 *       no idempotency, the implementation looks for what it created before creating again.</li>
 *   <li>Human steps (consent redirects, checkout pages, terms) go through
 *       {@link StepContext#checkpoint}; money goes through the {@link PaymentAuthorization} the engine
 *       passes, never more.</li>
 *   <li>Pending states are polled with {@link StepContext#sleeper()} until {@link StepContext#deadline()}.</li>
 *   <li>Failures are {@link io.agentprovision.core.ProviderException}s with the remote status, code and request id.</li>
 * </ul>
 */
public interface Orchestrator {
  /** A name for logs, events and audit, such as {@code "stripe-projects"} or {@code "direct"}. */
  String name();

  /** The provider's catalog: services, kinds, pricing, schemas. Read-only; safe at plan time. */
  Catalog catalog(String provider);

  /**
   * Creates an account at the provider for the principal's e-mail, or links their existing one
   * after their consent (a {@link io.agentprovision.core.approval.CheckpointKind#ACCOUNT_CONSENT} checkpoint).
   * Returns the linked account; linking an account already linked returns it again.
   */
  ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx);

  /**
   * Makes sure a payment method exists for paid steps with {@code provider}; if none does, sends the
   * human to add one (a {@link io.agentprovision.core.approval.CheckpointKind#PAYMENT_METHOD} checkpoint) and
   * waits until it is there. {@code usageCap} is the spend cap to request for it.
   */
  PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx);

  /**
   * Sets up, ahead of a run's first provisioning call, what the run's provisioning calls share and
   * what costs nothing (for {@code StripeProjects}, the project the resources go into), so that the
   * first {@link #provision} does not wait for it. The engine calls it at most once per run that
   * provisions, beside the account step, after the run's plan was approved; it may run at the same
   * time as {@link #linkAccount} and {@link #ensurePaymentMethod}.
   *
   * <p>Best effort: it must create nothing that costs money or needs a person, and repeating it
   * (another run, a resumed run) must be harmless. The engine ignores what it throws: the
   * provisioning call that needs the same thing does it again and reports the failure there. The
   * default does nothing.
   *
   * @param project the request's {@link io.agentprovision.core.ProvisionRequest#project()}
   */
  default void prepare(String provider, String project, StepContext ctx) {
    // nothing to set up ahead
  }

  /**
   * Provisions a service. Returns once the resource is no longer pending: complete, needing
   * information, or errored.
   */
  ResourceState provision(ResourceRequest request, StepContext ctx);

  /**
   * Answers a resource's {@link InformationRequest} (such as the chosen domain), paying with
   * {@code payment} when the answer makes it billable. Returns once no longer pending.
   *
   * <p>One call answers one round: {@code information} holds every property the round asks (one
   * field or several, such as {@code {"tld": "org"}} or {@code {"domain": "my-app.org", "years": 1}}).
   * A provider may ask again; the engine calls this once per round, up to five rounds, so each call
   * must be keyed by its answer as well as the step ({@link StepContext#idempotencyKey(String)} with a
   * digest of the answer), not by the step alone. {@code payment} may be narrower than the one the
   * resource was requested with (the chosen price under the same reservation), or null to pay with
   * what was sent before.
   */
  ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx);

  /** The resource's current state, without waiting. Read-only. */
  ResourceState resource(ResourceRef resource, StepContext ctx);

  /**
   * Changes a resource to another service (a plan upgrade, allowed by the service's
   * {@code allowedUpdates}) or another configuration.
   */
  ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx);

  /** The resource's credentials. Safe to repeat; after a rotation, the newer generation. */
  AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx);

  /** Rotates the resource's credentials and returns the new ones. */
  AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx);

  /** Deprovisions the resource (cancels a plan). Removing a removed resource is not an error. */
  void remove(ResourceRef resource, StepContext ctx);

  /**
   * Whether {@link #unlinkAccount} is supported: the engine refuses an unlink it cannot carry out
   * when the change is planned, before anything happens.
   */
  default boolean supportsAccountUnlink() {
    return false;
  }

  /**
   * Forgets the link to the human's provider account, without deprovisioning anything: the account
   * and every resource in it stay at the provider (and keep being billed there). Unlinking an
   * account already unlinked is not an error.
   *
   * @throws UnsupportedOperationException when {@link #supportsAccountUnlink()} is false
   */
  default void unlinkAccount(ProviderAccount account, StepContext ctx) {
    throw new UnsupportedOperationException(name() + " cannot unlink provider accounts");
  }

  /**
   * The spend caps the orchestrator itself enforces for {@code provider} (Stripe's payment profile
   * limits), when it has any; empty otherwise.
   */
  default List<SpendLimit> providerLimits(String provider) {
    return List.of();
  }

  /**
   * {@link #providerLimits(String)} as a step of a run sees them: an orchestrator that has read what
   * holds them in this run already (Stripe's payment profile, read to check the payment method) may
   * answer from that read instead of asking again. By default, {@link #providerLimits(String)}.
   */
  default List<SpendLimit> providerLimits(String provider, StepContext ctx) {
    return providerLimits(provider);
  }

  /**
   * Sets the orchestrator's own cap for {@code provider} (or the overall cap when null), so that the
   * SDK's policy holds on both sides. Raising a cap has already been approved by a human when this
   * is called. Orchestrators without caps do nothing and return empty.
   */
  default Optional<SpendLimit> updateProviderLimit(@Nullable String provider, SpendLimit limit, StepContext ctx) {
    return Optional.empty();
  }
}
