package io.agentprovision.cloudflare;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How Cloudflare's catalog services, as the provisioning protocol lists them, map onto this module.
 * After the orchestrator provisions a service and reveals its access configuration (an account id
 * and an API token), the module takes over: {@code workers} is what {@link CloudflareDeployer}
 * deploys to; {@code registrar:domain} is bought with {@link DomainPurchase} (or through the
 * orchestrator) and bound as a custom domain; {@code d1}, {@code kv}, {@code r2:bucket} and
 * {@code queues} become Worker bindings by id.
 *
 * <pre>{@code
 * CloudflareCatalog.role("workers:paid");          // Role.PLAN
 * CloudflareCatalog.bindingType("kv");             // Optional.of("kv_namespace")
 * }</pre>
 */
public final class CloudflareCatalog {
  /** The provider's catalog name. */
  public static final String PROVIDER = CloudflareClient.PROVIDER;
  public static final String WORKERS_FREE = "workers:free";
  /** Paid Workers plan: USD 5 per month minimum plus usage. */
  public static final String WORKERS_PAID = "workers:paid";
  /** The deployable that yields the credentials the deployer starts from. */
  public static final String WORKERS = "workers";
  /** A domain registration: paid once, non-refundable, answered with domain choices. */
  public static final String REGISTRAR_DOMAIN = "registrar:domain";
  public static final String D1 = "d1";
  public static final String KV = "kv";
  public static final String R2_BUCKET = "r2:bucket";
  public static final String QUEUES = "queues";

  /** Conventional names of the values in a revealed access configuration (the exact ones are not public). */
  public static final String DEFAULT_TOKEN_KEY = "CLOUDFLARE_API_TOKEN";
  public static final String DEFAULT_ACCOUNT_ID_KEY = "CLOUDFLARE_ACCOUNT_ID";

  private static final Map<String, String> BINDINGS = Map.of(D1, "d1", KV, "kv_namespace", R2_BUCKET, "r2_bucket",
      QUEUES, "queue");

  private CloudflareCatalog() {}

  /** What a catalog service is for, from this module's point of view. */
  public enum Role {
    /** A plan (Workers Free or Paid): provisioned by the orchestrator; a deployable needs one first. */
    PLAN,
    /** The Workers deployable: its credentials feed {@link CloudflareDeployer#prepareCredentials}. */
    DEPLOY_TARGET,
    /** A registered domain: bound to the app as a custom domain. */
    DOMAIN,
    /** A storage resource the app binds by id (D1, KV, R2, Queues). */
    BINDING,
    /** Anything else (Hyperdrive, Containers, Workers AI, Browser Run…): provisioned, not used here. */
    OTHER
  }

  /** The role of {@code serviceId}. */
  public static Role role(String serviceId) {
    Objects.requireNonNull(serviceId, "serviceId");
    if (serviceId.startsWith("workers:")) {
      return Role.PLAN;
    }
    if (serviceId.equals(WORKERS)) {
      return Role.DEPLOY_TARGET;
    }
    if (serviceId.equals(REGISTRAR_DOMAIN)) {
      return Role.DOMAIN;
    }
    if (BINDINGS.containsKey(serviceId)) {
      return Role.BINDING;
    }
    return Role.OTHER;
  }

  /** The Worker binding type a storage service becomes, such as {@code kv_namespace} for {@code kv}. */
  public static Optional<String> bindingType(String serviceId) {
    return Optional.ofNullable(BINDINGS.get(serviceId));
  }

  /** Whether provisioning {@code serviceId} needs a Workers plan first (every deployable does). */
  public static boolean needsPlan(String serviceId) {
    Role r = role(serviceId);
    return r != Role.PLAN;
  }
}
