package io.agentprovision.core.deploy;

import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.spi.Deployer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks a {@link Deployer} for the credential it will deploy with, starting from the broad
 * credential the orchestrator revealed.
 *
 * <p>{@code attempt} says which attempt of the credentials step this is, as the run's journal
 * counts them: {@code 1} when the step was never started before, so no earlier attempt can have
 * left a half-made credential behind at the provider; {@code 2} or more when the step is run again
 * (a resume, a takeover by another host, a retry after a failure), when a credential the deployer
 * created before the interruption may exist without its value having been kept;
 * {@link #UNKNOWN_ATTEMPT} when the caller does not know. A deployer may skip its search for such
 * leftovers only when {@link #firstAttempt()} is true.
 *
 * <pre>{@code
 * CredentialRequest r = CredentialRequest.builder(account, broad, TokenSpec.leastPrivilege(), app)
 *     .domain("app.example.com").attempt(1).build();
 * }</pre>
 *
 * @param account the provider account
 * @param broad the orchestrator's access configuration (the broad credential)
 * @param spec what the narrow token may do, from where, for how long
 * @param app the app to be deployed (decides the permissions needed)
 * @param domain the custom domain the app will be bound to, or null
 * @param attempt the step's attempt, from 1; {@link #UNKNOWN_ATTEMPT} when not known
 */
public record CredentialRequest(ProviderAccount account, AccessConfiguration broad, TokenSpec spec, WorkerApp app,
    @Nullable String domain, int attempt) {
  /**
   * The attempt of a request made without one: treated as possibly a retry, so a deployer still
   * looks for what an earlier attempt may have left.
   */
  public static final int UNKNOWN_ATTEMPT = 0;

  public CredentialRequest {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(broad, "broad");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(app, "app");
    if (attempt < UNKNOWN_ATTEMPT) {
      throw new IllegalArgumentException("attempt must be 1 or more, or UNKNOWN_ATTEMPT (0): " + attempt);
    }
  }

  /**
   * A request whose attempt is not known ({@link #UNKNOWN_ATTEMPT}): the deployer looks for
   * leftovers of earlier attempts as it would on a retry.
   */
  public CredentialRequest(ProviderAccount account, AccessConfiguration broad, TokenSpec spec, WorkerApp app,
      @Nullable String domain) {
    this(account, broad, spec, app, domain, UNKNOWN_ATTEMPT);
  }

  /**
   * Whether this is known to be the step's first attempt: nothing made by an earlier attempt can
   * exist at the provider, so a deployer need not look for it.
   */
  public boolean firstAttempt() {
    return attempt == 1;
  }

  /**
   * A builder for a request in {@code account}; no domain and an {@link #UNKNOWN_ATTEMPT} unless
   * set.
   */
  public static Builder builder(ProviderAccount account, AccessConfiguration broad, TokenSpec spec, WorkerApp app) {
    return new Builder(account, broad, spec, app);
  }

  /** Builds {@link CredentialRequest}s. */
  public static final class Builder {
    private final ProviderAccount account;
    private final AccessConfiguration broad;
    private final TokenSpec spec;
    private final WorkerApp app;
    private @Nullable String domain;
    private int attempt = UNKNOWN_ATTEMPT;

    private Builder(ProviderAccount account, AccessConfiguration broad, TokenSpec spec, WorkerApp app) {
      this.account = Objects.requireNonNull(account, "account");
      this.broad = Objects.requireNonNull(broad, "broad");
      this.spec = Objects.requireNonNull(spec, "spec");
      this.app = Objects.requireNonNull(app, "app");
    }

    /** The custom domain the app will be bound to, or null for none. */
    public Builder domain(@Nullable String value) {
      this.domain = value;
      return this;
    }

    /** The step's attempt as the journal counts it, from 1; {@link #UNKNOWN_ATTEMPT} when not known. */
    public Builder attempt(int value) {
      this.attempt = value;
      return this;
    }

    public CredentialRequest build() {
      return new CredentialRequest(account, broad, spec, app, domain, attempt);
    }
  }
}
