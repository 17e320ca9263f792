package io.agentprovision.core.orchestration;

import io.agentprovision.core.payment.PaymentAuthorization;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks an orchestrator to provision a service.
 *
 * @param provider the provider's catalog name
 * @param serviceId the service, such as {@code "workers:paid"}
 * @param name a deterministic resource name (the same on every retry and resume)
 * @param configuration the service configuration, valid against its schema
 * @param account the linked provider account
 * @param project the orchestrator project
 * @param environment the environment, such as {@code "production"}
 * @param payment for paid services, the engine's authorization; null for free ones
 */
public record ResourceRequest(String provider, String serviceId, String name, Map<String, Object> configuration,
    ProviderAccount account, String project, String environment, @Nullable PaymentAuthorization payment) {
  public ResourceRequest {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(serviceId, "serviceId");
    Objects.requireNonNull(name, "name");
    configuration = Map.copyOf(configuration);
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(environment, "environment");
  }

  /**
   * A builder for {@code serviceId} named {@code name} in {@code account}; project and environment
   * must be set, the configuration is empty and the payment absent unless set.
   *
   * <pre>{@code
   * ResourceRequest r = ResourceRequest.builder("cloudflare", "workers:paid", "my-app-plan", account)
   *     .project("my-app").environment("production").payment(auth.payment()).build();
   * }</pre>
   */
  public static Builder builder(String provider, String serviceId, String name, ProviderAccount account) {
    return new Builder(provider, serviceId, name, account);
  }

  /** Builds {@link ResourceRequest}s. */
  public static final class Builder {
    private final String provider;
    private final String serviceId;
    private final String name;
    private final ProviderAccount account;
    private Map<String, Object> configuration = Map.of();
    private @Nullable String project;
    private @Nullable String environment;
    private @Nullable PaymentAuthorization payment;

    private Builder(String provider, String serviceId, String name, ProviderAccount account) {
      this.provider = Objects.requireNonNull(provider, "provider");
      this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
      this.name = Objects.requireNonNull(name, "name");
      this.account = Objects.requireNonNull(account, "account");
    }

    public Builder configuration(Map<String, Object> c) {
      this.configuration = Map.copyOf(c);
      return this;
    }

    public Builder project(String p) {
      this.project = Objects.requireNonNull(p, "project");
      return this;
    }

    public Builder environment(String e) {
      this.environment = Objects.requireNonNull(e, "environment");
      return this;
    }

    /** The engine's authorization for a paid service. */
    public Builder payment(@Nullable PaymentAuthorization p) {
      this.payment = p;
      return this;
    }

    /** @throws NullPointerException when the project or the environment was not set */
    public ResourceRequest build() {
      return new ResourceRequest(provider, serviceId, name, configuration, account,
          Objects.requireNonNull(project, "project"), Objects.requireNonNull(environment, "environment"), payment);
    }
  }
}
