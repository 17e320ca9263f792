package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Fields;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /accounts}: the accounts the token may act on. An ordinary user's account comes from
 * the provisioning protocol or sign-up ({@code POST /accounts} is for tenant administrators), so
 * this SDK only lists.
 *
 * <pre>{@code
 * String accountId = client.accounts().list().get(0).id();
 * }</pre>
 */
public final class Accounts {
  private final CloudflareClient client;

  Accounts(CloudflareClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Every account the token can see, across pages. */
  public List<Account> list() {
    return client.listPages("/accounts", Map.of(), Account::from);
  }

  /** The account {@code id}. */
  public Account get(String id) {
    return Account.from(client.get("/accounts/" + CloudflareClient.segment(id, "accountId")).requireObject("account"));
  }

  /**
   * A Cloudflare account.
   *
   * @param id the 32-hex-digit account id
   * @param name its name
   * @param type {@code standard} or {@code enterprise}
   */
  public record Account(String id, String name, String type) {
    static Account from(Map<String, Object> m) {
      return new Account(Fields.string(m, "id", ""), Fields.string(m, "name", ""), Fields.string(m, "type", "standard"));
    }
  }
}
