package io.agentprovision.core.protocol;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.vault.VaultEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DirectOrchestrator}'s linked accounts: their provider tokens, refreshed before they
 * expire (by a margin of at most half their lifetime, one refresh at a time per account, and once
 * more when the provider answers 401), kept in memory and, with a session vault, across restarts.
 * Tokens are {@link Secret}s and never logged.
 */
final class AccountSessions {
  private static final Logger log = LoggerFactory.getLogger(AccountSessions.class);
  private static final String VAULT_PREFIX = "direct/";

  private final Function<String, ProviderBinding> bindings;
  private final Clock clock;
  private final Duration refreshSkew;
  private final @Nullable CredentialVault vault;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Map<String, String> linkedPrincipals = new ConcurrentHashMap<>();

  AccountSessions(Function<String, ProviderBinding> bindings, Clock clock, Duration refreshSkew,
      @Nullable CredentialVault vault) {
    this.bindings = bindings;
    this.clock = clock;
    this.refreshSkew = refreshSkew;
    this.vault = vault;
  }

  /** One linked account's tokens; refreshes are serialized by its lock. */
  final class Session {
    final ProviderBinding binding;
    final ProviderAccount account;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile ProviderTokens tokens;

    Session(ProviderBinding binding, ProviderAccount account, ProviderTokens tokens) {
      this.binding = binding;
      this.account = account;
      this.tokens = tokens;
    }

    ProviderTokens tokens() {
      return tokens;
    }

    boolean canRefresh() {
      return tokens.refreshToken() != null;
    }

    Secret accessToken(ProvisioningProvider client) {
      ProviderTokens t = tokens;
      if (!t.refreshDue(clock.instant(), refreshSkew)) {
        return t.accessToken();
      }
      lock.lock();
      try {
        t = tokens;
        if (!t.refreshDue(clock.instant(), refreshSkew)) {
          return t.accessToken(); // another thread refreshed while this one waited
        }
        return refresh(client, t);
      } finally {
        lock.unlock();
      }
    }

    Secret refreshAfterRejection(ProvisioningProvider client, Secret rejected) {
      lock.lock();
      try {
        ProviderTokens t = tokens;
        if (t.accessToken() != rejected) {
          return t.accessToken();
        }
        return refresh(client, t);
      } finally {
        lock.unlock();
      }
    }

    private Secret refresh(ProvisioningProvider client, ProviderTokens t) {
      Secret refresh = t.refreshToken();
      if (refresh == null) {
        throw new ProviderException(binding.name, 401, "token_expired", null, "the access token for account "
            + account.accountId() + " expired and the provider issued no refresh token; link the account again",
            false);
      }
      // a provider that rotates refresh tokens sends a new one (the old is then refused); one that
      // does not may leave it out
      ProviderTokens fresh = client.refresh(refresh).keepingRefreshToken(refresh);
      tokens = fresh;
      persist(this, null);
      log.debug("refreshed the {} access token of account {}", binding.name, account.accountId());
      return fresh.accessToken();
    }
  }

  /** Calls with the account's access token, refreshing it first when due and once more after a 401. */
  <T> T withAccess(Session s, ProvisioningProvider client, Function<Secret, T> call) {
    Secret token = s.accessToken(client);
    try {
      return call.apply(token);
    } catch (ProviderException e) {
      if (e.status() != 401 || !s.canRefresh()) {
        throw e;
      }
      return call.apply(s.refreshAfterRejection(client, token));
    }
  }

  /** Keeps a newly linked account, linked by {@code principal} under {@code principalKey}. */
  Session open(ProviderBinding b, ProviderAccount account, ProviderTokens tokens, Principal principal,
      String principalKey) {
    String key = accountKey(b.name, account.accountId());
    Session session = new Session(b, account, tokens);
    sessions.put(key, session);
    persist(session, principal);
    linkedPrincipals.put(principalKey, key);
    return session;
  }

  /** The account {@code principalKey} linked before, in memory or in the session vault; null when none. */
  @Nullable ProviderAccount linkedAccount(ProviderBinding b, Principal principal, String principalKey) {
    String linked = linkedPrincipals.get(principalKey);
    if (linked != null) {
      Session s = sessions.get(linked);
      if (s != null) {
        return s.account;
      }
    }
    Session kept = restoreByPrincipal(b, principal);
    if (kept != null) {
      linkedPrincipals.put(principalKey, accountKey(b.name, kept.account.accountId()));
      return kept.account;
    }
    return null;
  }

  /** The session of a linked account. @throws InvalidRequestException when the account is not linked here */
  Session session(String provider, String accountId) {
    bindings.apply(provider);
    Session s = find(provider, accountId);
    if (s == null) {
      throw new InvalidRequestException("account", provider + " account " + accountId
          + " is not linked through this orchestrator", "call linkAccount first"
          + (vault == null ? ", or give the builder a sessionVault so links survive a restart" : ""));
    }
    return s;
  }

  /**
   * Forgets a linked account: its tokens leave memory and the session vault, and no principal maps
   * to it any more. The provider protocol has no call to revoke them, so they stay valid at the
   * provider until they expire; nothing here can use them again. Returns whether anything was known.
   */
  boolean forget(String provider, String accountId) {
    String key = accountKey(provider, accountId);
    boolean known = sessions.remove(key) != null;
    known |= linkedPrincipals.values().removeIf(key::equals);
    if (vault != null) {
      String vk = vaultKey(provider, accountId);
      for (String k : List.of(vk, vk + "/refresh")) {
        if (vault.get(k).isPresent()) {
          vault.delete(k);
          known = true;
        }
      }
    }
    return known;
  }

  /** The session in memory or restored from the vault; null when there is none. */
  @Nullable Session find(String provider, String accountId) {
    Session s = sessions.get(accountKey(provider, accountId));
    return s != null ? s : restore(provider, accountId);
  }

  /** Every account of {@code provider} known here or in the vault, for finding who owns a resource. */
  Set<String> accountIds(String provider) {
    Set<String> ids = new LinkedHashSet<>();
    for (Session s : sessions.values()) {
      if (s.binding.name.equals(provider)) {
        ids.add(s.account.accountId());
      }
    }
    if (vault != null) {
      String prefix = VAULT_PREFIX + provider + "/";
      for (String key : vault.keys(prefix)) {
        if (!key.endsWith("/refresh")) {
          ids.add(key.substring(prefix.length()));
        }
      }
    }
    return ids;
  }

  private static String accountKey(String provider, String accountId) {
    return provider + "\u0000" + accountId;
  }

  private static String vaultKey(String provider, String accountId) {
    return VAULT_PREFIX + provider + "/" + accountId;
  }

  /** Keeps the account's tokens and who linked it in the session vault, when there is one. */
  private void persist(Session session, @Nullable Principal linkedBy) {
    if (vault == null) {
      return;
    }
    ProviderAccount a = session.account;
    ProviderTokens t = session.tokens;
    String key = vaultKey(a.provider(), a.accountId());
    Map<String, String> attrs = new LinkedHashMap<>();
    VaultEntry previous = vault.get(key).orElse(null);
    if (previous != null) {
      attrs.putAll(previous.attributes());
    }
    attrs.put("provider", a.provider());
    attrs.put("account_id", a.accountId());
    attrs.put("link_action", a.linkAction().name());
    putIf(attrs, "connection_id", a.connectionId());
    putIf(attrs, "display_name", a.displayName());
    putIf(attrs, "email", a.email());
    putIf(attrs, "payment_credentials", t.paymentCredentials());
    putIf(attrs, "expires_at", t.expiresAt() == null ? null : t.expiresAt().toString());
    if (linkedBy != null) {
      attrs.put("principal", linkedBy.issuer() + "\u0000" + linkedBy.subject());
    }
    Instant issued = t.issuedAt() != null ? t.issuedAt() : clock.instant();
    vault.put(new VaultEntry(key, t.accessToken(), attrs, issued, t.expiresAt()));
    Secret refresh = t.refreshToken();
    if (refresh != null) {
      vault.put(new VaultEntry(key + "/refresh", refresh, Map.of("provider", a.provider(), "account_id", a.accountId()),
          clock.instant(), null));
    }
  }

  private static void putIf(Map<String, String> m, String k, @Nullable String v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  /** Rebuilds an account's session from the session vault (a restarted host), or null. */
  private @Nullable Session restore(String provider, String accountId) {
    if (vault == null) {
      return null;
    }
    ProviderBinding b = bindings.apply(provider);
    String key = vaultKey(provider, accountId);
    VaultEntry e = vault.get(key).orElse(null);
    if (e == null) {
      return null;
    }
    Map<String, String> at = e.attributes();
    Secret refresh = vault.get(key + "/refresh").map(VaultEntry::secret).orElse(null);
    String expires = at.get("expires_at");
    // stored when received, so the stored time gives the token's lifetime for the refresh margin
    ProviderTokens tokens = new ProviderTokens(e.secret(), refresh, expires == null ? null : Instant.parse(expires),
        accountId, at.get("payment_credentials"), e.storedAt());
    Map<String, String> attributes = new LinkedHashMap<>();
    putIf(attributes, "payment_credentials", at.get("payment_credentials"));
    ProviderAccount account = new ProviderAccount(provider, accountId, at.get("connection_id"), at.get("display_name"),
        at.get("email"), ProviderAccount.LinkAction.valueOf(at.getOrDefault("link_action", "UNKNOWN")), attributes);
    Session s = new Session(b, account, tokens);
    Session raced = sessions.putIfAbsent(accountKey(provider, accountId), s);
    return raced != null ? raced : s;
  }

  private @Nullable Session restoreByPrincipal(ProviderBinding b, Principal principal) {
    if (vault == null) {
      return null;
    }
    String who = principal.issuer() + "\u0000" + principal.subject();
    for (String key : vault.keys(VAULT_PREFIX + b.name + "/")) {
      if (key.endsWith("/refresh")) {
        continue;
      }
      VaultEntry e = vault.get(key).orElse(null);
      String accountId = e == null ? null : e.attributes().get("account_id");
      if (e != null && accountId != null && who.equals(e.attributes().get("principal"))) {
        return restore(b.name, accountId);
      }
    }
    return null;
  }
}
