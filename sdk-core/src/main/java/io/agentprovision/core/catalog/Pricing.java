package io.agentprovision.core.catalog;

import io.agentprovision.core.Money;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a catalog service costs, as far as the catalog says.
 *
 * @param type free, paid (a fixed price), component (priced by usage or by choice, such as a
 *     domain), or unknown
 * @param amount the fixed or minimum price, when known; the amount the SDK reserves for the step
 * @param recurrence how often the amount is charged
 * @param description the catalog's own words, such as {@code "$5/month minimum + usage"}
 */
public record Pricing(Type type, @Nullable Money amount, Recurrence recurrence, @Nullable String description) {
  /** Kinds of pricing. */
  public enum Type { FREE, PAID, COMPONENT, UNKNOWN }

  /** Charging periods. */
  public enum Recurrence { NONE, ONE_TIME, MONTHLY, YEARLY, USAGE }

  public Pricing {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(recurrence, "recurrence");
    if (amount != null) {
      amount.requireNonNegative("pricing amount");
    }
  }

  public static Pricing free() {
    return new Pricing(Type.FREE, null, Recurrence.NONE, "free");
  }

  public static Pricing paid(Money amount, Recurrence recurrence, @Nullable String description) {
    return new Pricing(Type.PAID, Objects.requireNonNull(amount, "amount"), recurrence, description);
  }

  /** Whether using the service can cost money. Unknown pricing is treated as paid. */
  public boolean isPaid() {
    return type != Type.FREE;
  }
}
