package io.agentprovision.testing.sandbox;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.protocol.Backend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The provider sandbox's back end played by the Cloudflare v4 sandbox, as a real provider's would
 * be its own platform: an account per e-mail is a Cloudflare account; a resource's credentials are
 * a broad account-owned API token minted there (enough to mint narrower tokens, upload Workers and
 * bind domains) with the account id; a rotation mints a new token and deletes the old; domains are
 * priced by the Cloudflare Registrar's table and registering one creates its zone in the account.
 * Thread-safe.
 */
final class CloudflareProviderBackend implements Backend {
  /** The access-configuration name of the API token. */
  static final String TOKEN_KEY = "CLOUDFLARE_API_TOKEN";
  /** The access-configuration name of the account id. */
  static final String ACCOUNT_KEY = "CLOUDFLARE_ACCOUNT_ID";

  private final CloudflareSandbox cloudflare;
  private final Map<String, String> accountsByEmail = new HashMap<>();
  private final Map<String, String> tokenIdsByResource = new HashMap<>();
  private final List<String> deprovisioned = new ArrayList<>();

  CloudflareProviderBackend(CloudflareSandbox cloudflare) {
    this.cloudflare = Objects.requireNonNull(cloudflare, "cloudflare");
  }

  @Override
  public synchronized @Nullable String findAccount(String email) {
    return accountsByEmail.get(email.toLowerCase(Locale.ROOT));
  }

  @Override
  public synchronized String createAccount(String email, @Nullable String name) {
    String id = cloudflare.createAccount((name == null || name.isBlank() ? email : name) + "'s Account");
    accountsByEmail.put(email.toLowerCase(Locale.ROOT), id);
    return id;
  }

  @Override
  public synchronized Map<String, String> issueCredentials(String accountId, String resourceId, String serviceId,
      Map<String, Object> configuration) {
    revokeCredentials(accountId, resourceId);
    if (serviceId.startsWith("registrar:")) {
      return Map.of(); // a registration has nothing to act with; the zone is reached with the Workers credentials
    }
    Secret token = cloudflare.mintBroadToken(accountId);
    tokenIdsByResource.put(resourceId, cloudflare.tokenByValue(token).orElseThrow().id());
    Map<String, String> c = new LinkedHashMap<>();
    c.put(TOKEN_KEY, token.reveal());
    c.put(ACCOUNT_KEY, accountId);
    return c;
  }

  @Override
  public synchronized void revokeCredentials(String accountId, String resourceId) {
    String old = tokenIdsByResource.remove(resourceId);
    if (old != null) {
      cloudflare.revokeToken(old);
    }
  }

  /** The Registrar's names for the query; names it lists without a price are left out. */
  @Override
  public List<DomainOffer> searchDomains(String accountId, String query) {
    List<DomainOffer> out = new ArrayList<>();
    for (CloudflareSandbox.DomainQuote q : cloudflare.quoteDomains(query)) {
      if (q.currency() != null && q.registrationCost() != null) {
        out.add(new DomainOffer(q.name(), Money.fromDecimal("registration_cost", q.registrationCost(), q.currency()),
            q.registrable()));
      }
    }
    return out;
  }

  @Override
  public void registerDomain(String accountId, String domain) {
    cloudflare.registerDomain(accountId, domain);
  }

  @Override
  public synchronized void deprovision(String accountId, String resourceId, String serviceId) {
    deprovisioned.add(resourceId);
  }

  /** The provider resources deprovisioned so far, in order. */
  synchronized List<String> deprovisioned() {
    return List.copyOf(deprovisioned);
  }
}
