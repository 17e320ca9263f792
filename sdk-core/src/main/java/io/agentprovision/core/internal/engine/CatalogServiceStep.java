package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.wire.Json;
import java.util.List;
import java.util.Map;

/**
 * One catalog service the request names ({@code ProvisionRequest.services()}), with its
 * configuration: a database, a KV namespace, a plan, anything the catalog lists. Its id is
 * {@code service:<service id>}, with {@code -2}, {@code -3}... for the second and later instances
 * of the same service. A plan is judged as the request's plan is ({@code PAID_PLAN}); anything else
 * as a paid resource, and its credentials are revealed into the vault. See {@link ServiceStep}.
 */
final class CatalogServiceStep extends ServiceStep {
  /** What every id of this step starts with. */
  static final String ID_PREFIX = "service:";
  /** The most characters of the configuration the description shows. */
  private static final int DESCRIBED_CONFIGURATION_CHARS = 120;

  CatalogServiceStep(StepId id, ServiceOffering service, Map<String, Object> configuration, List<StepId> dependsOn) {
    super(id, service.isPlan() ? StepKind.PLAN : StepKind.RESOURCE, service,
        service.isPlan() ? CheckpointKind.PAID_PLAN : CheckpointKind.PAID_RESOURCE, configuration, null, !service.isPlan(),
        dependsOn, describe(service, configuration));
  }

  /** The id of the {@code nth} (from 1) instance of {@code serviceId} in a run. */
  static StepId id(String serviceId, int nth) {
    return StepId.of(ID_PREFIX + serviceId + (nth > 1 ? "-" + nth : ""));
  }

  private static String describe(ServiceOffering service, Map<String, Object> configuration) {
    String config = Json.canonical(configuration);
    if (config.length() > DESCRIBED_CONFIGURATION_CHARS) {
      config = config.substring(0, DESCRIBED_CONFIGURATION_CHARS) + "…";
    }
    return (service.isPlan() ? "subscribe to plan " : "provision ") + service.id()
        + (configuration.isEmpty() ? "" : " " + config);
  }
}
