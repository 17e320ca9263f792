package io.agentprovision.core.wire;

import org.jspecify.annotations.Nullable;

/**
 * A JSON member holds a value of another type than the reader needs, such as a number where a
 * string belongs. It says which member and what it held, never the value itself (which may be a
 * credential). An {@link IllegalArgumentException}, so readers that already treat malformed JSON as
 * one keep doing so.
 */
public final class JsonTypeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String member;
  private final String expected;
  private final String found;

  /**
   * @param member the member's name or path, such as {@code "next_cursor"}
   * @param expected the JSON type needed, such as {@code "string"}
   * @param found the JSON type present, such as {@code "number"}
   */
  public JsonTypeException(String member, String expected, String found) {
    super("'" + member + "' is a " + found + ", not a " + expected);
    this.member = member;
    this.expected = expected;
    this.found = found;
  }

  /** The member's name or path. */
  public String member() {
    return member;
  }

  /** The JSON type the reader needs. */
  public String expected() {
    return expected;
  }

  /** The JSON type the member holds. */
  public String found() {
    return found;
  }

  /** The JSON type name of a parsed value: object, array, string, number, boolean or null. */
  public static String typeOf(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof java.util.Map) {
      return "object";
    }
    if (value instanceof java.util.List) {
      return "array";
    }
    if (value instanceof String) {
      return "string";
    }
    if (value instanceof Number) {
      return "number";
    }
    if (value instanceof Boolean) {
      return "boolean";
    }
    return value.getClass().getSimpleName();
  }
}
