package io.agentprovision.testing.protocol;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link PaymentCharger} that charges only tokens it issued itself with {@link #issue}, with the
 * limits of a Shared Payment Token: one seller, one currency, a cap, an expiry, single use, and
 * revocable. For tests that need a payment token the sandbox provider accepts without any payment
 * service. Thread-safe.
 *
 * <pre>{@code
 * InMemoryPaymentCharger charger = new InMemoryPaymentCharger(clock);
 * Secret token = charger.issue("cloudflare", Money.usd("5.00"), clock.instant().plusSeconds(600));
 * }</pre>
 */
public final class InMemoryPaymentCharger implements PaymentCharger {
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Issued> tokens = new HashMap<>();
  private final Map<String, Charge> byKey = new HashMap<>();
  private final List<Charge> charges = new ArrayList<>();
  private int counter;

  public InMemoryPaymentCharger(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Issues a token that {@code seller} may charge once, up to {@code max}, until {@code expiresAt}. */
  public synchronized Secret issue(String seller, Money max, Instant expiresAt) {
    Objects.requireNonNull(seller, "seller");
    Objects.requireNonNull(max, "max").requireNonNegative("max");
    Objects.requireNonNull(expiresAt, "expiresAt");
    byte[] b = new byte[12];
    random.nextBytes(b);
    String value = "spt_test_" + HexFormat.of().formatHex(b);
    tokens.put(value, new Issued(seller, max, expiresAt));
    return Secret.of(value);
  }

  /** Revokes a token; revoking an unknown or used token does nothing. */
  public synchronized void revoke(Secret token) {
    Issued t = tokens.get(token.reveal());
    if (t != null && t.deactivated == null) {
      t.deactivated = "revoked";
    }
  }

  /** What was captured on the token, or null if none or unknown. */
  public synchronized @Nullable Money captured(Secret token) {
    Issued t = tokens.get(token.reveal());
    return t == null ? null : t.captured;
  }

  /** Why the token is no longer usable ({@code consumed}, {@code revoked}), or null while active. */
  public synchronized @Nullable String deactivated(Secret token) {
    Issued t = tokens.get(token.reveal());
    return t == null ? "unknown" : t.deactivated;
  }

  /** Every successful charge, in order. */
  public synchronized List<Charge> charges() {
    return List.copyOf(charges);
  }

  @Override
  public synchronized Charge charge(Secret token, Money amount, String seller, String description,
      String idempotencyKey) {
    Charge previous = byKey.get(idempotencyKey);
    if (previous != null) {
      return previous;
    }
    Issued t = tokens.get(token.reveal());
    if (t == null) {
      throw new Declined("unknown_token", "the payment token was not issued by this charger");
    }
    if (t.deactivated != null) {
      throw new Declined("token_inactive", "the payment token is " + t.deactivated);
    }
    if (!clock.instant().isBefore(t.expiresAt)) {
      throw new Declined("token_expired", "the payment token expired at " + t.expiresAt);
    }
    if (!t.seller.equals(seller)) {
      throw new Declined("seller_mismatch", "the payment token is for another seller");
    }
    if (!amount.sameCurrency(t.max)) {
      throw new Declined("currency_mismatch", "the payment token is in " + t.max.currencyCode());
    }
    if (amount.greaterThan(t.max)) {
      throw new Declined("amount_exceeds_limit", amount + " is above the token's cap of " + t.max);
    }
    t.captured = amount;
    t.deactivated = "consumed";
    Charge c = new Charge("ch_test_" + (++counter), amount, seller, description);
    byKey.put(idempotencyKey, c);
    charges.add(c);
    return c;
  }

  private static final class Issued {
    final String seller;
    final Money max;
    final Instant expiresAt;
    @Nullable Money captured;
    @Nullable String deactivated;

    Issued(String seller, Money max, Instant expiresAt) {
      this.seller = seller;
      this.max = max;
      this.expiresAt = expiresAt;
    }
  }
}
