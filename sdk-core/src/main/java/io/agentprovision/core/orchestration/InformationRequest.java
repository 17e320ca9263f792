package io.agentprovision.core.orchestration;

import io.agentprovision.core.Money;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a provider needs to know before it can finish a resource: a JSON Schema and, where the
 * schema offers a closed set of answers, those answers as {@link Choice}s (for a domain search,
 * the candidate names with their prices).
 *
 * <p>{@link #fromSchema(Map)} reads choices from each property's {@code oneOf} of {@code const}
 * entries or its {@code enum}. A {@code oneOf} entry may carry {@code title}, an
 * {@code x-available} boolean and a price as either {@code x-price: {amount: <minor units>,
 * currency}} or {@code x-pricing: {registration_cost: "<decimal>", currency}}.
 *
 * @param schema the JSON Schema, as parsed JSON
 * @param choices the offered answers, in the provider's order
 */
public record InformationRequest(Map<String, Object> schema, List<Choice> choices) {
  public InformationRequest {
    // not Map.copyOf: a parsed schema may hold JSON nulls ("default": null), which it refuses
    schema = Collections.unmodifiableMap(new LinkedHashMap<>(schema));
    choices = List.copyOf(choices);
  }

  /**
   * One offered answer.
   *
   * @param field the schema property it answers, such as {@code "domain"}
   * @param value the value to submit
   * @param label a label for people
   * @param price what choosing it costs, when the provider says
   * @param available whether it can be chosen
   */
  public record Choice(String field, String value, @Nullable String label, @Nullable Money price, boolean available) {
    public Choice {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(value, "value");
    }
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

  /** Parses a needs-information schema; tolerant of shapes it does not know (they yield no choices). */
  public static InformationRequest fromSchema(Map<String, Object> schema) {
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
              choices.add(new Choice(field, String.valueOf(option.get("const")),
                  option.get("title") == null ? null : String.valueOf(option.get("title")), price(option),
                  !Boolean.FALSE.equals(option.get("x-available"))));
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
    return new InformationRequest(new LinkedHashMap<>(schema), choices);
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
