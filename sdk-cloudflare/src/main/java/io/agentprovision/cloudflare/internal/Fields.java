package io.agentprovision.cloudflare.internal;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Lenient readers for parsed JSON maps: Cloudflare adds fields freely, so unknown ones are ignored. */
public final class Fields {
  private Fields() {}

  public static @Nullable String string(@Nullable Map<String, ?> map, String key) {
    if (map == null) {
      return null;
    }
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    return v instanceof String s ? s : String.valueOf(v);
  }

  public static String string(@Nullable Map<String, ?> map, String key, String fallback) {
    String s = string(map, key);
    return s == null ? fallback : s;
  }

  public static boolean bool(@Nullable Map<String, ?> map, String key, boolean fallback) {
    if (map == null) {
      return fallback;
    }
    Object v = map.get(key);
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      return Boolean.parseBoolean(s);
    }
    return fallback;
  }

  public static long number(@Nullable Map<String, ?> map, String key, long fallback) {
    if (map == null) {
      return fallback;
    }
    Object v = map.get(key);
    if (v instanceof Number n) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        return fallback;
      }
    }
    return fallback;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(@Nullable Map<String, ?> map, String key) {
    if (map == null) {
      return Map.of();
    }
    Object v = map.get(key);
    return v instanceof Map ? (Map<String, Object>) v : Map.of();
  }

  @SuppressWarnings("unchecked")
  public static @Nullable Map<String, Object> objectOrNull(@Nullable Map<String, ?> map, String key) {
    if (map == null) {
      return null;
    }
    Object v = map.get(key);
    return v instanceof Map ? (Map<String, Object>) v : null;
  }

  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> objects(@Nullable Map<String, ?> map, String key) {
    if (map == null) {
      return List.of();
    }
    Object v = map.get(key);
    return objects(v);
  }

  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> objects(@Nullable Object v) {
    if (!(v instanceof List<?> l)) {
      return List.of();
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : l) {
      if (o instanceof Map) {
        out.add((Map<String, Object>) o);
      }
    }
    return out;
  }

  public static List<String> strings(@Nullable Map<String, ?> map, String key) {
    if (map == null) {
      return List.of();
    }
    Object v = map.get(key);
    if (!(v instanceof List<?> l)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Object o : l) {
      if (o != null) {
        out.add(String.valueOf(o));
      }
    }
    return List.copyOf(out);
  }

  /** An RFC 3339 timestamp, or null when absent or unreadable. */
  public static @Nullable Instant instant(@Nullable Map<String, ?> map, String key) {
    String s = string(map, key);
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(s.trim());
    } catch (DateTimeParseException e) {
      try {
        return java.time.OffsetDateTime.parse(s.trim()).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /** The form Cloudflare writes timestamps in: UTC, whole seconds, such as {@code 2026-11-02T09:00:00Z}. */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
