package io.agentprovision.core;

import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.policy.LimitUsage;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of a successful run: where the app answers, on which account, what was provisioned,
 * what it cost against each limit, which tokens were issued (never their values), and the audit
 * log's head hash at the end of the run.
 *
 * @param runId the run
 * @param url the URL people should use (the custom domain when there is one)
 * @param providerUrl the provider's own URL for the app (such as {@code *.workers.dev})
 * @param domain the registered domain, when one was
 * @param account the provider account
 * @param resources what was provisioned
 * @param spent what the run committed, one amount per currency
 * @param limits each applicable limit's use after the run
 * @param tokens the credentials issued for the run
 * @param verification whether the app answered
 * @param auditHead the hash of the audit log's last entry when the run finished
 * @param auditVerified whether the audit chain verified when the run finished: in full the first time
 *     a provisioner checks it, then from the last entry it verified on (so the check does not grow
 *     with the log); {@code AgentProvisioner.audit().verify()} checks everything
 * @param warnings things the human should know (such as "the app was not run: no local runtime")
 * @param finishedAt when the run finished
 */
public record Deployment(RunId runId, URI url, URI providerUrl, @Nullable String domain, ProviderAccount account,
    List<ResourceSummary> resources, List<Money> spent, List<LimitUsage> limits, List<TokenSummary> tokens,
    Verification verification, String auditHead, boolean auditVerified, List<String> warnings, Instant finishedAt) {
  public Deployment {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(providerUrl, "providerUrl");
    Objects.requireNonNull(account, "account");
    resources = List.copyOf(resources);
    spent = List.copyOf(spent);
    limits = List.copyOf(limits);
    tokens = List.copyOf(tokens);
    Objects.requireNonNull(verification, "verification");
    Objects.requireNonNull(auditHead, "auditHead");
    warnings = List.copyOf(warnings);
    Objects.requireNonNull(finishedAt, "finishedAt");
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
}
