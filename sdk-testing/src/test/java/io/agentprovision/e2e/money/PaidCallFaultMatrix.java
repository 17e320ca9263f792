package io.agentprovision.e2e.money;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.e2e.money.FaultedRun.PaidCall;
import io.agentprovision.e2e.money.FaultedRun.Via;
import io.agentprovision.testing.stripe.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every paid call of one orchestrator ({@link StripeProjectsFaultMatrixTest}: {@code StripeProjects}
 * against the Stripe sandbox; {@link DirectOrchestratorFaultMatrixTest}: {@code DirectOrchestrator}
 * against the protocol provider sandbox), failing before or after the
 * provider carries it out, in each of the ways a network fails (500, 503, 429 with
 * {@code Retry-After}, a connection reset, a read timeout, an answer that is not JSON), under both
 * failure actions; the fault lasts until the network is repaired, and a run left suspended is then
 * resumed. In every cell: nothing is charged twice, no charge the provider kept is given back, the
 * ledger (committed plus held as uncertain) bounds the provider's charges while the run is stopped
 * and equals them once it is over, and the run ends in a typed outcome: a {@link Deployment}, or a
 * {@link RunFailedException} that says whether it can be resumed and what money is held.
 *
 * <p>The two orchestrators' matrices run at the same time, each on a sandbox of its own: most of
 * the time goes in waiting for read timeouts, which is real time (everything else is virtual).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PaidCallFaultMatrix {
  /** A fault that strikes before or after the provider carries the call out. */
  enum When { BEFORE, AFTER }

  /** The ways a paid call's answer goes wrong. */
  enum How {
    HTTP_500(Fault.status(500)),
    HTTP_503(Fault.status(503)),
    HTTP_429_RETRY_AFTER(Fault.rateLimited(Duration.ofSeconds(2))),
    CONNECTION_RESET(Fault.reset()),
    READ_TIMEOUT(Fault.stall(FaultedRun.STALL)),
    MALFORMED_BODY(Fault.malformed());

    final Fault fault;

    How(Fault fault) {
      this.fault = fault;
    }
  }

  private FaultedRun.Shared shared;

  /** The orchestrator whose paid calls are faulted. */
  abstract Via via();

  @BeforeAll
  void start() {
    FaultedRun.warmUp();
    shared = new FaultedRun.Shared();
  }

  @AfterAll
  void stop() {
    shared.close();
  }

  static Stream<Arguments> cells() {
    List<Arguments> out = new ArrayList<>();
    for (PaidCall call : PaidCall.values()) {
      for (When when : When.values()) {
        for (How how : How.values()) {
          for (FailureAction action : FailureAction.values()) {
            out.add(Arguments.of(call, when, how, action));
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} {3}")
  @Execution(ExecutionMode.SAME_THREAD) // the cells of one matrix share a sandbox: one at a time
  @MethodSource("io.agentprovision.e2e.money.PaidCallFaultMatrix#cells")
  void aFaultedPaidCall_neverLosesOrDoublesMoney_andEndsTyped(PaidCall call, When when, How how, FailureAction action) {
    try (FaultedRun r = new FaultedRun(shared, via(), action)) {
      r.breakCall(call, when == When.AFTER ? how.fault.afterExecution() : how.fault);

      Deployment d = r.execute();

      // while the network is broken
      assertNoDoubleCharge(r);
      assertThat(r.committed()).as("committed never exceeds what the providers charged").isLessThanOrEqualTo(r.charged());
      assertThat(r.charged()).as("no charge is given back: the ledger holds at least what was charged")
          .isLessThanOrEqualTo(r.heldOrCommittedLongAfter());
      if (when == When.AFTER) {
        assertThat(r.charged()).as("the faulted call was carried out").isPositive();
      }
      assertTyped(r, d);

      RunStatus first = r.status();
      r.repair();
      if (d == null && r.status() == RunStatus.SUSPENDED) {
        d = r.resume();
        assertThat(d).as("resumed once the network works: %s", r.failure).isNotNull();
      }

      // once it is over
      assertNoDoubleCharge(r);
      assertThat(uncertain(r)).as("nothing is left uncertain").isEmpty();
      assertThat(r.committed()).as("the ledger equals the provider's charges").isEqualTo(r.charged());
      assertThat(r.heldOrCommittedLongAfter()).isEqualTo(r.charged());
      if (d != null) {
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r.charges()).as("the plan and the domain, once each").isEqualTo(2);
        assertThat(d.spent()).singleElement().satisfies(m -> assertThat(m.minorUnits()).isEqualTo(r.charged()));
      } else {
        // compensated: only a failure whose money was settled for certain ends the run
        assertThat(action).isEqualTo(FailureAction.COMPENSATE);
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
      }
      // one line per cell in the test's output, for reading the matrix as a table
      System.out.printf("cell %s %s %s %s %s: first %s, then %s; charged %d, committed %d%n", via(), call, when, how,
          action, first, r.status(), r.charged(), r.committed());
    }
  }

  /** Each paid call charged at most once: at most two charges, and never two of one amount. */
  private static void assertNoDoubleCharge(FaultedRun r) {
    assertThat(r.charges()).as("charges").isLessThanOrEqualTo(2);
    assertThat(r.chargeAmounts()).as("no amount charged twice").doesNotHaveDuplicates();
  }

  /** The run ended in a typed outcome that agrees with the journal and the ledger. */
  private static void assertTyped(FaultedRun r, Deployment d) {
    if (d != null) {
      assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
      return;
    }
    assertThat(r.failure).isInstanceOf(RunFailedException.class);
    RunFailedException e = (RunFailedException) r.failure;
    assertThat(e.resumable()).isEqualTo(r.status() == RunStatus.SUSPENDED);
    assertThat(e.uncertain()).extracting(Reservation::id)
        .containsExactlyInAnyOrderElementsOf(uncertain(r).stream().map(Reservation::id).toList());
    if (!e.uncertain().isEmpty()) {
      assertThat(e.resumable()).as("held money always leaves the run resumable").isTrue();
    }
  }

  private static List<Reservation> uncertain(FaultedRun r) {
    return r.reservations().stream().filter(x -> x.status() == Reservation.Status.UNCERTAIN).toList();
  }
}
