/**
 * JMH benchmarks of the SDK's hot paths: spend reservations, audit appends and verification, the
 * credential vault, and a whole provisioning run over fakes. Run them from the shaded jar
 * ({@code java -jar benchmarks/target/benchmarks.jar}); {@link io.agentprovision.benchmarks.ResultsTable}
 * turns JMH's JSON results into a table and compares two runs. See {@code benchmarks/README.md}.
 */
@NullMarked
package io.agentprovision.benchmarks;

import org.jspecify.annotations.NullMarked;
