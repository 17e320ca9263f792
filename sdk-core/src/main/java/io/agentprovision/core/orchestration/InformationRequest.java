package io.agentprovision.core.orchestration;

import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Pricing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a provider needs to know before it can finish a resource (its {@code needs_information}
 * answer): a JSON Schema and, where the schema offers a closed set of answers, those answers as
 * {@link Choice}s (for a domain search, the candidate names with their prices), the properties they
 * answer, and whether the provider named the resource (with no id it kept nothing, and the answer
 * goes back as a new create request). A provider may ask again after an answer: each round is a new
 * {@code InformationRequest}.
 *
 * <p>{@link #fromSchema(Map, boolean)} reads choices from each property's {@code oneOf} of
 * {@code const} entries or its plain {@code enum} (whose choices carry no price). A {@code oneOf}
 * entry may carry {@code title}, an {@code x-available} boolean and a price as the protocol's
 * {@code pricing} object (any form {@link Pricing#fromWire} reads, such as
 * {@code {type:"paid", paid:{type:"freeform", freeform:"$10.44/year"}}}), as
 * {@code x-price: {amount: <minor units>, currency}} or as
 * {@code x-pricing: {registration_cost: "<decimal>", currency}}.
 *
 * <pre>{@code
 * InformationRequest asked = state.needsInformation();
 * String field = asked.choiceField().orElseThrow();            // "domain"
 * Choice pick = asked.choicesFor(field).get(0);
 * if (pick.price() == null) ...                                // unpriced, or only "from $9"
 * }</pre>
 *
 * @param schema the JSON Schema, as parsed JSON
 * @param choices the offered answers, in the provider's order
 * @param required the properties the schema requires ({@code required}), in its order
 * @param resourceIdGiven whether the provider's answer named the resource
 */
public record InformationRequest(Map<String, Object> schema, List<Choice> choices, List<String> required,
    boolean resourceIdGiven) {
  public InformationRequest {
    // not Map.copyOf: a parsed schema may hold JSON nulls ("default": null), which it refuses
    schema = Collections.unmodifiableMap(new LinkedHashMap<>(schema));
    choices = List.copyOf(choices);
    required = List.copyOf(required);
  }

  /** A request whose answer named the resource, with no required properties listed. */
  public InformationRequest(Map<String, Object> schema, List<Choice> choices) {
    this(schema, choices, List.of(), true);
  }

  /**
   * One offered answer.
   *
   * @param field the schema property it answers, such as {@code "domain"}
   * @param value the value to submit
   * @param label a label for people
   * @param price what choosing it costs, when the provider says so exactly; null when it gives no
   *     price, or only a minimum or an estimate (see {@code pricing})
   * @param available whether it can be chosen
   * @param pricing everything the provider said about its price, when it said anything
   */
  public record Choice(String field, String value, @Nullable String label, @Nullable Money price, boolean available,
      @Nullable Pricing pricing) {
    public Choice {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(value, "value");
    }

    /** A choice priced exactly by {@code price} (or unpriced when null). */
    public Choice(String field, String value, @Nullable String label, @Nullable Money price, boolean available) {
      this(field, value, label, price, available, null);
    }
  }

  /** The properties the choices answer, in the schema's order (usually one, such as {@code domain}). */
  public List<String> fields() {
    List<String> out = new ArrayList<>();
    for (Choice c : choices) {
      if (!out.contains(c.field())) {
        out.add(c.field());
      }
    }
    return out;
  }

  /** The one property the choices answer, when there is exactly one. */
  public Optional<String> choiceField() {
    List<String> f = fields();
    return f.size() == 1 ? Optional.of(f.get(0)) : Optional.empty();
  }

  /** The choices offered for {@code field}. */
  public List<Choice> choicesFor(String field) {
    List<Choice> out = new ArrayList<>();
    for (Choice c : choices) {
      if (c.field().equals(field)) {
        out.add(c);
      }
    }
    return out;
  }

  /** {@link #fromSchema(Map, boolean)} for an answer that named the resource. */
  public static InformationRequest fromSchema(Map<String, Object> schema) {
    return fromSchema(schema, true);
  }

  /**
   * Parses a needs-information schema; tolerant of shapes it does not know (they yield no choices).
   *
   * @param resourceIdGiven whether the provider's answer named the resource
   * @throws io.agentprovision.core.InvalidRequestException naming the price member when a choice's
   *     {@code x-pricing} decimal is not exact in its currency
   */
  public static InformationRequest fromSchema(Map<String, Object> schema, boolean resourceIdGiven) {
    List<Choice> choices = new ArrayList<>();
    Object props = schema.get("properties");
    if (props instanceof Map<?, ?> properties) {
      for (Map.Entry<?, ?> e : properties.entrySet()) {
        String field = String.valueOf(e.getKey());
        if (!(e.getValue() instanceof Map<?, ?> prop)) {
          continue;
        }
        if (prop.get("oneOf") instanceof List<?> oneOf) {
          for (Object o : oneOf) {
            if (o instanceof Map<?, ?> option && option.get("const") != null) {
              Pricing pricing = pricing(option);
              Money price = price(option);
              if (price == null && pricing != null && pricing.kind() == Pricing.Kind.KNOWN) {
                price = pricing.amount();
              }
              choices.add(new Choice(field, String.valueOf(option.get("const")),
                  option.get("title") == null ? null : String.valueOf(option.get("title")), price,
                  !Boolean.FALSE.equals(option.get("x-available")), pricing));
            }
          }
        } else if (prop.get("enum") instanceof List<?> values) {
          for (Object v : values) {
            if (v != null) {
              choices.add(new Choice(field, String.valueOf(v), null, null, true));
            }
          }
        }
      }
    }
    List<String> required = new ArrayList<>();
    if (schema.get("required") instanceof List<?> r) {
      for (Object o : r) {
        if (o instanceof String name) {
          required.add(name);
        }
      }
    }
    return new InformationRequest(new LinkedHashMap<>(schema), choices, required, resourceIdGiven);
  }

  /** A choice's protocol {@code pricing} object, read in any form; null when it has none. */
  private static @Nullable Pricing pricing(Map<?, ?> option) {
    return option.get("pricing") instanceof Map<?, ?> p ? Pricing.fromWire(p) : null;
  }

  private static @Nullable Money price(Map<?, ?> option) {
    if (option.get("x-price") instanceof Map<?, ?> p && p.get("amount") instanceof Number n && p.get("currency") != null) {
      return Money.ofMinor(n.longValue(), String.valueOf(p.get("currency")));
    }
    if (option.get("x-pricing") instanceof Map<?, ?> p && p.get("registration_cost") != null && p.get("currency") != null) {
      return Money.fromDecimal("x-pricing.registration_cost", String.valueOf(p.get("registration_cost")),
          String.valueOf(p.get("currency")));
    }
    return null;
  }
}
