package io.agentprovision.testing.protocol;

import io.agentprovision.core.Money;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The default {@link Backend}: accounts, credentials and domains in memory. Credentials are
 * {@code CLOUDFLARE_API_TOKEN} (random, 40 characters) and {@code CLOUDFLARE_ACCOUNT_ID}; domains
 * are offered under {@code .com} (USD 10.44), {@code .net} (USD 11.84), {@code .dev} (USD 12.00) and
 * {@code .app} (USD 14.00), and a name is unavailable once registered or when marked
 * {@link #taken taken}. Thread-safe.
 */
public final class InMemoryBackend implements Backend {
  /** The TLDs and prices offered for every search, in order. */
  public static final Map<String, Money> DEFAULT_TLD_PRICES = defaultPrices();

  private final SecureRandom random = new SecureRandom();
  private final Map<String, String> accounts = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> credentials = new HashMap<>();
  private final Set<String> activeTokens = new HashSet<>();
  private final Set<String> taken = new HashSet<>();
  private final List<String> registered = new ArrayList<>();
  private final List<String> deprovisioned = new ArrayList<>();
  private int counter;

  private static Map<String, Money> defaultPrices() {
    Map<String, Money> m = new LinkedHashMap<>();
    m.put("com", Money.usd("10.44"));
    m.put("net", Money.usd("11.84"));
    m.put("dev", Money.usd("12.00"));
    m.put("app", Money.usd("14.00"));
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Seeds an existing account for {@code email} (consent will be asked to link it); returns its id. */
  public synchronized String existingAccount(String email) {
    String id = findAccount(email);
    return id != null ? id : createAccount(email, null);
  }

  /** Marks domains as registered by someone else. */
  public synchronized InMemoryBackend taken(String... domains) {
    for (String d : domains) {
      taken.add(d.toLowerCase(Locale.ROOT));
    }
    return this;
  }

  @Override
  public synchronized @Nullable String findAccount(String email) {
    return accounts.get(email.toLowerCase(Locale.ROOT));
  }

  @Override
  public synchronized String createAccount(String email, @Nullable String name) {
    String id = String.format("acct_%08x", ++counter);
    accounts.put(email.toLowerCase(Locale.ROOT), id);
    return id;
  }

  @Override
  public synchronized Map<String, String> issueCredentials(String accountId, String resourceId, String serviceId,
      Map<String, Object> configuration) {
    revokeCredentials(accountId, resourceId);
    if (serviceId.startsWith("registrar:")) {
      return Map.of();
    }
    byte[] b = new byte[20];
    random.nextBytes(b);
    String token = HexFormat.of().formatHex(b);
    activeTokens.add(token);
    Map<String, String> c = new LinkedHashMap<>();
    c.put("CLOUDFLARE_API_TOKEN", token);
    c.put("CLOUDFLARE_ACCOUNT_ID", accountId);
    credentials.put(resourceId, c);
    return Map.copyOf(c);
  }

  @Override
  public synchronized void revokeCredentials(String accountId, String resourceId) {
    Map<String, String> old = credentials.remove(resourceId);
    if (old != null) {
      activeTokens.remove(old.get("CLOUDFLARE_API_TOKEN"));
    }
  }

  @Override
  public synchronized List<DomainOffer> searchDomains(String accountId, String query) {
    String label = query.toLowerCase(Locale.ROOT).replaceAll("\\.[a-z]+$", "").replaceAll("[^a-z0-9-]", "-");
    List<DomainOffer> out = new ArrayList<>();
    for (Map.Entry<String, Money> e : DEFAULT_TLD_PRICES.entrySet()) {
      String name = label + "." + e.getKey();
      out.add(new DomainOffer(name, e.getValue(), !taken.contains(name) && !registered.contains(name)));
    }
    return out;
  }

  @Override
  public synchronized void registerDomain(String accountId, String domain) {
    registered.add(domain.toLowerCase(Locale.ROOT));
  }

  @Override
  public synchronized void deprovision(String accountId, String resourceId, String serviceId) {
    deprovisioned.add(resourceId);
  }

  /** Whether {@code apiToken} is a currently valid credential (issued and neither rotated nor revoked). */
  public synchronized boolean isActive(String apiToken) {
    return activeTokens.contains(apiToken);
  }

  /** Domains registered, in order. */
  public synchronized List<String> registeredDomains() {
    return List.copyOf(registered);
  }

  /** Resources deprovisioned, in order. */
  public synchronized List<String> deprovisioned() {
    return List.copyOf(deprovisioned);
  }

  /** Account ids by e-mail. */
  public synchronized Map<String, String> accounts() {
    return Map.copyOf(accounts);
  }
}
