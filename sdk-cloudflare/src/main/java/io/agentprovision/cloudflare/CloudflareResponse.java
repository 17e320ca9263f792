package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Fields;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A successful Cloudflare v4 answer: the envelope's {@code result} (an object, a list, a bare
 * string as token roll returns, or null when a delete answered without one), {@code result_info}
 * for paginated lists, {@code messages[]}, the HTTP status and the request id.
 *
 * @param status the HTTP status
 * @param result the {@code result} member as parsed JSON, or null
 * @param resultInfo {@code result_info}, or an empty map
 * @param messages the envelope's informational messages
 * @param requestId the {@code CF-Ray} header, when present
 */
public record CloudflareResponse(int status, @Nullable Object result, Map<String, Object> resultInfo,
    List<CloudflareError> messages, @Nullable String requestId) {
  public CloudflareResponse {
    resultInfo = resultInfo == null ? Map.of() : resultInfo;
    messages = List.copyOf(messages);
  }

  /** The result as an object; an empty map when it is absent or not an object. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> object() {
    return result instanceof Map ? (Map<String, Object>) result : Map.of();
  }

  /** The result as a list of objects; empty when it is absent or not a list. */
  public List<Map<String, Object>> objects() {
    return Fields.objects(result);
  }

  /** The result as a string (token roll), or null when it is not one. */
  public @Nullable String string() {
    return result instanceof String s ? s : null;
  }

  /** The result, which must be an object, else the call failed in a way the caller should see. */
  public Map<String, Object> requireObject(String what) {
    Objects.requireNonNull(what, "what");
    if (!(result instanceof Map)) {
      throw new CloudflareException(status, List.of(CloudflareError.of(0, what + ": expected an object result, got "
          + (result == null ? "none" : result.getClass().getSimpleName()))), messages, requestId, null, what);
    }
    return object();
  }
}
