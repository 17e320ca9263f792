package io.agentprovision.testing;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link PaymentTokenProvider} that issues single-use tokens ({@code spt_fake_…}) limited by
 * amount, currency, expiry and seller, as Stripe's Shared Payment Tokens are, and lets a test play
 * the seller with {@link #charge}: a charge by another seller, above the cap, in another currency,
 * after expiry, on a revoked token or on a token already charged is refused with a
 * {@link ChargeDeclinedException} naming the {@link ChargeDeclinedException.Reason}. Issuing is
 * idempotent per {@link PaymentTokenRequest#idempotencyKey()}. Thread-safe; time comes from the
 * injected clock (a {@link VirtualTime} in tests).
 *
 * <p>With {@link #requireAuthentication(boolean)} on, tokens are issued in
 * {@link PaymentToken.Status#REQUIRES_ACTION}, as a card whose issuer wants 3-D Secure: each has a
 * {@link PaymentToken#nextActionUrl()} page ({@code https://bank.fake-payments.test/3ds/auth_…}), is
 * declined ({@link ChargeDeclinedException.Reason#AUTHENTICATION_REQUIRED}) until the test, playing
 * the person, calls {@link #authenticate(URI)} with that page, and is then active.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.create();
 * FakePaymentTokens spt = FakePaymentTokens.builder().clock(time).build();
 * PaymentToken t = spt.issue(new PaymentTokenRequest("cloudflare", null, Money.usd("5.00"),
 *     time.instant().plus(Duration.ofMinutes(30)), "run_1:plan", Map.of()));
 * spt.charge(t, Money.usd("5.00"), "cloudflare");      // captured; the token is now consumed
 * assertThat(spt.retrieve(t).captured()).isEqualTo(Money.usd("5.00"));
 * }</pre>
 */
public final class FakePaymentTokens implements PaymentTokenProvider {
  /** The provider name when none is given. */
  public static final String DEFAULT_NAME = "fake-spt";
  /** The payment method on file when none is configured. */
  public static final PaymentMethodStatus DEFAULT_PAYMENT_METHOD = new PaymentMethodStatus(true, "card •••• 4242");
  /** The prefix of every token value. */
  public static final String TOKEN_PREFIX = "spt_fake_";
  /** Where the fake's 3-D Secure pages are: a token's next-action page is this plus its authentication id. */
  public static final String AUTHENTICATION_PAGES = "https://bank.fake-payments.test/3ds/";
  /** The methods that are recorded and can be faulted. */
  public static final List<String> METHODS = List.of("paymentMethod", "issue", "retrieve", "revoke", "charge");

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final Clock clock;
  private final FaultInjector faults = new FaultInjector(METHODS);
  private final Object lock = new Object();
  private final Map<String, Entry> byValue = new LinkedHashMap<>();
  private final Map<String, Entry> byKey = new HashMap<>();
  private final List<Capture> captures = new ArrayList<>();
  private final Map<String, Entry> awaitingAuthentication = new HashMap<>();
  private PaymentMethodStatus paymentMethod;
  private boolean requireAuthentication;
  private int nextId;
  private int nextAuthentication;

  private FakePaymentTokens(Builder b) {
    this.name = b.name;
    this.clock = b.clock;
    this.paymentMethod = b.paymentMethod;
    this.requireAuthentication = b.requireAuthentication;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PaymentMethodStatus paymentMethod() {
    return faults.call("paymentMethod", false, () -> {
      synchronized (lock) {
        return paymentMethod;
      }
    });
  }

  /** Changes what {@link #paymentMethod()} reports, as a human adding or removing a card would. */
  public FakePaymentTokens setPaymentMethod(PaymentMethodStatus status) {
    synchronized (lock) {
      this.paymentMethod = Objects.requireNonNull(status, "status");
    }
    return this;
  }

  /** Whether tokens issued from now on need the person's 3-D Secure before they can be charged. */
  public FakePaymentTokens requireAuthentication(boolean on) {
    synchronized (lock) {
      this.requireAuthentication = on;
    }
    return this;
  }

  /**
   * The person passes 3-D Secure at {@code page} (a token's {@link PaymentToken#nextActionUrl()}):
   * the token becomes active. Returns false for a page no waiting token has (already passed, revoked).
   */
  public boolean authenticate(URI page) {
    Objects.requireNonNull(page, "page");
    synchronized (lock) {
      String path = page.getPath();
      Entry e = awaitingAuthentication.remove(path.substring(path.lastIndexOf('/') + 1));
      if (e == null || e.status != PaymentToken.Status.REQUIRES_ACTION) {
        return false;
      }
      e.status = PaymentToken.Status.ACTIVE;
      e.authentication = null;
      return true;
    }
  }

  @Override
  public PaymentToken issue(PaymentTokenRequest request) {
    Objects.requireNonNull(request, "request");
    return faults.call("issue", true, () -> {
      String fingerprint = Json.canonical(Map.of("seller", request.seller(), "max", request.maxAmount().toString(),
          "expires", request.expiresAt().toString(), "external", String.valueOf(request.sellerExternalId())));
      synchronized (lock) {
        Entry prior = byKey.get(request.idempotencyKey());
        if (prior != null) {
          if (!prior.fingerprint.equals(fingerprint)) {
            throw new ProviderException(name, 400, "idempotency_error", null, "the idempotency key was used to issue "
                + "a token with other limits; derive a new key for a different token", false);
          }
          return prior.view();
        }
        if (!paymentMethod.ready()) {
          throw new ProviderException(name, 402, "payment_method_required", null,
              "no payment method is on file to back a token; the human must add one", false);
        }
        Instant now = clock.instant();
        if (!request.expiresAt().isAfter(now)) {
          throw new InvalidRequestException("expiresAt", "is not in the future (" + request.expiresAt() + ", now " + now + ")",
              "expire the token a few minutes from now");
        }
        Entry e = new Entry(request, Secret.of(TOKEN_PREFIX + randomHex(12)), fingerprint, now);
        if (requireAuthentication) {
          e.status = PaymentToken.Status.REQUIRES_ACTION;
          e.authentication = "auth_" + (++nextAuthentication);
          awaitingAuthentication.put(e.authentication, e);
        }
        byValue.put(e.token.reveal(), e);
        byKey.put(request.idempotencyKey(), e);
        return e.view();
      }
    });
  }

  @Override
  public PaymentToken retrieve(PaymentToken token) {
    Objects.requireNonNull(token, "token");
    return faults.call("retrieve", false, () -> {
      synchronized (lock) {
        Entry e = entry(token.token().reveal());
        e.expireIfDue(clock.instant());
        return e.view();
      }
    });
  }

  @Override
  public void revoke(PaymentToken token) {
    Objects.requireNonNull(token, "token");
    faults.run("revoke", true, () -> {
      synchronized (lock) {
        Entry e = entry(token.token().reveal());
        e.expireIfDue(clock.instant());
        if (e.status == PaymentToken.Status.ACTIVE || e.status == PaymentToken.Status.REQUIRES_ACTION) {
          e.deactivate("revoked");
        }
      }
    });
  }

  /** {@link #charge(String, Money, String)} with the token's value. */
  public Capture charge(PaymentToken token, Money amount, String seller) {
    Objects.requireNonNull(token, "token");
    return charge(token.token().reveal(), amount, seller);
  }

  /**
   * Charges a token as {@code seller} would (a PaymentIntent confirmed with the token). A token
   * takes one charge: it is consumed by it.
   *
   * @throws ChargeDeclinedException when the token is unknown, revoked, consumed or expired, or the
   *     seller, the currency or the amount is not what the token allows; nothing is captured then
   */
  public Capture charge(String token, Money amount, String seller) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(seller, "seller");
    if (!amount.isPositive()) {
      throw new InvalidRequestException("amount", "must be more than zero (was " + amount + ")", "charge a positive amount");
    }
    return faults.call("charge", true, () -> {
      synchronized (lock) {
        Entry e = byValue.get(token);
        if (e == null) {
          throw new ChargeDeclinedException(name, ChargeDeclinedException.Reason.UNKNOWN_TOKEN, "no such token");
        }
        Instant now = clock.instant();
        e.expireIfDue(now);
        if (e.status == PaymentToken.Status.REQUIRES_ACTION) {
          throw new ChargeDeclinedException(name, ChargeDeclinedException.Reason.AUTHENTICATION_REQUIRED, "token "
              + e.reference() + " waits for the person's 3-D Secure");
        }
        if (e.status != PaymentToken.Status.ACTIVE) {
          ChargeDeclinedException.Reason r = switch (Objects.requireNonNull(e.reason)) {
            case "revoked" -> ChargeDeclinedException.Reason.REVOKED;
            case "expired" -> ChargeDeclinedException.Reason.EXPIRED;
            default -> ChargeDeclinedException.Reason.CONSUMED;
          };
          throw new ChargeDeclinedException(name, r, "token " + e.reference() + " is no longer active (" + e.reason + ")");
        }
        PaymentTokenRequest req = e.request;
        if (!req.seller().equals(seller)) {
          throw new ChargeDeclinedException(name, ChargeDeclinedException.Reason.WRONG_SELLER, "token " + e.reference()
              + " is for seller " + req.seller() + ", not " + seller);
        }
        if (!amount.sameCurrency(req.maxAmount())) {
          throw new ChargeDeclinedException(name, ChargeDeclinedException.Reason.CURRENCY_MISMATCH, "token "
              + e.reference() + " is in " + req.maxAmount().currencyCode() + ", the charge in " + amount.currencyCode());
        }
        if (amount.greaterThan(req.maxAmount())) {
          throw new ChargeDeclinedException(name, ChargeDeclinedException.Reason.AMOUNT_TOO_LARGE, "charge of " + amount
              + " is above token " + e.reference() + "'s cap of " + req.maxAmount());
        }
        e.captured = amount;
        e.deactivate("consumed");
        Capture c = new Capture("pi_fake_" + (++nextId), e.reference(), seller, amount, now);
        captures.add(c);
        return c;
      }
    });
  }

  /** Every token issued, in order, as it stands now. */
  public List<IssuedToken> issued() {
    synchronized (lock) {
      Instant now = clock.instant();
      List<IssuedToken> out = new ArrayList<>();
      for (Entry e : byValue.values()) {
        e.expireIfDue(now);
        out.add(new IssuedToken(e.view(), e.request.idempotencyKey(), e.request.sellerExternalId(), e.request.metadata(),
            e.issuedAt, e.reason));
      }
      return out;
    }
  }

  /** Every successful charge, in order. */
  public List<Capture> captures() {
    synchronized (lock) {
      return List.copyOf(captures);
    }
  }

  /** The {@code nth} call of {@code method} from now on throws {@code error} without doing anything. */
  public FakePaymentTokens failOn(String method, int nth, RuntimeException error) {
    faults.failOn(method, nth, error);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on throws {@link SimulatedCrash} without doing anything. */
  public FakePaymentTokens crashBefore(String method, int nth) {
    faults.crashBefore(method, nth);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on does its work, then throws {@link SimulatedCrash}. */
  public FakePaymentTokens crashAfter(String method, int nth) {
    faults.crashAfter(method, nth);
    return this;
  }

  /** The call recorder and fault injector behind this fake. */
  public FaultInjector faults() {
    return faults;
  }

  private Entry entry(String value) {
    Entry e = byValue.get(value);
    if (e == null) {
      throw new ProviderException(name, 404, "resource_missing", null, "no such payment token", false);
    }
    return e;
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * A token issued by the fake.
   *
   * @param token the token as it stands now
   * @param idempotencyKey the key it was issued with
   * @param sellerExternalId the seller's reference, when given
   * @param metadata its labels
   * @param issuedAt when it was issued
   * @param deactivationReason {@code consumed}, {@code expired} or {@code revoked} once inactive, else null
   */
  public record IssuedToken(PaymentToken token, String idempotencyKey, @Nullable String sellerExternalId,
      Map<String, String> metadata, Instant issuedAt, @Nullable String deactivationReason) {}

  /**
   * A successful charge of a token.
   *
   * @param id the payment's id ({@code pi_fake_…})
   * @param tokenReference the token's safe reference ({@link PaymentToken#reference()})
   * @param seller who charged
   * @param amount how much was captured
   * @param at when
   */
  public record Capture(String id, String tokenReference, String seller, Money amount, Instant at) {}

  /** A charge the token does not allow. Nothing was captured. Never retryable. */
  public static final class ChargeDeclinedException extends ProviderException {
    private static final long serialVersionUID = 1L;

    /** Why a charge was declined. */
    public enum Reason {
      UNKNOWN_TOKEN(404), WRONG_SELLER(403), CURRENCY_MISMATCH(402), AMOUNT_TOO_LARGE(402), EXPIRED(402), REVOKED(402),
      CONSUMED(402), AUTHENTICATION_REQUIRED(402);

      private final int status;

      Reason(int status) {
        this.status = status;
      }

      /** The error code, such as {@code "amount_too_large"}. */
      public String code() {
        return name().toLowerCase(Locale.ROOT);
      }
    }

    private final Reason reason;

    public ChargeDeclinedException(String provider, Reason reason, String message) {
      super(provider, reason.status, reason.code(), null, message, false);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  private static final class Entry {
    final PaymentTokenRequest request;
    final Secret token;
    final String fingerprint;
    final Instant issuedAt;
    PaymentToken.Status status = PaymentToken.Status.ACTIVE;
    @Nullable String reason;
    @Nullable String authentication;
    Money captured;

    Entry(PaymentTokenRequest request, Secret token, String fingerprint, Instant issuedAt) {
      this.request = request;
      this.token = token;
      this.fingerprint = fingerprint;
      this.issuedAt = issuedAt;
      this.captured = Money.zero(request.maxAmount().currency());
    }

    void expireIfDue(Instant now) {
      if ((status == PaymentToken.Status.ACTIVE || status == PaymentToken.Status.REQUIRES_ACTION)
          && !now.isBefore(request.expiresAt())) {
        deactivate("expired");
      }
    }

    void deactivate(String why) {
      status = PaymentToken.Status.DEACTIVATED;
      reason = why;
    }

    PaymentToken view() {
      return new PaymentToken(token, request.seller(), request.maxAmount(), request.expiresAt(), status, captured,
          status == PaymentToken.Status.REQUIRES_ACTION && authentication != null
              ? URI.create(AUTHENTICATION_PAGES + authentication) : null);
    }

    String reference() {
      return view().reference();
    }
  }

  /** Builds a {@link FakePaymentTokens}. */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private Clock clock = Clock.systemUTC();
    private PaymentMethodStatus paymentMethod = DEFAULT_PAYMENT_METHOD;
    private boolean requireAuthentication;

    private Builder() {}

    /** Whether tokens need the person's 3-D Secure before they can be charged (default false). */
    public Builder requireAuthentication(boolean on) {
      this.requireAuthentication = on;
      return this;
    }

    public Builder name(String providerName) {
      if (providerName == null || providerName.isBlank()) {
        throw new InvalidRequestException("name", "is empty", "pass a name such as \"fake-spt\"");
      }
      this.name = providerName;
      return this;
    }

    /** The clock that decides expiry; pass the test's {@link VirtualTime}. System UTC by default. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** What {@link #paymentMethod()} reports; a ready card by default. */
    public Builder paymentMethod(PaymentMethodStatus status) {
      this.paymentMethod = Objects.requireNonNull(status, "paymentMethod");
      return this;
    }

    public FakePaymentTokens build() {
      return new FakePaymentTokens(this);
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "FakePaymentTokens{" + name + ", issued=" + byValue.size() + ", captures=" + captures.size() + "}";
    }
  }
}
