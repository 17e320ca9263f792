package io.agentprovision.testing.cloudflare;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The sandbox's mutable state: plain holders guarded by the sandbox's lock. */
final class SandboxModel {
  private SandboxModel() {}

  /** One token policy as stored. */
  record Policy(String id, String effect, List<String> groupIds, Map<String, Object> resources) {}

  static final class Account {
    final String id;
    final String name;
    final Instant createdOn;
    @Nullable String subdomain;
    final Map<String, Script> scripts = new LinkedHashMap<>();
    final Map<String, WorkerDomain> domains = new LinkedHashMap<>();
    final Map<String, Registration> registrations = new LinkedHashMap<>();
    final Map<String, Registration> sandboxRegistrations = new LinkedHashMap<>();
    final List<Map<String, Object>> notificationPolicies = new ArrayList<>();

    Account(String id, String name, Instant createdOn) {
      this.id = id;
      this.name = name;
      this.createdOn = createdOn;
    }
  }

  static final class Token {
    final String id;
    final @Nullable String accountId; // null: user-owned
    String name;
    String value;
    String status = "active";
    List<Policy> policies;
    List<String> allowIps;
    List<String> denyIps;
    @Nullable Instant notBefore;
    @Nullable Instant expiresOn;
    final Instant issuedOn;
    Instant modifiedOn;
    @Nullable Instant lastUsedOn;
    boolean legacyConditionKey;

    Token(String id, @Nullable String accountId, String name, String value, List<Policy> policies, List<String> allowIps,
        List<String> denyIps, @Nullable Instant notBefore, @Nullable Instant expiresOn, Instant issuedOn) {
      this.id = id;
      this.accountId = accountId;
      this.name = name;
      this.value = value;
      this.policies = policies;
      this.allowIps = allowIps;
      this.denyIps = denyIps;
      this.notBefore = notBefore;
      this.expiresOn = expiresOn;
      this.issuedOn = issuedOn;
      this.modifiedOn = issuedOn;
    }
  }

  /** One uploaded module. */
  record Module(String name, String contentType, byte[] content) {}

  static final class Script {
    final String name;
    String mainModule;
    String compatibilityDate;
    List<String> compatibilityFlags;
    List<Map<String, Object>> bindings;
    Map<String, Module> modules;
    String etag;
    final Instant createdOn;
    Instant modifiedOn;
    boolean subdomainEnabled;
    boolean previewsEnabled;
    int uploads;

    Script(String name, Instant createdOn) {
      this.name = name;
      this.createdOn = createdOn;
      this.modifiedOn = createdOn;
      this.mainModule = "";
      this.compatibilityDate = "";
      this.compatibilityFlags = List.of();
      this.bindings = List.of();
      this.modules = Map.of();
      this.etag = "";
    }
  }

  record WorkerDomain(String id, String hostname, String service, String zoneId, String zoneName, String certId) {}

  static final class Zone {
    final String id;
    final String name;
    final String accountId;
    String status;
    final Instant createdOn;
    @Nullable Instant activatedOn;
    final boolean registrar;
    final Map<String, Route> routes = new LinkedHashMap<>();

    Zone(String id, String name, String accountId, String status, Instant createdOn, boolean registrar) {
      this.id = id;
      this.name = name;
      this.accountId = accountId;
      this.status = status;
      this.createdOn = createdOn;
      this.registrar = registrar;
    }
  }

  record Route(String id, String pattern, String script) {}

  /** How a registration's workflow goes. */
  static final class Registration {
    final String domain;
    final int years;
    /** Changed by a PATCH of the registration, the one field the API lets anyone change. */
    volatile boolean autoRenew;
    final Instant createdAt;
    Instant updatedAt;
    String state = "pending";
    /** Polls answered so far. */
    int polls;
    final CloudflareSandbox.RegistrationScript script;
    boolean actionResolved;
    @Nullable String errorCode;
    @Nullable String errorMessage;
    final boolean sandbox;

    Registration(String domain, int years, boolean autoRenew, Instant createdAt, CloudflareSandbox.RegistrationScript script,
        boolean sandbox) {
      this.domain = domain;
      this.years = years;
      this.autoRenew = autoRenew;
      this.createdAt = createdAt;
      this.updatedAt = createdAt;
      this.script = script;
      this.sandbox = sandbox;
    }
  }
}
