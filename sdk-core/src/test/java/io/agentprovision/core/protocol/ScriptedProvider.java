package io.agentprovision.core.protocol;

import io.agentprovision.core.wire.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A provider scripted per route for {@link DirectOrchestrator} wire tests: each route answers its
 * queued responses in order, the last one again when marked to repeat; an unscripted call is
 * answered 418 (not retried), so a test that sends something unexpected fails at once.
 */
final class ScriptedProvider extends Dispatcher {
  private record Reply(int code, String body, boolean repeat) {}

  private final Map<String, Deque<Reply>> routes = new HashMap<>();
  private final List<RecordedRequest> requests = new ArrayList<>();

  /** Queues one answer for {@code method path}. */
  synchronized ScriptedProvider on(String method, String path, int code, String body) {
    routes.computeIfAbsent(method + " " + path, k -> new ArrayDeque<>()).add(new Reply(code, body, false));
    return this;
  }

  /** Answers {@code method path} with this whenever nothing else is queued before it. */
  synchronized ScriptedProvider always(String method, String path, int code, String body) {
    routes.computeIfAbsent(method + " " + path, k -> new ArrayDeque<>()).add(new Reply(code, body, true));
    return this;
  }

  @Override
  public synchronized MockResponse dispatch(RecordedRequest request) {
    requests.add(request);
    Deque<Reply> q = routes.get(request.getMethod() + " " + request.getUrl().encodedPath());
    Reply r = q == null ? null : q.peek();
    if (r == null) {
      return json(418, "{\"error\":{\"code\":\"unscripted\",\"message\":\"" + request.getMethod() + " "
          + request.getUrl().encodedPath() + " was not scripted\"}}");
    }
    if (!r.repeat() || q.size() > 1) {
      q.poll();
    }
    return json(r.code(), r.body());
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body).build();
  }

  /** The requests received for {@code method path}, in order. */
  synchronized List<RecordedRequest> requests(String method, String path) {
    List<RecordedRequest> out = new ArrayList<>();
    for (RecordedRequest r : requests) {
      if (r.getMethod().equals(method) && r.getUrl().encodedPath().equals(path)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Every request's method and path, in order. */
  synchronized List<String> calls() {
    List<String> out = new ArrayList<>();
    for (RecordedRequest r : requests) {
      out.add(r.getMethod() + " " + r.getUrl().encodedPath());
    }
    return out;
  }

  static Map<String, Object> body(RecordedRequest r) {
    return Json.parseObject(r.getBody().utf8());
  }
}
