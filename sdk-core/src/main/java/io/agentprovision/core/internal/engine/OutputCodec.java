package io.agentprovision.core.internal.engine;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.JsonWriter;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.JournalEntryException;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URI;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The one place where what a step produced becomes JSON for the journal and back. Outputs are
 * records of plain values: strings, numbers, booleans, enums, lists, sets and maps of those,
 * nested records, and the SDK's value types ({@link Money} as {@code "USD 15.44"}, {@link Instant},
 * {@link URI}, {@link RunId}, {@link StepId}, {@link AgentId}, each as a string). Anything else is
 * refused when its adapter is first asked for, and a {@link Secret} loudly: a credential belongs in
 * the vault, and the journal keeps its vault key.
 *
 * <p>Records are read and written by this codec's own adapter (component names as JSON names,
 * nulls left out, unknown names skipped), which reflects on the SDK's own records from inside its
 * module, so the internal packages need not be opened to Moshi.
 */
final class OutputCodec {
  private static final Set<Class<?>> BOXED = Set.of(Boolean.class, Byte.class, Short.class, Integer.class, Long.class,
      Float.class, Double.class, Character.class, String.class);

  private static final Moshi MOSHI = new Moshi.Builder()
      .add(OutputCodec::refuseSecrets)
      .add(Money.class, text(Money::toString, Money::parse).nullSafe())
      .add(Instant.class, text(Instant::toString, Instant::parse).nullSafe())
      .add(URI.class, text(URI::toString, URI::create).nullSafe())
      .add(RunId.class, text(RunId::value, RunId::of).nullSafe())
      .add(StepId.class, text(StepId::value, StepId::of).nullSafe())
      .add(AgentId.class, text(AgentId::value, AgentId::of).nullSafe())
      .add(OutputCodec::records)
      .add(OutputCodec::plainValuesOnly)
      .build();

  /**
   * Each output type's adapter, found once per class: Moshi's own cache is a synchronized map keyed
   * by a list of the type and its annotations, looked up at every step's end and every decode. A
   * type Moshi refuses (a {@link Secret}, a type that is no plain value) throws each time, as before.
   */
  private static final ClassValue<JsonAdapter<?>> ADAPTERS = new ClassValue<>() {
    @Override
    protected JsonAdapter<?> computeValue(Class<?> type) {
      return MOSHI.adapter(type);
    }
  };

  private OutputCodec() {}

  /**
   * The journal's JSON of {@code output}.
   *
   * @throws IllegalArgumentException when the record holds a {@link Secret} or a type that is not a plain value
   */
  static String encode(Record output) {
    @SuppressWarnings("unchecked")
    JsonAdapter<Record> adapter = (JsonAdapter<Record>) ADAPTERS.get(output.getClass());
    return adapter.toJson(output);
  }

  /**
   * Reads {@code json} back as {@code type}.
   *
   * @throws JournalEntryException naming the run and the step when it cannot be read
   */
  static <T extends Record> T decode(String json, Class<T> type, RunId run, StepId step) {
    try {
      @SuppressWarnings("unchecked")
      T value = ((JsonAdapter<T>) ADAPTERS.get(type)).fromJson(json);
      if (value == null) {
        throw new JsonDataException("it is null, not a " + type.getSimpleName());
      }
      return value;
    } catch (IOException | RuntimeException e) {
      throw new JournalEntryException(run, step, "not a " + type.getSimpleName() + " (" + e.getMessage() + ")", e);
    }
  }

  private static @Nullable JsonAdapter<?> refuseSecrets(Type type, Set<? extends java.lang.annotation.Annotation> a,
      Moshi moshi) {
    if (Secret.class.isAssignableFrom(Types.getRawType(type))) {
      throw new IllegalArgumentException("a Secret is never written to the journal: keep it in the vault and journal "
          + "its vault key instead");
    }
    return null;
  }

  private static @Nullable JsonAdapter<?> records(Type type, Set<? extends java.lang.annotation.Annotation> a,
      Moshi moshi) {
    Class<?> raw = Types.getRawType(type);
    if (!raw.isRecord() || !a.isEmpty()) {
      return null;
    }
    return new RecordAdapter<>(raw, moshi).nullSafe();
  }

  /** Lets Moshi's own adapters take strings, boxed primitives, enums and collections; refuses the rest. */
  private static @Nullable JsonAdapter<?> plainValuesOnly(Type type, Set<? extends java.lang.annotation.Annotation> a,
      Moshi moshi) {
    Class<?> raw = Types.getRawType(type);
    if (raw.isPrimitive() || BOXED.contains(raw) || raw.isEnum()) {
      return null;
    }
    if (raw == List.class || raw == Set.class || raw == Collection.class || raw == Map.class) {
      return null;
    }
    throw new IllegalArgumentException(raw.getName() + " is not a plain value: step outputs are records of strings, "
        + "numbers, booleans, enums, lists, sets, maps, records and the SDK's value types");
  }

  private static <T> JsonAdapter<T> text(Function<T, String> write, Function<String, T> read) {
    return new JsonAdapter<>() {
      @Override
      public @Nullable T fromJson(JsonReader reader) throws IOException {
        return read.apply(reader.nextString());
      }

      @Override
      public void toJson(JsonWriter writer, @Nullable T value) throws IOException {
        writer.value(value == null ? null : write.apply(value));
      }
    };
  }

  /** Writes a record's components as an object, in declaration order; reads them back through the canonical constructor. */
  private static final class RecordAdapter<T> extends JsonAdapter<T> {
    private final Class<T> type;
    private final Constructor<T> constructor;
    private final RecordComponent[] components;
    private final Method[] accessors;
    private final JsonAdapter<?>[] adapters;
    private final Map<String, Integer> index = new HashMap<>();

    @SuppressWarnings("unchecked")
    RecordAdapter(Class<?> raw, Moshi moshi) {
      this.type = (Class<T>) raw;
      this.components = raw.getRecordComponents();
      this.accessors = new Method[components.length];
      this.adapters = new JsonAdapter<?>[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        RecordComponent c = components[i];
        types[i] = c.getType();
        accessors[i] = c.getAccessor();
        accessors[i].setAccessible(true);
        try {
          adapters[i] = moshi.adapter(c.getGenericType());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(raw.getSimpleName() + "." + c.getName() + ": " + e.getMessage(), e);
        }
        index.put(c.getName(), i);
      }
      try {
        this.constructor = type.getDeclaredConstructor(types);
        this.constructor.setAccessible(true);
      } catch (NoSuchMethodException e) {
        throw new IllegalStateException(raw + " has no canonical constructor", e);
      }
    }

    @Override
    public void toJson(JsonWriter writer, @Nullable T value) throws IOException {
      if (value == null) {
        writer.nullValue();
        return;
      }
      writer.beginObject();
      for (int i = 0; i < components.length; i++) {
        Object v;
        try {
          v = accessors[i].invoke(value);
        } catch (IllegalAccessException | InvocationTargetException e) {
          throw new IllegalStateException("cannot read " + type.getSimpleName() + "." + components[i].getName(), e);
        }
        if (v == null) {
          continue;
        }
        writer.name(components[i].getName());
        write(writer, adapters[i], v);
      }
      writer.endObject();
    }

    @SuppressWarnings("unchecked")
    private static <V> void write(JsonWriter writer, JsonAdapter<V> adapter, Object v) throws IOException {
      adapter.toJson(writer, (V) v);
    }

    @Override
    public @Nullable T fromJson(JsonReader reader) throws IOException {
      Object[] args = new Object[components.length];
      boolean[] seen = new boolean[components.length];
      reader.beginObject();
      while (reader.hasNext()) {
        Integer i = index.get(reader.nextName());
        if (i == null) {
          reader.skipValue(); // a field a newer version wrote
          continue;
        }
        args[i] = adapters[i].fromJson(reader);
        seen[i] = true;
      }
      reader.endObject();
      for (int i = 0; i < components.length; i++) {
        if (components[i].getType().isPrimitive() && (!seen[i] || args[i] == null)) {
          throw new JsonDataException("'" + components[i].getName() + "' is missing at " + reader.getPath());
        }
      }
      try {
        return constructor.newInstance(args);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        throw new JsonDataException(type.getSimpleName() + " refused what was read at " + reader.getPath() + ": "
            + cause, cause);
      } catch (InstantiationException | IllegalAccessException e) {
        throw new IllegalStateException("cannot make a " + type.getSimpleName(), e);
      }
    }

    @Override
    public String toString() {
      return "RecordAdapter(" + type.getSimpleName() + ")";
    }
  }
}
