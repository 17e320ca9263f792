package io.agentprovision.testing.provider2.internal;

import com.squareup.moshi.Json;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The request bodies the simulator reads, as typed records bound by moshi. Every field may be
 * missing on the wire, so every component is nullable; the handlers say which ones they require.
 * Unknown fields are ignored, as the protocol asks of both sides; a field of the wrong JSON type is
 * refused by moshi with its path, which the simulator returns as {@code invalid_request}.
 * Public only because moshi binds records through their public accessors; not an API.
 */
public final class WireBodies {
  private WireBodies() {}

  /** {@code POST /provisioning/account_requests}. */
  public record AccountRequestBody(@Nullable String id, @Nullable String email, @Nullable String name,
      @Nullable String country, @Nullable String phone, @Nullable Kyc kyc, @Nullable List<String> scopes,
      @Json(name = "client_capabilities") @Nullable List<String> clientCapabilities,
      @Nullable Map<String, Object> configuration,
      @Json(name = "confirmation_secret") @Nullable String confirmationSecret,
      @Json(name = "expires_at") @Nullable Long expiresAt,
      @Nullable Map<String, Object> orchestrator,
      @Json(name = "code_challenge") @Nullable String codeChallenge,
      @Json(name = "code_challenge_method") @Nullable String codeChallengeMethod) {}

  /** {@code kyc} of an account request. */
  public record Kyc(@Json(name = "verified_fields") @Nullable List<String> verifiedFields) {}

  /** {@code payment_credentials}: {@code {type:"stripe_payment_token", stripe_payment_token:"spt_…"}}. */
  public record PaymentCredentials(@Nullable String type,
      @Json(name = "stripe_payment_token") @Nullable String stripePaymentToken) {}

  /** {@code POST /provisioning/resources}. */
  public record CreateResourceBody(@Json(name = "service_id") @Nullable String serviceId,
      @Nullable Map<String, Object> configuration,
      @Json(name = "payment_credentials") @Nullable PaymentCredentials paymentCredentials,
      @Json(name = "project_id") @Nullable String projectId,
      @Json(name = "orchestrator_resource_id") @Nullable String orchestratorResourceId,
      @Nullable String environment) {}

  /** {@code POST /provisioning/resources/{id}/update_service}. */
  public record UpdateServiceBody(@Json(name = "service_id") @Nullable String serviceId,
      @Nullable Map<String, Object> configuration,
      @Json(name = "payment_credentials") @Nullable PaymentCredentials paymentCredentials) {}

  /** {@code POST /provisioning/deep_links}. */
  public record DeepLinkBody(@Nullable String purpose) {}
}
