package io.agentprovision.stripe.internal;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Pricing;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a catalog service's {@code pricing}. Stripe's generated SDKs (C) show
 * {@code {type: free|paid|component, paid{type, description, freeform}, paid_pricing[{type,
 * description, freeform, is_default, configuration}], component{options[{type, is_default,
 * paid{…}}]}}}: the price itself is only in the descriptive text. So the parser takes an explicit
 * amount where one appears ({@code amount} or {@code unit_amount} in minor units with
 * {@code currency}, or a v2 amount object {@code {value, currency}}), and otherwise a price written
 * in the text ({@code "$5/month minimum + usage"}, {@code "USD 10.44"}). Anything it cannot read
 * stays without an amount; an unknown {@code type} is {@link Pricing.Type#UNKNOWN}, which the SDK
 * treats as paid.
 */
public final class PricingParser {
  private static final Pattern SYMBOL_PRICE = Pattern.compile("([$€£])\\s?(\\d{1,9}(?:\\.\\d{1,2})?)");
  private static final Pattern CODE_PRICE = Pattern.compile("\\b(USD|EUR|GBP|CAD|AUD|CHF|JPY)\\s?(\\d{1,9}(?:\\.\\d{1,2})?)",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern PRICE_CODE = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,2})?)\\s?(USD|EUR|GBP|CAD|AUD|CHF|JPY)\\b",
      Pattern.CASE_INSENSITIVE);

  private PricingParser() {}

  /** The pricing of one service; an absent or malformed {@code pricing} is {@link Pricing.Type#UNKNOWN}. */
  public static Pricing parse(@Nullable Object pricing) {
    if (!(pricing instanceof Map<?, ?>)) {
      return new Pricing(Pricing.Type.UNKNOWN, null, Pricing.Recurrence.NONE, null);
    }
    Map<String, Object> p = Wire.object(pricing);
    String type = lower(Wire.string(p, "type"));
    if ("free".equals(type)) {
      String d = Wire.string(p, "description");
      return new Pricing(Pricing.Type.FREE, null, Pricing.Recurrence.NONE, d == null ? "free" : d);
    }
    Map<String, Object> entry;
    Pricing.Type kind;
    if ("paid".equals(type)) {
      kind = Pricing.Type.PAID;
      entry = defaultEntry(Wire.objects(p, "paid_pricing"));
      if (entry == null) {
        entry = Wire.hasObject(p, "paid") ? Wire.object(p, "paid") : p;
      }
    } else if ("component".equals(type)) {
      kind = Pricing.Type.COMPONENT;
      Map<String, Object> option = defaultEntry(Wire.objects(Wire.object(p, "component"), "options"));
      entry = option == null ? p : Wire.hasObject(option, "paid") ? Wire.object(option, "paid") : option;
    } else {
      kind = Pricing.Type.UNKNOWN;
      entry = Wire.hasObject(p, "paid") ? Wire.object(p, "paid") : p;
    }
    String description = firstText(entry, p);
    Money amount = explicitAmount(entry);
    if (amount == null && entry != p) {
      amount = explicitAmount(p);
    }
    if (amount == null && description != null) {
      amount = textAmount(description);
    }
    Pricing.Recurrence recurrence = recurrence(entry, p, description, amount != null);
    return new Pricing(kind, amount, recurrence, description);
  }

  private static @Nullable Map<String, Object> defaultEntry(List<Map<String, Object>> entries) {
    for (Map<String, Object> e : entries) {
      if (Wire.bool(e, "is_default")) {
        return e;
      }
    }
    return entries.isEmpty() ? null : entries.get(0);
  }

  private static @Nullable String firstText(Map<String, Object> entry, Map<String, Object> pricing) {
    for (Map<String, Object> m : List.of(entry, pricing)) {
      for (String key : List.of("description", "freeform", "summary", "display")) {
        String s = Wire.string(m, key);
        if (s != null && !s.isBlank()) {
          return s;
        }
      }
    }
    return null;
  }

  /** An amount given as data: minor units with a currency, or a v2 amount object. */
  static @Nullable Money explicitAmount(Map<String, Object> m) {
    for (String key : List.of("amount", "unit_amount", "minimum_amount", "price")) {
      Object v = m.get(key);
      if (v instanceof Map<?, ?> nested) {
        Map<String, Object> a = Wire.object(nested);
        Long value = Wire.integer(a, "value");
        String currency = Wire.string(a, "currency");
        if (value != null && currency != null) {
          return money(value, currency);
        }
      } else {
        Long value = Wire.integer(m, key);
        String currency = Wire.string(m, "currency");
        if (value != null && currency != null) {
          return money(value, currency);
        }
      }
    }
    return null;
  }

  private static @Nullable Money money(long minor, String currency) {
    if (minor < 0) {
      return null;
    }
    try {
      return Money.ofMinor(minor, currency);
    } catch (InvalidRequestException e) {
      return null;
    }
  }

  /** The first price written in {@code text}, such as {@code $5}, {@code USD 10.44} or {@code 12 EUR}. */
  static @Nullable Money textAmount(String text) {
    Matcher m = SYMBOL_PRICE.matcher(text);
    if (m.find()) {
      String code = m.group(1).equals("$") ? "USD" : m.group(1).equals("€") ? "EUR" : "GBP";
      return decimal(m.group(2), code);
    }
    m = CODE_PRICE.matcher(text);
    if (m.find()) {
      return decimal(m.group(2), m.group(1));
    }
    m = PRICE_CODE.matcher(text);
    if (m.find()) {
      return decimal(m.group(1), m.group(2));
    }
    return null;
  }

  private static @Nullable Money decimal(String amount, String code) {
    try {
      return Money.fromDecimal("pricing", amount, code.toUpperCase(Locale.ROOT));
    } catch (InvalidRequestException e) {
      return null;
    }
  }

  private static Pricing.Recurrence recurrence(Map<String, Object> entry, Map<String, Object> pricing,
      @Nullable String description, boolean hasAmount) {
    for (Map<String, Object> m : List.of(entry, pricing)) {
      for (String key : List.of("recurring_interval", "interval", "billing_interval")) {
        Pricing.Recurrence r = interval(Wire.string(m, key));
        if (r != null) {
          return r;
        }
      }
      Pricing.Recurrence r = interval(Wire.string(Wire.object(m, "recurring"), "interval"));
      if (r != null) {
        return r;
      }
    }
    String t = description == null ? "" : description.toLowerCase(Locale.ROOT);
    if (t.matches(".*(/\\s?mo\\b|/\\s?month|per month|a month|monthly).*")) {
      return Pricing.Recurrence.MONTHLY;
    }
    if (t.matches(".*(/\\s?yr\\b|/\\s?year|per year|a year|yearly|annual).*")) {
      return Pricing.Recurrence.YEARLY;
    }
    if (t.matches(".*(one-time|one time|once).*")) {
      return Pricing.Recurrence.ONE_TIME;
    }
    String entryType = lower(Wire.string(entry, "type"));
    if ("one_time".equals(entryType)) {
      return Pricing.Recurrence.ONE_TIME;
    }
    if (t.contains("usage") || "usage".equals(entryType) || "metered".equals(entryType)) {
      return Pricing.Recurrence.USAGE;
    }
    return hasAmount ? Pricing.Recurrence.ONE_TIME : Pricing.Recurrence.NONE;
  }

  private static Pricing.@Nullable Recurrence interval(@Nullable String v) {
    if (v == null) {
      return null;
    }
    switch (v.toLowerCase(Locale.ROOT)) {
      case "month":
      case "monthly":
        return Pricing.Recurrence.MONTHLY;
      case "year":
      case "yearly":
      case "annual":
        return Pricing.Recurrence.YEARLY;
      case "one_time":
      case "once":
        return Pricing.Recurrence.ONE_TIME;
      case "usage":
      case "metered":
        return Pricing.Recurrence.USAGE;
      default:
        return null;
    }
  }

  private static @Nullable String lower(@Nullable String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }
}
