package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Reveals the resource's broad credential (kept in the vault), has the deployer mint a
 * least-privilege deploy token from it (IP-bound and short-lived as the request's {@link TokenSpec}
 * says), stores that token in the vault, and keeps, rolls or deletes the broad one. The journal
 * holds the token's description and vault key, never its value. Undone by revoking the token.
 */
final class CredentialsStep extends BaseStep<CredentialsStep.Issued> {
  static final StepId ID = StepId.of("credentials");
  /** The vault attribute holding the token's description as this step's output, for a resumed step to reuse. */
  private static final String OUTPUT_ATTRIBUTE = "step_output";

  /**
   * The deploy token, described: its value is in the vault under {@code vaultKey}.
   *
   * @param broadOutcome what became of the broad credential
   * @param revokedAt when the token was revoked (deleted at the provider and from the vault), or null
   */
  record Issued(String provider, String accountId, String tokenId, String vaultKey, @Nullable Instant expiresAt,
      List<String> permissions, List<String> allowedIps, Map<String, String> attributes,
      PreparedCredentials.BroadOutcome broadOutcome, @Nullable Instant revokedAt) {
    Issued {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(accountId, "accountId");
      Objects.requireNonNull(tokenId, "tokenId");
      Objects.requireNonNull(vaultKey, "vaultKey");
      permissions = List.copyOf(permissions);
      allowedIps = List.copyOf(allowedIps);
      attributes = Map.copyOf(attributes);
      Objects.requireNonNull(broadOutcome, "broadOutcome");
    }

    static Issued of(DeployCredentials c, String vaultKey, List<String> allowedIps,
        PreparedCredentials.BroadOutcome broad) {
      return new Issued(c.provider(), c.accountId(), c.tokenId(), vaultKey, c.expiresAt(), c.permissions(), allowedIps,
          c.attributes(), broad, null);
    }

    /** The same token description for {@code next}, a rotation of this token. */
    Issued rotated(DeployCredentials next) {
      return new Issued(next.provider(), next.accountId(), next.tokenId(), vaultKey, next.expiresAt(), next.permissions(),
          allowedIps, next.attributes(), broadOutcome, null);
    }

    /** The same token description, revoked at {@code at}. */
    Issued revoked(Instant at) {
      return new Issued(provider, accountId, tokenId, vaultKey, expiresAt, permissions, allowedIps, attributes,
          broadOutcome, at);
    }

    /** The credentials, with the token's value from the vault. */
    DeployCredentials credentials(CredentialVault vault) {
      Secret token = vault.get(vaultKey).map(VaultEntry::secret).orElseThrow(() -> new IllegalStateException(
          "the vault no longer holds the deploy token under " + vaultKey));
      return DeployCredentials.builder(provider, accountId, tokenId, token).expiresAt(expiresAt).permissions(permissions)
          .attributes(attributes).build();
    }

    Deployment.TokenSummary token() {
      return new Deployment.TokenSummary(tokenId, vaultKey, permissions, allowedIps, expiresAt);
    }

    /** Keeps the token's value in the vault, with this description beside it (a resumed step reuses both). */
    void store(CredentialVault vault, Secret value, Clock clock) {
      vault.put(new VaultEntry(vaultKey, value, Map.of("token_id", tokenId, OUTPUT_ATTRIBUTE, OutputCodec.encode(this)),
          clock.instant(), expiresAt));
    }
  }

  private final TokenSpec token;

  CredentialsStep(TokenSpec token, List<StepId> dependsOn) {
    super(ID, StepKind.CREDENTIALS, dependsOn, "mint a least-privilege deploy token from the revealed credential,"
        + (token.isIpBound() ? " bound to " + token.allowIps() : " NOT bound to any IP address") + " for " + token.ttl(),
        Issued.class);
    this.token = token;
  }

  /** Where a run's deploy token is kept. */
  static String tokenKey(RunId run) {
    return "runs/" + run + "/deploy-token";
  }

  @Override
  public VelocityAction velocity() {
    return VelocityAction.CREATE_TOKEN;
  }

  @Override
  public Issued run(StepRun ctx) {
    CredentialVault vault = ctx.vault();
    String tokenKey = tokenKey(ctx.runId());
    VaultEntry existing = vault.get(tokenKey).orElse(null);
    String minted = existing == null ? null : existing.attributes().get(OUTPUT_ATTRIBUTE);
    if (minted != null) {
      // minted before an interruption: reuse it rather than leave an orphan token at the provider
      return OutputCodec.decode(minted, Issued.class, ctx.runId(), id());
    }
    ctx.velocity().count(VelocityAction.CREATE_TOKEN);
    ResourceRef workers = ctx.output(ResourceStep.ID, ServiceStep.Provisioned.class).resource();
    // The resource step revealed the broad credential as soon as the resource existed, beside the
    // domain; a retry reveals it again, since an attempt that failed may have rolled it.
    AccessConfiguration broad = ctx.record().attempts() <= 1 ? broad(vault, ctx.runId()) : null;
    if (broad == null || (broad.expiresAt() != null && !broad.expiresAt().isAfter(ctx.clock().instant()))) {
      broad = reveal(ctx, workers);
    }
    DomainStep.Registered domain = ctx.outputIfPresent(DomainStep.class);
    // The attempt as journaled before this one started: on the first, no earlier attempt can have
    // left a token at the provider, so the deployer need not search the account's tokens for one.
    PreparedCredentials prepared = ctx.deployer().prepareCredentials(CredentialRequest.builder(
        ctx.output(AccountStep.class).account(), broad, token,
        Objects.requireNonNull(ctx.request().app(), "the flow adds this step only for a request with an app"))
        .domain(domain == null ? null : domain.domain()).attempt(ctx.record().attempts()).build(), ctx);
    DeployCredentials dc = prepared.deploy();
    Issued out = Issued.of(dc, tokenKey, token.allowIps(), prepared.broadOutcome());
    out.store(vault, dc.token(), ctx.clock());
    switch (prepared.broadOutcome()) {
      case ROLLED:
        AccessConfiguration rolled = prepared.rolledBroad();
        if (rolled != null) {
          storeBroad(ctx, workers, rolled);
        }
        break;
      case DELETED:
        forgetBroad(vault, ctx.runId());
        break;
      default:
        break;
    }
    ctx.audit("credentials.stored").key(ctx.idempotencyKey()).detail("token", dc.tokenId())
        .detail("permissions", String.join(",", dc.permissions())).detail("expires_at", String.valueOf(dc.expiresAt()))
        .detail("broad", prepared.broadOutcome().name()).detail("vault_key", tokenKey).detail("allowed_ips", String.join(",", token.allowIps())).record();
    return out;
  }

  @Override
  public Compensation compensate(StepRun ctx, Issued out) {
    DeployCredentials c = out.credentials(ctx.vault());
    ctx.deployer().revoke(c, broad(ctx.vault(), ctx.runId()), ctx);
    ctx.vault().delete(out.vaultKey());
    return Compensation.undone("revoked deploy token " + c.tokenId());
  }

  @Override
  public String summary(Issued out) {
    return "token " + out.tokenId() + " expires " + out.expiresAt();
  }

  static String broadPrefix(RunId run) {
    return "runs/" + run + "/broad/";
  }

  /**
   * Reveals the resource's broad credential and keeps it in the vault for the credentials step (the
   * resource step does so as soon as the resource exists, so that it is not on the way of the deploy
   * token; the credentials step again on a retry). The audit gets the names only.
   */
  static AccessConfiguration reveal(StepRun ctx, ResourceRef workers) {
    AccessConfiguration broad = ctx.orchestrator().revealCredentials(workers, ctx);
    storeBroad(ctx, workers, broad);
    ctx.audit("credentials.revealed").detail("resource", workers.id())
        .detail("names", String.join(",", new TreeSet<>(broad.values().keySet())))
        .detail("generation", String.valueOf(broad.generation())).record();
    return broad;
  }

  /** Deletes a run's broad credential from the vault (its resource is gone). */
  static void forgetBroad(CredentialVault vault, RunId run) {
    for (String k : vault.keys(broadPrefix(run))) {
      vault.delete(k);
    }
  }

  /** Keeps the orchestrator's broad credential in the vault, one entry per name, replacing older values. */
  private static void storeBroad(StepRun ctx, ResourceRef resource, AccessConfiguration broad) {
    for (Map.Entry<String, Secret> e : broad.values().entrySet()) {
      ctx.vault().put(new VaultEntry(broadPrefix(ctx.runId()) + e.getKey(), e.getValue(),
          Map.of("provider", resource.provider(), "resource", resource.id(), "generation",
              String.valueOf(broad.generation())), ctx.clock().instant(), broad.expiresAt()));
    }
  }

  /** The broad credential of a run as the vault still holds it, or null when it was deleted. */
  static @Nullable AccessConfiguration broad(CredentialVault vault, RunId run) {
    Map<String, Secret> values = new LinkedHashMap<>();
    Instant expires = null;
    long generation = 0;
    for (String k : vault.keys(broadPrefix(run))) {
      VaultEntry e = vault.get(k).orElse(null);
      if (e != null) {
        values.put(k.substring(broadPrefix(run).length()), e.secret());
        expires = e.expiresAt();
        generation = generationOf(e);
      }
    }
    return values.isEmpty() ? null : new AccessConfiguration(values, expires, null, generation);
  }

  /** The generation {@link #storeBroad} noted beside a value; 0 for an entry without one. */
  private static long generationOf(VaultEntry e) {
    String g = e.attributes().get("generation");
    try {
      return g == null ? 0 : Long.parseLong(g);
    } catch (NumberFormatException notOurs) {
      return 0;
    }
  }
}
