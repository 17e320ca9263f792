package io.agentprovision.core.wire;

import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.JsonWriter;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import io.agentprovision.core.internal.wire.RecordBinding;
import io.agentprovision.core.internal.wire.WireJson;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Binds remote JSON answers to Java records with moshi, the way every reader in the SDK binds them,
 * for adapters outside sdk-core: members the record does not declare are ignored; absent ones are
 * null; a string is read only from a JSON string (a number where an id belongs is an error, not
 * text); a component marked {@link Required} must be present, not null and, for text, not blank; and
 * any answer that does not fit is a {@link WireFormatException} whose {@link WireFormatException#path()
 * path} names the member, such as {@code $.data[2].id}, without copying a value from the answer.
 * Enumerations belong in records as strings, mapped by their reader, so that a value the SDK does not
 * know never fails a whole answer.
 *
 * <pre>{@code
 * public record TokenJson(@WireRecords.Required String id, @Nullable String status,
 *     @Json(name = "expires_at") @Nullable Instant expiresAt) {}
 *
 * static final WireRecords WIRE = WireRecords.with(myInstantAdapterFactory);
 * TokenJson token = WIRE.read(TokenJson.class, responseBody);  // "$.id is missing" when Stripe sent none
 * }</pre>
 *
 * <p>The package holding the records must be open to {@code com.squareup.moshi}, which builds them
 * by reflection. Immutable and thread-safe: build one per set of adapters and keep it.
 */
public final class WireRecords {
  /**
   * A record component the answer must hold: present, not JSON {@code null} and, when it is a
   * string, not blank. Checked when the record is read, so the error names the member exactly where
   * it is missing ({@code $.providers[1].usage_limits.max_amount}).
   */
  @Documented
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface Required {}

  private static final RequiredMembers REQUIRED = new RequiredMembers();

  private final WireJson json;

  private WireRecords(WireJson json) {
    this.json = json;
  }

  /**
   * The SDK's binding plus {@code factories} (adapters for the answer's own encodings, such as
   * integers sent as strings), which are tried before the standard ones, in order.
   */
  public static WireRecords with(JsonAdapter.Factory... factories) {
    JsonAdapter.Factory[] all = new JsonAdapter.Factory[factories.length + 1];
    all[0] = REQUIRED;
    for (int i = 0; i < factories.length; i++) {
      all[i + 1] = Objects.requireNonNull(factories[i], "factory");
    }
    return new WireRecords(WireJson.with(all));
  }

  /**
   * The record binding this class uses, for a moshi built elsewhere: records bound as moshi's own
   * adapter binds them (names, qualifiers, unknown members skipped, absent ones null, the same
   * errors), with each record's constructor called through a method handle made once per type
   * rather than adapted to its arguments on every call. Add it with {@link Moshi.Builder#addLast},
   * so that factories of your own for a record come first. Generic records, and records in a package
   * not open to {@code io.agentprovision.core} on the module path, are left to moshi's own adapter.
   */
  public static JsonAdapter.Factory records() {
    return RecordBinding.FACTORY;
  }

  /** The moshi instance, for adapters that delegate to it. */
  public Moshi moshi() {
    return json.moshi();
  }

  /**
   * Reads {@code text}, a whole JSON document, as {@code type}.
   *
   * @throws WireFormatException when the text is not JSON, is {@code null}, or does not fit the type;
   *     {@code path()} names the member
   */
  public <T> T read(Class<T> type, String text) {
    return read((Type) type, text);
  }

  /** {@link #read(Class, String)} for a parameterized type, such as a list envelope of records. */
  public <T> T read(Type type, String text) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(text, "text");
    if (text.isBlank()) {
      throw new WireFormatException("$", "is missing");
    }
    JsonAdapter<T> adapter = json.moshi().adapter(type);
    T value;
    try {
      value = adapter.fromJson(text);
    } catch (JsonDataException e) {
      throw WireJson.fromMoshi(e);
    } catch (IOException e) {
      // a syntax error: its text may quote the answer, so only the fact is kept
      throw new WireFormatException("$", "is not valid JSON");
    }
    if (value == null) {
      throw new WireFormatException("$", "is null");
    }
    return value;
  }

  /**
   * Binds a value already parsed by {@link io.agentprovision.core.wire.Json} (maps, lists, strings,
   * numbers, booleans) to {@code type}.
   *
   * @throws WireFormatException as {@link #read(Class, String)}
   */
  public <T> T bind(Class<T> type, @Nullable Object parsed) {
    return json.bind(type, parsed);
  }

  /**
   * {@code value} if present and, for text, not blank.
   *
   * @throws WireFormatException naming {@code path} otherwise
   */
  public static <T> T required(@Nullable T value, String path) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new WireFormatException(path, "is missing");
    }
    return value;
  }

  /** A possibly absent list, never null. */
  public static <T> List<T> list(@Nullable List<T> value) {
    return WireJson.list(value);
  }

  /**
   * A free-form object (a configuration, a JSON Schema) as
   * {@link io.agentprovision.core.wire.Json#parseObject} gives it: integral numbers as {@code Long}
   * (moshi reads every number as a {@code Double}), JSON nulls kept; empty when absent.
   */
  public static Map<String, Object> object(@Nullable Map<String, Object> value) {
    return WireJson.object(value);
  }

  /**
   * A free-form value as {@link io.agentprovision.core.wire.Json#parse} gives it (integral numbers as
   * {@code Long}).
   */
  public static @Nullable Object normalize(@Nullable Object value) {
    return WireJson.normalize(value);
  }

  /**
   * A factory that reads {@code type} from a bare JSON string with {@code fromString}, and from
   * anything else as usual: for members sent either as an id or as an object, or as a message text
   * or an object holding it.
   */
  public static <T> JsonAdapter.Factory stringOr(Class<T> type, Function<String, T> fromString) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(fromString, "fromString");
    return new JsonAdapter.Factory() {
      @Override
      public @Nullable JsonAdapter<?> create(Type t, Set<? extends Annotation> annotations, Moshi moshi) {
        if (!t.equals(type) || !annotations.isEmpty()) {
          return null;
        }
        JsonAdapter<T> other = moshi.nextAdapter(this, t, annotations);
        return new JsonAdapter<T>() {
          @Override
          public @Nullable T fromJson(JsonReader reader) throws IOException {
            if (reader.peek() == JsonReader.Token.STRING) {
              return fromString.apply(reader.nextString());
            }
            return other.fromJson(reader);
          }

          @Override
          public void toJson(JsonWriter writer, @Nullable T value) throws IOException {
            other.toJson(writer, value);
          }
        };
      }
    };
  }

  /**
   * Checks the {@link Required} members of a record before binding it. It looks at the JSON (a
   * peek, so paths stay exact) rather than at the record, so it needs no access to the record's
   * accessors beyond what moshi has.
   */
  private static final class RequiredMembers implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (!annotations.isEmpty()) {
        return null;
      }
      Class<?> raw = Types.getRawType(type);
      if (!raw.isRecord()) {
        return null;
      }
      List<String> names = new ArrayList<>();
      for (RecordComponent c : raw.getRecordComponents()) {
        if (c.isAnnotationPresent(Required.class)) {
          names.add(jsonName(c));
        }
      }
      if (names.isEmpty()) {
        return null;
      }
      JsonAdapter<Object> record = moshi.nextAdapter(this, type, annotations);
      return new JsonAdapter<Object>() {
        @Override
        public @Nullable Object fromJson(JsonReader reader) throws IOException {
          if (reader.peek() == JsonReader.Token.BEGIN_OBJECT) {
            Set<String> present = present(reader, names);
            for (String name : names) {
              if (!present.contains(name)) {
                // the peek left the reader where it was: its path is the object's
                throw new WireFormatException(reader.getPath() + "." + name, "is missing");
              }
            }
          }
          return record.fromJson(reader);
        }

        @Override
        public void toJson(JsonWriter writer, @Nullable Object value) throws IOException {
          record.toJson(writer, value);
        }
      };
    }

    private static String jsonName(RecordComponent c) {
      Json named = c.getAnnotation(Json.class);
      if (named == null) {
        named = c.getAccessor().getAnnotation(Json.class);
      }
      return named == null ? c.getName() : named.name();
    }

    /**
     * Which of {@code names} the object at the reader holds with a value (text: not blank). Stops at
     * the last of them: the members after it cannot change the answer, and the binding reads them
     * anyway (a large member, such as a long list, after the required ones is then read once, not twice).
     */
    private static Set<String> present(JsonReader reader, List<String> names) throws IOException {
      Set<String> out = new HashSet<>();
      try (JsonReader peek = reader.peekJson()) {
        peek.beginObject();
        while (out.size() < names.size() && peek.hasNext()) {
          String name = peek.nextName();
          JsonReader.Token t = peek.peek();
          if (!names.contains(name) || t == JsonReader.Token.NULL) {
            peek.skipValue();
          } else if (t == JsonReader.Token.STRING) {
            if (!peek.nextString().isBlank()) {
              out.add(name);
            }
          } else {
            peek.skipValue();
            out.add(name);
          }
        }
      }
      return out;
    }
  }
}
