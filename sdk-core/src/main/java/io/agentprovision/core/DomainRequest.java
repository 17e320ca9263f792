package io.agentprovision.core;

import io.agentprovision.core.internal.Untrusted;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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

  /**
   * Search for a name like {@code query}: one label such as {@code "my-app"} (or {@code "bücher"}),
   * or a name with a public suffix such as {@code "my-app.dev"}, under the rules of
   * {@link DomainNames#validateQuery}. Look-alikes are judged at plan time, under the host's
   * {@link DomainNames} configuration.
   *
   * @throws InvalidRequestException (field {@code domain query}) when the query breaks a rule
   */
  public static DomainRequest query(String query) {
    return new DomainRequest(DomainNames.validateQuery("domain query", query, DomainNames.builtInPublicSuffixes()),
        false, null, DEFAULT_YEARS, false, List.of());
  }

  /**
   * Register exactly {@code domainName}, such as {@code "my-app.com"} or {@code "bücher.de"}, under
   * the rules of {@link DomainNames#validate} with the built-in public suffixes: IDNA 2008, lengths,
   * hyphens, no all-numeric TLD (so no IP address), and one label under a known public suffix.
   * Look-alikes are judged at plan time, under the host's {@link DomainNames} configuration.
   *
   * @throws InvalidRequestException (field {@code domain}) when the name breaks a rule
   */
  public static DomainRequest exact(String domainName) {
    return new DomainRequest(DomainNames.validateName("domain", domainName, DomainNames.builtInPublicSuffixes()),
        true, null, DEFAULT_YEARS, false, List.of());
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

  /** Among search results, prefer these TLDs in this order (without dots, such as {@code "com"} or {@code "рф"}). */
  public DomainRequest preferTlds(String... tlds) {
    Objects.requireNonNull(tlds, "preferTlds");
    List<String> out = new ArrayList<>();
    for (String t : tlds) {
      String ascii;
      try {
        ascii = DomainNames.toAscii(t);
      } catch (InvalidRequestException e) {
        throw new InvalidRequestException("preferTlds", e.problem(), "pass TLDs such as \"com\", \"dev\"");
      }
      if (t.strip().startsWith(".") || ascii.contains(".") || ascii.chars().allMatch(Character::isDigit)) {
        throw new InvalidRequestException("preferTlds", Untrusted.quote(t) + " is not a TLD",
            "pass TLDs without dots, such as \"com\", \"dev\"");
      }
      out.add(ascii);
    }
    return new DomainRequest(text, exact, maxPrice, years, autoRenew, out);
  }

  /** The search text or the exact name in its ASCII form ({@code xn--} labels), lower case, as sent to the provider. */
  public String text() {
    return text;
  }

  /** The search text or the exact name as a person reads it: {@link DomainNames#display}. */
  public String display() {
    return DomainNames.display(text);
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

  /** The ASCII form, stable across versions: the engine derives idempotency keys from it. {@link #display()} is for people. */
  @Override
  public String toString() {
    return (exact ? "exact " : "query ") + text + (maxPrice != null ? " max " + maxPrice : "") + " " + years + "y";
  }
}
