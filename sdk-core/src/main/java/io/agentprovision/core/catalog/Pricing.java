package io.agentprovision.core.catalog;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.internal.catalog.PricingReader;
import io.agentprovision.core.wire.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a catalog service costs, and, as much, how much of that is known before buying. Catalogs
 * price services in several forms (free; paid with an amount, a Stripe price or only words such as
 * {@code "$5/month minimum + usage"} or {@code "at cost"}; a list of prices per configuration; a
 * component priced under its parent plan; forms this SDK does not know). Every form is read by
 * {@link #fromWire(Object)} into one value whose {@link #kind()} says what the amount is:
 *
 * <ul>
 *   <li>{@link Kind#KNOWN}: {@link #amount()} is the price;</li>
 *   <li>{@link Kind#MINIMUM}: {@link #minimum()} is a floor (usage or options may add to it), there is no price;</li>
 *   <li>{@link Kind#ESTIMATE}: {@link #amount()} is the catalog's estimate, not a price;</li>
 *   <li>{@link Kind#UNKNOWN}: nothing is known before buying ("at cost", a Stripe price not looked up,
 *       words the SDK cannot read, an unknown form);</li>
 *   <li>{@link Kind#FREE}.</li>
 * </ul>
 *
 * <p>The reader never guesses about money: {@code "from $9"} is a minimum, not a price;
 * {@code "at cost"} and text it cannot read are unknown, never zero.
 *
 * <pre>{@code
 * Pricing p = service.pricing();
 * switch (p.kind()) {
 *   case KNOWN -> reserve(p.amount());
 *   case MINIMUM -> askAHuman("at least " + p.minimum() + " " + p.interval() + ": " + p.description());
 *   default -> askAHuman(p.describe());
 * }
 * Pricing yearly = p.forConfiguration(Map.of("billing_period", "yearly"));   // a price list
 * Pricing underPaidPlan = p.underParent("workers:paid");                     // a component
 * }</pre>
 *
 * <p>Immutable; {@code equals} compares every field.
 */
public final class Pricing {
  /** The catalog's pricing form (the wire's {@code type}). */
  public enum Type {
    /** {@code type: free}. */
    FREE,
    /** {@code type: paid}: one price or a list of prices. */
    PAID,
    /** {@code type: component}: options priced under a parent plan. */
    COMPONENT,
    /** A {@code type} this SDK does not know, or no pricing at all. */
    UNKNOWN
  }

  /** What is known about the amount before buying. */
  public enum Kind {
    /** Costs nothing. */
    FREE,
    /** {@link #amount()} is the price. */
    KNOWN,
    /** {@link #minimum()} is a floor; more may be charged. */
    MINIMUM,
    /** {@link #amount()} is an estimate, not a price. */
    ESTIMATE,
    /** No amount is known before buying. */
    UNKNOWN
  }

  /** How often the amount is charged. */
  public enum Interval {
    /** Not said. */
    NONE,
    /** Once. */
    ONE_TIME,
    /** Every month. */
    MONTHLY,
    /** Every year. */
    YEARLY,
    /** By use, metered. */
    USAGE
  }

  /**
   * One price among several: a configuration's price in a price list ({@code paid: [...]}), or a
   * component's option under its parent plans.
   *
   * @param pricing this option's price (its own options are empty)
   * @param configuration the configuration it applies to, empty when it applies to any
   * @param isDefault whether it is the default ({@code is_default} or {@code default})
   * @param parentServiceIds the plans it runs under ({@code parent_service_ids}), empty when not a component option
   */
  public record Option(Pricing pricing, Map<String, Object> configuration, boolean isDefault,
      List<String> parentServiceIds) {
    public Option {
      Objects.requireNonNull(pricing, "pricing");
      // not Map.copyOf: configuration is free-form JSON and may hold nulls
      configuration = Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
      parentServiceIds = List.copyOf(parentServiceIds);
    }
  }

  private final Type type;
  private final @Nullable String typeName;
  private final Kind kind;
  private final @Nullable Money amount;
  private final @Nullable Money minimum;
  private final Interval interval;
  private final boolean usage;
  private final @Nullable String description;
  private final @Nullable String stripePrice;
  private final List<Option> options;

  private Pricing(Builder b) {
    this.type = b.type;
    this.typeName = b.typeName;
    this.kind = b.kind;
    this.amount = b.amount;
    this.minimum = b.kind == Kind.KNOWN ? b.amount : b.minimum;
    this.interval = b.interval;
    this.usage = b.usage;
    this.description = b.description;
    this.stripePrice = b.stripePrice;
    this.options = List.copyOf(b.options);
  }

  /** Free. */
  public static Pricing free() {
    return builder(Type.FREE, Kind.FREE).description("free").build();
  }

  /** A paid service at a known price. */
  public static Pricing exactly(Money amount, Interval interval, @Nullable String description) {
    return builder(Type.PAID, Kind.KNOWN).amount(amount).interval(interval).description(description).build();
  }

  /** A paid service that costs at least {@code floor} (plus usage, or more by option). */
  public static Pricing atLeast(Money floor, Interval interval, @Nullable String description) {
    return builder(Type.PAID, Kind.MINIMUM).minimum(floor).interval(interval).description(description).build();
  }

  /** A service of form {@code type} whose amount is not known before buying. */
  public static Pricing unknown(Type type, @Nullable String description) {
    return builder(type, type == Type.FREE ? Kind.FREE : Kind.UNKNOWN).description(description).build();
  }

  /**
   * Reads a catalog service's {@code pricing} JSON (as parsed by {@link Json}) in any form the
   * provider protocol or Stripe's catalog uses; tolerant: an absent, malformed or unknown pricing
   * is {@link Type#UNKNOWN} of {@link Kind#UNKNOWN}, never an error and never free.
   */
  public static Pricing fromWire(@Nullable Object json) {
    return PricingReader.read(json);
  }

  /**
   * A paid price written only in words, such as {@code "$5.00/month"} (known),
   * {@code "$5/month minimum + usage"} or {@code "from $9"} (minimum), {@code "about $5"} (estimate),
   * {@code "at cost"} or {@code "$0.015 per GB"} (unknown).
   */
  public static Pricing ofFreeform(String text) {
    return PricingReader.freeform(Objects.requireNonNull(text, "text"));
  }

  /** A builder for {@code type} and {@code kind}; {@link Builder#build()} checks that the amounts fit the kind. */
  public static Builder builder(Type type, Kind kind) {
    return new Builder(type, kind);
  }

  /** The catalog's form. */
  public Type type() {
    return type;
  }

  /** The wire's {@code type} as sent, such as {@code "usage_based"} for a form this SDK does not know; null when absent. */
  public @Nullable String typeName() {
    return typeName;
  }

  /** What is known about the amount before buying. */
  public Kind kind() {
    return kind;
  }

  /** The price ({@link Kind#KNOWN}) or the estimate ({@link Kind#ESTIMATE}); null otherwise. */
  public @Nullable Money amount() {
    return amount;
  }

  /**
   * The least buying it costs: the price when {@link Kind#KNOWN}, the floor when {@link Kind#MINIMUM};
   * null when free, estimated or unknown.
   */
  public @Nullable Money minimum() {
    return minimum;
  }

  /** How often the amount is charged. */
  public Interval interval() {
    return interval;
  }

  /** Whether use is charged on top of {@link #minimum()} (metered). */
  public boolean usage() {
    return usage;
  }

  /** The catalog's own words, for display, such as {@code "$5/month minimum + usage"}; null when none. */
  public @Nullable String description() {
    return description;
  }

  /** The Stripe Price id the service is priced by ({@code stripe_price}), whose amount Stripe knows; null otherwise. */
  public @Nullable String stripePrice() {
    return stripePrice;
  }

  /** The prices of a price list or a component's options, in the catalog's order; empty for a single price. */
  public List<Option> options() {
    return options;
  }

  /** Whether using the service can cost money: anything but {@link Kind#FREE}, so unknown counts as paid. */
  public boolean isPaid() {
    return kind != Kind.FREE;
  }

  /**
   * Whether a provider will want payment credentials to create the service: a paid form, or one
   * this SDK cannot read. A component is billed through its parent plan, so it needs none of its own.
   * The one rule every orchestrator applies before a call that creates or changes to a service.
   */
  public boolean requiresPayment() {
    return (type == Type.PAID || type == Type.UNKNOWN) && kind != Kind.FREE;
  }

  /**
   * The price for {@code configuration}: in a price list, the option whose {@code configuration} all
   * of whose entries {@code configuration} holds; else the default option; else this pricing.
   */
  public Pricing forConfiguration(Map<String, ?> configuration) {
    Objects.requireNonNull(configuration, "configuration");
    for (Option o : options) {
      if (!o.configuration().isEmpty() && holds(configuration, o.configuration())) {
        return o.pricing();
      }
    }
    return defaultOption();
  }

  /**
   * A component's price under the plan {@code parentServiceId}: the option naming that parent; else
   * the default option; else this pricing.
   */
  public Pricing underParent(String parentServiceId) {
    Objects.requireNonNull(parentServiceId, "parentServiceId");
    for (Option o : options) {
      if (o.parentServiceIds().contains(parentServiceId)) {
        return o.pricing();
      }
    }
    return defaultOption();
  }

  private Pricing defaultOption() {
    for (Option o : options) {
      if (o.isDefault()) {
        return o.pricing();
      }
    }
    return this;
  }

  private static boolean holds(Map<String, ?> configuration, Map<String, Object> wanted) {
    for (Map.Entry<String, Object> e : wanted.entrySet()) {
      if (!configuration.containsKey(e.getKey())
          || !Json.canonical(configuration.get(e.getKey())).equals(Json.canonical(e.getValue()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The form and what is known, for people and error messages: {@code "paid, freeform \"at cost\":
   * no amount before buying"}, {@code "paid: at least USD 5.00 a month, plus usage"}.
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(form());
    sb.append(kind == Kind.FREE ? "" : ": ");
    switch (kind) {
      case KNOWN:
        sb.append(amount).append(every());
        break;
      case MINIMUM:
        sb.append("at least ").append(minimum).append(every()).append(usage ? ", plus usage" : "");
        break;
      case ESTIMATE:
        sb.append("about ").append(amount).append(every()).append(" (an estimate, not a price)");
        break;
      case UNKNOWN:
        sb.append(stripePrice != null ? "the amount is Stripe's and was not looked up" : "no amount before buying")
            .append(interval == Interval.NONE ? "" : " (" + interval.name().toLowerCase(Locale.ROOT).replace('_', '-')
                + ")");
        break;
      default:
        break;
    }
    return sb.toString();
  }

  private String form() {
    switch (type) {
      case FREE:
        return "free";
      case COMPONENT:
        return options.isEmpty() ? "component" : "component with " + options.size() + " option"
            + (options.size() == 1 ? "" : "s");
      case UNKNOWN:
        return typeName == null ? "no pricing" : "unknown pricing type \"" + typeName + "\"";
      default:
        if (!options.isEmpty()) {
          return "paid, a list of " + options.size() + " prices";
        }
        if (stripePrice != null) {
          return "paid, Stripe price " + stripePrice;
        }
        if (description != null && kind != Kind.KNOWN) {
          return "paid, freeform \"" + description + "\"";
        }
        return "paid";
    }
  }

  private String every() {
    switch (interval) {
      case MONTHLY:
        return " a month";
      case YEARLY:
        return " a year";
      case ONE_TIME:
        return " once";
      case USAGE:
        return " by usage";
      default:
        return "";
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Pricing p)) {
      return false;
    }
    return type == p.type && Objects.equals(typeName, p.typeName) && kind == p.kind && Objects.equals(amount, p.amount)
        && Objects.equals(minimum, p.minimum) && interval == p.interval && usage == p.usage
        && Objects.equals(description, p.description) && Objects.equals(stripePrice, p.stripePrice)
        && options.equals(p.options);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, typeName, kind, amount, minimum, interval, usage, description, stripePrice, options);
  }

  @Override
  public String toString() {
    return "Pricing{" + describe() + "}";
  }

  /** Builds a {@link Pricing}; {@link #build()} checks that the amounts fit the kind. */
  public static final class Builder {
    private final Type type;
    private final Kind kind;
    private @Nullable String typeName;
    private @Nullable Money amount;
    private @Nullable Money minimum;
    private Interval interval = Interval.NONE;
    private boolean usage;
    private @Nullable String description;
    private @Nullable String stripePrice;
    private final List<Option> options = new ArrayList<>();

    private Builder(Type type, Kind kind) {
      this.type = Objects.requireNonNull(type, "type");
      this.kind = Objects.requireNonNull(kind, "kind");
      this.typeName = type == Type.UNKNOWN ? null : type.name().toLowerCase(Locale.ROOT);
    }

    /** The wire's {@code type} as sent. */
    public Builder typeName(@Nullable String name) {
      this.typeName = name;
      return this;
    }

    /** The price ({@link Kind#KNOWN}) or estimate ({@link Kind#ESTIMATE}). */
    public Builder amount(@Nullable Money amount) {
      this.amount = amount;
      return this;
    }

    /** The floor ({@link Kind#MINIMUM}). */
    public Builder minimum(@Nullable Money minimum) {
      this.minimum = minimum;
      return this;
    }

    public Builder interval(Interval interval) {
      this.interval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** Whether use is charged on top. */
    public Builder usage(boolean usage) {
      this.usage = usage;
      return this;
    }

    public Builder description(@Nullable String description) {
      this.description = description == null || description.isBlank() ? null : description;
      return this;
    }

    public Builder stripePrice(@Nullable String priceId) {
      this.stripePrice = priceId;
      return this;
    }

    public Builder options(List<Option> options) {
      this.options.clear();
      this.options.addAll(options);
      return this;
    }

    public Pricing build() {
      boolean needsAmount = kind == Kind.KNOWN || kind == Kind.ESTIMATE;
      if (needsAmount != (amount != null)) {
        throw new InvalidRequestException("pricing.amount", needsAmount ? "is missing for a " + kind + " price"
            : "is set on a " + kind + " price", "give an amount only to a known or estimated price");
      }
      if ((kind == Kind.MINIMUM) != (minimum != null)) {
        throw new InvalidRequestException("pricing.minimum", kind == Kind.MINIMUM ? "is missing for a minimum price"
            : "is set on a " + kind + " price", "give a minimum only to a minimum price");
      }
      if (amount != null) {
        amount.requireNonNegative("pricing.amount");
      }
      if (minimum != null) {
        minimum.requireNonNegative("pricing.minimum");
      }
      if (kind == Kind.FREE && type != Type.FREE && type != Type.COMPONENT) {
        throw new InvalidRequestException("pricing.kind", "a " + type + " service cannot be free",
            "use Pricing.free() or another kind");
      }
      return new Pricing(this);
    }
  }
}
