package io.agentprovision.core.wire;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonEncodingException;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The SDK's JSON helpers: parse to plain maps and lists (numbers become {@code Double} unless
 * they are integral, then {@code Long}), write maps and lists, and a canonical form (sorted keys,
 * no whitespace) for hashing and idempotency keys. One shared Moshi instance.
 */
public final class Json {
  private static final Moshi MOSHI = new Moshi.Builder().build();
  private static final JsonAdapter<Object> ANY = MOSHI.adapter(Object.class);
  private static final JsonAdapter<Map<String, Object>> MAP =
      MOSHI.adapter(Types.newParameterizedType(Map.class, String.class, Object.class));

  private Json() {}

  /** The shared Moshi instance. */
  public static Moshi moshi() {
    return MOSHI;
  }

  /** Parses any JSON value; integral numbers become {@code Long}. */
  public static @Nullable Object parse(String json) {
    try {
      return normalize(ANY.fromJson(json));
    } catch (IOException | JsonDataException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
    }
  }

  /** Parses a JSON object; integral numbers become {@code Long}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String json) {
    Object o;
    try {
      o = normalize(MAP.fromJson(json));
    } catch (JsonEncodingException | JsonDataException e) {
      throw new IllegalArgumentException("malformed JSON object: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed JSON object: " + e.getMessage(), e);
    }
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("JSON is not an object");
    }
    return (Map<String, Object>) o;
  }

  /** Writes maps, lists, strings, numbers, booleans and nulls as JSON. */
  public static String write(@Nullable Object value) {
    StringBuilder sb = new StringBuilder(64);
    if (writePlain(sb, value, 0)) {
      return sb.toString();
    }
    return ANY.serializeNulls().toJson(value);
  }

  /**
   * How deep {@link #writePlain} goes before it leaves the value to moshi, which refuses nesting
   * deeper than this with its own error (and a value that contains itself).
   */
  private static final int PLAIN_DEPTH = 255;

  /**
   * Appends {@code v} exactly as moshi's adapter for {@code Object} writes it with nulls serialized,
   * when it is made only of maps with string keys, collections, strings without surrogates, whole
   * numbers ({@code Long}, {@code Integer}, {@code Short}, {@code Byte}), booleans and nulls; false
   * for anything else (a fraction, a record, a surrogate, which moshi's UTF-8 round trip may
   * replace), leaving {@code sb} partly written. Request bodies are such values: written here, they
   * skip moshi's look-up of an adapter for the class of every value, and its UTF-8 buffer.
   */
  private static boolean writePlain(StringBuilder sb, @Nullable Object v, int depth) {
    if (v == null) {
      sb.append("null");
      return true;
    }
    if (v instanceof String str) {
      for (int i = 0; i < str.length(); i++) {
        if (Character.isSurrogate(str.charAt(i))) {
          return false;
        }
      }
      quote(sb, str);
      return true;
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
        || v instanceof Boolean) {
      sb.append(v);
      return true;
    }
    if (depth >= PLAIN_DEPTH) {
      return false;
    }
    if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String)) {
          return false;
        }
        if (!first) {
          sb.append(',');
        }
        first = false;
        if (!writePlain(sb, e.getKey(), depth + 1)) {
          return false;
        }
        sb.append(':');
        if (!writePlain(sb, e.getValue(), depth + 1)) {
          return false;
        }
      }
      sb.append('}');
      return true;
    }
    if (v instanceof Collection<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        if (!writePlain(sb, o, depth + 1)) {
          return false;
        }
      }
      sb.append(']');
      return true;
    }
    return false;
  }

  /**
   * The canonical form: object keys sorted, no whitespace, integral numbers without a fraction.
   * Equal values always give equal strings.
   *
   * @throws IllegalArgumentException for a NaN or infinite number, which JSON cannot hold
   */
  public static String canonical(@Nullable Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, true);
    return sb.toString();
  }

  /**
   * Appends {@code value} as compact JSON, object members in each map's own order, nulls written,
   * integral numbers without a fraction: for lines written often, without looking up an adapter per
   * value's class. The values are what JSON holds (maps, lists, strings, numbers, booleans, null);
   * anything else is written as its string.
   *
   * @throws IllegalArgumentException for a NaN or infinite number, which JSON cannot hold
   */
  public static void appendCompact(StringBuilder sb, @Nullable Object value) {
    write(sb, value, false);
  }

  private static void write(StringBuilder sb, @Nullable Object v, boolean sorted) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String str) {
      quote(sb, str);
    } else if (v instanceof Map<?, ?> m) {
      Map<?, ?> members = m;
      if (sorted) {
        TreeMap<String, Object> byName = new TreeMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          byName.put(String.valueOf(e.getKey()), e.getValue());
        }
        members = byName;
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : members.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        quote(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue(), sorted);
      }
      sb.append('}');
    } else if (v instanceof Iterable<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(sb, o, sorted);
      }
      sb.append(']');
    } else if (v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("JSON has no " + d);
      }
      if (d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15) {
        sb.append((long) d);
      } else {
        sb.append(d);
      }
    } else if (v instanceof Number) {
      sb.append(v);
    } else {
      quote(sb, v.toString());
    }
  }

  /** Appends {@code s} as a JSON string literal. */
  public static void quote(StringBuilder sb, String s) {
    sb.append('"');
    int n = s.length();
    int from = 0; // the plain characters from here up to the one being looked at are appended in one go
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\' && c != 0x2028 && c != 0x2029) {
        continue;
      }
      sb.append(s, from, i);
      from = i + 1;
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '\b':
          sb.append("\\b");
          break;
        case '\f':
          sb.append("\\f");
          break;
        default:
          sb.append(String.format("\\u%04x", (int) c));
      }
    }
    if (from == 0) {
      sb.append(s); // nothing escaped (most text): copied whole, where append(s, from, n) goes character by character
    } else {
      sb.append(s, from, n);
    }
    sb.append('"');
  }

  private static @Nullable Object normalize(@Nullable Object o) {
    if (o instanceof Double d) {
      if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.007199254740992E15) {
        return d.longValue();
      }
      return d;
    } else if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(String.valueOf(e.getKey()), normalize(e.getValue()));
      }
      return out;
    } else if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object x : l) {
        out.add(normalize(x));
      }
      return out;
    }
    return o;
  }

  /**
   * {@code map.get(key)} as a string: null when the member is absent or JSON {@code null}.
   *
   * @throws JsonTypeException when the member holds anything else (a number, a boolean, an object):
   *     text is never made up from another type, so a wrong shape is seen where it arrives
   */
  public static @Nullable String string(Map<String, ?> map, String key) {
    Object v = map.get(key);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw new JsonTypeException(key, "string", JsonTypeException.typeOf(v));
  }

  /** {@code map.get(key)} as a map, or an empty map. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Map<String, ?> map, String key) {
    Object v = map.get(key);
    return v instanceof Map ? (Map<String, Object>) v : Map.of();
  }

  /** {@code map.get(key)} as a list, or an empty list. */
  @SuppressWarnings("unchecked")
  public static List<Object> list(Map<String, ?> map, String key) {
    Object v = map.get(key);
    return v instanceof List ? (List<Object>) v : List.of();
  }
}
