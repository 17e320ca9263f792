package io.agentprovision.core.internal.engine;

import io.agentprovision.core.catalog.Pricing;
import java.util.Locale;

/**
 * The words a plan, a checkpoint and the audit use for a price that is not simply known: one place,
 * so that the plan's verdict, its notes and the person's checkpoint say the same thing.
 */
final class PriceTerms {
  private PriceTerms() {}

  /**
   * Why nothing is known before buying, such as {@code price unknown before buying: freeform 'at cost'}
   * or {@code price unknown before buying: Stripe price price_1Q… (not looked up)}.
   */
  static String unknownBeforeBuying(Pricing p) {
    return "price unknown before buying: " + form(p);
  }

  /** A minimum in words: {@code at least USD 5.00 a month, plus usage}. */
  static String minimum(Pricing p) {
    return "at least " + p.minimum() + every(p.interval()) + (p.usage() ? ", plus usage" : "");
  }

  /** The catalog's form of an unknown or estimated price, as a person reads it. */
  static String form(Pricing p) {
    if (p.kind() == Pricing.Kind.ESTIMATE) {
      return "about " + p.amount() + every(p.interval()) + " (an estimate, not a price)";
    }
    if (p.stripePrice() != null) {
      return "Stripe price " + p.stripePrice() + " (its amount was not looked up)";
    }
    if (p.type() == Pricing.Type.UNKNOWN) {
      String words = p.description();
      return (p.typeName() == null ? "no pricing listed" : "unknown pricing type \"" + p.typeName() + "\"")
          + (words == null ? "" : " '" + words + "'");
    }
    String words = p.description();
    if (words != null) {
      return "freeform '" + words + "'";
    }
    return p.type().name().toLowerCase(Locale.ROOT) + ", no amount"
        + (p.interval() == Pricing.Interval.NONE ? "" : " (" + p.interval().name().toLowerCase(Locale.ROOT)
            .replace('_', '-') + ")");
  }

  private static String every(Pricing.Interval i) {
    switch (i) {
      case MONTHLY:
        return " a month";
      case YEARLY:
        return " a year";
      case ONE_TIME:
        return " once";
      default:
        return "";
    }
  }
}
