package io.agentprovision.e2e.money;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.e2e.money.FaultedRun.PaidCall;
import io.agentprovision.e2e.money.FaultedRun.Via;
import io.agentprovision.testing.SimulatedCrash;
import io.agentprovision.testing.stripe.Fault;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finding: "a charge that happened can be released". When the connection reset, the read timed out
 * or the answer was malformed after the provider had charged, the paid call was classed as not
 * retryable (or its reservation was left to expire) and the money given back, while the provider
 * kept the charge. Here the provider charges and then its answer is lost, on every attempt until
 * the network is repaired: the ledger must hold the money (as uncertain) for as long as nobody
 * knows, never release it, and commit it once a resume finds out.
 */
class ChargeThatHappenedCannotBeReleasedTest {
  private static FaultedRun.Shared shared;

  @BeforeAll
  static void start() {
    FaultedRun.warmUp();
    shared = new FaultedRun.Shared();
  }

  @AfterAll
  static void stop() {
    shared.close();
  }

  static Stream<Arguments> lostAnswers() {
    return Stream.of(
        Arguments.of(Via.STRIPE_PROJECTS, PaidCall.PLAN, "malformed", Fault.malformed()),
        Arguments.of(Via.STRIPE_PROJECTS, PaidCall.DOMAIN, "reset", Fault.reset()),
        Arguments.of(Via.STRIPE_PROJECTS, PaidCall.PLAN, "read timeout", Fault.stall(FaultedRun.STALL)),
        Arguments.of(Via.DIRECT, PaidCall.PLAN, "malformed", Fault.malformed()),
        Arguments.of(Via.DIRECT, PaidCall.DOMAIN, "reset", Fault.reset()),
        Arguments.of(Via.DIRECT, PaidCall.DOMAIN, "read timeout", Fault.stall(FaultedRun.STALL)));
  }

  @ParameterizedTest(name = "{0} {1}: {2} after the charge")
  @MethodSource("lostAnswers")
  void aChargeTheProviderMade_isHeldUntilReconciled_andNeverReleased(Via via, PaidCall call, String what, Fault fault) {
    try (FaultedRun r = new FaultedRun(shared, via, FailureAction.COMPENSATE)) {
      r.breakCall(call, fault.afterExecution());

      assertThat(r.execute()).as("the run cannot finish while the paid call's answer is lost").isNull();

      long charged = r.charged();
      assertThat(charged).as("the provider charged before its answer was lost").isPositive();
      // the domain's price is known only once a name is chosen: its reservation is the cap (what the USD 100.00
      // limit leaves after the plan) from the search on, and Stripe Projects cannot cap one charge below it, so a
      // lost answer holds that whole cap; Shared Payment Tokens say what they captured
      long held = via == Via.STRIPE_PROJECTS && call == PaidCall.DOMAIN ? 10_000 : charged;
      assertThat(r.heldOrCommittedLongAfter()).as("the ledger keeps every charged cent, even past expiry")
          .isEqualTo(held).isGreaterThanOrEqualTo(charged);

      r.repair();
      if (r.status() == RunStatus.SUSPENDED) {
        // nobody knew what was charged, so the run waits for a resume to find out
        Deployment d = r.resume();
        assertThat(d).as("resumed: %s", r.failure).isNotNull();
        assertThat(r.charged()).as("nothing was charged twice").isEqualTo(charged + (call == PaidCall.PLAN ? 1011 : 0));
      } else {
        // the payment token showed the charge: committed, and the run compensated around it
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.charged()).isEqualTo(charged);
      }
      assertThat(r.committed()).as("the ledger equals the provider's charges").isEqualTo(r.charged());
      assertThat(r.heldOrCommittedLongAfter()).isEqualTo(r.charged());
    }
  }

  /*
   * The host dies after a provider answered a paid call and before the ledger learned what it
   * charged. The resumed run repeats the step: the provider replays what it already did, nothing is
   * bought twice, and the ledger commits what was charged, not less.
   *
   * The domain is the hard case. It is bought by the answer to the registrar's question, paid with a
   * token capped at the chosen name's price, while the step's first call (the search) carried another
   * token under the same reservation. Resumed, the step repeats the search, which the provider answers
   * with the registered domain: that call's own token captured nothing, so the answer says nothing
   * was charged by it. Taken as the purchase's charge, it had the ledger commit USD 0.00 for a domain
   * that cost USD 10.11, and free the rest of the human's limit for more spending.
   */

  static Stream<Arguments> crashes() {
    return Stream.of(
        Arguments.of(Via.DIRECT, "plan"),
        Arguments.of(Via.DIRECT, "domain"),
        Arguments.of(Via.STRIPE_PROJECTS, "plan"),
        Arguments.of(Via.STRIPE_PROJECTS, "domain"));
  }

  @ParameterizedTest(name = "{0}: the host dies before the {1}'s charge is committed")
  @MethodSource("crashes")
  void aChargeAnsweredBeforeTheHostDied_isCommittedInFullOnResume(Via via, String step) {
    try (FaultedRun r = new FaultedRun(shared, via, FailureAction.COMPENSATE)) {
      r.crashAtCommitOf(step);

      SimulatedCrash crash = r.executeUntilCrash();
      assertThat(crash.method()).isEqualTo("SpendLedger.commit " + step);
      long chargedAtCrash = r.charged();
      assertThat(chargedAtCrash).as("the provider charged before the host died").isPositive();
      assertThat(r.reservations()).as("the charge the ledger was about to commit is still held")
          .anySatisfy(res -> {
            assertThat(res.step()).hasToString(step);
            assertThat(res.status()).isEqualTo(Reservation.Status.RESERVED);
          });

      Deployment d = r.resume();
      assertThat(d).as("resumed: %s", r.failure).isNotNull();
      assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(r.charges()).as("the plan and the domain, each bought once").isEqualTo(2);
      assertThat(r.reservations()).as("every reservation committed")
          .allSatisfy(res -> assertThat(res.status()).isEqualTo(Reservation.Status.COMMITTED));
      assertThat(r.committed()).as("the ledger commits what the providers charged: %s", r.reservations())
          .isEqualTo(r.charged());
      assertThat(r.heldOrCommittedLongAfter()).isEqualTo(r.charged());
    }
  }
}
