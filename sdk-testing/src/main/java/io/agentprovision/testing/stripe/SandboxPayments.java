package io.agentprovision.testing.stripe;

import static io.agentprovision.testing.stripe.SandboxHttp.failed;
import static io.agentprovision.testing.stripe.SandboxHttp.invalid;
import static io.agentprovision.testing.stripe.SandboxHttp.missing;
import static io.agentprovision.testing.stripe.SandboxHttp.notFound;
import static io.agentprovision.testing.stripe.SandboxHttp.onlyKnown;
import static io.agentprovision.testing.stripe.SandboxHttp.requireAmount;
import static io.agentprovision.testing.stripe.SandboxHttp.requireObject;
import static io.agentprovision.testing.stripe.SandboxHttp.requireString;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The sandbox's payments: saved payment methods, Shared Payment Tokens ({@code
 * /v1/shared_payment/issued_tokens}) and PaymentIntents that charge them. One charge rule for HTTP
 * and in-process charges: the token must exist and be active, not expired, charged by its seller,
 * in its currency, and the captured total must stay within its {@code max_amount}. A token whose
 * whole amount is captured is deactivated as {@code consumed}.
 */
final class SandboxPayments implements TokenCharger {
  /** The test card every sandbox has, like Stripe's {@code pm_card_visa}. */
  static final String TEST_CARD = "pm_card_visa";

  private final Clock clock;
  private final Function<String, String> ids;
  private final Map<String, Map<String, Object>> methods = new LinkedHashMap<>();
  private final Map<String, Token> tokens = new LinkedHashMap<>();
  private final Map<String, Intent> intents = new LinkedHashMap<>();
  private final Map<String, ChargeResult> chargesByKey = new LinkedHashMap<>();
  private final Map<String, Map<String, Object>> prices = new LinkedHashMap<>();
  /** Tokens waiting for the person's 3-D Secure, by the authentication id in their page's URL. */
  private final Map<String, Token> awaitingAuthentication = new LinkedHashMap<>();
  private boolean requireAuthentication;
  private int authentications;
  private String baseUrl = "http://stripe.invalid";

  SandboxPayments(Clock clock, Function<String, String> ids) {
    this.clock = clock;
    this.ids = ids;
    addPaymentMethod(TEST_CARD, "visa", "4242");
  }

  /** A token as the sandbox keeps it. */
  static final class Token {
    final String id;
    final String paymentMethod;
    final String seller;
    final @Nullable String externalId;
    final String currency;
    final long max;
    final Instant expiresAt;
    final Instant created;
    long captured;
    @Nullable Instant deactivatedAt;
    @Nullable String deactivatedReason;
    /** While the person has not authenticated the payment (3-D Secure): the page's id; null once done or never asked. */
    @Nullable String authentication;
    @Nullable String returnUrl;
    @Nullable String base;

    Token(String id, String paymentMethod, String seller, @Nullable String externalId, String currency, long max,
        Instant expiresAt, Instant created) {
      this.id = id;
      this.paymentMethod = paymentMethod;
      this.seller = seller;
      this.externalId = externalId;
      this.currency = currency;
      this.max = max;
      this.expiresAt = expiresAt;
      this.created = created;
    }

    Map<String, Object> json() {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("id", id);
      t.put("object", "shared_payment.issued_token");
      t.put("created", created.getEpochSecond());
      t.put("livemode", false);
      t.put("payment_method", paymentMethod);
      Map<String, Object> seller = new LinkedHashMap<>();
      seller.put("network_business_profile", this.seller);
      seller.put("external_id", externalId);
      t.put("seller_details", seller);
      boolean waiting = authentication != null && deactivatedAt == null;
      t.put("status", waiting ? "requires_action" : "active");
      if (waiting) {
        Map<String, Object> redirect = new LinkedHashMap<>();
        redirect.put("url", base + "/sandbox/authenticate/" + authentication);
        redirect.put("return_url", returnUrl);
        t.put("next_action", Map.of("type", "redirect_to_url", "redirect_to_url", redirect));
      } else {
        t.put("next_action", null);
      }
      t.put("usage_limits", Map.of("currency", currency, "max_amount", max, "expires_at", expiresAt.getEpochSecond()));
      t.put("usage_details", Map.of("amount_captured", captured));
      t.put("deactivated_at", deactivatedAt == null ? null : deactivatedAt.getEpochSecond());
      t.put("deactivated_reason", deactivatedReason);
      return t;
    }
  }

  /** A PaymentIntent that charged a token. */
  record Intent(String id, String token, String seller, Money amount, Instant created) {
    Map<String, Object> json() {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("id", id);
      p.put("object", "payment_intent");
      p.put("amount", amount.minorUnits());
      p.put("amount_received", amount.minorUnits());
      p.put("currency", amount.currencyCode().toLowerCase(Locale.ROOT));
      p.put("status", "succeeded");
      p.put("created", created.getEpochSecond());
      p.put("livemode", false);
      return p;
    }
  }

  synchronized void addPaymentMethod(String id, String brand, String last4) {
    Map<String, Object> pm = new LinkedHashMap<>();
    pm.put("id", id);
    pm.put("object", "payment_method");
    pm.put("type", "card");
    pm.put("card", Map.of("brand", brand, "last4", last4));
    pm.put("livemode", false);
    methods.put(id, pm);
  }

  synchronized Map<String, Object> paymentMethod(String id) {
    Map<String, Object> pm = methods.get(id);
    if (pm == null) {
      throw notFound("payment_method", id);
    }
    return pm;
  }

  /** {@code POST /v1/shared_payment/issued_tokens}. */
  synchronized Map<String, Object> issue(Map<String, Object> body) {
    onlyKnown(body, Set.of("payment_method", "seller_details", "usage_limits", "return_url", "customer"));
    String pm = requireString(body, "payment_method");
    if (!methods.containsKey(pm)) {
      throw invalid("resource_missing", "payment_method", "No such PaymentMethod: '" + pm + "'");
    }
    Map<String, Object> seller = requireObject(body, "seller_details");
    onlyKnown(seller, Set.of("network_business_profile", "external_id"));
    String profile = seller.get("network_business_profile") instanceof String s && !s.isBlank() ? s : null;
    if (profile == null) {
      throw missing("seller_details[network_business_profile]");
    }
    Map<String, Object> limits = requireObject(body, "usage_limits");
    onlyKnown(limits, Set.of("currency", "max_amount", "expires_at"));
    String currency = currency(limits, "usage_limits[currency]");
    long max = requireAmount(limits, "max_amount", "usage_limits[max_amount]");
    if (max <= 0) {
      throw invalid("parameter_invalid_integer", "usage_limits[max_amount]", "max_amount must be greater than 0.");
    }
    long expires = requireAmount(limits, "expires_at", "usage_limits[expires_at]");
    Instant now = clock.instant();
    if (expires <= now.getEpochSecond()) {
      throw invalid("parameter_invalid_integer", "usage_limits[expires_at]", "expires_at must be in the future.");
    }
    String external = seller.get("external_id") instanceof String s ? s : null;
    Token t = new Token(ids.apply("spt"), pm, profile, external, currency, max, Instant.ofEpochSecond(expires), now);
    t.returnUrl = body.get("return_url") instanceof String r ? r : null;
    t.base = baseUrl;
    if (requireAuthentication) {
      t.authentication = "auth_sbx" + String.format(Locale.ROOT, "%06d", ++authentications);
      awaitingAuthentication.put(t.authentication, t);
    }
    tokens.put(t.id, t);
    return t.json();
  }

  /** Where the sandbox's pages are, for the next-action URLs of tokens. */
  synchronized void baseUrl(String url) {
    this.baseUrl = url;
  }

  /** Whether tokens issued from now on answer {@code requires_action} until the person authenticates. */
  synchronized void requireAuthentication(boolean on) {
    this.requireAuthentication = on;
  }

  /** The person authenticates at the page {@code /sandbox/authenticate/{id}}: the token becomes active. */
  synchronized Map<String, Object> authenticate(String id) {
    Token t = awaitingAuthentication.remove(id);
    if (t == null) {
      throw notFound("authentication", id);
    }
    t.authentication = null;
    return Map.of("status", "authenticated");
  }

  /** Adds a Price that {@code GET /v1/prices/{id}} answers: one time when {@code interval} is null. */
  synchronized void addPrice(String id, Money unitAmount, @Nullable String interval) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("id", id);
    p.put("object", "price");
    p.put("active", true);
    p.put("currency", unitAmount.currencyCode().toLowerCase(Locale.ROOT));
    p.put("unit_amount", unitAmount.minorUnits());
    p.put("unit_amount_decimal", String.valueOf(unitAmount.minorUnits()));
    p.put("type", interval == null ? "one_time" : "recurring");
    if (interval != null) {
      Map<String, Object> recurring = new LinkedHashMap<>();
      recurring.put("interval", interval);
      recurring.put("interval_count", 1);
      recurring.put("usage_type", "licensed");
      p.put("recurring", recurring);
    } else {
      p.put("recurring", null);
    }
    p.put("livemode", false);
    prices.put(id, p);
  }

  /** {@code GET /v1/prices/{id}}. */
  synchronized Map<String, Object> price(String id) {
    Map<String, Object> p = prices.get(id);
    if (p == null) {
      throw notFound("price", id);
    }
    return p;
  }

  /** Issues a token the way Stripe does toward a provider, without an API call. */
  synchronized String issueInternal(String pm, String seller, Money max, Instant expiresAt, @Nullable String externalId) {
    Token t = new Token(ids.apply("spt"), pm, seller, externalId, max.currencyCode().toLowerCase(Locale.ROOT),
        max.minorUnits(), expiresAt, clock.instant());
    tokens.put(t.id, t);
    return t.id;
  }

  synchronized Map<String, Object> token(String id) {
    Token t = tokens.get(id);
    if (t == null) {
      throw notFound("shared_payment.issued_token", id);
    }
    expireIfDue(t);
    return t.json();
  }

  /** {@code POST …/{id}/revoke}; revoking a deactivated token returns it unchanged. */
  synchronized Map<String, Object> revoke(String id, Map<String, Object> body) {
    onlyKnown(body, Set.of());
    Token t = tokens.get(id);
    if (t == null) {
      throw notFound("shared_payment.issued_token", id);
    }
    expireIfDue(t);
    if (t.deactivatedAt == null) {
      t.deactivatedAt = clock.instant();
      t.deactivatedReason = "revoked";
      if (t.authentication != null) {
        awaitingAuthentication.remove(t.authentication);
      }
    }
    return t.json();
  }

  /** {@code POST /v1/payment_intents} by {@code seller}. */
  Map<String, Object> paymentIntent(Map<String, Object> body, String seller, @Nullable String idempotencyKey) {
    onlyKnown(body, Set.of("amount", "currency", "confirm", "payment_method_data", "metadata", "description"));
    long amount = requireAmount(body, "amount", "amount");
    String currency = currency(body, "currency");
    if (!"true".equals(body.get("confirm"))) {
      throw invalid("parameter_invalid", "confirm", "The sandbox charges shared payment tokens with confirm=true only.");
    }
    Map<String, Object> pmd = requireObject(body, "payment_method_data");
    String token = pmd.get("shared_payment_granted_token") instanceof String s ? s : null;
    if (token == null) {
      throw missing("payment_method_data[shared_payment_granted_token]");
    }
    ChargeResult r = charge(token, Money.ofMinor(amount, currency), seller, idempotencyKey);
    if (!r.succeeded()) {
      SandboxHttp.ApiError e = failed(402, "card_error", String.valueOf(r.declineCode()), String.valueOf(r.message()));
      e.extra.put("decline_code", r.declineCode());
      throw e;
    }
    synchronized (this) {
      // a charge that succeeded recorded its payment intent, and intents are never removed
      return Objects.requireNonNull(intents.get(r.paymentIntent()), "the succeeded charge's payment intent").json();
    }
  }

  @Override
  public synchronized ChargeResult charge(String token, Money amount, String seller, @Nullable String idempotencyKey) {
    ChargeResult kept = idempotencyKey == null ? null : chargesByKey.get(seller + "|" + idempotencyKey);
    if (kept != null) {
      return kept;
    }
    ChargeResult r = decide(token, amount, seller);
    if (idempotencyKey != null) {
      chargesByKey.put(seller + "|" + idempotencyKey, r);
    }
    return r;
  }

  private ChargeResult decide(String token, Money amount, String seller) {
    Token t = tokens.get(token);
    if (t == null) {
      return ChargeResult.declined(amount, "token_not_found", "No such shared payment token.");
    }
    expireIfDue(t);
    if (t.deactivatedAt != null) {
      return ChargeResult.declined(amount, "expired".equals(t.deactivatedReason) ? "token_expired" : "token_inactive",
          "The shared payment token was deactivated (" + t.deactivatedReason + ").");
    }
    if (t.authentication != null) {
      return ChargeResult.declined(amount, "authentication_required", "The card issuer requires the customer to "
          + "authenticate this payment (3-D Secure) before it can be charged.");
    }
    if (!t.seller.equals(seller)) {
      return ChargeResult.declined(amount, "seller_mismatch", "The shared payment token was issued to another seller.");
    }
    if (!t.currency.equalsIgnoreCase(amount.currencyCode())) {
      return ChargeResult.declined(amount, "currency_mismatch", "The shared payment token is limited to "
          + t.currency + ".");
    }
    if (amount.minorUnits() <= 0 || t.captured + amount.minorUnits() > t.max) {
      return ChargeResult.declined(amount, "amount_too_large", "The charge exceeds the shared payment token's "
          + "remaining limit.");
    }
    t.captured += amount.minorUnits();
    if (t.captured == t.max) {
      t.deactivatedAt = clock.instant();
      t.deactivatedReason = "consumed";
    }
    Intent intent = new Intent(ids.apply("pi"), t.id, seller, amount, clock.instant());
    intents.put(intent.id(), intent);
    return ChargeResult.ok(intent.id(), amount);
  }

  private void expireIfDue(Token t) {
    if (t.deactivatedAt == null && !clock.instant().isBefore(t.expiresAt)) {
      t.deactivatedAt = t.expiresAt;
      t.deactivatedReason = "expired";
    }
  }

  /** What {@code seller} captured from tokens in {@code [from, to)}. */
  synchronized long capturedBy(String seller, Instant from, Instant to) {
    long sum = 0;
    for (Intent i : intents.values()) {
      if (i.seller().equals(seller) && !i.created().isBefore(from) && i.created().isBefore(to)) {
        sum += i.amount().minorUnits();
      }
    }
    return sum;
  }

  synchronized List<Map<String, Object>> tokens() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Token t : tokens.values()) {
      out.add(t.json());
    }
    return out;
  }

  synchronized List<Map<String, Object>> paymentIntents() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Intent i : intents.values()) {
      Map<String, Object> j = i.json();
      j.put("seller", i.seller());
      j.put("token", i.token());
      out.add(j);
    }
    return out;
  }

  private static String currency(Map<String, Object> body, String param) {
    Object v = body.get(param.contains("[") ? param.substring(param.indexOf('[') + 1, param.length() - 1) : param);
    if (!(v instanceof String s) || s.isBlank()) {
      throw missing(param);
    }
    if (!s.equals(s.toLowerCase(Locale.ROOT))) {
      throw invalid("parameter_invalid", param, "Currency must be a lowercase ISO code: " + s);
    }
    try {
      Money.zero(s);
    } catch (InvalidRequestException e) {
      throw invalid("parameter_invalid", param, "Invalid currency: " + s);
    }
    return s;
  }
}
