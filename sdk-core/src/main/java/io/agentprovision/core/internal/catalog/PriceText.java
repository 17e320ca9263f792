package io.agentprovision.core.internal.catalog;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Pricing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a price written in words ({@code freeform}, {@code description}) without guessing about
 * money. It finds the amounts in the text and classifies the first one by the words around it:
 *
 * <ul>
 *   <li>a rate ({@code "$0.015 per GB"}, {@code "$0.30/million requests"}) is no price of buying:
 *       unknown, by usage;</li>
 *   <li>{@code "from"}, {@code "starting at"}, {@code "at least"}, {@code "minimum"}, a trailing
 *       {@code "+"} or {@code "and up"}, or usage charged on top ({@code "+ usage"}): a minimum;</li>
 *   <li>{@code "about"}, {@code "~"}, {@code "approx."}, {@code "est."}: an estimate;</li>
 *   <li>{@code "up to"}, or several amounts the words do not relate: unknown;</li>
 *   <li>otherwise the amount is the price.</li>
 * </ul>
 *
 * Words that say the amount is not known ({@code "at cost"}, {@code "varies"}, {@code "contact"},
 * {@code "usage-based"} without an amount) are unknown, never zero. A bare {@code $} is US dollars
 * (M); {@code US$}, {@code C$}, {@code A$} and ISO codes name their currency; {@code ¥} (yen or yuan)
 * names none, so its amount is unknown.
 */
final class PriceText {
  private static final String NUMBER = "(\\d{1,3}(?:,\\d{3})+|\\d+)(\\.\\d+)?";
  private static final Pattern SYMBOL = Pattern.compile(
      "(US\\$|USD\\s?\\$|CA\\$|C\\$|AU\\$|A\\$|NZ\\$|HK\\$|S\\$|\\$|€|£)\\s?" + NUMBER);
  private static final Pattern CODE_FIRST = Pattern.compile(
      "\\b(USD|EUR|GBP|CAD|AUD|CHF|NZD|SEK|NOK|DKK|PLN|INR|BRL|SGD|HKD)\\s?" + NUMBER, Pattern.CASE_INSENSITIVE);
  private static final Pattern CODE_AFTER = Pattern.compile(
      NUMBER + "\\s?(USD|EUR|GBP|CAD|AUD|CHF|NZD|SEK|NOK|DKK|PLN|INR|BRL|SGD|HKD)\\b", Pattern.CASE_INSENSITIVE);
  /** After an amount: "/" or "per" then a unit that is not a period of time, so the amount is a rate. */
  private static final Pattern RATE = Pattern.compile(
      "^\\s*(?:/|per\\b|an?\\s+(?!month|year|mo\\b|yr\\b))\\s*(?!(?:mo|month|months|yr|year|years|annum|annually)\\b)"
          + "(?:\\d[\\d,]*\\s*)?[a-z]", Pattern.CASE_INSENSITIVE);
  private static final Pattern MINIMUM_BEFORE = Pattern.compile(
      "(?:\\bfrom|\\bstarting\\s+(?:at|from)|\\bstarts\\s+at|\\bat\\s+least|\\bmin(?:imum)?\\.?|\\bbase(?:\\s+fee)?)\\s*:?\\s*$",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern MINIMUM_AFTER = Pattern.compile(
      "^\\s*(?:/\\s*\\w+\\s*)?(?:\\+|\\bminimum\\b|\\bmin\\b|\\band\\s+up\\b|\\bor\\s+more\\b|\\bplus\\b)",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern ESTIMATE_BEFORE = Pattern.compile(
      "(?:~|\\babout|\\baround|\\bapprox(?:\\.|imately)?|\\best(?:\\.|imated)?|\\broughly|\\btypically)\\s*:?\\s*$",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern MAXIMUM_BEFORE = Pattern.compile("(?:\\bup\\s+to|\\bat\\s+most|\\bmax(?:imum)?\\.?)\\s*$",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern NOT_KNOWN = Pattern.compile(
      "\\bat\\s+cost\\b|\\bvar(?:y|ies|iable)\\b|\\bcontact\\b|\\bquote\\b|\\bcustom\\b|\\bnegotiated\\b",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern USAGE = Pattern.compile(
      "\\busage\\b|\\bmetered\\b|\\bpay[\\s-]+as[\\s-]+you[\\s-]+go\\b|\\bper[\\s-]+use\\b", Pattern.CASE_INSENSITIVE);

  private PriceText() {}

  /** What the words say, as far as they say it. */
  record Reading(Pricing.Kind kind, @Nullable Money amount, Pricing.Interval interval, boolean usage) {}

  /** An amount in the text; {@code amount} null when it has more fraction digits than its currency (a rate). */
  private record Found(@Nullable Money amount, int start, int end) {}

  /** Reads {@code text}; never throws. */
  static Reading read(String text) {
    Pricing.Interval interval = interval(text);
    boolean usage = USAGE.matcher(text).find();
    if (NOT_KNOWN.matcher(text).find()) {
      return new Reading(Pricing.Kind.UNKNOWN, null, interval, usage);
    }
    List<Found> amounts = amounts(text);
    if (amounts.isEmpty()) {
      return new Reading(Pricing.Kind.UNKNOWN, null, usage && interval == Pricing.Interval.NONE
          ? Pricing.Interval.USAGE : interval, usage);
    }
    Found first = amounts.get(0);
    String before = text.substring(0, first.start());
    String after = text.substring(first.end());
    Money price = first.amount();
    if (RATE.matcher(after).find() || price == null) {
      return new Reading(Pricing.Kind.UNKNOWN, null, Pricing.Interval.USAGE, true);
    }
    if (MAXIMUM_BEFORE.matcher(before).find()) {
      return new Reading(Pricing.Kind.UNKNOWN, null, interval, usage);
    }
    if (ESTIMATE_BEFORE.matcher(before).find()) {
      return new Reading(Pricing.Kind.ESTIMATE, price, interval, usage);
    }
    if (MINIMUM_BEFORE.matcher(before).find() || MINIMUM_AFTER.matcher(after).find() || usage) {
      return new Reading(Pricing.Kind.MINIMUM, price, interval, usage);
    }
    for (Found other : amounts.subList(1, amounts.size())) {
      if (!java.util.Objects.equals(price, other.amount())) {
        // "$10.44 first year, $12 to renew": which one is charged is not for the SDK to pick
        return new Reading(Pricing.Kind.UNKNOWN, null, interval, usage);
      }
    }
    return new Reading(Pricing.Kind.KNOWN, price, interval, usage);
  }

  /** The interval the words name, or {@link Pricing.Interval#NONE}. */
  static Pricing.Interval interval(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    if (t.matches("(?s).*(/\\s?mo\\b|/\\s?month|per\\s+month|a\\s+month|\\bmonthly|\\bmonth-to-month|\\bmo\\.).*")) {
      return Pricing.Interval.MONTHLY;
    }
    if (t.matches("(?s).*(/\\s?yr\\b|/\\s?year|per\\s+year|a\\s+year|\\byearly|\\bannual(ly)?\\b|per\\s+annum).*")) {
      return Pricing.Interval.YEARLY;
    }
    if (t.matches("(?s).*(one-time|one\\s+time|\\bonce\\b).*")) {
      return Pricing.Interval.ONE_TIME;
    }
    return Pricing.Interval.NONE;
  }

  /** Every amount written in the text with a currency, in order; amounts it cannot represent exactly are skipped. */
  private static List<Found> amounts(String text) {
    List<Found> out = new ArrayList<>();
    collect(out, SYMBOL.matcher(text), 1, 2, 3);
    collect(out, CODE_FIRST.matcher(text), 1, 2, 3);
    collect(out, CODE_AFTER.matcher(text), 3, 1, 2);
    out.sort((a, b) -> Integer.compare(a.start(), b.start()));
    return out;
  }

  private static void collect(List<Found> out, Matcher m, int currencyGroup, int integerGroup, int fractionGroup) {
    while (m.find()) {
      String currency = currency(m.group(currencyGroup));
      if (currency == null) {
        continue;
      }
      String digits = m.group(integerGroup).replace(",", "") + (m.group(fractionGroup) == null ? ""
          : m.group(fractionGroup));
      Money amount;
      try {
        amount = Money.of(digits, currency);
      } catch (InvalidRequestException e) {
        amount = null; // more fraction digits than the currency has ("$0.015"): never rounded into a price
      }
      boolean overlaps = false;
      for (Found f : out) {
        overlaps |= m.start() < f.end() && f.start() < m.end();
      }
      if (!overlaps) {
        out.add(new Found(amount, m.start(), m.end()));
      }
    }
  }

  private static @Nullable String currency(String symbol) {
    String s = symbol.trim().toUpperCase(Locale.ROOT).replace(" ", "");
    switch (s) {
      case "$":
      case "US$":
      case "USD$":
        return "USD";
      case "C$":
      case "CA$":
        return "CAD";
      case "A$":
      case "AU$":
        return "AUD";
      case "NZ$":
        return "NZD";
      case "HK$":
        return "HKD";
      case "S$":
        return "SGD";
      case "€":
        return "EUR";
      case "£":
        return "GBP";
      default:
        return s.length() == 3 && s.chars().allMatch(Character::isLetter) ? s : null;
    }
  }
}
