package io.agentprovision.benchmarks.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flow harnesses still run end to end, on the smallest settings and without added latency:
 * one flow of each kind of stores with its naive replay, a few flows of a long-lived provisioner, a
 * fleet of three flows in a child JVM. What is asserted is what each harness reports (requests seen,
 * a critical path, disk syncs counted, every fleet flow done); never how long anything took.
 */
class FlowBenchmarksTest {
  @Test
  void flowLatency_recordsTheFlowsRequestsAndItsCriticalPath() throws Exception {
    for (SandboxFlows.Stores stores : SandboxFlows.Stores.values()) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      FlowLatency.Summary s = FlowLatency.run(stores, SandboxFlows.Via.STRIPE, Duration.ZERO, 1, 0, false,
          new PrintStream(buf, true, StandardCharsets.UTF_8));
      String printed = buf.toString(StandardCharsets.UTF_8);

      assertThat(s.exchanges()).as("requests the flow made").isGreaterThan(10);
      assertThat(s.onPath()).as("requests on the critical path").isBetween(1, s.exchanges());
      assertThat(s.flowNanos()).isPositive();
      assertThat(s.pathNanos()).isPositive();
      assertThat(s.naiveNanos()).as("the naive client replayed the requests").isPositive();
      assertThat(printed).contains("flow / critical path =", "critical path through", "answers of the person");
      assertThat(s.personNanos()).as("the person's step-up answers (a signed ID token) lie on the path").isPositive();
      assertThat(s.networkPathNanos()).as("the exchanges' chain alone").isPositive().isLessThan(s.pathNanos());
      if (stores == SandboxFlows.Stores.FILE) {
        assertThat(s.fsyncsPerFlow()).as("the file stores' disk syncs, counted").isPositive();
        assertThat(printed).contains("disk syncs per flow");
      }
    }
  }

  @Test
  void longLivedProvisioner_printsOneLinePerSlice() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    double cpuPerFlow = LongLivedProvisioner.run(6, 3, new PrintStream(buf, true, StandardCharsets.UTF_8));

    assertThat(cpuPerFlow).as("CPU nanoseconds per flow of the last slice").isPositive();
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("      0-2", "      3-5");
  }

  @Test
  void fleet_runsEveryFlowInTheChildJvm() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    int exit = Fleet.run(3, Duration.ZERO, "256m", java, 1, 2, "", new PrintStream(buf, true, StandardCharsets.UTF_8));
    String printed = buf.toString(StandardCharsets.UTF_8);

    assertThat(exit).as("the child JVM's exit status; it printed:%n%s", printed).isZero();
    assertThat(printed).contains("sandbox capacity:", "one flow alone:", "3 completed, 0 failed",
        "Java threads' CPU during the fleet per flow: step threads", "the sandbox's CPU while the SDK's child ran: ")
        // every flow's requests went over connections the SDK's pool opened and counted
        .containsPattern("connections: [0-9]+ opened during the fleet; in the pool \\(sampled\\) at most [0-9]+");
  }

  @Test
  void fleetProfile_readsTheRecordingOfAFleet(@TempDir Path dir) throws Exception {
    Path jfr = dir.resolve("fleet.jfr");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ByteArrayOutputStream fleet = new ByteArrayOutputStream();
    int exit = Fleet.run(3, Duration.ZERO, "256m", java, 1, 2, "-Dfleet.jfr=" + jfr,
        new PrintStream(fleet, true, StandardCharsets.UTF_8));
    assertThat(exit).as("the child JVM's exit status; it printed:%n%s", fleet.toString(StandardCharsets.UTF_8))
        .isZero();

    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    FleetProfile.print(RecordingFile.readAllEvents(jfr), new PrintStream(buf, true, StandardCharsets.UTF_8));
    String printed = buf.toString(StandardCharsets.UTF_8);

    assertThat(printed).containsPattern("[0-9]+ compilations, ").containsAnyOf("execution samples", "share of samples");
  }

  @Test
  void fleet_withTheNaiveFleet_sendsAFlowsRequestsForEveryFlowAndComparesTheTwo() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    int exit = Fleet.run(3, Duration.ZERO, "256m", java, 1, 2, "", 0, 32,
        new PrintStream(buf, true, StandardCharsets.UTF_8));
    String printed = buf.toString(StandardCharsets.UTF_8);

    assertThat(exit).as("the child JVMs' exit status; they printed:%n%s", printed).isZero();
    assertThat(printed).contains("3 completed, 0 failed", "naive fleet:", "3 completed, 0 requests failed",
        "SDK fleet / naive fleet:", "(completed 3 and 3 of 3)", "the sandbox's CPU while the SDK's child ran: ",
        "the sandbox's CPU while the naive child ran: ");
  }
}
