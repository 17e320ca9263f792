package io.agentprovision.core;

import io.agentprovision.core.policy.LimitUsage;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of a successful run: where the app answers (see {@link #outcome()}: it may not have),
 * on which account, what was provisioned, what it cost against each limit, which tokens were issued
 * (never their values), and the audit log's head hash at the end of the run. A run without an app
 * ({@link #hasApp()} false, {@link Outcome#PROVISIONED}) has no URL, token or check; its resources'
 * credentials are listed by {@code AgentProvisioner.env(agent, runId)}.
 *
 * <pre>{@code
 * Deployment d = provisioner.provisionAndDeploy(request);
 * d.url();                        // https://my-app.com
 * d.account().accountId();        // the provider account the app lives in
 * d.spent();                      // [USD 15.44]
 * d.verification().live();        // whether the app answered
 * d.outcome();                    // LIVE, DEPLOYED_NOT_RUN (a sandbox without a runtime), DEPLOYED_UNVERIFIED,
 *                                 // or PROVISIONED (a run without an app)
 * }</pre>
 *
 * <p>The engine makes these; to make one (a test double of a provisioner, say) use
 * {@link #builder(RunId)}: the canonical constructor is public only because records require it,
 * and may gain components.
 *
 * @param runId the run
 * @param url the URL people should use (the custom domain when there is one); null for a run without an app
 * @param providerUrl the provider's own URL for the app (such as {@code *.workers.dev}); null without an app
 * @param domain the registered domain, when one was
 * @param account the provider account
 * @param resources what was provisioned
 * @param spent what the run committed, one amount per currency
 * @param limits each applicable limit's use after the run
 * @param tokens the credentials issued for the run
 * @param verification whether the app answered; null without an app
 * @param auditHead the hash of the audit log's last entry when the run finished
 * @param auditVerified whether the audit chain verified when the run finished: in full the first time
 *     a provisioner checks it, then from the last entry it verified on (so the check does not grow
 *     with the log); {@code AgentProvisioner.audit().verify()} checks everything
 * @param warnings things the human should know (such as "the app was not run: no local runtime")
 * @param finishedAt when the run finished
 * @param outcome whether the app is live, was deployed where nothing could run it, or was deployed
 *     and did not answer: only {@link Outcome#LIVE} (and, in a sandbox, {@link Outcome#DEPLOYED_NOT_RUN})
 *     is a success; {@link Outcome#PROVISIONED} for a run without an app
 */
public record Deployment(RunId runId, @Nullable URI url, @Nullable URI providerUrl, @Nullable String domain,
    AccountSummary account, List<ResourceSummary> resources, List<Money> spent, List<LimitUsage> limits,
    List<TokenSummary> tokens, @Nullable AppCheck verification, String auditHead, boolean auditVerified,
    List<String> warnings, Instant finishedAt, Outcome outcome) {
  /** How a successful run ended. */
  public enum Outcome {
    /** The app answered at its URL with a success status. */
    LIVE,
    /**
     * Deployed where no runtime could run it to check (a loopback sandbox without a local Workers
     * runtime): not verified, and not a failure to answer either.
     */
    DEPLOYED_NOT_RUN,
    /**
     * Deployed, and the app did not answer when checked (no answer, or no success status, until the
     * verification gave up). Not a success: the journal records the run as
     * {@link io.agentprovision.core.journal.RunStatus#DEPLOYED_UNVERIFIED}, and a resume checks again.
     */
    DEPLOYED_UNVERIFIED,
    /** A run without an app: the services it named were provisioned, and there was nothing to deploy. */
    PROVISIONED
  }

  public Deployment {
    Objects.requireNonNull(runId, "runId");
    if (url != null) {
      Objects.requireNonNull(providerUrl, "providerUrl");
      Objects.requireNonNull(verification, "verification");
    } else if (providerUrl != null || verification != null) {
      throw new IllegalArgumentException("a deployment without an app URL has no provider URL or check either");
    }
    Objects.requireNonNull(account, "account");
    resources = List.copyOf(resources);
    spent = List.copyOf(spent);
    limits = List.copyOf(limits);
    tokens = List.copyOf(tokens);
    Objects.requireNonNull(auditHead, "auditHead");
    warnings = List.copyOf(warnings);
    Objects.requireNonNull(finishedAt, "finishedAt");
    Objects.requireNonNull(outcome, "outcome");
    if ((url == null) != (outcome == Outcome.PROVISIONED)) {
      throw new IllegalArgumentException("a deployment is PROVISIONED exactly when it has no app URL: " + outcome);
    }
  }

  /** A builder for the result of {@code runId}; lists start empty and the audit as not verified. */
  public static Builder builder(RunId runId) {
    return new Builder(runId);
  }

  /** Whether the run deployed an app (then {@link #url()}, {@link #providerUrl()} and {@link #verification()} are set). */
  public boolean hasApp() {
    return url != null;
  }

  /** A builder holding this result's values. */
  public Builder toBuilder() {
    return new Builder(runId).url(url).providerUrl(providerUrl).domain(domain).account(account).resources(resources)
        .spent(spent).limits(limits).tokens(tokens).verification(verification).auditHead(auditHead)
        .auditVerified(auditVerified).warnings(warnings).finishedAt(finishedAt).outcome(outcome);
  }

  /**
   * The provider account the run worked in.
   *
   * @param provider the provider, such as {@code cloudflare}
   * @param accountId the provider's account id
   * @param displayName the account's name at the provider, when it has one
   * @param email the e-mail the account is for, when the provider says
   * @param linkAction whether the run created the account or linked an existing one
   */
  public record AccountSummary(String provider, String accountId, @Nullable String displayName, @Nullable String email,
      LinkAction linkAction) {
    /** How the account came to be the run's. */
    public enum LinkAction {
      /** Created for the person by the run. */
      CREATED,
      /** The person's existing account, linked with their consent. */
      LINKED_EXISTING,
      /** The orchestrator did not say. */
      UNKNOWN
    }

    public AccountSummary {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(accountId, "accountId");
      Objects.requireNonNull(linkAction, "linkAction");
    }
  }

  /**
   * A provisioned resource.
   *
   * @param serviceId the catalog service
   * @param resourceId the orchestrator's id
   * @param name its name
   * @param charged what it cost, when it cost anything
   */
  public record ResourceSummary(String serviceId, String resourceId, String name, @Nullable Money charged) {}

  /**
   * A credential issued for the run. Holds no secret: the value is in the vault under {@code vaultKey}.
   *
   * @param tokenId the provider's token id
   * @param vaultKey where the value is kept
   * @param permissions what it may do
   * @param allowedIps where it may be used from (empty: anywhere)
   * @param expiresAt when it expires
   */
  public record TokenSummary(String tokenId, String vaultKey, List<String> permissions, List<String> allowedIps,
      @Nullable Instant expiresAt) {
    public TokenSummary {
      permissions = List.copyOf(permissions);
      allowedIps = List.copyOf(allowedIps);
    }
  }

  /**
   * Whether the app answered when the run checked it.
   *
   * @param url where it was asked
   * @param live whether it answered as a running app
   * @param status the HTTP status (0 when it could not be run here)
   * @param bodyExcerpt the start of its answer
   * @param note why it was not run, when it was not (such as no local runtime)
   */
  public record AppCheck(URI url, boolean live, int status, @Nullable String bodyExcerpt, @Nullable String note) {
    public AppCheck {
      Objects.requireNonNull(url, "url");
    }
  }

  /** Builds {@link Deployment}s. */
  public static final class Builder {
    private final RunId runId;
    private @Nullable URI url;
    private @Nullable URI providerUrl;
    private @Nullable String domain;
    private @Nullable AccountSummary account;
    private List<ResourceSummary> resources = new ArrayList<>();
    private List<Money> spent = new ArrayList<>();
    private List<LimitUsage> limits = new ArrayList<>();
    private List<TokenSummary> tokens = new ArrayList<>();
    private @Nullable AppCheck verification;
    private @Nullable String auditHead;
    private boolean auditVerified;
    private List<String> warnings = new ArrayList<>();
    private @Nullable Instant finishedAt;
    private @Nullable Outcome outcome;

    private Builder(RunId runId) {
      this.runId = Objects.requireNonNull(runId, "runId");
    }

    /**
     * The URL people should use; also the provider's URL unless {@link #providerUrl} is set. Null
     * (the default) for a run without an app.
     */
    public Builder url(@Nullable URI u) {
      this.url = u;
      return this;
    }

    public Builder providerUrl(@Nullable URI u) {
      this.providerUrl = u;
      return this;
    }

    public Builder domain(@Nullable String d) {
      this.domain = d;
      return this;
    }

    public Builder account(AccountSummary a) {
      this.account = Objects.requireNonNull(a, "account");
      return this;
    }

    public Builder resources(List<ResourceSummary> r) {
      this.resources = new ArrayList<>(r);
      return this;
    }

    public Builder resource(ResourceSummary r) {
      this.resources.add(Objects.requireNonNull(r, "resource"));
      return this;
    }

    public Builder spent(List<Money> s) {
      this.spent = new ArrayList<>(s);
      return this;
    }

    public Builder limits(List<LimitUsage> l) {
      this.limits = new ArrayList<>(l);
      return this;
    }

    public Builder tokens(List<TokenSummary> t) {
      this.tokens = new ArrayList<>(t);
      return this;
    }

    public Builder token(TokenSummary t) {
      this.tokens.add(Objects.requireNonNull(t, "token"));
      return this;
    }

    /** Whether the app answered; null (the default) for a run without an app. */
    public Builder verification(@Nullable AppCheck v) {
      this.verification = v;
      return this;
    }

    public Builder auditHead(String head) {
      this.auditHead = Objects.requireNonNull(head, "auditHead");
      return this;
    }

    public Builder auditVerified(boolean verified) {
      this.auditVerified = verified;
      return this;
    }

    public Builder warnings(List<String> w) {
      this.warnings = new ArrayList<>(w);
      return this;
    }

    public Builder warning(String w) {
      this.warnings.add(Objects.requireNonNull(w, "warning"));
      return this;
    }

    public Builder finishedAt(Instant at) {
      this.finishedAt = Objects.requireNonNull(at, "finishedAt");
      return this;
    }

    /**
     * How the run ended; by default {@link Outcome#PROVISIONED} without a URL, else {@link Outcome#LIVE}
     * when the verification is live and {@link Outcome#DEPLOYED_UNVERIFIED} when it is not.
     */
    public Builder outcome(Outcome o) {
      this.outcome = Objects.requireNonNull(o, "outcome");
      return this;
    }

    /**
     * @throws NullPointerException naming the first of account, auditHead, finishedAt not set, or
     *     verification when a URL is
     */
    public Deployment build() {
      AccountSummary a = Objects.requireNonNull(account, "account");
      AppCheck check = url != null ? Objects.requireNonNull(verification, "verification") : verification;
      Outcome o = outcome != null ? outcome : url == null ? Outcome.PROVISIONED
          : check != null && check.live() ? Outcome.LIVE : Outcome.DEPLOYED_UNVERIFIED;
      return new Deployment(runId, url, providerUrl != null || url == null ? providerUrl : url, domain,
          a, resources, spent, limits, tokens, check,
          Objects.requireNonNull(auditHead, "auditHead"), auditVerified, warnings,
          Objects.requireNonNull(finishedAt, "finishedAt"), o);
    }
  }
}
