package io.agentprovision.core.internal.wire;

import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonQualifier;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.JsonWriter;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Binds Java records as moshi's own record adapter does (the same JSON names, qualifiers, unknown
 * members skipped, absent ones null, the same errors), but calls each record's canonical constructor
 * through a method handle made once per record type and spread over the array of values read, with
 * {@code invokeExact}. moshi calls it with {@code MethodHandle.invokeWithArguments}, which adapts the
 * handle to the arguments on every call: on the SDK's step threads that was 3 % of their CPU, every
 * answer on the wire bound through it (benchmarks/baseline.md, "One flow, round 8").
 *
 * <p>Added last among a moshi's own factories ({@link Moshi.Builder#addLast}), so that the factories a
 * reader adds for a record (such as {@code WireRecords}' check of required members) still come first.
 * A generic record is bound with its type arguments put into its components' types. A raw use of a
 * generic record, and a record this module may not reach (its package not open to
 * {@code io.agentprovision.core} on the module path), are left to moshi's own adapter.
 */
public final class RecordBinding implements JsonAdapter.Factory {
  /** The one instance: it keeps no state. */
  public static final RecordBinding FACTORY = new RecordBinding();

  private RecordBinding() {}

  @Override
  public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
    if (!annotations.isEmpty() || !(type instanceof Class<?> || type instanceof ParameterizedType)) {
      return null;
    }
    Class<?> raw = Types.getRawType(type);
    if (!raw.isRecord()) {
      return null;
    }
    // a generic record's components are bound with its type arguments put in (an envelope of a list of X)
    Map<TypeVariable<?>, Type> arguments = new HashMap<>();
    TypeVariable<?>[] variables = raw.getTypeParameters();
    if (variables.length > 0) {
      if (!(type instanceof ParameterizedType p) || p.getActualTypeArguments().length != variables.length) {
        return null; // a raw use of a generic record: moshi's own adapter says what it makes of it
      }
      for (int i = 0; i < variables.length; i++) {
        arguments.put(variables[i], p.getActualTypeArguments()[i]);
      }
    }
    RecordComponent[] components = raw.getRecordComponents();
    MethodHandles.Lookup lookup = lookup(raw);
    if (components == null || lookup == null) {
      return null;
    }
    Map<String, Component> byName = new LinkedHashMap<>();
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      types[i] = c.getType();
      String name = c.getName();
      Json json = c.getAnnotation(Json.class);
      String jsonName = json == null || Json.UNSET_NAME.equals(json.name()) ? name : json.name();
      Type componentType = resolve(c.getGenericType(), arguments);
      if (componentType == null) {
        return null;
      }
      JsonAdapter<Object> adapter = moshi.adapter(componentType, qualifiers(c));
      MethodHandle accessor;
      try {
        accessor = lookup.unreflect(c.getAccessor()).asType(MethodType.methodType(Object.class, Object.class));
      } catch (IllegalAccessException e) {
        return null;
      }
      Component replaced = byName.put(jsonName, new Component(name, jsonName, adapter, accessor,
          c.getType().isPrimitive()));
      if (replaced != null) {
        throw new IllegalArgumentException("Conflicting components:\n    " + replaced.name + "\n    " + name);
      }
    }
    MethodHandle constructor;
    try {
      constructor = lookup.findConstructor(raw, MethodType.methodType(void.class, types))
          .asSpreader(Object[].class, types.length)
          .asType(MethodType.methodType(Object.class, Object[].class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null;
    }
    return new Adapter(raw.getSimpleName(), constructor, byName.values().toArray(new Component[0]),
        JsonReader.Options.of(byName.keySet().toArray(new String[0]))).nullSafe();
  }

  /**
   * {@code type} with the record's type variables replaced by their arguments, or null when it holds
   * a variable that is not the record's (then moshi's own adapter binds the record).
   */
  static @Nullable Type resolve(Type type, Map<TypeVariable<?>, Type> arguments) {
    if (type instanceof Class<?>) {
      return type;
    }
    if (type instanceof TypeVariable<?> v) {
      return arguments.get(v);
    }
    if (type instanceof ParameterizedType p) {
      Type[] args = p.getActualTypeArguments().clone();
      for (int i = 0; i < args.length; i++) {
        args[i] = resolve(args[i], arguments);
        if (args[i] == null) {
          return null;
        }
      }
      Type owner = p.getOwnerType();
      return owner == null ? Types.newParameterizedType(p.getRawType(), args)
          : Types.newParameterizedTypeWithOwner(owner, p.getRawType(), args);
    }
    if (type instanceof GenericArrayType a) {
      Type component = resolve(a.getGenericComponentType(), arguments);
      return component == null ? null : Types.arrayOf(component);
    }
    if (type instanceof WildcardType w) {
      Type[] lower = w.getLowerBounds();
      Type bound = resolve(lower.length > 0 ? lower[0] : w.getUpperBounds()[0], arguments);
      return bound == null ? null : lower.length > 0 ? Types.supertypeOf(bound) : Types.subtypeOf(bound);
    }
    return null;
  }

  /** A lookup with private access to {@code raw}, or null when this module may not have one. */
  private static MethodHandles.@Nullable Lookup lookup(Class<?> raw) {
    try {
      Module mine = RecordBinding.class.getModule();
      if (mine.isNamed() && !mine.canRead(raw.getModule())) {
        mine.addReads(raw.getModule());
      }
      return MethodHandles.privateLookupIn(raw, MethodHandles.lookup());
    } catch (IllegalAccessException | RuntimeException e) {
      return null; // moshi's own adapter binds it, as its package is opened to moshi
    }
  }

  /** The component's annotations that are moshi qualifiers, as moshi collects them. */
  private static Set<? extends Annotation> qualifiers(RecordComponent c) {
    Set<Annotation> out = null;
    for (Annotation a : c.getAnnotations()) {
      if (a.annotationType().isAnnotationPresent(JsonQualifier.class)) {
        if (out == null) {
          out = new LinkedHashSet<>();
        }
        out.add(a);
      }
    }
    return out == null ? Collections.emptySet() : Collections.unmodifiableSet(out);
  }

  private record Component(String name, String jsonName, JsonAdapter<Object> adapter, MethodHandle accessor,
      boolean primitive) {}

  private static final class Adapter extends JsonAdapter<Object> {
    private final String type;
    /** {@code (Object[]) -> Object}: the canonical constructor, spread over the values in component order. */
    private final MethodHandle constructor;
    private final Component[] components;
    private final JsonReader.Options options;

    Adapter(String type, MethodHandle constructor, Component[] components, JsonReader.Options options) {
      this.type = type;
      this.constructor = constructor;
      this.components = components;
      this.options = options;
    }

    @Override
    public Object fromJson(JsonReader reader) throws IOException {
      Object[] values = new Object[components.length];
      reader.beginObject();
      while (reader.hasNext()) {
        int i = reader.selectName(options);
        if (i == -1) {
          reader.skipName();
          reader.skipValue();
          continue;
        }
        values[i] = components[i].adapter.fromJson(reader);
      }
      reader.endObject();
      for (int i = 0; i < components.length; i++) {
        if (values[i] == null && components[i].primitive) {
          throw missing(components[i], reader);
        }
      }
      try {
        return (Object) constructor.invokeExact(values);
      } catch (Throwable t) {
        // as moshi's own adapter answers a constructor that refused the values
        throw new AssertionError(t);
      }
    }

    private static JsonDataException missing(Component c, JsonReader reader) {
      return new JsonDataException(c.name.equals(c.jsonName)
          ? String.format("Required value '%s' missing at %s", c.name, reader.getPath())
          : String.format("Required value '%s' (JSON name '%s') missing at %s", c.name, c.jsonName, reader.getPath()));
    }

    @Override
    public void toJson(JsonWriter writer, @Nullable Object value) throws IOException {
      writer.beginObject();
      for (Component c : components) {
        writer.name(c.jsonName);
        Object v;
        try {
          v = (Object) c.accessor.invokeExact((Object) value);
        } catch (Throwable t) {
          throw new AssertionError(t);
        }
        c.adapter.toJson(writer, v);
      }
      writer.endObject();
    }

    @Override
    public String toString() {
      return "RecordBinding(" + type + ")";
    }
  }
}
