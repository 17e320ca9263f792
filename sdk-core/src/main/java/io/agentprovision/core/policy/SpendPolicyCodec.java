package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.wire.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The one JSON form of a {@link SpendPolicy}, its {@link SpendLimit}s and {@link LimitUsage}s, for
 * stores that keep them ({@code PolicyStore}s, ledgers that record each reservation's usage). The
 * form is canonical (keys sorted, no whitespace; see {@link Json#canonical}): equal policies give
 * equal strings, so a store can compare two by their text, and the text is stable across releases.
 *
 * <pre>{@code
 * String json = SpendPolicyCodec.toJson(policy);
 * SpendPolicy same = SpendPolicyCodec.fromJson(json);   // equal limits, threshold, alerts, zone, TTL, MFA, step-up age
 * }</pre>
 *
 * <p>A policy is written as
 * <pre>{@code
 * {"alert_at":[50,80,100],"approval_above":"USD 0.00","format":"agentprovision-spend-policy",
 *  "limits":[{"amount":"USD 100.00","interval":"monthly","scope":"per-provider"}],
 *  "mfa_for":["DOMAIN_PURCHASE"],"reservation_ttl":"PT1H","step_up_max_age":"PT5M","version":1,"zone":"UTC"}
 * }</pre>
 * Limits keep their order (the ledger names the first that refuses); a limit's {@code agent} and
 * {@code provider} filters appear only when set; {@code mfa_for} is sorted; {@code velocity} (each
 * limit's action, max, window and scope, in order) appears only when the policy has velocity limits. Money is
 * {@link Money#toString()}'s {@code "USD 12.34"}, the TTL and step-up age ISO-8601 durations, the zone its id.
 */
public final class SpendPolicyCodec {
  /** The {@code format} member of a policy document. */
  public static final String FORMAT = "agentprovision-spend-policy";
  /** The {@code version} member this codec writes and reads. */
  public static final long VERSION = 1;

  private SpendPolicyCodec() {}

  /** The canonical JSON of {@code policy}. */
  public static String toJson(SpendPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("version", VERSION);
    List<Object> limits = new ArrayList<>();
    for (SpendLimit l : policy.limits()) {
      limits.add(limitMap(l));
    }
    m.put("limits", limits);
    m.put("approval_above", policy.approvalThreshold().toString());
    m.put("alert_at", policy.alertPercents());
    m.put("zone", policy.zone().getId());
    m.put("reservation_ttl", policy.reservationTtl().toString());
    TreeSet<String> mfa = new TreeSet<>();
    for (CheckpointKind k : policy.mfaRequiredFor()) {
      mfa.add(k.name());
    }
    m.put("mfa_for", new ArrayList<>(mfa));
    m.put("step_up_max_age", policy.stepUpMaxAge().toString());
    if (!policy.velocityLimits().isEmpty()) {
      List<Object> velocity = new ArrayList<>();
      for (VelocityLimit v : policy.velocityLimits()) {
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("action", v.action().name());
        vm.put("max", (long) v.max());
        vm.put("window", v.window().toString());
        vm.put("scope", v.scope().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        velocity.add(vm);
      }
      m.put("velocity", velocity);
    }
    return Json.canonical(m);
  }

  /**
   * Reads what {@link #toJson(SpendPolicy)} wrote; members it does not know are ignored, so a
   * document written by a later release with more members still reads.
   *
   * @throws InvalidRequestException when {@code json} is not such a document, naming what is wrong
   */
  public static SpendPolicy fromJson(String json) {
    Objects.requireNonNull(json, "json");
    try {
      Map<String, Object> m = Json.parseObject(json);
      if (!FORMAT.equals(m.get("format"))) {
        throw new IllegalArgumentException("it is not a spend policy (format " + m.get("format") + ")");
      }
      if (!Long.valueOf(VERSION).equals(m.get("version"))) {
        throw new IllegalArgumentException("its version " + m.get("version") + " is not " + VERSION
            + " (written by another release)");
      }
      SpendPolicy.Builder b = SpendPolicy.builder();
      List<SpendLimit> limits = new ArrayList<>();
      for (Object o : Json.list(m, "limits")) {
        limits.add(limit(asMap(o, "a limit")));
      }
      b.replaceLimits(limits);
      b.requireApprovalAbove(Money.parse(required(m, "approval_above")));
      List<Object> percents = Json.list(m, "alert_at");
      int[] p = new int[percents.size()];
      for (int i = 0; i < p.length; i++) {
        if (!(percents.get(i) instanceof Long n)) {
          throw new IllegalArgumentException("an alert percentage is not a whole number");
        }
        p[i] = Math.toIntExact(n);
      }
      b.alertAt(p);
      b.zone(ZoneId.of(required(m, "zone")));
      b.reservationTtl(Duration.parse(required(m, "reservation_ttl")));
      List<CheckpointKind> kinds = new ArrayList<>();
      for (Object o : Json.list(m, "mfa_for")) {
        if (!(o instanceof String s)) {
          throw new IllegalArgumentException("an MFA checkpoint is not a string");
        }
        kinds.add(CheckpointKind.valueOf(s));
      }
      b.requireMfaFor(kinds.toArray(CheckpointKind[]::new));
      String stepUp = Json.string(m, "step_up_max_age");
      if (stepUp != null) { // absent from documents written before step-up had an age; the default applies
        b.stepUpMaxAge(Duration.parse(stepUp));
      }
      if (m.get("velocity") != null) { // absent when the policy has no velocity limit
        for (Object o : Json.list(m, "velocity")) {
          Map<String, Object> vm = asMap(o, "a velocity limit");
          if (!(vm.get("max") instanceof Long max)) {
            throw new IllegalArgumentException("a velocity limit's max is not a whole number");
          }
          VelocityLimit v = VelocityLimit.within(VelocityAction.valueOf(required(vm, "action")), Math.toIntExact(max),
              Duration.parse(required(vm, "window")));
          v = switch (VelocityLimit.Scope.valueOf(required(vm, "scope").toUpperCase(Locale.ROOT).replace('-', '_'))) {
            case HOST -> v.perHost();
            case PER_AGENT -> v.perAgent();
            case PER_PRINCIPAL -> v.perPrincipal();
          };
          b.velocity(v);
        }
      }
      return b.build();
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException("policy", "the stored policy holds a value the SDK refuses: " + e.problem(),
          "restore the policy from its history or write it again with updateSpendPolicy");
    } catch (RuntimeException e) { // malformed JSON, unknown enum constants, bad zone or duration
      throw new InvalidRequestException("policy", "the stored policy is unreadable: " + e.getMessage(),
          "restore the policy from its history or write it again with updateSpendPolicy");
    }
  }

  /** The canonical JSON of one limit, as it appears in a policy's {@code limits}. */
  public static String toJson(SpendLimit limit) {
    return Json.canonical(limitMap(Objects.requireNonNull(limit, "limit")));
  }

  /**
   * Reads one limit written by {@link #toJson(SpendLimit)}.
   *
   * @throws InvalidRequestException when it is not such a limit
   */
  public static SpendLimit limitFromJson(String json) {
    try {
      return limit(Json.parseObject(Objects.requireNonNull(json, "json")));
    } catch (RuntimeException e) {
      throw new InvalidRequestException("limit", "the stored limit is unreadable: " + e.getMessage(),
          "write limits with SpendPolicyCodec.toJson");
    }
  }

  /**
   * The canonical JSON of the usages a reservation recorded: for each, the limit, the bucket's
   * label, the window and what was used.
   */
  public static String usagesToJson(List<LimitUsage> usages) {
    List<Object> out = new ArrayList<>(usages.size());
    for (LimitUsage u : usages) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("limit", limitMap(u.limit()));
      m.put("bucket", u.bucket());
      m.put("window_start", u.window().start().toString());
      m.put("window_end", u.window().end().toString());
      m.put("used", u.used().toString());
      out.add(m);
    }
    return Json.canonical(out);
  }

  /**
   * Reads what {@link #usagesToJson} wrote.
   *
   * @throws InvalidRequestException when it is not such a list
   */
  public static List<LimitUsage> usagesFromJson(String json) {
    try {
      Object parsed = Json.parse(Objects.requireNonNull(json, "json"));
      if (!(parsed instanceof List<?> list)) {
        throw new IllegalArgumentException("it is not a list");
      }
      List<LimitUsage> out = new ArrayList<>(list.size());
      for (Object o : list) {
        Map<String, Object> m = asMap(o, "a usage");
        out.add(new LimitUsage(limit(asMap(m.get("limit"), "a usage's limit")), required(m, "bucket"),
            new SpendInterval.Window(Instant.parse(required(m, "window_start")),
                Instant.parse(required(m, "window_end"))),
            Money.parse(required(m, "used"))));
      }
      return out;
    } catch (RuntimeException e) {
      throw new InvalidRequestException("usage", "the stored limit usages are unreadable: " + e.getMessage(),
          "write usages with SpendPolicyCodec.usagesToJson");
    }
  }

  private static Map<String, Object> limitMap(SpendLimit l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("amount", l.amount().toString());
    m.put("interval", l.interval().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    m.put("scope", l.scope().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    if (l.provider() != null) {
      m.put("provider", l.provider());
    }
    if (l.agent() != null) {
      m.put("agent", l.agent().value());
    }
    return m;
  }

  private static SpendLimit limit(Map<String, Object> m) {
    SpendLimit l = SpendLimit.of(Money.parse(required(m, "amount")),
        SpendInterval.valueOf(required(m, "interval").toUpperCase(Locale.ROOT).replace('-', '_')));
    SpendLimit.Scope scope = SpendLimit.Scope.valueOf(required(m, "scope").toUpperCase(Locale.ROOT).replace('-', '_'));
    if (scope == SpendLimit.Scope.PER_AGENT || scope == SpendLimit.Scope.PER_AGENT_AND_PROVIDER) {
      l = l.perAgent();
    }
    if (scope == SpendLimit.Scope.PER_PROVIDER || scope == SpendLimit.Scope.PER_AGENT_AND_PROVIDER) {
      l = l.perProvider();
    }
    String provider = Json.string(m, "provider");
    if (provider != null) {
      l = l.forProvider(provider);
    }
    String agent = Json.string(m, "agent");
    if (agent != null) {
      l = l.forAgent(AgentId.of(agent));
    }
    return l;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(@Nullable Object o, String what) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException(what + " is not an object");
    }
    return (Map<String, Object>) o;
  }

  private static String required(Map<String, Object> m, String key) {
    String v = Json.string(m, key);
    if (v == null) {
      throw new IllegalArgumentException("'" + key + "' is missing");
    }
    return v;
  }
}
