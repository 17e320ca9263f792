package io.agentprovision.testing.provider2;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The part of JSON Schema the simulator's configuration schemas use, checked as a provider would
 * before it acts: {@code type}, {@code properties}, {@code required}, {@code additionalProperties:
 * false}, {@code enum}, {@code const}, {@code oneOf}, {@code minLength}, {@code maxLength},
 * {@code pattern}, {@code minimum}, {@code maximum} and {@code items}. Values are as moshi reads
 * JSON: maps, lists, strings, doubles, booleans and null. Each problem names the path of the value,
 * such as {@code configuration.title}.
 */
final class SchemaCheck {
  private SchemaCheck() {}

  /** The problems of {@code value} against {@code schema}, empty when it conforms. */
  static List<String> problems(Map<String, Object> schema, @Nullable Object value, String path) {
    List<String> out = new ArrayList<>();
    check(schema, value, path, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void check(Map<String, Object> schema, @Nullable Object value, String path, List<String> out) {
    Object type = schema.get("type");
    if (type instanceof String t && !hasType(value, t)) {
      out.add(path + " must be " + article(t) + " (was " + describe(value) + ")");
      return;
    }
    if (schema.containsKey("const") && !sameValue(schema.get("const"), value)) {
      out.add(path + " must be " + render(schema.get("const")) + " (was " + render(value) + ")");
    }
    if (schema.get("enum") instanceof List<?> allowed && allowed.stream().noneMatch(a -> sameValue(a, value))) {
      out.add(path + " must be one of " + render(allowed) + " (was " + render(value) + ")");
    }
    if (schema.get("oneOf") instanceof List<?> options) {
      int matching = 0;
      for (Object o : options) {
        if (o instanceof Map<?, ?> m && problems((Map<String, Object>) m, value, path).isEmpty()) {
          matching++;
        }
      }
      if (matching != 1) {
        out.add(path + " must match exactly one of the offered choices " + choices(options) + " (was "
            + render(value) + ")");
      }
    }
    if (value instanceof String s) {
      if (schema.get("minLength") instanceof Number n && s.codePointCount(0, s.length()) < n.intValue()) {
        out.add(path + " must have at least " + n.intValue() + " characters");
      }
      if (schema.get("maxLength") instanceof Number n && s.codePointCount(0, s.length()) > n.intValue()) {
        out.add(path + " must have at most " + n.intValue() + " characters");
      }
      if (schema.get("pattern") instanceof String p && !Pattern.compile(p).matcher(s).find()) {
        out.add(path + " must match " + p + " (was " + render(s) + ")");
      }
    }
    if (value instanceof Number v) {
      if (schema.get("minimum") instanceof Number n && v.doubleValue() < n.doubleValue()) {
        out.add(path + " must be at least " + render(n));
      }
      if (schema.get("maximum") instanceof Number n && v.doubleValue() > n.doubleValue()) {
        out.add(path + " must be at most " + render(n));
      }
    }
    if (value instanceof Map<?, ?> object) {
      Map<String, Object> props = schema.get("properties") instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of();
      if (schema.get("required") instanceof List<?> required) {
        for (Object r : required) {
          if (!object.containsKey(r) || object.get(r) == null) {
            out.add(path + "." + r + " is required");
          }
        }
      }
      for (Map.Entry<?, ?> e : object.entrySet()) {
        String key = String.valueOf(e.getKey());
        Object sub = props.get(key);
        if (sub instanceof Map<?, ?> subSchema) {
          if (e.getValue() != null) {
            check((Map<String, Object>) subSchema, e.getValue(), path + "." + key, out);
          }
        } else if (Boolean.FALSE.equals(schema.get("additionalProperties"))) {
          out.add(path + "." + key + " is not a property of this service (allowed: " + props.keySet() + ")");
        }
      }
    }
    if (value instanceof List<?> list && schema.get("items") instanceof Map<?, ?> items) {
      for (int i = 0; i < list.size(); i++) {
        check((Map<String, Object>) items, list.get(i), path + "[" + i + "]", out);
      }
    }
  }

  private static boolean hasType(@Nullable Object v, String type) {
    return switch (type) {
      case "object" -> v instanceof Map<?, ?>;
      case "array" -> v instanceof List<?>;
      case "string" -> v instanceof String;
      case "boolean" -> v instanceof Boolean;
      case "number" -> v instanceof Number;
      case "integer" -> v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
          && !Double.isInfinite(n.doubleValue());
      case "null" -> v == null;
      default -> true; // a type this checker does not know constrains nothing here
    };
  }

  /** JSON equality as a schema means it: 1 and 1.0 are the same number. */
  private static boolean sameValue(@Nullable Object a, @Nullable Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    return Objects.equals(a, b);
  }

  private static String choices(List<?> options) {
    List<Object> consts = new ArrayList<>();
    for (Object o : options) {
      if (o instanceof Map<?, ?> m && m.containsKey("const")) {
        consts.add(m.get("const"));
      }
    }
    return render(consts);
  }

  private static String article(String type) {
    return switch (type) {
      case "object", "array", "integer" -> "an " + type;
      default -> "a " + type;
    };
  }

  private static String describe(@Nullable Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Map<?, ?>) {
      return "an object";
    }
    if (v instanceof List<?>) {
      return "an array";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    return v instanceof Number ? "the number " + render(v) : v.getClass().getSimpleName();
  }

  /** Short JSON-ish text of a value for a message; long strings are cut. */
  private static String render(@Nullable Object v) {
    if (v instanceof String s) {
      return "\"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\"";
    }
    if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
      return Long.toString(d.longValue());
    }
    if (v instanceof List<?> l) {
      List<String> parts = new ArrayList<>();
      for (Object o : l) {
        parts.add(render(o));
      }
      return "[" + String.join(", ", parts) + "]";
    }
    if (v instanceof Map<?, ?>) {
      return "{…}";
    }
    return String.valueOf(v);
  }
}
