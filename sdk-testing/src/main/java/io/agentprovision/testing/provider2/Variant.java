package io.agentprovision.testing.provider2;

import io.agentprovision.core.InvalidRequestException;
import java.util.EnumSet;
import java.util.Set;

/**
 * A shape a real provider may send that the protocol description allows ({@code PROTOCOL.md},
 * "Shapes a client must read"). Each one is switched on per {@link IndependentProviderSimulator}
 * with {@link IndependentProviderSimulator.Builder#variants}; with none, the simulator answers in
 * its baseline shapes, which are described on each constant as the thing it changes.
 *
 * <p>A few constants exclude each other (two ways to price the same plan, two answers to the same
 * second remove); {@link #checkCompatible} refuses such a set when the simulator is built.
 */
public enum Variant {
  // ---------------------------------------------------------------- 1. pricing forms

  /**
   * {@code workers:paid} priced as an array {@code paid:[…]}: USD 5.00 a month ({@code is_default})
   * and USD 50.00 a year for {@code configuration:{billing_period:"yearly"}}; the plan's schema then
   * has a {@code billing_period} property and the charge follows the chosen price. Baseline:
   * {@code {type:"paid", paid:{type:"freeform", freeform:"$5.00/month"}}}.
   */
  PRICING_PRICE_LIST,
  /**
   * {@code workers:paid} priced as {@code paid:{type:"stripe_price", stripe_price:"price_…"}}: an id
   * only, whose amount (USD 5.00 a month) the provider knows and the client must look up.
   */
  PRICING_STRIPE_PRICE,
  /**
   * {@code workers} priced as {@code {type:"component", component:{options:[{type:"free",
   * parent_service_ids:["workers:paid","workers:free"]}]}}} and {@code d1} as a component with a free
   * and a paid (default) option. Baseline: both {@code {type:"free"}}.
   */
  PRICING_COMPONENT,
  /**
   * {@code workers-ai} priced with a {@code type} the protocol does not name:
   * {@code {type:"usage_based", usage_based:{unit:"neuron", …}}}. Baseline: {@code {type:"free"}}.
   */
  PRICING_UNKNOWN_TYPE,
  /**
   * Fields the protocol does not name in every object the simulator sends (health, pages, services,
   * pricing, account answers, tokens, resources, errors, needs-information, deep links).
   */
  UNKNOWN_FIELDS,

  // ---------------------------------------------------------------- 2. needs_information

  /**
   * A domain's {@code needs_information} answer carries no resource {@code id} and the simulator
   * keeps nothing: the answer can only come back as a new {@code POST /provisioning/resources} with
   * the chosen {@code configuration} (and the payment credentials). Baseline: the answer carries
   * the id of a resource held in state {@code needs_information}.
   */
  NEEDS_INFO_WITHOUT_ID,
  /**
   * A domain takes two rounds of choices after the query: first {@code tld} (one choice per top-level
   * domain, priced), then {@code domain} among the names under that TLD. Baseline: one round,
   * {@code domain} among every available name.
   */
  NEEDS_INFO_MULTI_ROUND,
  /**
   * Choices come as a plain {@code enum} of strings with no prices. Baseline: {@code oneOf} entries
   * {@code {const, title, pricing:{type:"paid", paid:{type:"freeform", freeform:"$10.44/year"}}}}.
   */
  NEEDS_INFO_PLAIN_ENUM,
  /**
   * The answer to {@code needs_information} is accepted only as a new
   * {@code POST /provisioning/resources}; {@code update_service} on a resource waiting for
   * information is refused with {@code invalid_state}. Baseline: both forms are accepted.
   */
  ANSWER_BY_NEW_REQUEST_ONLY,

  // ---------------------------------------------------------------- 3. payment up front

  /**
   * {@code registrar:domain} requires {@code payment_credentials} on the first request, before any
   * choice is offered: without them {@code {status:"error", error:{code:"requires_payment_credentials"}}}.
   * Baseline: the first request gets its choices without payment credentials, and the request that
   * buys (the answer) must carry them.
   */
  DOMAIN_REQUIRES_PAYMENT_UPFRONT,

  // ---------------------------------------------------------------- 4. errors

  /**
   * Every {@code {status:"error", error:{…}}} answer comes with HTTP 200. Baseline: with the 4xx that
   * fits it (400, 402, 404, 409, 422). Authentication refusals stay 401/400 either way.
   */
  ERRORS_WITH_HTTP_200,

  // ---------------------------------------------------------------- 5. tokens

  /**
   * Access tokens live {@link IndependentProviderSimulator#SHORT_ACCESS_TOKEN_TTL 20 seconds}
   * ({@code expires_in: 20}). Baseline: {@link IndependentProviderSimulator.Builder#accessTokenTtl one hour}.
   */
  SHORT_LIVED_ACCESS_TOKENS,
  /**
   * Every refresh returns a new refresh token and the one used is refused afterwards with
   * {@code invalid_grant}. Baseline: the refresh token stays the same and keeps working.
   */
  ROTATING_REFRESH_TOKENS,

  // ---------------------------------------------------------------- 6. a second remove

  /**
   * A removed resource is forgotten: {@code GET} and a second {@code remove} (under a new
   * idempotency key) answer 404 {@code resource_not_found}. Baseline: a second remove answers
   * {@code {status:"removed"}} again.
   */
  REMOVE_AGAIN_NOT_FOUND,
  /**
   * A second {@code remove} (under a new idempotency key) answers 409 {@code invalid_state} with the
   * resource's id; {@code GET} still answers {@code removed}.
   */
  REMOVE_AGAIN_INVALID_STATE,

  // ---------------------------------------------------------------- account answers

  /**
   * A new account is answered {@code {type:"oauth", oauth:{code}}}, a code to redeem at
   * {@code /oauth/token} (checked against the request's PKCE challenge, if any). Baseline:
   * {@code {type:"credentials", credentials:{type:"bearer", bearer:{…}}}}.
   */
  NEW_ACCOUNT_AS_OAUTH_CODE;

  /**
   * Refuses a set holding two constants that answer the same question differently.
   *
   * @throws InvalidRequestException naming both constants
   */
  public static Set<Variant> checkCompatible(Set<Variant> variants) {
    EnumSet<Variant> v = variants.isEmpty() ? EnumSet.noneOf(Variant.class) : EnumSet.copyOf(variants);
    exclusive(v, PRICING_PRICE_LIST, PRICING_STRIPE_PRICE);
    exclusive(v, REMOVE_AGAIN_NOT_FOUND, REMOVE_AGAIN_INVALID_STATE);
    return v;
  }

  private static void exclusive(Set<Variant> v, Variant a, Variant b) {
    if (v.contains(a) && v.contains(b)) {
      throw new InvalidRequestException("variants", a + " and " + b + " answer the same question differently",
          "keep one of them");
    }
  }
}
