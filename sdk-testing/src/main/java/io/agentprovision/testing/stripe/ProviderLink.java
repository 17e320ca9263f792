package io.agentprovision.testing.stripe;

import io.agentprovision.core.Secret;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the {@link StripeSandbox} does toward one provider: the orchestrator side of the provider
 * protocol ({@code docs/protocol.md}, Layer B, version {@code 0.1d}), narrowed to the calls Stripe
 * makes. Each method names the protocol call it stands for, so an implementation over the protocol
 * client (against the provider sandbox) maps one to one. Values are the protocol's JSON shapes
 * where the sandbox only passes them on (service listings, configuration, schemas), and small
 * records where the sandbox acts on them.
 *
 * <p>Money: for calls to services that are not free the sandbox, as Stripe does, issues a Shared
 * Payment Token capped by the payment profile's remaining limit for the provider and passes it as
 * {@code paymentToken}; the provider charges it with a PaymentIntent (over HTTP at the sandbox's
 * {@code /v1/payment_intents}, or in process through the sandbox's {@link TokenCharger}).
 *
 * <p>Implementations are called from the sandbox's request threads and must be thread-safe.
 */
public interface ProviderLink {
  /** How Stripe's catalog lists the provider. */
  Listing listing();

  /** {@code GET /provisioning/services}: every service, in the protocol's JSON shape, all pages joined. */
  List<Map<String, Object>> services();

  /** {@code POST /provisioning/account_requests}: create an account for the human, or say how to link theirs. */
  AccountAnswer requestAccount(AccountRequest request);

  /**
   * The human approves on the provider's consent page reached for the account request whose
   * {@code confirmation_secret} is {@code state}; returns the authorization code the provider puts
   * in its redirect. A test hook: over the protocol, the provider sandbox's own consent endpoint.
   */
  String consent(String state);

  /** {@code POST /oauth/token} with {@code grant_type=authorization_code}. */
  Grant exchangeCode(String code);

  /** {@code POST /provisioning/resources} with {@code Idempotency-Key}. */
  ResourceAnswer createResource(Secret accessToken, ResourceCall call);

  /** {@code GET /provisioning/resources/{id}}. */
  ResourceAnswer getResource(Secret accessToken, String resourceId);

  /**
   * {@code POST /provisioning/resources/{id}/update_service}: a plan change ({@code serviceId}), a new
   * configuration, or the answer to a {@code needs_information} (the sandbox passes the answers as
   * configuration, merged over the resource's configuration).
   */
  ResourceAnswer updateResource(Secret accessToken, String resourceId, @Nullable String serviceId,
      Map<String, Object> configuration, @Nullable Secret paymentToken, String idempotencyKey);

  /** {@code POST /provisioning/resources/{id}/rotate_credentials}. */
  ResourceAnswer rotateCredentials(Secret accessToken, String resourceId);

  /** {@code POST /provisioning/resources/{id}/remove}. */
  ResourceAnswer removeResource(Secret accessToken, String resourceId);

  /**
   * The provider as Stripe's catalog shows it.
   *
   * @param name the catalog name, such as {@code cloudflare}
   * @param description what it offers
   * @param categories catalog categories
   * @param sellerProfile the network business profile its payment tokens are issued to
   * @param termsOfService its terms, when known
   */
  record Listing(String name, String description, List<String> categories, String sellerProfile,
      @Nullable String termsOfService) {
    public Listing {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(description, "description");
      categories = List.copyOf(categories);
      Objects.requireNonNull(sellerProfile, "sellerProfile");
    }
  }

  /**
   * An account request, as Stripe sends it.
   *
   * @param id Stripe's id for the request
   * @param email the human's e-mail, as Stripe attests it
   * @param name the human's name, when known
   * @param verifiedFields the fields Stripe verified
   * @param configuration the provider-specific configuration the agent gave
   * @param confirmationSecret the {@code state} the provider's consent redirect carries back
   * @param expiresAt when the request lapses
   */
  record AccountRequest(String id, String email, @Nullable String name, List<String> verifiedFields,
      Map<String, Object> configuration, Secret confirmationSecret, Instant expiresAt) {
    public AccountRequest {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(email, "email");
      verifiedFields = List.copyOf(verifiedFields);
      configuration = Map.copyOf(configuration);
      Objects.requireNonNull(confirmationSecret, "confirmationSecret");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  /**
   * A provider's tokens for one account ({@code credentials.bearer} or the answer of
   * {@code /oauth/token}).
   *
   * @param accessToken the bearer token for resource calls
   * @param refreshToken the refresh token, when given
   * @param expiresIn the access token's lifetime, when given
   * @param accountId the account at the provider
   * @param displayName the account's name, when the provider says
   * @param email the account's primary e-mail, when the provider says
   * @param created whether the account was created for this request (else an existing one was linked)
   */
  record Grant(Secret accessToken, @Nullable Secret refreshToken, @Nullable Duration expiresIn, String accountId,
      @Nullable String displayName, @Nullable String email, boolean created) {
    public Grant {
      Objects.requireNonNull(accessToken, "accessToken");
      Objects.requireNonNull(accountId, "accountId");
    }

    @Override
    public String toString() {
      return "Grant{account=" + accountId + ", created=" + created + "}";
    }
  }

  /** The answer to an account request, discriminated by {@link #type()}. */
  record AccountAnswer(Type type, @Nullable Grant grant, @Nullable String code, @Nullable URI redirectUrl,
      @Nullable String errorCode, @Nullable String errorMessage) {
    /** The protocol's answer types. */
    public enum Type { CREDENTIALS, OAUTH, REQUIRES_AUTH, ERROR }

    public AccountAnswer {
      Objects.requireNonNull(type, "type");
    }

    /** {@code credentials{type:"bearer"}}: a new account, ready. */
    public static AccountAnswer credentials(Grant grant) {
      return new AccountAnswer(Type.CREDENTIALS, Objects.requireNonNull(grant, "grant"), null, null, null, null);
    }

    /** {@code oauth{code}}: a new account; redeem the code. */
    public static AccountAnswer oauth(String code) {
      return new AccountAnswer(Type.OAUTH, null, Objects.requireNonNull(code, "code"), null, null, null);
    }

    /** {@code requires_auth{redirect{url}}}: an existing account; the human must consent at {@code url}. */
    public static AccountAnswer requiresAuth(URI url) {
      return new AccountAnswer(Type.REQUIRES_AUTH, null, null, Objects.requireNonNull(url, "url"), null, null);
    }

    /** {@code error{code,message}}. */
    public static AccountAnswer error(String code, String message) {
      return new AccountAnswer(Type.ERROR, null, null, null, code, message);
    }
  }

  /**
   * A resource creation, as Stripe sends it.
   *
   * @param orchestratorResourceId Stripe's resource id
   * @param serviceId the service, such as {@code workers:paid}
   * @param configuration its configuration
   * @param paymentToken the Shared Payment Token for a service that is not free, else null
   * @param projectId Stripe's project id
   * @param environment {@code prod} or {@code dev}
   * @param idempotencyKey the key Stripe sends on the call
   */
  record ResourceCall(String orchestratorResourceId, String serviceId, Map<String, Object> configuration,
      @Nullable Secret paymentToken, String projectId, String environment, String idempotencyKey) {
    public ResourceCall {
      Objects.requireNonNull(orchestratorResourceId, "orchestratorResourceId");
      Objects.requireNonNull(serviceId, "serviceId");
      configuration = Map.copyOf(configuration);
      Objects.requireNonNull(projectId, "projectId");
      Objects.requireNonNull(environment, "environment");
      Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    }
  }

  /**
   * A provider's answer about a resource.
   *
   * @param status its state
   * @param id the provider's resource id, when known
   * @param accessConfiguration the credentials, when {@code status} is complete and the call returns them
   * @param schema what the provider needs, when {@code status} is needs-information
   * @param errorCode the error code, when {@code status} is error
   * @param errorMessage the error message, when {@code status} is error
   */
  record ResourceAnswer(Status status, @Nullable String id, @Nullable Map<String, Secret> accessConfiguration,
      @Nullable Map<String, Object> schema, @Nullable String errorCode, @Nullable String errorMessage) {
    /** The protocol's resource states. */
    public enum Status { COMPLETE, PENDING, NEEDS_INFORMATION, ERROR, REMOVED }

    public ResourceAnswer {
      Objects.requireNonNull(status, "status");
      accessConfiguration = accessConfiguration == null ? null : Map.copyOf(accessConfiguration);
    }

    public static ResourceAnswer complete(String id, @Nullable Map<String, Secret> access) {
      return new ResourceAnswer(Status.COMPLETE, id, access, null, null, null);
    }

    public static ResourceAnswer pending(String id) {
      return new ResourceAnswer(Status.PENDING, id, null, null, null, null);
    }

    public static ResourceAnswer needsInformation(String id, Map<String, Object> schema) {
      return new ResourceAnswer(Status.NEEDS_INFORMATION, id, null, schema, null, null);
    }

    public static ResourceAnswer error(@Nullable String id, String code, String message) {
      return new ResourceAnswer(Status.ERROR, id, null, null, code, message);
    }

    public static ResourceAnswer removed(String id) {
      return new ResourceAnswer(Status.REMOVED, id, null, null, null, null);
    }

    @Override
    public String toString() {
      return "ResourceAnswer{" + status + ", id=" + id + ", credentials=" + (accessConfiguration == null ? "none"
          : accessConfiguration.keySet()) + ", error=" + errorCode + "}";
    }
  }
}
