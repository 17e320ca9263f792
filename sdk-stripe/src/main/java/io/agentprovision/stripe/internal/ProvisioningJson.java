package io.agentprovision.stripe.internal;

import com.squareup.moshi.Json;
import io.agentprovision.core.wire.WireRecords;
import io.agentprovision.core.wire.WireRecords.Required;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Provisioning API v2's answers ({@code /v2/provisioning/...}) as records, bound by
 * {@link StripeWire#WIRE}: only the members the SDK reads, each with its JSON type. What the SDK
 * cannot work without is {@link Required}; an absent one is a {@code malformed_response} naming its
 * path. Enumerations ({@code status}, {@code kind}, {@code link_action}, {@code recurring_interval})
 * are strings, mapped by {@link ProvisioningWire}, so a value Stripe adds later reads as unknown.
 * Maps hold only what is free-form: configurations, JSON Schemas, revealed credentials, and
 * {@code pricing}, which {@link io.agentprovision.core.catalog.Pricing#fromWire} reads in every form.
 */
public final class ProvisioningJson {
  private ProvisioningJson() {}

  /** {@code GET /v2/provisioning/catalog/providers}: one provider ({@code prvdr_…}). */
  public record ProviderJson(@Required String id, @Required String name, @Nullable String description,
      @Json(name = "tos_url") @Nullable String tosUrl,
      @Json(name = "privacy_policy_url") @Nullable String privacyPolicyUrl,
      @Json(name = "website_url") @Nullable String websiteUrl) {}

  /**
   * {@code GET /v2/provisioning/catalog/services}: a service detail. {@code id} is Stripe's
   * reference ({@code prvsvc_…}, what calls send as {@code service_ref}); {@code service_id} the
   * provider's name for it ({@code workers:paid}); both are needed.
   */
  public record ServiceJson(@Required String id, @Json(name = "service_id") @Required String serviceId,
      @Nullable String provider, @Json(name = "provider_name") @Nullable String providerName,
      @Nullable String description, @Nullable List<String> categories, @Nullable String kind, @Nullable String scope,
      @Nullable Object pricing, @Json(name = "configuration_schema") @Nullable Map<String, Object> configurationSchema,
      @Json(name = "allowed_updates") @Nullable List<ServiceRefJson> allowedUpdates,
      @Json(name = "updateable_to") @Nullable List<String> updateableTo) {}

  /**
   * An entry of {@code allowed_updates[]}: {@code {service, direction}} (C), or a bare service
   * reference; {@code service_id} is read where {@code service} is absent.
   */
  public record ServiceRefJson(@Nullable String service, @Json(name = "service_id") @Nullable String serviceId,
      @Nullable String direction) {
    /** The service reference ({@code prvsvc_…} or a service id), or null. */
    public @Nullable String ref() {
      return service != null && !service.isBlank() ? service : serviceId;
    }
  }

  /**
   * {@code GET /v2/provisioning/eligibility}. {@code requirements[]} are free-form: strings as
   * Stripe documents them, anything else kept as its JSON (M).
   */
  public record EligibilityJson(@Json(name = "is_eligible") @Required Boolean eligible,
      @Nullable List<Object> requirements) {}

  /** A project, as created or listed ({@code /v2/provisioning/projects}). */
  public record ProjectJson(@Required String id, @Nullable String name, @Nullable String catalog,
      @Nullable ProfileJson profile, @Json(name = "project_profile") @Nullable String projectProfile) {}

  /** A project's {@code profile}: the developer as Stripe attests them. */
  public record ProfileJson(@Nullable String email, @Json(name = "verified_fields") @Nullable List<String> verifiedFields) {}

  /**
   * A provider connection request. {@code request_status} is unset once it completes;
   * {@code redirect_url} is there while it waits for consent ({@code pending_auth}).
   */
  public record ConnectionRequestJson(@Required String id, @Json(name = "request_status") @Nullable String requestStatus,
      @Json(name = "redirect_url") @Nullable String redirectUrl,
      @Json(name = "needs_information_schema") @Nullable Map<String, Object> needsInformationSchema,
      @Nullable ErrorJson error, @Json(name = "provider_connection") @Nullable ConnectionJson providerConnection) {}

  /** {@code error{code, message}} of a connection request or a resource. */
  public record ErrorJson(@Nullable String code, @Nullable String message) {}

  /** A provider connection: the link between the Stripe account and an account at the provider. */
  public record ConnectionJson(@Required String id, @Nullable String provider, @Nullable String status,
      @Json(name = "provider_account") @Nullable String providerAccount,
      @Json(name = "provider_account_details") @Nullable AccountDetailsJson providerAccountDetails) {}

  /** {@code provider_account_details}. */
  public record AccountDetailsJson(@Nullable String id, @Json(name = "display_name") @Nullable String displayName,
      @Json(name = "primary_email") @Nullable String primaryEmail, @Json(name = "link_action") @Nullable String linkAction,
      @Json(name = "active_services") @Nullable List<ActiveServiceJson> activeServices) {}

  /** {@code active_services[]}. */
  public record ActiveServiceJson(@Json(name = "service_id") @Nullable String serviceId, @Nullable String status) {}

  /**
   * A resource. {@code status}: {@code pending}, {@code needs_information} (with
   * {@code needs_information_schema}), {@code complete}, {@code errored}, {@code removed}.
   */
  public record ResourceJson(@Required String id, @Required String status,
      @Json(name = "service_ref") @Nullable String serviceRef, @Nullable String name, @Nullable String provider,
      @Nullable String environment, @Nullable String catalog, @Nullable Boolean livemode, @Nullable Instant created,
      @Json(name = "needs_information_schema") @Nullable Map<String, Object> needsInformationSchema,
      @Json(name = "user_message") @Nullable UserMessageJson userMessage,
      @Json(name = "error_message") @Nullable String errorMessage, @Json(name = "error_code") @Nullable String errorCode,
      @Nullable ErrorJson error) {}

  /** {@code user_message}: an object {@code {message, received_at}} (C), or (older) the text alone. */
  public record UserMessageJson(@Nullable String message, @Json(name = "received_at") @Nullable Instant receivedAt) {}

  /**
   * {@code reveal_access_configuration}: {@code configuration} maps names to secret values (text;
   * a number, such as an account id, is kept as its text).
   */
  public record AccessConfigurationJson(@Required Map<String, Object> configuration, @Nullable Instant created,
      @Json(name = "expires_at") @Nullable Instant expiresAt, @Nullable String resource) {}

  /** {@code GET /v2/provisioning/payment_profile}, and the answer to {@code update_limit}. */
  public record PaymentProfileJson(@Json(name = "card_last4") @Nullable String cardLast4,
      @Json(name = "usage_limits") @Nullable UsageLimitsJson usageLimits, @Nullable List<ProviderLimitJson> providers) {}

  /** {@code providers[]} of the payment profile: the limit Stripe applies to one provider. */
  public record ProviderLimitJson(@Required String provider,
      @Json(name = "usage_limits") @Nullable UsageLimitsJson usageLimits) {}

  /**
   * {@code usage_limits{currency, max_amount, recurring_interval}}; {@code max_amount} in minor units
   * (a string in v2). All three are needed to know the limit; an interval Stripe adds later reads as
   * no limit the SDK can apply.
   */
  public record UsageLimitsJson(@Required String currency, @Json(name = "max_amount") @Required Long maxAmount,
      @Json(name = "recurring_interval") @Required String recurringInterval) {}

  /** {@code POST /v2/provisioning/payment_method_requests}: where the human adds a card. */
  public record PaymentMethodRequestJson(@Nullable String id, @Nullable String status,
      @Json(name = "checkout_session_url") @Nullable String checkoutSessionUrl) {}
}
