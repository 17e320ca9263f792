package io.agentprovision.core.protocol;

import io.agentprovision.core.IdGenerator;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.Pkce;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.spi.StepContext;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Account linking for the {@link DirectOrchestrator}: the account request with a fresh
 * confirmation secret and a PKCE challenge, the provider's four answers (tokens, a code to redeem,
 * consent for an existing account, a refusal), the consent checkpoint and its callback's state
 * check. One link at a time per person and provider.
 */
final class AccountLinking {
  private final AccountSessions sessions;
  private final Consumer<ProviderBinding> versionCheck;
  private final Clock clock;
  private final IdGenerator ids;
  private final SecureRandom random;
  private final boolean pkce;
  private final Duration requestTtl;
  private final List<String> clientCapabilities;
  private final Map<String, Object> orchestratorIdentity;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  AccountLinking(AccountSessions sessions, Consumer<ProviderBinding> versionCheck, Clock clock, IdGenerator ids,
      SecureRandom random, boolean pkce, Duration requestTtl, List<String> clientCapabilities,
      Map<String, Object> orchestratorIdentity) {
    this.sessions = sessions;
    this.versionCheck = versionCheck;
    this.clock = clock;
    this.ids = ids;
    this.random = random;
    this.pkce = pkce;
    this.requestTtl = requestTtl;
    this.clientCapabilities = List.copyOf(clientCapabilities);
    this.orchestratorIdentity = Map.copyOf(orchestratorIdentity);
  }

  ProviderAccount link(ProviderBinding b, AccountLinkRequest request, StepContext ctx) {
    Principal principal = request.principal();
    String email = principal.email();
    if (email == null || !principal.emailVerified()) {
      throw new IdentityRejectedException("email_verified", "linking a provider account needs a verified e-mail; "
          + "the principal " + principal.subject() + " @" + principal.issuer() + " has none");
    }
    String principalKey = b.name + "\u0000" + principal.issuer() + "\u0000" + principal.subject();
    ReentrantLock lock = locks.computeIfAbsent(principalKey, k -> new ReentrantLock());
    lock.lock();
    try {
      ProviderAccount known = sessions.linkedAccount(b, principal, principalKey);
      if (known != null) {
        return known;
      }
      versionCheck.accept(b);
      ProvisioningProvider client = b.client.withRetryObserver(ctx::retrying);
      Secret confirmation = Pkce.randomVerifier(random); // 32 random bytes: the confirmation secret
      Secret verifier = pkce ? Pkce.randomVerifier(random) : null;
      String requestId = ids.next("acctreq");
      AccountRequest ar = new AccountRequest(requestId, email, principal.name(), null, null,
          principal.verifiedFields(), request.scopes(), clientCapabilities, request.configuration(), confirmation,
          clock.instant().plus(requestTtl), orchestratorIdentity, verifier == null ? null : Pkce.challenge(verifier));
      AccountResponse answer = client.requestAccount(ar);
      ProviderTokens tokens;
      ProviderAccount.LinkAction action;
      if (answer instanceof AccountResponse.Credentials c) {
        tokens = c.tokens();
        action = ProviderAccount.LinkAction.CREATED;
      } else if (answer instanceof AccountResponse.OAuthCode o) {
        tokens = client.exchangeCode(o.code(), verifier);
        action = ProviderAccount.LinkAction.CREATED;
      } else if (answer instanceof AccountResponse.RequiresAuth ra) {
        Secret code = consent(b, principal, ra.redirectUrl(), confirmation, ctx);
        tokens = client.exchangeCode(code, verifier);
        action = ProviderAccount.LinkAction.LINKED_EXISTING;
      } else {
        AccountResponse.Error e = (AccountResponse.Error) answer;
        ctx.audit("provider.account.link", "refused", Map.of("provider", b.name, "code", e.code()));
        throw new ProviderException(b.name, 200, e.code(), null, "account request refused: " + e.message(),
            "expired".equals(e.code()));
      }
      Map<String, String> attributes = new LinkedHashMap<>();
      if (tokens.paymentCredentials() != null) {
        attributes.put("payment_credentials", tokens.paymentCredentials());
      }
      ProviderAccount account = new ProviderAccount(b.name, tokens.accountId(), requestId, principal.name(), email,
          action, attributes);
      sessions.open(b, account, tokens, principal, principalKey);
      ctx.audit("provider.account.link", action == ProviderAccount.LinkAction.CREATED ? "created" : "linked_existing",
          Map.of("provider", b.name, "account", tokens.accountId(), "request", requestId));
      return account;
    } finally {
      lock.unlock();
    }
  }

  /** Sends the person to the consent page and returns the callback's code once its state checks out. */
  private Secret consent(ProviderBinding b, Principal principal, URI redirect, Secret confirmation, StepContext ctx) {
    ApprovalDecision d = ctx.checkpoint(new CheckpointRequest(CheckpointKind.ACCOUNT_CONSENT,
        "Link your existing " + b.displayName() + " account",
        principal.email() + " already has a " + b.displayName() + " account; consent to let this application use it",
        null, redirect, Map.of("provider", b.name, "email", String.valueOf(principal.email())), requestTtl));
    Map<String, String> cb = d.response();
    String error = cb.get("error");
    if (error != null) {
      throw new ApprovalDeniedException("link " + b.name + " account", b.name, "consent not given: " + error);
    }
    String state = cb.get("state");
    if (state == null || !confirmation.matches(state)) {
      ctx.audit("provider.account.link", "state_mismatch", Map.of("provider", b.name));
      throw new IdentityRejectedException("state", "the consent callback's state does not match this account "
          + "request's confirmation secret; the callback was not for this request and was ignored");
    }
    String code = cb.get("code");
    if (code == null || code.isEmpty()) {
      throw new IdentityRejectedException("code", "the consent callback carried no authorization code");
    }
    return Secret.of(code);
  }
}
