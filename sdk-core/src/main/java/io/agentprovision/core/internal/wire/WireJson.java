package io.agentprovision.core.internal.wire;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.JsonWriter;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.wire.WireFormatException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Moshi instance remote answers are bound with: Java records (unknown members ignored, absent
 * ones null), {@link OneOrMany}, and whatever adapters a reader adds with {@link #with}. Enumerations
 * are bound as strings by the records and mapped by their readers, so an unknown value never fails
 * a whole answer.
 */
public final class WireJson {
  private static final Pattern PATH = Pattern.compile("at (?:path )?(\\$\\S*)$");
  /**
   * Strings only from JSON strings: moshi's own adapter turns a number into text, which would hide a
   * provider sending the wrong type where the SDK reads an id or a code.
   */
  private static final JsonAdapter<String> STRICT_STRING = new ReadOnlyAdapter<String>() {
    @Override
    public @Nullable String fromJson(JsonReader reader) throws IOException {
      JsonReader.Token t = reader.peek();
      if (t == JsonReader.Token.NULL) {
        return reader.nextNull();
      }
      if (t != JsonReader.Token.STRING) {
        throw new JsonDataException("Expected a string but was " + t + " at path " + reader.getPath());
      }
      return reader.nextString();
    }
  }.nullSafe();
  private static final Moshi BASE = new Moshi.Builder().add(new OneOrManyFactory()).add(String.class, STRICT_STRING)
      .addLast(RecordBinding.FACTORY).build();

  private final Moshi moshi;

  private WireJson(Moshi moshi) {
    this.moshi = moshi;
  }

  /** The shared instance plus {@code factories}, tried first. */
  public static WireJson with(JsonAdapter.Factory... factories) {
    Moshi.Builder b = BASE.newBuilder();
    for (JsonAdapter.Factory f : factories) {
      b.add(f);
    }
    return new WireJson(b.build());
  }

  /** The Moshi instance, for adapters that delegate. */
  public Moshi moshi() {
    return moshi;
  }

  /**
   * Binds a parsed JSON value (maps, lists, strings, numbers, booleans as {@link Json} parses them) to
   * {@code type}.
   *
   * @throws WireFormatException naming the member when a value has the wrong JSON type or a
   *     primitive member is missing
   */
  public <T> T bind(Class<T> type, @Nullable Object json) {
    return bind(moshi.adapter(type), json);
  }

  /** {@link #bind(Class, Object)} with a given adapter. */
  public static <T> T bind(JsonAdapter<T> adapter, @Nullable Object json) {
    if (json == null) {
      throw new WireFormatException("$", "is missing");
    }
    try {
      T value = adapter.fromJsonValue(json);
      if (value == null) {
        throw new WireFormatException("$", "is null");
      }
      return value;
    } catch (JsonDataException e) {
      throw fromMoshi(e);
    }
  }

  /** A {@link WireFormatException} for moshi's complaint, keeping its path and dropping any value. */
  public static WireFormatException fromMoshi(JsonDataException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    Matcher m = PATH.matcher(message);
    String path = m.find() ? m.group(1) : "$";
    String problem;
    if (message.startsWith("Required value")) {
      problem = "is missing";
    } else if (message.startsWith("Expected ")) {
      int but = message.indexOf(" but was ");
      problem = "is not " + (but > 0 ? message.substring("Expected ".length(), but) : "of the expected type");
    } else {
      problem = "cannot be read";
    }
    return new WireFormatException(path, problem);
  }

  /**
   * {@code value} if present and not blank.
   *
   * @throws WireFormatException naming {@code path} otherwise
   */
  public static String required(@Nullable String value, String path) {
    if (value == null || value.isBlank()) {
      throw new WireFormatException(path, "is missing");
    }
    return value;
  }

  /** {@code value} if present. @throws WireFormatException naming {@code path} otherwise */
  public static <T> T required(@Nullable T value, String path) {
    if (value == null) {
      throw new WireFormatException(path, "is missing");
    }
    return value;
  }

  /** The items of a possibly absent {@link OneOrMany}. */
  public static <T> List<T> items(@Nullable OneOrMany<T> v) {
    return v == null ? List.of() : v.items();
  }

  /** A possibly absent list, never null. */
  public static <T> List<T> list(@Nullable List<T> v) {
    return v == null ? List.of() : v;
  }

  /** A possibly absent free-form object (a configuration, a JSON Schema), never null; numbers normalized as {@link Json} does. */
  public static Map<String, Object> object(@Nullable Map<String, Object> v) {
    Object normalized = normalize(v);
    @SuppressWarnings("unchecked")
    Map<String, Object> m = normalized instanceof Map<?, ?> ? (Map<String, Object>) normalized : Map.of();
    return m;
  }

  /**
   * A free-form JSON value bound by moshi (which reads every number as a {@code Double}) as the rest
   * of the SDK sees parsed JSON: integral numbers as {@code Long}, as {@link Json} parses them.
   */
  public static @Nullable Object normalize(@Nullable Object v) {
    return v == null ? null : Json.parse(Json.write(v));
  }

  /**
   * A factory for a {@code type}-discriminated union: reads the discriminator without consuming the
   * object, then binds the whole object as the variant's record; an unknown or missing
   * discriminator binds the fallback record, so a new variant never fails an answer.
   */
  public static <T> JsonAdapter.Factory union(Class<T> base, String discriminator,
      Map<String, Class<? extends T>> variants, Class<? extends T> fallback) {
    Map<String, Class<? extends T>> byLabel = new LinkedHashMap<>(variants);
    return (type, annotations, moshi) -> {
      if (!type.equals(base) || !annotations.isEmpty()) {
        return null;
      }
      Map<String, JsonAdapter<? extends T>> adapters = new LinkedHashMap<>();
      byLabel.forEach((label, cls) -> adapters.put(label, moshi.adapter(cls)));
      JsonAdapter<? extends T> other = moshi.adapter(fallback);
      return new JsonAdapter<T>() {
        @Override
        public @Nullable T fromJson(JsonReader reader) throws IOException {
          if (reader.peek() == JsonReader.Token.NULL) {
            return reader.nextNull();
          }
          String label = label(reader, discriminator);
          JsonAdapter<? extends T> a = label == null ? other : adapters.getOrDefault(label, other);
          return a.fromJson(reader);
        }

        @Override
        public void toJson(JsonWriter writer, @Nullable T value) {
          throw new UnsupportedOperationException("the SDK reads " + base.getSimpleName() + ", never writes it");
        }
      };
    };
  }

  private static @Nullable String label(JsonReader reader, String discriminator) throws IOException {
    if (reader.peek() != JsonReader.Token.BEGIN_OBJECT) {
      return null;
    }
    try (JsonReader peek = reader.peekJson()) {
      peek.beginObject();
      while (peek.hasNext()) {
        if (peek.nextName().equals(discriminator) && peek.peek() == JsonReader.Token.STRING) {
          return peek.nextString();
        }
        peek.skipValue();
      }
      return null;
    }
  }

  /** Binds {@link OneOrMany}{@code <T>} from one value or an array. */
  private static final class OneOrManyFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (!(type instanceof ParameterizedType p) || p.getRawType() != OneOrMany.class || !annotations.isEmpty()) {
        return null;
      }
      Type item = p.getActualTypeArguments()[0];
      JsonAdapter<Object> one = moshi.adapter(item);
      JsonAdapter<List<Object>> many = moshi.adapter(Types.newParameterizedType(List.class, item));
      return new JsonAdapter<OneOrMany<Object>>() {
        @Override
        public @Nullable OneOrMany<Object> fromJson(JsonReader reader) throws IOException {
          JsonReader.Token t = reader.peek();
          if (t == JsonReader.Token.NULL) {
            return reader.nextNull();
          }
          if (t == JsonReader.Token.BEGIN_ARRAY) {
            List<Object> all = many.fromJson(reader);
            List<Object> out = new ArrayList<>();
            for (Object o : all == null ? List.of() : all) {
              if (o != null) {
                out.add(o);
              }
            }
            return new OneOrMany<>(out);
          }
          Object v = one.fromJson(reader);
          return new OneOrMany<>(v == null ? List.of() : List.of(v));
        }

        @Override
        public void toJson(JsonWriter writer, @Nullable OneOrMany<Object> value) {
          throw new UnsupportedOperationException("the SDK reads one-or-many members, never writes them");
        }
      };
    }
  }
}
