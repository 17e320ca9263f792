package io.agentprovision.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What an agent asks for: which provider, which plan, which catalog services (each with its
 * configuration), which domain, optionally which app to deploy, and what the deploy token may do.
 * Immutable; {@link Builder#build()} refuses incomplete or invalid requests with an
 * {@link InvalidRequestException} before anything happens.
 *
 * <pre>{@code
 * ProvisionRequest request = ProvisionRequest.builder()
 *     .agent(AgentId.of("coding-agent-7"))
 *     .provider("cloudflare")
 *     .plan("workers:paid")
 *     .domain(DomainRequest.query("my-app"))
 *     .app(WorkerApp.fromDirectory(dir))
 *     .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(7)))
 *     .build();
 * }</pre>
 *
 * <p>Without an app, a run provisions what it names and deploys nothing (no deployer is needed;
 * there are no credentials, deploy or verify steps), and the resources' credentials go to the vault,
 * where {@code AgentProvisioner.env(agent, runId)} lists them:
 *
 * <pre>{@code
 * ProvisionRequest data = ProvisionRequest.builder()
 *     .agent(AgentId.of("coding-agent-7"))
 *     .plan("cloudflare", "workers:free")            // the provider's deployables need a plan
 *     .service(ServiceRequest.of("d1").with("name", "orders"))
 *     .service(ServiceRequest.of("kv").with("title", "sessions"))
 *     .build();
 * }</pre>
 */
public final class ProvisionRequest {
  /** Environment name when none is given. */
  public static final String DEFAULT_ENVIRONMENT = "production";

  private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9_.:-]{0,127}");
  private static final Pattern PROJECT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}");

  private final AgentId agent;
  private final String provider;
  private final @Nullable String plan;
  private final @Nullable DomainRequest domain;
  private final List<ServiceRequest> services;
  private final @Nullable WorkerApp app;
  private final TokenSpec token;
  private final String project;
  private final String environment;
  private final @Nullable Secret identityToken;
  private final @Nullable RunId runId;

  private ProvisionRequest(Builder b, AgentId agent, String provider, List<ServiceRequest> services) {
    this.agent = agent;
    this.provider = provider;
    this.plan = b.plan;
    this.domain = b.domain;
    this.services = List.copyOf(services);
    this.app = b.app;
    this.token = b.token;
    this.project = b.project != null ? b.project : b.app != null ? b.app.name() : projectOf(agent);
    this.environment = b.environment;
    this.identityToken = b.identityToken;
    this.runId = b.runId;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.agent = agent;
    b.provider = provider;
    b.plan = plan;
    b.domain = domain;
    b.services.addAll(services);
    b.app = app;
    b.token = token;
    b.project = project;
    b.environment = environment;
    b.identityToken = identityToken;
    b.runId = runId;
    return b;
  }

  public AgentId agent() {
    return agent;
  }

  /** The provider's name in the orchestrator's catalog, such as {@code "cloudflare"}. */
  public String provider() {
    return provider;
  }

  /** The plan's service id, such as {@code "workers:paid"}, or null to provision no plan. */
  public @Nullable String plan() {
    return plan;
  }

  /** The domain to register and bind, or null for none (the app answers on the provider's own host). */
  public @Nullable DomainRequest domain() {
    return domain;
  }

  /**
   * The catalog services the request names besides the plan, each with its configuration, in the
   * order given; {@code services[i]} in an error is the i-th of these, counted from 0.
   */
  public List<ServiceRequest> services() {
    return services;
  }

  /** The app to deploy, or null for a request that only provisions services. */
  public @Nullable WorkerApp app() {
    return app;
  }

  /** Whether the request deploys an app (and so needs a deployer, credentials, deploy and verify steps). */
  public boolean hasApp() {
    return app != null;
  }

  public TokenSpec token() {
    return token;
  }

  /**
   * The orchestrator project the resources belong to; defaults to the app's name, or without an
   * app to the agent's id (with the characters a project name cannot hold as {@code '-'}).
   */
  public String project() {
    return project;
  }

  public String environment() {
    return environment;
  }

  /**
   * Evidence of the human's identity for the {@link io.agentprovision.core.spi.IdentityProvider},
   * such as an OIDC ID token; null when the identity provider needs none.
   */
  public @Nullable Secret identityToken() {
    return identityToken;
  }

  /** A caller-chosen run id, which makes a repeated submission of the same request the same run; null to mint one. */
  public @Nullable RunId runId() {
    return runId;
  }

  @Override
  public String toString() {
    return "ProvisionRequest{agent=" + agent + ", provider=" + provider + ", plan=" + plan + ", domain=" + domain
 + (services.isEmpty() ? "" : ", services=" + services)
        + ", app=" + (app != null ? app.name() : null) + ", token=" + token + ", project=" + project + ", environment=" + environment
        + (identityToken != null ? ", identityToken=" + identityToken : "") + (runId != null ? ", runId=" + runId : "")
        + "}";
  }

  /** Builds a {@link ProvisionRequest}. */
  public static final class Builder {
    private @Nullable AgentId agent;
    private @Nullable String provider;
    private @Nullable String plan;
    private @Nullable DomainRequest domain;
    private final List<ServiceRequest> services = new ArrayList<>();
    private @Nullable WorkerApp app;
    private TokenSpec token = TokenSpec.leastPrivilege();
    private @Nullable String project;
    private String environment = DEFAULT_ENVIRONMENT;
    private @Nullable Secret identityToken;
    private @Nullable RunId runId;

    private Builder() {}

    public Builder agent(AgentId agentId) {
      this.agent = Objects.requireNonNull(agentId, "agent");
      return this;
    }

    public Builder provider(String providerName) {
      if (providerName == null || !PROVIDER.matcher(providerName).matches()) {
        throw new InvalidRequestException("provider", "'" + providerName + "' is not a provider name",
            "pass the provider's catalog name in lower case, such as \"cloudflare\"");
      }
      this.provider = providerName;
      return this;
    }

    public Builder plan(@Nullable String serviceId) {
      if (serviceId != null && !SERVICE.matcher(serviceId).matches()) {
        throw new InvalidRequestException("plan", "'" + serviceId + "' is not a service id",
            "pass a catalog service id such as \"workers:paid\"");
      }
      this.plan = serviceId;
      return this;
    }

    /** The provider and its plan at once, such as {@code plan("cloudflare", "workers:free")}. */
    public Builder plan(String providerName, String serviceId) {
      provider(providerName);
      if (serviceId == null) {
        throw new InvalidRequestException("plan", "is missing", "pass a catalog service id such as \"workers:paid\"");
      }
      return plan(serviceId);
    }

    /**
     * Adds a catalog service to provision, with its configuration. A service named
     * {@code "provider/service"} sets the request's provider when none is set, and must name the same
     * provider as the others: one run works with one provider.
     */
    public Builder service(ServiceRequest service) {
      services.add(Objects.requireNonNull(service, "service"));
      return this;
    }

    /** {@link #service(ServiceRequest)} for {@code ServiceRequest.of(service, configuration)}. */
    public Builder service(String service, java.util.Map<String, ?> configuration) {
      return service(ServiceRequest.parse("services[" + services.size() + "].service", service, configuration));
    }

    /** Replaces the services with {@code list}. */
    public Builder services(List<ServiceRequest> list) {
      Objects.requireNonNull(list, "services");
      services.clear();
      list.forEach(this::service);
      return this;
    }

    public Builder domain(@Nullable DomainRequest domainRequest) {
      this.domain = domainRequest;
      return this;
    }

    /** The app to deploy; null (the default) for a request that only provisions services. */
    public Builder app(@Nullable WorkerApp workerApp) {
      this.app = workerApp;
      return this;
    }

    public Builder token(TokenSpec spec) {
      this.token = Objects.requireNonNull(spec, "token");
      return this;
    }

    public Builder project(String projectName) {
      if (projectName == null || !PROJECT.matcher(projectName).matches()) {
        throw new InvalidRequestException("project", "'" + projectName + "' is not a project name",
            "use 1 to 100 letters, digits, spaces, '.', '_' or '-'");
      }
      this.project = projectName;
      return this;
    }

    public Builder environment(String env) {
      if (env == null || !PROVIDER.matcher(env).matches()) {
        throw new InvalidRequestException("environment", "'" + env + "' is not an environment name",
            "use lower-case letters, digits, '-' or '_', such as \"production\"");
      }
      this.environment = env;
      return this;
    }

    public Builder identityToken(@Nullable Secret token) {
      this.identityToken = token;
      return this;
    }

    public Builder runId(@Nullable RunId id) {
      this.runId = id;
      return this;
    }

    /** Checks completeness; throws {@link InvalidRequestException} naming the first missing field. */
    public ProvisionRequest build() {
      if (agent == null) {
        throw new InvalidRequestException("agent", "is missing", "call .agent(AgentId.of(\"...\")) with the acting agent");
      }
      String named = provider;
      List<ServiceRequest> resolved = new ArrayList<>();
      for (int i = 0; i < services.size(); i++) {
        ServiceRequest s = services.get(i);
        String p = s.provider();
        if (p != null && named != null && !p.equals(named)) {
          throw new InvalidRequestException("services[" + i + "].service", "names provider '" + p + "' but the request "
              + "is for '" + named + "'", "one run works with one provider: make a request per provider");
        }
        if (named == null) {
          named = p;
        }
        resolved.add(s);
      }
      if (named == null) {
        throw new InvalidRequestException("provider", "is missing",
            "call .provider(\"cloudflare\") or name services as \"cloudflare/d1\"");
      }
      if (app == null && plan == null && services.isEmpty() && domain == null) {
        throw new InvalidRequestException("app", "is missing, and the request names no plan, service or domain either",
            "call .app(WorkerApp.fromDirectory(dir)) with the code to deploy, or .service(ServiceRequest.of(\"d1\")...)"
            + " for what to provision");
      }
      String p = named;
      return new ProvisionRequest(this, agent, p, resolved.stream().map(s -> s.provider() == null ? s.atProvider(p) : s)
          .toList());
    }
  }

  /** A project name from an agent id: the characters a project name cannot hold become '-'. */
  private static String projectOf(AgentId agent) {
    String s = agent.value().replaceAll("[^A-Za-z0-9 _.-]", "-");
    if (!Character.isLetterOrDigit(s.charAt(0))) {
      s = "p" + s;
    }
    return s.length() > 100 ? s.substring(0, 100) : s;
  }
}
