package io.agentprovision.tools.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Separates a provider's configuration schema from the prose in it. The structure (types, required
 * fields, patterns, enums) is what a model needs to write a valid configuration and is passed on;
 * the words ({@code title}, {@code description}, {@code $comment}, {@code examples}) are the
 * provider's and go to {@code untrusted_provider_text.schema_notes}, where they are marked as data.
 */
final class SchemaText {
  /** Keywords whose value is prose, not structure. */
  private static final Set<String> PROSE = Set.of("title", "description", "$comment", "examples");
  /** Keywords whose value is one subschema. */
  private static final Set<String> ONE = Set.of("items", "additionalProperties", "not", "if", "then", "else",
      "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems");
  /** Keywords whose value is a list of subschemas. */
  private static final Set<String> MANY = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
  /** Keywords whose value maps names to subschemas. */
  private static final Set<String> NAMED = Set.of("properties", "patternProperties", "$defs", "definitions",
      "dependentSchemas");

  private SchemaText() {}

  /** {@code schema} without its prose; each piece of prose is added to {@code notes} as {@code "path: text"}. */
  static Map<String, Object> strip(Map<String, ?> schema, String path, List<String> notes) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : schema.entrySet()) {
      String k = e.getKey();
      Object v = e.getValue();
      if (PROSE.contains(k)) {
        notes.add((path.isEmpty() ? "(configuration)" : path) + " " + k + ": " + v);
      } else if (ONE.contains(k) && v instanceof Map<?, ?> m) {
        out.put(k, strip(cast(m), path + "." + k, notes));
      } else if (MANY.contains(k) && v instanceof List<?> l) {
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
          Object item = l.get(i);
          items.add(item instanceof Map<?, ?> m ? strip(cast(m), path + "." + k + "[" + i + "]", notes) : item);
        }
        out.put(k, items);
      } else if (NAMED.contains(k) && v instanceof Map<?, ?> m) {
        Map<String, Object> named = new LinkedHashMap<>();
        for (Map.Entry<?, ?> p : m.entrySet()) {
          String name = String.valueOf(p.getKey());
          named.put(name, p.getValue() instanceof Map<?, ?> sub ? strip(cast(sub), path + "." + name, notes)
              : p.getValue());
        }
        out.put(k, named);
      } else {
        out.put(k, v);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> cast(Map<?, ?> m) {
    return (Map<String, ?>) m;
  }
}
