package io.agentprovision.core.internal.catalog;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.internal.catalog.PricingJson.Component;
import io.agentprovision.core.internal.catalog.PricingJson.ComponentBody;
import io.agentprovision.core.internal.catalog.PricingJson.Form;
import io.agentprovision.core.internal.catalog.PricingJson.Free;
import io.agentprovision.core.internal.catalog.PricingJson.Other;
import io.agentprovision.core.internal.catalog.PricingJson.Paid;
import io.agentprovision.core.internal.catalog.PricingJson.Price;
import io.agentprovision.core.internal.catalog.PricingJson.ServiceRef;
import io.agentprovision.core.internal.catalog.PricingJson.WireAmount;
import io.agentprovision.core.internal.wire.WireJson;
import io.agentprovision.core.wire.WireFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns the wire records of {@link PricingJson} into a {@link Pricing}: the one implementation of
 * price reading, used by every orchestrator. Data beats words for the amount (an {@code amount}
 * with its currency is exact), words qualify it ({@code "minimum"}, {@code "+ usage"}); when
 * neither says an amount, the price is unknown.
 */
public final class PricingReader {
  private PricingReader() {}

  /** Reads a {@code pricing} member as parsed JSON; never throws. */
  public static Pricing read(@Nullable Object json) {
    if (!(json instanceof Map<?, ?> m)) {
      return Pricing.unknown(Pricing.Type.UNKNOWN, null);
    }
    Form form;
    try {
      form = PricingJson.JSON.bind(Form.class, json);
    } catch (WireFormatException e) {
      // a pricing this SDK cannot bind is a pricing it does not know: unknown, never free
      Object type = m.get("type");
      return Pricing.builder(Pricing.Type.UNKNOWN, Pricing.Kind.UNKNOWN)
          .typeName(type instanceof String t ? t : null).build();
    }
    if (form instanceof Free f) {
      return Pricing.builder(Pricing.Type.FREE, Pricing.Kind.FREE).description(text(f.description(), "free")).build();
    }
    if (form instanceof Paid p) {
      return paid(p);
    }
    if (form instanceof Component c) {
      return component(c);
    }
    Other o = (Other) form;
    String words = text(o.freeform(), o.description());
    String type = o.type() == null ? "" : o.type().toLowerCase(Locale.ROOT);
    boolean metered = type.contains("usage") || type.contains("metered");
    Pricing.Interval interval = words == null ? Pricing.Interval.NONE : PriceText.interval(words);
    return Pricing.builder(Pricing.Type.UNKNOWN, Pricing.Kind.UNKNOWN).typeName(o.type()).description(words)
        .interval(metered && interval == Pricing.Interval.NONE ? Pricing.Interval.USAGE : interval).usage(metered)
        .build();
  }

  /** A paid price given only in words. */
  public static Pricing freeform(String text) {
    return single(Pricing.Type.PAID, price(text), null);
  }

  private static Pricing paid(Paid p) {
    List<Price> entries = WireJson.items(p.paid());
    if (entries.isEmpty()) {
      entries = WireJson.list(p.paidPricing());
    }
    String words = text(p.freeform(), p.description());
    if (entries.isEmpty()) {
      return single(Pricing.Type.PAID, new Price("freeform", p.freeform(), p.description(), null, null, null, null,
          p.amount(), null, null, p.currency(), p.interval(), null, null), null);
    }
    if (entries.size() == 1) {
      return single(Pricing.Type.PAID, entries.get(0), words);
    }
    List<Pricing.Option> options = new ArrayList<>();
    for (Price e : entries) {
      options.add(new Pricing.Option(single(Pricing.Type.PAID, e, null), WireJson.object(e.configuration()),
          Boolean.TRUE.equals(e.isDefault()) || Boolean.TRUE.equals(e.defaultPrice()), List.of()));
    }
    return summary(Pricing.Type.PAID, "paid", options, words);
  }

  private static Pricing component(Component c) {
    ComponentBody body = c.component();
    List<PricingJson.Option> wireOptions = body == null ? List.of() : WireJson.list(body.options());
    if (wireOptions.isEmpty()) {
      String words = body == null ? c.description() : text(body.freeform(), text(body.description(), c.description()));
      Price p = new Price(null, null, words, null, null, null, null, body == null ? null : body.amount(), null, null,
          body == null ? null : body.currency(), body == null ? null : body.interval(), null, null);
      return single(Pricing.Type.COMPONENT, p, null);
    }
    List<Pricing.Option> options = new ArrayList<>();
    for (PricingJson.Option o : wireOptions) {
      List<String> parents = new ArrayList<>(WireJson.list(o.parentServiceIds()));
      for (ServiceRef r : WireJson.list(o.parentServices())) {
        if (r != null && r.id() != null && !parents.contains(r.id())) {
          parents.add(r.id());
        }
      }
      options.add(new Pricing.Option(option(o), Map.of(),
          Boolean.TRUE.equals(o.defaultOption()) || Boolean.TRUE.equals(o.isDefault()), parents));
    }
    return summary(Pricing.Type.COMPONENT, "component", options, c.description());
  }

  private static Pricing option(PricingJson.Option o) {
    String type = o.type() == null ? "" : o.type().toLowerCase(Locale.ROOT);
    String words = text(o.freeform(), o.description());
    if (type.equals("free")) {
      return Pricing.builder(Pricing.Type.FREE, Pricing.Kind.FREE).description(text(words, "free")).build();
    }
    List<Price> entries = WireJson.items(o.paid());
    if (type.equals("paid")) {
      if (entries.isEmpty()) {
        return single(Pricing.Type.PAID, price(words), null);
      }
      if (entries.size() == 1) {
        return single(Pricing.Type.PAID, entries.get(0), words);
      }
      List<Pricing.Option> nested = new ArrayList<>();
      for (Price e : entries) {
        nested.add(new Pricing.Option(single(Pricing.Type.PAID, e, null), WireJson.object(e.configuration()),
            Boolean.TRUE.equals(e.isDefault()) || Boolean.TRUE.equals(e.defaultPrice()), List.of()));
      }
      return summary(Pricing.Type.PAID, "paid", nested, words);
    }
    return Pricing.builder(Pricing.Type.UNKNOWN, Pricing.Kind.UNKNOWN).typeName(o.type()).description(words).build();
  }

  /**
   * The pricing of a list of options: free when every option is; else the default option's price,
   * or, with no default, the one price they all share; else unknown (which one applies depends on
   * the configuration or the parent plan, see {@link Pricing#forConfiguration} and
   * {@link Pricing#underParent}).
   */
  private static Pricing summary(Pricing.Type type, String typeName, List<Pricing.Option> options,
      @Nullable String words) {
    boolean allFree = true;
    Pricing chosen = null;
    for (Pricing.Option o : options) {
      allFree &= o.pricing().kind() == Pricing.Kind.FREE;
      if (o.isDefault() && chosen == null) {
        chosen = o.pricing();
      }
    }
    if (allFree && type == Pricing.Type.COMPONENT) {
      return Pricing.builder(type, Pricing.Kind.FREE).typeName(typeName).description(text(words, "free"))
          .options(options).build();
    }
    if (chosen == null) {
      Pricing first = options.get(0).pricing();
      boolean same = true;
      for (Pricing.Option o : options) {
        same &= o.pricing().kind() == first.kind() && java.util.Objects.equals(o.pricing().amount(), first.amount())
            && java.util.Objects.equals(o.pricing().minimum(), first.minimum())
            && o.pricing().interval() == first.interval();
      }
      chosen = same ? first : null;
    }
    if (chosen == null || (chosen.kind() == Pricing.Kind.FREE && type != Pricing.Type.COMPONENT)) {
      return Pricing.builder(type, Pricing.Kind.UNKNOWN).typeName(typeName).description(words).options(options)
          .build();
    }
    if (chosen.kind() == Pricing.Kind.FREE) {
      // a free default among priced options: what it costs depends on the parent plan
      return Pricing.builder(type, Pricing.Kind.UNKNOWN).typeName(typeName).description(words).options(options)
          .build();
    }
    return Pricing.builder(type, chosen.kind()).typeName(typeName).amount(chosen.amount())
        .minimum(chosen.kind() == Pricing.Kind.MINIMUM ? chosen.minimum() : null).interval(chosen.interval())
        .usage(chosen.usage()).description(text(chosen.description(), words)).stripePrice(chosen.stripePrice())
        .options(options).build();
  }

  /** One price: data for the amount when there is some, the words otherwise and to qualify it. */
  private static Pricing single(Pricing.Type type, Price p, @Nullable String fallbackWords) {
    String words = text(p.freeform(), text(p.description(), fallbackWords));
    PricingJson.StripePrice sp = p.stripePrice();
    String priceType = p.type() == null ? "" : p.type().toLowerCase(Locale.ROOT);
    String currency = p.currency() != null ? p.currency() : sp == null ? null : sp.currency();
    Money data = money(p.amount(), currency);
    if (data == null) {
      data = money(p.unitAmount(), currency);
    }
    if (data == null && sp != null) {
      data = money(sp.unitAmount(), currency);
    }
    Money floor = money(p.minimumAmount(), currency);
    Pricing.Interval interval = interval(p.interval());
    if (interval == null) {
      interval = interval(p.recurringInterval());
    }
    if (interval == null && p.recurring() != null) {
      interval = interval(p.recurring().interval());
    }
    if (interval == null && sp != null && sp.recurring() != null) {
      interval = interval(sp.recurring().interval());
    }
    if (interval == null) {
      interval = interval(priceType);
    }
    PriceText.Reading reading = words == null ? null : PriceText.read(words);
    if (interval == null) {
      interval = reading == null ? Pricing.Interval.NONE : reading.interval();
    }
    // a metered price's amount is a rate per unit: nothing says what buying costs
    boolean rate = priceType.equals("metered") || priceType.equals("usage");
    boolean usage = rate || (reading != null && reading.usage());
    Pricing.Kind kind;
    Money amount = null;
    Money minimum = null;
    if (rate) {
      kind = Pricing.Kind.UNKNOWN;
    } else if (data != null) {
      boolean atLeast = (reading != null && reading.kind() == Pricing.Kind.MINIMUM) || usage || java.util.Objects.equals(data, floor);
      kind = atLeast ? Pricing.Kind.MINIMUM : Pricing.Kind.KNOWN;
      amount = atLeast ? null : data;
      minimum = atLeast ? data : null;
    } else if (floor != null) {
      kind = Pricing.Kind.MINIMUM;
      minimum = floor;
    } else if (reading != null && reading.amount() != null && reading.kind() != Pricing.Kind.UNKNOWN) {
      kind = reading.kind();
      if (kind == Pricing.Kind.MINIMUM) {
        minimum = reading.amount();
      } else {
        amount = reading.amount();
      }
    } else {
      kind = Pricing.Kind.UNKNOWN;
    }
    return Pricing.builder(type, kind).amount(amount).minimum(minimum).interval(interval).usage(usage)
        .description(words).stripePrice(sp == null ? null : sp.id()).build();
  }

  private static Price price(@Nullable String words) {
    return new Price("freeform", words, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  private static @Nullable Money money(@Nullable WireAmount a, @Nullable String currency) {
    if (a == null) {
      return null;
    }
    String c = a.currency() != null ? a.currency() : currency;
    if (c == null) {
      return null; // an amount without a currency is no amount
    }
    try {
      Money m = a.minor() != null ? Money.ofMinor(a.minor(), c) : a.decimal() != null ? Money.of(a.decimal(), c) : null;
      return m == null || m.isNegative() ? null : m;
    } catch (InvalidRequestException e) {
      return null; // an unknown currency, or more fraction digits than it has
    }
  }

  private static Pricing.@Nullable Interval interval(@Nullable String v) {
    if (v == null) {
      return null;
    }
    switch (v.toLowerCase(Locale.ROOT)) {
      case "month":
      case "monthly":
        return Pricing.Interval.MONTHLY;
      case "year":
      case "yearly":
      case "annual":
        return Pricing.Interval.YEARLY;
      case "one_time":
      case "once":
        return Pricing.Interval.ONE_TIME;
      case "usage":
      case "metered":
        return Pricing.Interval.USAGE;
      default:
        return null;
    }
  }

  private static @Nullable String text(@Nullable String first, @Nullable String second) {
    return first != null && !first.isBlank() ? first : second != null && !second.isBlank() ? second : null;
  }
}
