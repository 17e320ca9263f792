package io.agentprovision.core.internal;

import org.jspecify.annotations.Nullable;

/**
 * Puts text that came from outside (a token's key id, a claim, a domain name someone typed) into an
 * exception message or a log line safely: quoted, with control characters, line and paragraph
 * separators, bidirectional overrides and other invisible format characters escaped, and cut short.
 * Without it a value such as {@code "x\nWARN forged"} would forge a log line, and a right-to-left
 * override would make a message read differently from what it says.
 */
public final class Untrusted {
  /** The most characters of the value kept before it is cut. */
  public static final int DEFAULT_MAX_CHARS = 120;

  private Untrusted() {}

  /** {@code value} in double quotes, escaped, at most {@link #DEFAULT_MAX_CHARS} characters of it; {@code null} as {@code null}. */
  public static String quote(@Nullable Object value) {
    return quote(value, DEFAULT_MAX_CHARS);
  }

  /** {@code value} in double quotes, escaped, at most {@code maxChars} characters of it. */
  public static String quote(@Nullable Object value, int maxChars) {
    if (value == null) {
      return "null";
    }
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(s.length(), maxChars) + 16).append('"');
    int shown = 0;
    int i = 0;
    while (i < s.length() && shown < maxChars) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      shown++;
      switch (cp) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (unsafe(cp)) {
            out.append(cp > 0xFFFF ? String.format("\\u{%X}", cp) : String.format("\\u%04X", cp));
          } else {
            out.appendCodePoint(cp);
          }
        }
      }
    }
    out.append('"');
    if (i < s.length()) {
      out.append("…(").append(s.codePointCount(i, s.length())).append(" more)");
    }
    return out.toString();
  }

  private static boolean unsafe(int cp) {
    int type = Character.getType(cp);
    return Character.isISOControl(cp)
        || type == Character.FORMAT              // bidi overrides and isolates, zero-width characters, BOM
        || type == Character.LINE_SEPARATOR      // U+2028
        || type == Character.PARAGRAPH_SEPARATOR // U+2029
        || type == Character.SURROGATE           // a lone half of a pair
        || type == Character.PRIVATE_USE
        || type == Character.UNASSIGNED;
  }
}
