package io.agentprovision.core;

import io.agentprovision.core.internal.Untrusted;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An amount of money: a {@code long} count of the currency's minor units (cents for USD) and an ISO
 * 4217 currency. Never floating point. Arithmetic refuses to mix currencies and to overflow.
 *
 * <pre>{@code
 * Money price = Money.usd("5.00");            // 500 cents
 * Money total = price.plus(Money.usd("10.44"));
 * Money.parse("EUR 12.30");                    // currency code then amount
 * Money.ofMinor(1044, "USD");                  // from minor units
 * }</pre>
 *
 * <p>A {@code Money} may be negative as the result of arithmetic (a remaining budget after a limit
 * was lowered); every place that takes a price or a limit refuses negative values.
 */
public final class Money implements Comparable<Money>, Serializable {
  private static final long serialVersionUID = 1L;

  /** The longest amount text read. */
  private static final int MAX_AMOUNT_CHARS = 64;

  private final long minor;
  private final Currency currency;

  private Money(long minor, Currency currency) {
    this.minor = minor;
    this.currency = currency;
  }

  /** An amount in minor units of the ISO currency {@code currencyCode} (case-insensitive). */
  public static Money ofMinor(long minorUnits, String currencyCode) {
    return new Money(minorUnits, currency(currencyCode));
  }

  /** An amount in minor units of {@code currency}. */
  public static Money ofMinor(long minorUnits, Currency currency) {
    Objects.requireNonNull(currency, "currency");
    requireMinorUnits(currency);
    return new Money(minorUnits, currency);
  }

  /** Zero in the given currency. */
  public static Money zero(String currencyCode) {
    return ofMinor(0, currencyCode);
  }

  /** Zero in the given currency. */
  public static Money zero(Currency currency) {
    return ofMinor(0, currency);
  }

  /**
   * Parses a decimal amount exactly, such as {@code "100.00"}, {@code "5"} or {@code "0.5"}, in the
   * given currency. Refuses more fraction digits than the currency has, exponents, signs other than
   * a leading minus, grouping separators and anything that is not a plain decimal.
   */
  public static Money of(String amount, String currencyCode) {
    Currency c = currency(currencyCode);
    return new Money(parseMinor(amount, c), c);
  }

  /** {@code Money.of(amount, "USD")}. */
  public static Money usd(String amount) {
    return of(amount, "USD");
  }

  /** {@code Money.of(amount, "EUR")}. */
  public static Money eur(String amount) {
    return of(amount, "EUR");
  }

  /**
   * Parses the form {@link #toString()} produces: a currency code, a space and a decimal amount,
   * such as {@code "USD 12.34"}.
   */
  public static Money parse(String text) {
    Objects.requireNonNull(text, "text");
    String t = text.trim();
    int space = t.indexOf(' ');
    if (space != 3) {
      throw new InvalidRequestException("money", Untrusted.quote(text) + " is not of the form 'USD 12.34'",
          "write a three-letter ISO currency code, a space and a decimal amount");
    }
    return of(t.substring(4).trim(), t.substring(0, 3));
  }

  /**
   * Converts a decimal string as remote APIs return it ({@code "10.44"}) exactly; like
   * {@link #of(String, String)} but the error names the API field.
   */
  public static Money fromDecimal(String field, String amount, String currencyCode) {
    try {
      return of(amount, currencyCode);
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(field, e.problem(), e.fix());
    }
  }

  private static Currency currency(String code) {
    if (code == null || code.isBlank()) {
      throw new InvalidRequestException("currency", "is empty", "pass an ISO 4217 code such as \"USD\"");
    }
    Currency c;
    try {
      c = Currency.getInstance(code.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("currency", Untrusted.quote(code) + " is not an ISO 4217 currency code",
          "pass a code such as \"USD\" or \"EUR\"");
    }
    requireMinorUnits(c);
    return c;
  }

  private static void requireMinorUnits(Currency c) {
    if (c.getDefaultFractionDigits() < 0) {
      throw new InvalidRequestException("currency", c.getCurrencyCode() + " has no minor unit",
          "use a currency with a defined minor unit such as \"USD\"");
    }
  }

  private static long parseMinor(String amount, Currency c) {
    if (amount == null || amount.isBlank()) {
      throw new InvalidRequestException("amount", "is empty", "pass a decimal such as \"12.34\"");
    }
    String s = amount.trim();
    if (s.length() > MAX_AMOUNT_CHARS) {
      // a long's minor units have 19 digits: longer text is no amount, and parsing it costs time
      throw new InvalidRequestException("amount", "is " + s.length() + " characters long, more than the "
          + MAX_AMOUNT_CHARS + " an amount may have", "pass a decimal such as \"12.34\"");
    }
    if (!s.matches("-?[0-9]+(\\.[0-9]+)?")) {
      throw new InvalidRequestException("amount", Untrusted.quote(amount) + " is not a plain decimal number",
          "write digits with an optional '.' and fraction, such as \"12.34\"");
    }
    int digits = c.getDefaultFractionDigits();
    BigDecimal value = new BigDecimal(s);
    if (value.stripTrailingZeros().scale() > digits) {
      throw new InvalidRequestException("amount", "'" + amount + "' has more than " + digits
          + " fraction digits, the minor unit of " + c.getCurrencyCode(),
          "round to " + digits + " decimal places");
    }
    try {
      return value.movePointRight(digits).longValueExact();
    } catch (ArithmeticException e) {
      throw new InvalidRequestException("amount", "'" + amount + "' is too large", "use a smaller amount");
    }
  }

  /** The amount in minor units (cents for USD, yen for JPY). */
  public long minorUnits() {
    return minor;
  }

  public Currency currency() {
    return currency;
  }

  /** The ISO 4217 code, upper case. */
  public String currencyCode() {
    return currency.getCurrencyCode();
  }

  /** The exact decimal value, such as {@code 12.30}. */
  public BigDecimal toDecimal() {
    return BigDecimal.valueOf(minor, currency.getDefaultFractionDigits());
  }

  public Money plus(Money other) {
    requireSameCurrency(other, "plus");
    return new Money(exact(() -> Math.addExact(minor, other.minor), "plus"), currency);
  }

  public Money minus(Money other) {
    requireSameCurrency(other, "minus");
    return new Money(exact(() -> Math.subtractExact(minor, other.minor), "minus"), currency);
  }

  /** This amount times a whole factor, such as a number of years. */
  public Money times(long factor) {
    return new Money(exact(() -> Math.multiplyExact(minor, factor), "times"), currency);
  }

  private long exact(java.util.function.LongSupplier op, String name) {
    try {
      return op.getAsLong();
    } catch (ArithmeticException e) {
      throw new InvalidRequestException("amount", name + " on " + this + " overflows the range of minor units",
          "use amounts below " + Long.MAX_VALUE + " minor units");
    }
  }

  public boolean isNegative() {
    return minor < 0;
  }

  public boolean isZero() {
    return minor == 0;
  }

  public boolean isPositive() {
    return minor > 0;
  }

  public boolean sameCurrency(Money other) {
    return currency.equals(other.currency);
  }

  public boolean greaterThan(Money other) {
    return compareTo(other) > 0;
  }

  public boolean lessThan(Money other) {
    return compareTo(other) < 0;
  }

  /** The larger of the two; both in the same currency. */
  public Money max(Money other) {
    return compareTo(other) >= 0 ? this : other;
  }

  /** The smaller of the two; both in the same currency. */
  public Money min(Money other) {
    return compareTo(other) <= 0 ? this : other;
  }

  /**
   * Throws {@link InvalidRequestException} naming {@code field} if this amount is negative; returns
   * this amount otherwise, for use in builders.
   */
  public Money requireNonNegative(String field) {
    if (minor < 0) {
      throw new InvalidRequestException(field, "must not be negative (was " + this + ")",
          "pass an amount of zero or more");
    }
    return this;
  }

  private void requireSameCurrency(Money other, String op) {
    Objects.requireNonNull(other, "other");
    if (!currency.equals(other.currency)) {
      throw new InvalidRequestException("currency", "cannot " + op + " " + other.currencyCode() + " and "
          + currencyCode() + " amounts", "keep each limit and each price in one currency");
    }
  }

  /** Orders amounts of one currency; refuses to compare different currencies. */
  @Override
  public int compareTo(Money other) {
    requireSameCurrency(other, "compare");
    return Long.compare(minor, other.minor);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Money m && m.minor == minor && m.currency.equals(currency);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(minor) * 31 + currency.hashCode();
  }

  /** {@code "USD 12.34"}: the form {@link #parse(String)} reads. */
  @Override
  public String toString() {
    int digits = currency.getDefaultFractionDigits();
    if (digits < 0 || minor == Long.MIN_VALUE) {
      return currencyCode() + " " + toDecimal().toPlainString();
    }
    // toDecimal().toPlainString()'s text written from the digits: every audit entry with an amount
    // writes it (and writes it again when verified), and the BigDecimal path made four objects for it
    String code = currencyCode();
    String d = Long.toString(Math.abs(minor));
    StringBuilder sb = new StringBuilder(code.length() + d.length() + digits + 4).append(code).append(' ');
    if (minor < 0) {
      sb.append('-');
    }
    int whole = d.length() - digits;
    if (digits == 0) {
      sb.append(d);
    } else if (whole <= 0) {
      sb.append("0.");
      for (int i = whole; i < 0; i++) {
        sb.append('0');
      }
      sb.append(d);
    } else {
      sb.append(d, 0, whole).append('.').append(d, whole, d.length());
    }
    return sb.toString();
  }
}
