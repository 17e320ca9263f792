package io.agentprovision.testing.protocol;

import io.agentprovision.core.Money;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the {@link ProviderSandbox} does behind the protocol: keep accounts, issue credentials for
 * resources, price and register domains. The default, {@link InMemoryBackend}, keeps everything in
 * memory; another implementation can back the sandbox with a Cloudflare v4 sandbox so that the
 * credentials it issues really work there. Calls are made under the sandbox's lock, one at a time.
 */
public interface Backend {
  /** The account id for {@code email}, or null when the e-mail has no account. */
  @Nullable String findAccount(String email);

  /** Creates an account for {@code email} and returns its id. */
  String createAccount(String email, @Nullable String name);

  /**
   * Issues credentials for a resource, such as {@code CLOUDFLARE_API_TOKEN} and
   * {@code CLOUDFLARE_ACCOUNT_ID}; a second call for the same resource (a rotation) issues new ones
   * and invalidates the old. May return an empty map for a resource without credentials.
   */
  Map<String, String> issueCredentials(String accountId, String resourceId, String serviceId,
      Map<String, Object> configuration);

  /** Invalidates the resource's credentials. */
  void revokeCredentials(String accountId, String resourceId);

  /** Candidate domains for a search, with their one-year registration price and availability. */
  List<DomainOffer> searchDomains(String accountId, String query);

  /** Registers {@code domain} for the account (already paid for). */
  void registerDomain(String accountId, String domain);

  /** Deprovisions a resource (cancels a plan); its credentials are revoked separately. */
  void deprovision(String accountId, String resourceId, String serviceId);

  /**
   * A domain offered in a search.
   *
   * @param name the full domain name
   * @param price the registration price
   * @param available whether it can be registered
   */
  record DomainOffer(String name, Money price, boolean available) {
    public DomainOffer {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(price, "price");
    }
  }
}
