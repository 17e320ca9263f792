package io.agentprovision.core.wire;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.agentprovision.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Checks JSON values against JSON Schemas (draft 2020-12 unless the schema says otherwise with
 * {@code $schema}), with errors that name the offending field. The SDK uses it for catalog services'
 * configurations, whose schema the provider publishes ({@code configuration_schema}), and the agent
 * tools use it for their inputs.
 *
 * <pre>{@code
 * Map<String, Object> schema = Map.of("type", "object", "required", List.of("name"),
 *     "properties", Map.of("name", Map.of("type", "string")));
 * JsonSchemas.require(schema, Map.of("name", 7), "services[1].configuration", "pass a string name");
 * // InvalidRequestException: services[1].configuration.name: integer found, string expected ...
 * }</pre>
 *
 * <p>A schema is data from outside: references are resolved only inside the schema itself and to the
 * standard meta-schemas the validator carries; nothing is fetched over the network. A schema the
 * validator cannot read is refused ({@link UnusableSchemaException}), never treated as "anything goes".
 */
public final class JsonSchemas {
  /** How many compiled schemas are kept; catalogs and tool sets have a handful each. */
  private static final int CACHE_SIZE = 256;

  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
      b -> b.schemaLoader(l -> l.fetchRemoteResources(false)));

  private static final Map<String, Schema> CACHE = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Schema> eldest) {
      return size() > CACHE_SIZE;
    }
  });

  private JsonSchemas() {}

  /**
   * What is wrong with a value.
   *
   * @param path where, from the value's root: {@code ""} for the root itself, {@code ".name"},
   *     {@code ".items[2].id"}; for a missing required property, the property's own path
   * @param keyword the schema keyword that failed, such as {@code "required"} or {@code "type"}
   * @param message what is wrong, in words
   */
  public record Violation(String path, String keyword, String message) {
    public Violation {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(keyword, "keyword");
      Objects.requireNonNull(message, "message");
    }
  }

  /** A schema the validator cannot use (malformed, or referring to what it may not fetch). */
  public static final class UnusableSchemaException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnusableSchemaException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Every way {@code value} breaks {@code schema}, in the validator's order; empty when it is valid.
   *
   * @param schema the JSON Schema as parsed JSON (maps, lists, strings, numbers, booleans)
   * @param value the value as parsed JSON
   * @throws UnusableSchemaException when the schema cannot be used
   */
  public static List<Violation> check(Map<String, ?> schema, @Nullable Object value) {
    Objects.requireNonNull(schema, "schema");
    Schema compiled = compile(schema);
    List<Error> errors;
    try {
      errors = compiled.validate(Json.canonical(value), InputFormat.JSON);
    } catch (RuntimeException e) {
      throw new UnusableSchemaException("the schema could not be applied: " + e.getMessage(), e);
    }
    List<Violation> out = new ArrayList<>(errors.size());
    for (Error e : errors) {
      out.add(new Violation(path(e), String.valueOf(e.getKeyword()), String.valueOf(e.getMessage())));
    }
    return out;
  }

  /**
   * Refuses {@code value} unless it satisfies {@code schema}: an {@link InvalidRequestException}
   * whose field is {@code field} followed by the path of the first violation (such as
   * {@code "services[1].configuration.name"}).
   *
   * @param fix how to fix it, for the exception
   * @throws UnusableSchemaException when the schema cannot be used
   */
  public static void require(Map<String, ?> schema, @Nullable Object value, String field, String fix) {
    List<Violation> violations = check(schema, value);
    if (violations.isEmpty()) {
      return;
    }
    Violation first = violations.get(0);
    String more = violations.size() > 1 ? " (and " + (violations.size() - 1) + " more: "
        + String.join("; ", violations.subList(1, Math.min(violations.size(), 4)).stream()
            .map(v -> field + v.path() + " " + v.message()).toList()) + ")" : "";
    throw new InvalidRequestException(field + first.path(), first.message() + more, fix);
  }

  private static Schema compile(Map<String, ?> schema) {
    String json = Json.canonical(schema);
    Schema cached = CACHE.get(json);
    if (cached != null) {
      return cached;
    }
    Schema compiled;
    List<Error> malformed;
    try {
      // a schema is checked against its dialect's meta-schema first: an unknown type or a keyword of the wrong
      // shape is refused, where the validator alone would skip it and accept what the provider meant to refuse
      Object dialect = schema.get("$schema");
      Schema meta = metaSchema(dialect instanceof String d ? d : SpecificationVersion.DRAFT_2020_12.getDialectId());
      malformed = meta.validate(json, InputFormat.JSON);
    } catch (RuntimeException e) {
      throw new UnusableSchemaException("the schema's dialect cannot be checked: " + e.getMessage(), e);
    }
    if (!malformed.isEmpty()) {
      Error first = malformed.get(0);
      throw new UnusableSchemaException("the schema breaks its meta-schema at '" + path(first) + "': "
          + first.getMessage(), new IllegalArgumentException(String.valueOf(first)));
    }
    try {
      compiled = REGISTRY.getSchema(json, InputFormat.JSON);
      compiled.initializeValidators(); // a broken keyword fails here, once, rather than on the first value
    } catch (RuntimeException e) {
      throw new UnusableSchemaException("the schema cannot be read: " + e.getMessage(), e);
    }
    CACHE.put(json, compiled);
    return compiled;
  }

  /** The meta-schema of a dialect, from the copy the validator carries (an unknown dialect is refused). */
  private static Schema metaSchema(String dialectId) {
    Schema cached = CACHE.get("$meta " + dialectId);
    if (cached != null) {
      return cached;
    }
    if (SpecificationVersion.fromDialectId(dialectId).isEmpty()) {
      throw new IllegalArgumentException("'" + dialectId + "' is not a JSON Schema dialect this validator knows");
    }
    Schema meta = REGISTRY.getSchema(SchemaLocation.of(dialectId));
    CACHE.put("$meta " + dialectId, meta);
    return meta;
  }

  /** The violation's place as {@code .a[1].b}; a missing or extra property is named itself. */
  private static String path(Error e) {
    StringBuilder sb = new StringBuilder();
    NodePath at = e.getInstanceLocation();
    if (at != null) {
      for (int i = 0; i < at.getNameCount(); i++) {
        Object el = at.getElement(i);
        if (el instanceof Integer n) {
          sb.append('[').append(n).append(']');
        } else {
          sb.append('.').append(el);
        }
      }
    }
    String property = e.getProperty();
    if (property != null && ("required".equals(e.getKeyword()) || "additionalProperties".equals(e.getKeyword())
        || "dependentRequired".equals(e.getKeyword()) || "unevaluatedProperties".equals(e.getKeyword()))) {
      sb.append('.').append(property);
    }
    return sb.toString();
  }
}
