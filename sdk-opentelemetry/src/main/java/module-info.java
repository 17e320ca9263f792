/**
 * OpenTelemetry for agentprovision: {@link io.agentprovision.opentelemetry.OpenTelemetryListener}
 * turns a provisioner's events into spans and metrics. Depends on the OpenTelemetry API only; the
 * host configures the SDK and exporters.
 */
module io.agentprovision.opentelemetry {
  exports io.agentprovision.opentelemetry;

  requires transitive io.agentprovision.core;
  requires transitive io.opentelemetry.api;
  requires io.opentelemetry.context;
  requires static org.jspecify;
}
