package io.agentprovision.testing.stripe;

import io.agentprovision.core.wire.Json;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Parsing and answering helpers shared by the sandbox's handlers. */
final class SandboxHttp {
  private static final Pattern KEY_PART = Pattern.compile("\\[([^\\]]*)\\]");

  private SandboxHttp() {}

  /** A Stripe error answer, thrown by handlers and turned into a response by the dispatcher. */
  static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final @Nullable String code;
    final @Nullable String param;
    /** Whether the request was executed far enough for its idempotency key to keep this answer. */
    final boolean executed;
    final Map<String, Object> extra = new LinkedHashMap<>();

    ApiError(int status, String type, @Nullable String code, @Nullable String param, String message, boolean executed) {
      super(message, null, false, false);
      this.status = status;
      this.type = type;
      this.code = code;
      this.param = param;
      this.executed = executed;
    }

    Map<String, Object> body() {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("type", type);
      if (code != null) {
        e.put("code", code);
      }
      if (param != null) {
        e.put("param", param);
      }
      e.put("message", getMessage());
      e.putAll(extra);
      return Map.of("error", e);
    }
  }

  static ApiError invalid(@Nullable String code, @Nullable String param, String message) {
    return new ApiError(400, "invalid_request_error", code, param, message, false);
  }

  static ApiError missing(String param) {
    return invalid("parameter_missing", param, "Missing required param: " + param + ".");
  }

  static ApiError notFound(String what, String id) {
    return new ApiError(404, "invalid_request_error", "resource_missing", "id", "No such " + what + ": '" + id + "'",
        false);
  }

  /** An error raised while executing (its idempotency key keeps the answer, as Stripe's do). */
  static ApiError failed(int status, String type, String code, String message) {
    return new ApiError(status, type, code, null, message, true);
  }

  /** Refuses parameters outside {@code allowed}, as Stripe does. */
  static void onlyKnown(Map<String, Object> body, Set<String> allowed) {
    for (String k : body.keySet()) {
      if (!allowed.contains(k)) {
        throw invalid("parameter_unknown", k, "Received unknown parameter: " + k);
      }
    }
  }

  static String requireString(Map<String, Object> body, String key) {
    Object v = body.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      throw missing(key);
    }
    return s;
  }

  static Map<String, Object> requireObject(Map<String, Object> body, String key) {
    Object v = body.get(key);
    if (!(v instanceof Map<?, ?> m)) {
      throw missing(key);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, val) -> out.put(String.valueOf(k), val));
    return out;
  }

  static @Nullable Map<String, Object> optionalObject(Map<String, Object> body, String key) {
    Object v = body.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map<?, ?>)) {
      throw invalid("parameter_invalid_type", key, "Invalid object: " + key);
    }
    return requireObject(body, key);
  }

  /** A non-negative integer sent as a number or as a string of digits. */
  static long requireAmount(Map<String, Object> body, String key, String path) {
    Object v = body.get(key);
    if (v == null) {
      throw missing(path);
    }
    if (v instanceof Long l && l >= 0) {
      return l;
    }
    if (v instanceof String s && s.matches("\\d{1,15}")) {
      return Long.parseLong(s);
    }
    throw invalid("parameter_invalid_integer", path, "Invalid integer: " + v);
  }

  /** Parses a JSON object body; an empty body is an empty object. */
  static Map<String, Object> json(String body) {
    if (body.isBlank()) {
      return new LinkedHashMap<>();
    }
    try {
      return Json.parseObject(body);
    } catch (IllegalArgumentException e) {
      throw invalid("invalid_json", null, "The request body is not a JSON object.");
    }
  }

  /** Parses Stripe's form encoding: {@code a[b][c]=v} to nested maps, {@code a[0]=v} to lists. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> form(String body) {
    Map<String, Object> root = new LinkedHashMap<>();
    if (body.isBlank()) {
      return root;
    }
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      int bracket = key.indexOf('[');
      List<String> parts = new ArrayList<>();
      parts.add(bracket < 0 ? key : key.substring(0, bracket));
      if (bracket >= 0) {
        Matcher m = KEY_PART.matcher(key.substring(bracket));
        while (m.find()) {
          parts.add(m.group(1));
        }
      }
      Map<String, Object> node = root;
      for (int i = 0; i < parts.size() - 1; i++) {
        Object child = node.get(parts.get(i));
        if (!(child instanceof Map)) {
          child = new LinkedHashMap<String, Object>();
          node.put(parts.get(i), child);
        }
        node = (Map<String, Object>) child;
      }
      node.put(parts.get(parts.size() - 1), value);
    }
    return listsFromIndexes(root);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> listsFromIndexes(Map<String, Object> m) {
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (e.getValue() instanceof Map<?, ?> child) {
        Map<String, Object> c = listsFromIndexes((Map<String, Object>) child);
        boolean indexed = !c.isEmpty();
        for (int i = 0; i < c.size() && indexed; i++) {
          indexed = c.containsKey(Integer.toString(i));
        }
        if (indexed) {
          List<Object> list = new ArrayList<>();
          for (int i = 0; i < c.size(); i++) {
            list.add(c.get(Integer.toString(i)));
          }
          e.setValue(list);
        } else {
          e.setValue(c);
        }
      }
    }
    return m;
  }

  /** Parses a query string to single values. */
  static Map<String, String> query(@Nullable String query) {
    Map<String, String> out = new LinkedHashMap<>();
    if (query == null || query.isEmpty()) {
      return out;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      out.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  /** A v2 list page. */
  static Map<String, Object> list(List<Map<String, Object>> data) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("data", data);
    out.put("next_page_url", null);
    out.put("previous_page_url", null);
    return out;
  }
}
