package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.ServiceRequest;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.wire.Json;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The journal's form of a {@link ProvisionRequest}: canonical JSON, so that {@code resume(runId)}
 * can rebuild the request. Secret bindings are stored in the vault and referenced by key; the
 * identity token is not kept (a resumed run uses the principal the journal recorded).
 */
final class RequestCodec {
  private RequestCodec() {}

  static String encode(ProvisionRequest r, RunId run, CredentialVault vault, Clock clock) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("agent", r.agent().value());
    m.put("provider", r.provider());
    m.put("plan", r.plan());
    m.put("project", r.project());
    m.put("environment", r.environment());
    if (r.domain() != null) {
      DomainRequest d = r.domain();
      Map<String, Object> dm = new LinkedHashMap<>();
      dm.put("text", d.text());
      dm.put("exact", d.isExact());
      dm.put("max_price", d.maxPrice() == null ? null : d.maxPrice().toString());
      dm.put("years", d.years());
      dm.put("auto_renew", d.autoRenew());
      dm.put("tlds", d.preferredTlds());
      m.put("domain", dm);
    }
    if (!r.services().isEmpty()) {
      List<Object> services = new ArrayList<>();
      for (ServiceRequest s : r.services()) {
        services.add(Map.of("service", s.serviceId(), "configuration", s.configuration()));
      }
      m.put("services", services);
    }
    TokenSpec t = r.token();
    Map<String, Object> tm = new LinkedHashMap<>();
    tm.put("allow", t.allowIps());
    tm.put("deny", t.denyIps());
    tm.put("ttl_seconds", t.ttl().getSeconds());
    tm.put("extra", new ArrayList<>(new java.util.TreeSet<>(t.extraPermissions())));
    tm.put("broad", t.broadToken().name());
    m.put("token", tm);
    WorkerApp a = r.app();
    if (a == null) {
      return Json.canonical(m); // a run that only provisions services
    }
    Map<String, Object> am = new LinkedHashMap<>();
    am.put("name", a.name());
    am.put("main", a.mainModule());
    am.put("compatibility_date", a.compatibilityDate().toString());
    am.put("flags", a.compatibilityFlags());
    List<Object> modules = new ArrayList<>();
    for (WorkerApp.Module mod : a.modules()) {
      modules.add(Map.of("path", mod.path(), "type", mod.contentType(),
          "content", Base64.getEncoder().encodeToString(mod.content())));
    }
    am.put("modules", modules);
    List<Object> bindings = new ArrayList<>();
    for (WorkerApp.Binding b : a.bindings()) {
      Map<String, Object> bm = new LinkedHashMap<>();
      bm.put("type", b.type());
      bm.put("name", b.name());
      bm.put("attributes", b.attributes());
      if (b.secret() != null) {
        String key = "runs/" + run + "/app-secret/" + b.name();
        vault.put(new VaultEntry(key, b.secret(), Map.of("kind", "worker-secret-binding"), clock.instant(), null));
        bm.put("secret_ref", key);
      }
      bindings.add(bm);
    }
    am.put("bindings", bindings);
    m.put("app", am);
    return Json.canonical(m);
  }

  static ProvisionRequest decode(String json, RunId run, CredentialVault vault) {
    Map<String, Object> m = Json.parseObject(json);
    ProvisionRequest.Builder b = ProvisionRequest.builder()
        .agent(AgentId.of(required(m, "agent", run)))
        .provider(required(m, "provider", run))
        .project(required(m, "project", run))
        .environment(required(m, "environment", run))
        .runId(run);
    String plan = Json.string(m, "plan");
    if (plan != null) {
      b.plan(plan);
    }
    Map<String, Object> dm = Json.object(m, "domain");
    if (!dm.isEmpty()) {
      String text = required(dm, "text", run);
      DomainRequest d = Boolean.TRUE.equals(dm.get("exact")) ? DomainRequest.exact(text) : DomainRequest.query(text);
      String max = Json.string(dm, "max_price");
      if (max != null) {
        d = d.maxPrice(Money.parse(max));
      }
      d = d.years(number(dm, "years", run).intValue()).autoRenew(Boolean.TRUE.equals(dm.get("auto_renew")));
      List<Object> tlds = Json.list(dm, "tlds");
      if (!tlds.isEmpty()) {
        d = d.preferTlds(tlds.stream().map(String::valueOf).toArray(String[]::new));
      }
      b.domain(d);
    }
    Map<String, Object> tm = Json.object(m, "token");
    TokenSpec t = TokenSpec.leastPrivilege()
        .ttl(Duration.ofSeconds(number(tm, "ttl_seconds", run).longValue()))
        .retireBroadToken(TokenSpec.BroadToken.valueOf(required(tm, "broad", run)));
    List<Object> allow = Json.list(tm, "allow");
    if (!allow.isEmpty()) {
      t = t.allowIps(allow.stream().map(String::valueOf).toArray(String[]::new));
    }
    List<Object> deny = Json.list(tm, "deny");
    if (!deny.isEmpty()) {
      t = t.denyIps(deny.stream().map(String::valueOf).toArray(String[]::new));
    }
    for (Object e : Json.list(tm, "extra")) {
      t = t.extraPermission(String.valueOf(e));
    }
    b.token(t);
    for (Object o : Json.list(m, "services")) {
      Map<String, Object> sm = object(o, "a service", run);
      b.service(ServiceRequest.of(required(sm, "service", run), Json.object(sm, "configuration")));
    }
    if (!(m.get("app") instanceof Map<?, ?>)) {
      return b.build();
    }
    Map<String, Object> am = Json.object(m, "app");
    WorkerApp.Builder ab = WorkerApp.builder(required(am, "name", run))
        .compatibilityDate(required(am, "compatibility_date", run));
    for (Object f : Json.list(am, "flags")) {
      ab.compatibilityFlag(String.valueOf(f));
    }
    for (Object o : Json.list(am, "modules")) {
      Map<String, Object> mod = object(o, "a module", run);
      ab.module(required(mod, "path", run), Base64.getDecoder().decode(required(mod, "content", run)),
          required(mod, "type", run));
    }
    ab.mainModule(required(am, "main", run));
    for (Object o : Json.list(am, "bindings")) {
      Map<String, Object> bm = object(o, "a binding", run);
      String type = required(bm, "type", run);
      String name = required(bm, "name", run);
      String ref = Json.string(bm, "secret_ref");
      if (ref != null) {
        VaultEntry e = vault.get(ref).orElseThrow(() -> new IllegalStateException(
            "the vault no longer holds secret binding " + name + " of run " + run));
        ab.binding(WorkerApp.Binding.secretText(name, e.secret()));
      } else {
        Map<String, String> attrs = new LinkedHashMap<>();
        Json.object(bm, "attributes").forEach((k, v) -> attrs.put(k, String.valueOf(v)));
        ab.binding(WorkerApp.Binding.of(type, name, attrs));
      }
    }
    b.app(ab.build());
    return b.build();
  }

  private static String required(Map<String, Object> m, String key, RunId run) {
    String v = Json.string(m, key);
    if (v == null) {
      throw new IllegalStateException("the journaled request of run " + run + " has no '" + key + "'");
    }
    return v;
  }

  private static Number number(Map<String, Object> m, String key, RunId run) {
    if (!(m.get(key) instanceof Number n)) {
      throw new IllegalStateException("the journaled request of run " + run + " has no number '" + key + "'");
    }
    return n;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object o, String what, RunId run) {
    if (!(o instanceof Map<?, ?> map)) {
      throw new IllegalStateException("the journaled request of run " + run + " has " + what + " that is not an object");
    }
    return (Map<String, Object>) map;
  }
}
