package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * API tokens: account-owned ({@code /accounts/{id}/tokens}, what this SDK mints) or user-owned
 * ({@code /user/tokens}); both have the same shapes. The secret value appears only in the answers
 * to {@link #create} and {@link #roll}, and is handed back as a {@link Secret}.
 *
 * <pre>{@code
 * ApiTokens tokens = client.accountTokens(accountId);
 * Map<String, PermissionGroup> groups = tokens.permissionGroups(List.of("Workers Scripts Write"));
 * CreatedToken t = tokens.create(TokenDraft.builder("deploy")
 *     .policy(TokenPolicy.allow(LeastPrivilege.accountResource(accountId),
 *         List.of(groups.get("Workers Scripts Write"))))
 *     .build());
 * vault.put(new VaultEntry("deploy-token", t.value(), Map.of("token_id", t.token().id()), now, null));
 * }</pre>
 */
public final class ApiTokens {
  /** Who owns the tokens. */
  public enum Owner { ACCOUNT, USER }

  private final CloudflareClient client;
  private final Owner owner;
  private final String base;

  private ApiTokens(CloudflareClient client, Owner owner, String base) {
    this.client = Objects.requireNonNull(client, "client");
    this.owner = owner;
    this.base = base;
  }

  static ApiTokens forAccount(CloudflareClient client, String accountId) {
    return new ApiTokens(client, Owner.ACCOUNT, "/accounts/" + CloudflareClient.segment(accountId, "accountId") + "/tokens");
  }

  static ApiTokens forUser(CloudflareClient client) {
    return new ApiTokens(client, Owner.USER, "/user/tokens");
  }

  public Owner owner() {
    return owner;
  }

  /** Every permission group a token of this owner can be granted. */
  public List<PermissionGroup> permissionGroups() {
    return client.listSingle(base + "/permission_groups", Map.of(), Wire.PermissionGroupJson.class, PermissionGroup::from);
  }

  /**
   * Looks permission groups up by name (case-insensitive), in the order asked.
   *
   * @throws InvalidRequestException naming the first unknown group
   */
  public Map<String, PermissionGroup> permissionGroups(Collection<String> names) {
    Map<String, PermissionGroup> byName = new LinkedHashMap<>();
    for (PermissionGroup g : permissionGroups()) {
      byName.putIfAbsent(g.name().toLowerCase(Locale.ROOT), g);
    }
    Map<String, PermissionGroup> out = new LinkedHashMap<>();
    for (String n : names) {
      PermissionGroup g = byName.get(n.toLowerCase(Locale.ROOT));
      if (g == null) {
        throw new InvalidRequestException("permission", "'" + n + "' is not a permission group Cloudflare offers to "
            + (owner == Owner.ACCOUNT ? "account-owned" : "user-owned") + " tokens",
            "use a name as listed by GET " + base + "/permission_groups, such as \"Workers Scripts Write\"");
      }
      out.put(n, g);
    }
    return out;
  }

  /** Creates a token; the answer holds its value, shown this once. */
  public CreatedToken create(TokenDraft draft) {
    Objects.requireNonNull(draft, "draft");
    return client.<Wire.TokenJson>exchange("POST", base, Map.of(), CloudflareClient.json(draft.toJson()), Map.of(),
        Wire.TokenJson.class).map(t -> new CreatedToken(ApiToken.from(t), Secret.of(Wire.required(t.value(), "value",
            "the create answer holds no token value"))));
  }

  /** The token {@code id}. */
  public ApiToken get(String id) {
    return client.<Wire.TokenJson>exchange("GET", base + "/" + CloudflareClient.segment(id, "tokenId"), Map.of(), null,
        Map.of(), Wire.TokenJson.class).map(ApiToken::from);
  }

  /** Every token, across pages. */
  public List<ApiToken> list() {
    return client.listPages(base, Map.of(), Wire.TokenJson.class, ApiToken::from);
  }

  /**
   * The tokens named exactly {@code name}, across pages. Unlike {@link #list()} it holds one page at
   * a time and keeps only the matches, so looking for a leftover token in an account with thousands
   * of them costs the pages' requests but not the account's whole token list in memory.
   */
  public List<ApiToken> named(String name) {
    Objects.requireNonNull(name, "name");
    return client.listPages(base, Map.of(), Wire.TokenJson.class, t -> name.equals(t.name()), ApiToken::from);
  }

  /** Verifies the token this client calls with: its id, status and validity window. */
  public TokenVerification verify() {
    return client.<Wire.VerifyJson>exchange("GET", base + "/verify", Map.of(), null, Map.of(), Wire.VerifyJson.class)
        .map(TokenVerification::from);
  }

  /**
   * Rolls the token's value ({@code PUT …/{id}/value} with {@code {}}): same id and permissions, a
   * new secret; the old value stops working at once.
   */
  public Secret roll(String id) {
    String path = base + "/" + CloudflareClient.segment(id, "tokenId") + "/value";
    // Cloudflare answers with the new value as a bare string result; an object holding "value" is read too.
    return client.<Wire.TokenValue>exchange("PUT", path, Map.of(), CloudflareClient.json(Map.of()), Map.of(),
        Wire.TokenValue.class).map(v -> Secret.of(Wire.required(v.value(), "value", "the roll answer holds no token value")));
  }

  /**
   * Moves the token's expiry to {@code newExpiry}, keeping its name, policies and IP condition
   * ({@code PUT …/{id}}). Rolling alone never extends a token's life; renewal does this, then rolls.
   */
  public ApiToken extend(String id, java.time.Instant newExpiry) {
    ApiToken current = get(id);
    TokenDraft.Builder b = TokenDraft.builder(current.name())
        .policies(current.policies())
        .allowIps(current.allowIps().toArray(String[]::new))
        .denyIps(current.denyIps().toArray(String[]::new))
        .notBefore(current.notBefore())
        .expiresOn(Objects.requireNonNull(newExpiry, "newExpiry"));
    Map<String, Object> body = new LinkedHashMap<>(b.build().toJson());
    body.put("status", "active");
    return client.<Wire.TokenJson>exchange("PUT", base + "/" + CloudflareClient.segment(id, "tokenId"), Map.of(),
        CloudflareClient.json(body), Map.of(), Wire.TokenJson.class).map(ApiToken::from);
  }

  /**
   * Deletes the token.
   *
   * @return true when it was deleted, false when it did not exist (deleting twice is not an error)
   */
  public boolean delete(String id) {
    try {
      client.delete(base + "/" + CloudflareClient.segment(id, "tokenId"));
      return true;
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }
}
