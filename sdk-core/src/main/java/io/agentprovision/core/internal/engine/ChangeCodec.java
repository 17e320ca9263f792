package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.wire.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The journal's form of a change run's request: the {@link LifecycleRequest} (without the ID token,
 * which is never kept) and the {@link ChangeTargets} it was planned with, as canonical JSON under
 * a {@code "change"} key, which tells a change run's record from a first-day run's.
 */
final class ChangeCodec {
  private static final String KEY = "change";

  private ChangeCodec() {}

  /** What a change run journals, read back. */
  record Decoded(LifecycleRequest request, ChangeTargets targets) {}

  static boolean isChange(String requestJson) {
    // a first-day request's JSON never has this key at its top level
    try {
      return Json.parseObject(requestJson).containsKey(KEY);
    } catch (RuntimeException e) {
      return false;
    }
  }

  static String encode(LifecycleRequest r, ChangeTargets t) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("agent", r.agent().value());
    c.put("deployment", r.deployment().value());
    c.put("operation", r.operation().name());
    c.put("service", r.serviceId());
    c.put("resource", r.resourceId());
    c.put("configuration", r.configuration());
    c.put("reason", r.reason());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(KEY, c);
    m.put("targets", OutputCodec.encode(t));
    return Json.canonical(m);
  }

  static Decoded decode(String json, RunId run) {
    Map<String, Object> m = Json.parseObject(json);
    Map<String, Object> c = Json.object(m, KEY);
    AgentId agent = AgentId.of(required(c, "agent", run));
    RunId deployment = RunId.of(required(c, "deployment", run));
    LifecycleRequest.Operation op = LifecycleRequest.Operation.valueOf(required(c, "operation", run));
    LifecycleRequest.Builder b = switch (op) {
      case CHANGE_PLAN -> LifecycleRequest.changePlan(agent, deployment, required(c, "service", run));
      case ADD_RESOURCE -> LifecycleRequest.addResource(agent, deployment, required(c, "service", run))
          .configuration(Json.object(c, "configuration"));
      case REMOVE_RESOURCE -> LifecycleRequest.removeResource(agent, deployment, required(c, "resource", run));
      case ROTATE_CREDENTIALS -> LifecycleRequest.rotateCredentials(agent, deployment);
      case REVOKE_CREDENTIALS -> LifecycleRequest.revokeCredentials(agent, deployment);
      case UNLINK_ACCOUNT -> LifecycleRequest.unlinkAccount(agent, deployment);
      case TEARDOWN -> LifecycleRequest.teardown(agent, deployment);
    };
    LifecycleRequest req = b.reason(Json.string(c, "reason")).runId(run).build();
    ChangeTargets t = OutputCodec.decode(required(m, "targets", run), ChangeTargets.class, run, DeploymentStates.STEP);
    return new Decoded(req, t);
  }

  private static String required(Map<String, Object> m, String key, RunId run) {
    String v = Json.string(m, key);
    if (v == null) {
      throw new IllegalStateException("the journaled change of run " + run + " has no '" + key + "'");
    }
    return v;
  }
}
