package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.net.URI;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Converts between step results and the string maps the journal keeps, so that a resumed run
 * rebuilds exactly what its finished steps produced. Never holds a secret: credentials are vault keys.
 */
final class Outputs {
  static final String ATTR = "attr.";

  private Outputs() {}

  static Map<String, String> principal(Principal p) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("subject", p.subject());
    m.put("issuer", p.issuer());
    put(m, "email", p.email());
    m.put("email_verified", String.valueOf(p.emailVerified()));
    put(m, "name", p.name());
    m.put("verified_fields", String.join(",", new java.util.TreeSet<>(p.verifiedFields())));
    put(m, "acr", p.acr());
    m.put("amr", String.join(",", p.amr()));
    put(m, "auth_time", p.authTime() == null ? null : p.authTime().toString());
    return m;
  }

  static Principal principal(Map<String, String> m) {
    return Principal.builder(m.get("subject"), m.get("issuer"))
        .email(m.get("email"), Boolean.parseBoolean(m.get("email_verified")))
        .name(m.get("name"))
        .verifiedFields(java.util.Set.copyOf(list(m.get("verified_fields"))))
        .acr(m.get("acr"))
        .amr(list(m.get("amr")))
        .authTime(m.get("auth_time") == null ? null : Instant.parse(m.get("auth_time")))
        .build();
  }

  static Map<String, String> account(ProviderAccount a) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("provider", a.provider());
    m.put("account_id", a.accountId());
    put(m, "connection_id", a.connectionId());
    put(m, "display_name", a.displayName());
    put(m, "email", a.email());
    m.put("link_action", a.linkAction().name());
    a.attributes().forEach((k, v) -> m.put(ATTR + k, v));
    return m;
  }

  static ProviderAccount account(Map<String, String> m) {
    return new ProviderAccount(m.get("provider"), m.get("account_id"), m.get("connection_id"), m.get("display_name"),
        m.get("email"), ProviderAccount.LinkAction.valueOf(m.get("link_action")), attributes(m));
  }

  static Map<String, String> resource(ResourceRef r, @Nullable Money charged) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("provider", r.provider());
    m.put("resource_id", r.id());
    m.put("service_id", r.serviceId());
    m.put("name", r.name());
    put(m, "charged", charged == null ? null : charged.toString());
    return m;
  }

  static ResourceRef resource(Map<String, String> m) {
    return new ResourceRef(m.get("provider"), m.get("resource_id"), m.get("service_id"), m.get("name"));
  }

  static Map<String, String> credentials(DeployCredentials c, String vaultKey, List<String> allowedIps) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("provider", c.provider());
    m.put("account_id", c.accountId());
    m.put("token_id", c.tokenId());
    m.put("vault_key", vaultKey);
    put(m, "expires_at", c.expiresAt() == null ? null : c.expiresAt().toString());
    m.put("permissions", String.join(",", c.permissions()));
    m.put("allowed_ips", String.join(",", allowedIps));
    c.attributes().forEach((k, v) -> m.put(ATTR + k, v));
    return m;
  }

  static DeployCredentials credentials(Map<String, String> m, CredentialVault vault) {
    String key = m.get("vault_key");
    Secret token = vault.get(key).map(VaultEntry::secret).orElseThrow(() -> new IllegalStateException(
        "the vault no longer holds the deploy token under " + key));
    return new DeployCredentials(m.get("provider"), m.get("account_id"), m.get("token_id"), token,
        m.get("expires_at") == null ? null : Instant.parse(m.get("expires_at")), list(m.get("permissions")),
        attributes(m));
  }

  static Map<String, String> deployed(DeployedApp d) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("provider", d.provider());
    m.put("account_id", d.accountId());
    m.put("script", d.scriptName());
    m.put("url", d.url().toString());
    put(m, "custom_url", d.customDomainUrl() == null ? null : d.customDomainUrl().toString());
    d.attributes().forEach((k, v) -> m.put(ATTR + k, v));
    return m;
  }

  static DeployedApp deployed(Map<String, String> m) {
    return new DeployedApp(m.get("provider"), m.get("account_id"), m.get("script"), URI.create(m.get("url")),
        m.get("custom_url") == null ? null : URI.create(m.get("custom_url")), attributes(m));
  }

  static Map<String, String> attributes(Map<String, String> m) {
    Map<String, String> out = new LinkedHashMap<>();
    m.forEach((k, v) -> {
      if (k.startsWith(ATTR)) {
        out.put(k.substring(ATTR.length()), v);
      }
    });
    return out;
  }

  static List<String> list(@Nullable String csv) {
    if (csv == null || csv.isEmpty()) {
      return List.of();
    }
    return Arrays.asList(csv.split(","));
  }

  static void put(Map<String, String> m, String k, @Nullable String v) {
    if (v != null) {
      m.put(k, v);
    }
  }
}
