package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
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
    return client.listPages("/accounts", Map.of(), Wire.AccountJson.class, Account::from);
  }

  /** The account {@code id}. */
  public Account get(String id) {
    return client.<Wire.AccountJson>exchange("GET", "/accounts/" + CloudflareClient.segment(id, "accountId"), Map.of(), null,
        Map.of(), Wire.AccountJson.class).map(Account::from);
  }

  /**
   * A Cloudflare account.
   *
   * @param id the 32-hex-digit account id
   * @param name its name
   * @param type {@code standard} or {@code enterprise}
   */
  public record Account(String id, String name, String type) {
    static Account from(Wire.AccountJson j) {
      String type = j.type();
      String name = j.name();
      return new Account(Wire.required(j.id(), "id"), name == null ? "" : name, type == null ? "standard" : type);
    }
  }
}
