package io.agentprovision.testing.cloudflare;

import io.agentprovision.core.wire.Digests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The sandbox's permission groups (names as Cloudflare shows them, ids that look like Cloudflare's
 * and stay stable across runs) and the rule that decides whether a token's policies grant a
 * permission on an account, a zone, or the user.
 */
final class SandboxPermissions {
  static final String ACCOUNT = "com.cloudflare.api.account";
  static final String ZONE = "com.cloudflare.api.account.zone";
  static final String USER = "com.cloudflare.api.user";

  /** One permission group. */
  record Group(String id, String name, String category, List<String> scopes) {
    boolean zoneScoped() {
      return scopes.contains(ZONE);
    }

    boolean userScoped() {
      return scopes.contains(USER);
    }
  }

  private static final Map<String, Group> BY_ID = new LinkedHashMap<>();
  private static final Map<String, Group> BY_NAME = new LinkedHashMap<>();

  static {
    account("Workers Scripts Write", "developer_platform");
    account("Workers Scripts Read", "developer_platform");
    account("Workers KV Storage Write", "developer_platform");
    account("Workers KV Storage Read", "developer_platform");
    account("Workers R2 Storage Write", "developer_platform");
    account("Workers Tail Read", "developer_platform");
    account("D1 Write", "developer_platform");
    account("Account Settings Read", "account_and_billing");
    account("Account Settings Write", "account_and_billing");
    account("Account API Tokens Read", "account_and_billing");
    account("Account API Tokens Write", "account_and_billing");
    account("Billing Read", "account_and_billing");
    account("Notifications Read", "email_and_messaging");
    account("Notifications Write", "email_and_messaging");
    account("Registrar Domains Read", "dns_and_zones");
    account("Registrar Domains Write", "dns_and_zones");
    zone("Workers Routes Write", "developer_platform");
    zone("Workers Routes Read", "developer_platform");
    zone("Zone Read", "dns_and_zones");
    zone("Zone Write", "dns_and_zones");
    zone("DNS Read", "dns_and_zones");
    zone("DNS Write", "dns_and_zones");
    zone("SSL and Certificates Write", "app_security");
    user("API Tokens Read");
    user("API Tokens Write");
    user("User Details Read");
  }

  private SandboxPermissions() {}

  private static void account(String name, String category) {
    add(new Group(idFor(name), name, category, List.of(ACCOUNT)));
  }

  private static void zone(String name, String category) {
    add(new Group(idFor(name), name, category, List.of(ZONE)));
  }

  private static void user(String name) {
    add(new Group(idFor(name), name, "account_and_billing", List.of(USER)));
  }

  private static void add(Group g) {
    BY_ID.put(g.id(), g);
    BY_NAME.put(g.name().toLowerCase(Locale.ROOT), g);
  }

  /** 32 hex digits derived from the name, so ids look real and never change between runs. */
  private static String idFor(String name) {
    return Digests.sha256Hex("cf-permission-group:" + name).substring(0, 32);
  }

  static List<Group> all() {
    return List.copyOf(BY_ID.values());
  }

  static @Nullable Group byId(String id) {
    return BY_ID.get(id);
  }

  static Group byName(String name) {
    Group g = BY_NAME.get(name.toLowerCase(Locale.ROOT));
    if (g == null) {
      throw new IllegalArgumentException("the sandbox has no permission group named '" + name + "'");
    }
    return g;
  }

  static List<Group> accountGroups() {
    List<Group> out = new ArrayList<>();
    for (Group g : BY_ID.values()) {
      if (g.scopes().contains(ACCOUNT)) {
        out.add(g);
      }
    }
    return out;
  }

  static List<Group> zoneGroups() {
    List<Group> out = new ArrayList<>();
    for (Group g : BY_ID.values()) {
      if (g.zoneScoped()) {
        out.add(g);
      }
    }
    return out;
  }

  static List<Group> userGroups() {
    List<Group> out = new ArrayList<>();
    for (Group g : BY_ID.values()) {
      if (g.userScoped()) {
        out.add(g);
      }
    }
    return out;
  }

  /** What an endpoint needs: any of {@code names} on the target. */
  record Need(List<String> names, Target target) {}

  /** The thing a permission is checked on. */
  sealed interface Target permits OnAccount, OnZone, OnAllZones, OnUser {}

  /** An account-scoped permission on an account. */
  record OnAccount(String accountId) implements Target {}

  /** A zone-scoped permission on one zone of an account. */
  record OnZone(String accountId, String zoneId) implements Target {}

  /** A zone-scoped permission on every zone of an account (creating a zone needs this). */
  record OnAllZones(String accountId) implements Target {}

  /** A user-scoped permission. */
  record OnUser(String userId) implements Target {}

  /** Whether the policies grant one of {@code need.names()} on its target; a matching deny wins. */
  static boolean granted(List<SandboxModel.Policy> policies, Need need) {
    boolean allowed = false;
    for (SandboxModel.Policy p : policies) {
      boolean groupMatches = false;
      for (String gid : p.groupIds()) {
        Group g = BY_ID.get(gid);
        if (g != null && need.names().stream().anyMatch(n -> n.equalsIgnoreCase(g.name()))) {
          groupMatches = true;
          break;
        }
      }
      if (!groupMatches || !covers(p.resources(), need.target())) {
        continue;
      }
      if (p.effect().equals("deny")) {
        return false;
      }
      allowed = true;
    }
    return allowed;
  }

  @SuppressWarnings("unchecked")
  static boolean covers(Map<String, Object> resources, Target target) {
    for (Map.Entry<String, Object> e : resources.entrySet()) {
      String key = e.getKey();
      Object value = e.getValue();
      if (target instanceof OnAccount a) {
        if ("*".equals(value) && (key.equals(ACCOUNT + "." + a.accountId()) || key.equals(ACCOUNT + ".*"))) {
          return true;
        }
      } else if (target instanceof OnZone z) {
        if ("*".equals(value) && (key.equals(ZONE + "." + z.zoneId()) || key.equals(ZONE + ".*"))) {
          return true;
        }
        if (value instanceof Map<?, ?> nested && (key.equals(ACCOUNT + "." + z.accountId()) || key.equals(ACCOUNT + ".*"))) {
          Map<String, Object> n = (Map<String, Object>) nested;
          if ("*".equals(n.get(ZONE + "." + z.zoneId())) || "*".equals(n.get(ZONE + ".*"))) {
            return true;
          }
        }
      } else if (target instanceof OnAllZones all) {
        if ("*".equals(value) && key.equals(ZONE + ".*")) {
          return true;
        }
        if (value instanceof Map<?, ?> nested && (key.equals(ACCOUNT + "." + all.accountId()) || key.equals(ACCOUNT + ".*"))
            && "*".equals(((Map<String, Object>) nested).get(ZONE + ".*"))) {
          return true;
        }
      } else if (target instanceof OnUser u) {
        if ("*".equals(value) && (key.equals(USER + "." + u.userId()) || key.equals(USER + ".*"))) {
          return true;
        }
      }
    }
    return false;
  }
}
