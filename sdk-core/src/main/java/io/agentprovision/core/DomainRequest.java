package io.agentprovision.core;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The domain a run should register and bind to the app: either a search ({@link #query}) answered
 * through the provider's needs-information loop, where the SDK picks an available name, or an exact
 * name ({@link #exact}).
 *
 * <pre>{@code
 * DomainRequest.query("my-app").maxPrice(Money.usd("15.00")).preferTlds("com", "dev")
 * DomainRequest.exact("my-app.com").years(2)
 * }</pre>
 *
 * <p>A registered domain is billable and non-refundable: it is always a paid step, checked by the
 * spend policy and, when the policy says so, confirmed by a human at the actual price.
 */
public final class DomainRequest {
  /** Registration years when none are given. */
  public static final int DEFAULT_YEARS = 1;

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private final String text;
  private final boolean exact;
  private final @Nullable Money maxPrice;
  private final int years;
  private final boolean autoRenew;
  private final List<String> preferredTlds;

  private DomainRequest(String text, boolean exact, @Nullable Money maxPrice, int years, boolean autoRenew,
      List<String> preferredTlds) {
    this.text = text;
    this.exact = exact;
    this.maxPrice = maxPrice;
    this.years = years;
    this.autoRenew = autoRenew;
    this.preferredTlds = List.copyOf(preferredTlds);
  }

  /** Search for a name like {@code query} (a word such as {@code "my-app"} or a name with a TLD). */
  public static DomainRequest query(String query) {
    return new DomainRequest(validate("domain query", query, false), false, null, DEFAULT_YEARS, false, List.of());
  }

  /** Register exactly {@code domainName}, such as {@code "my-app.com"}. */
  public static DomainRequest exact(String domainName) {
    return new DomainRequest(validate("domain", domainName, true), true, null, DEFAULT_YEARS, false, List.of());
  }

  private static String validate(String field, @Nullable String value, boolean needsTld) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "is empty", needsTld
          ? "pass a full domain name such as \"my-app.com\"" : "pass a word to search for, such as \"my-app\"");
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.endsWith(".")) {
      v = v.substring(0, v.length() - 1);
    }
    String[] labels = v.split("\\.", -1);
    if (v.length() > 253) {
      throw new InvalidRequestException(field, "is longer than 253 characters", "use a shorter name");
    }
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        throw new InvalidRequestException(field, "'" + value + "' has an invalid label '" + label + "'",
            "use letters, digits and inner hyphens, 1 to 63 characters per label, such as \"my-app.com\"");
      }
    }
    if (needsTld && labels.length < 2) {
      throw new InvalidRequestException(field, "'" + value + "' has no top-level domain",
          "write the full name, such as \"" + v + ".com\", or use DomainRequest.query(\"" + v + "\")");
    }
    return v;
  }

  /** Refuse any choice priced above {@code price} (per registration, all years together). */
  public DomainRequest maxPrice(Money price) {
    Objects.requireNonNull(price, "maxPrice").requireNonNegative("maxPrice");
    return new DomainRequest(text, exact, price, years, autoRenew, preferredTlds);
  }

  /** Registration period, 1 to 10 years. */
  public DomainRequest years(int registrationYears) {
    if (registrationYears < 1 || registrationYears > 10) {
      throw new InvalidRequestException("years", "must be 1 to 10 (was " + registrationYears + ")",
          "pass a number of years between 1 and 10");
    }
    return new DomainRequest(text, exact, maxPrice, registrationYears, autoRenew, preferredTlds);
  }

  /** Whether the registration renews itself (a future charge; off by default). */
  public DomainRequest autoRenew(boolean renew) {
    return new DomainRequest(text, exact, maxPrice, years, renew, preferredTlds);
  }

  /** Among search results, prefer these TLDs in this order (without dots, such as {@code "com"}). */
  public DomainRequest preferTlds(String... tlds) {
    for (String t : tlds) {
      if (t == null || !LABEL.matcher(t.toLowerCase(Locale.ROOT)).matches()) {
        throw new InvalidRequestException("preferTlds", "'" + t + "' is not a TLD", "pass TLDs such as \"com\", \"dev\"");
      }
    }
    return new DomainRequest(text, exact, maxPrice, years, autoRenew,
        List.of(tlds).stream().map(t -> t.toLowerCase(Locale.ROOT)).toList());
  }

  /** The search text or the exact name, lower case. */
  public String text() {
    return text;
  }

  public boolean isExact() {
    return exact;
  }

  public @Nullable Money maxPrice() {
    return maxPrice;
  }

  public int years() {
    return years;
  }

  public boolean autoRenew() {
    return autoRenew;
  }

  public List<String> preferredTlds() {
    return preferredTlds;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DomainRequest d && d.text.equals(text) && d.exact == exact && Objects.equals(d.maxPrice, maxPrice)
        && d.years == years && d.autoRenew == autoRenew && d.preferredTlds.equals(preferredTlds);
  }

  @Override
  public int hashCode() {
    return Objects.hash(text, exact, maxPrice, years, autoRenew, preferredTlds);
  }

  @Override
  public String toString() {
    return (exact ? "exact " : "query ") + text + (maxPrice != null ? " max " + maxPrice : "") + " " + years + "y";
  }
}
