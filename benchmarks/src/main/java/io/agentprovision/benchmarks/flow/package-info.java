/**
 * End-to-end benchmarks of whole flows: latency on the loopback sandbox behind a simulated network
 * (with each flow's critical path and a naive client beside it), a long-lived provisioner's CPU and
 * allocation per flow, and a fleet of concurrent flows in a small heap. Harnesses that print figures;
 * the build only checks that they run.
 */
@NullMarked
package io.agentprovision.benchmarks.flow;

import org.jspecify.annotations.NullMarked;
