package io.agentprovision.stripe.internal;

import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Tolerant readers for Stripe's JSON: v2 sends 64-bit integers as strings and timestamps as
 * RFC 3339 strings, v1 sends numbers and Unix seconds; both are accepted everywhere. Unknown fields
 * are ignored; a wrongly typed field reads as absent.
 */
public final class Wire {
  private Wire() {}

  /** {@code value} as a JSON object (a fresh mutable copy), or an empty one. */
  public static Map<String, Object> object(@Nullable Object value) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(String.valueOf(e.getKey()), e.getValue());
      }
    }
    return out;
  }

  public static Map<String, Object> object(Map<String, ?> map, String key) {
    return object(map.get(key));
  }

  /** Whether {@code key} holds an object. */
  public static boolean hasObject(Map<String, ?> map, String key) {
    return map.get(key) instanceof Map;
  }

  public static @Nullable String string(Map<String, ?> map, String key) {
    Object v = map.get(key);
    if (v instanceof String s) {
      return s.isEmpty() ? null : s;
    }
    return v instanceof Number || v instanceof Boolean ? String.valueOf(v) : null;
  }

  public static List<Map<String, Object>> objects(Map<String, ?> map, String key) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Json.list(map, key)) {
      if (o instanceof Map<?, ?>) {
        out.add(object(o));
      }
    }
    return out;
  }

  public static List<String> strings(Map<String, ?> map, String key) {
    List<String> out = new ArrayList<>();
    for (Object o : Json.list(map, key)) {
      if (o instanceof String s) {
        out.add(s);
      }
    }
    return out;
  }

  /** An integer sent as a JSON number or as a string of digits (v2's int64 encoding). */
  public static @Nullable Long integer(Map<String, ?> map, String key) {
    Object v = map.get(key);
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof Integer i) {
      return i.longValue();
    }
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 9.0e15) {
      return d.longValue();
    }
    if (v instanceof String s && s.matches("-?\\d{1,18}")) {
      return Long.parseLong(s);
    }
    return null;
  }

  public static boolean bool(Map<String, ?> map, String key) {
    Object v = map.get(key);
    return Boolean.TRUE.equals(v) || "true".equals(v);
  }

  /** A timestamp sent as RFC 3339 text or as Unix seconds. */
  public static @Nullable Instant instant(Map<String, ?> map, String key) {
    Object v = map.get(key);
    if (v instanceof String s) {
      if (s.matches("\\d{1,12}")) {
        return Instant.ofEpochSecond(Long.parseLong(s));
      }
      try {
        return Instant.parse(s);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    Long seconds = integer(map, key);
    return seconds == null ? null : Instant.ofEpochSecond(seconds);
  }

  /** An absolute http(s) URL, or null. */
  public static @Nullable URI uri(Map<String, ?> map, String key) {
    String s = string(map, key);
    if (s == null) {
      return null;
    }
    try {
      URI u = new URI(s);
      return u.isAbsolute() && u.getScheme() != null && u.getScheme().startsWith("http") ? u : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** A copy of {@code map} without null values (immutable maps refuse them). */
  public static Map<String, Object> withoutNulls(Map<String, ?> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : map.entrySet()) {
      Object v = e.getValue();
      if (v == null) {
        continue;
      }
      if (v instanceof Map<?, ?> m) {
        out.put(e.getKey(), withoutNulls(object(m)));
      } else if (v instanceof List<?> l) {
        List<Object> copy = new ArrayList<>();
        for (Object o : l) {
          if (o instanceof Map<?, ?> m) {
            copy.add(withoutNulls(object(m)));
          } else if (o != null) {
            copy.add(o);
          }
        }
        out.put(e.getKey(), copy);
      } else {
        out.put(e.getKey(), v);
      }
    }
    return out;
  }
}
