package io.agentprovision.testing.cloudflare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A refusal the sandbox answers with Cloudflare's failure envelope. */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final transient List<Map<String, Object>> errors;

  private ApiError(int status, List<Map<String, Object>> errors) {
    super(String.valueOf(errors), null, false, false);
    this.status = status;
    this.errors = errors;
  }

  static ApiError of(int status, int code, String message) {
    return of(status, code, message, null);
  }

  static ApiError of(int status, int code, String message, @Nullable String pointer) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("code", code);
    e.put("message", message);
    if (pointer != null) {
      e.put("source", Map.of("pointer", pointer));
    }
    List<Map<String, Object>> list = new ArrayList<>();
    list.add(e);
    return new ApiError(status, list);
  }

  /** An error with an {@code error_chain}, as Cloudflare sends for malformed auth headers. */
  static ApiError chained(int status, int code, String message, int innerCode, String innerMessage) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("code", code);
    e.put("message", message);
    e.put("error_chain", List.of(Map.of("code", innerCode, "message", innerMessage)));
    List<Map<String, Object>> list = new ArrayList<>();
    list.add(e);
    return new ApiError(status, list);
  }

  static ApiError notFound(String what) {
    return of(404, 7003, "Could not route to " + what + ", perhaps your object identifier is invalid?");
  }

  static ApiError invalid(String message, String pointer) {
    return of(400, 1003, message, pointer);
  }

  static ApiError forbidden() {
    return of(403, 10000, "Authentication error");
  }
}
