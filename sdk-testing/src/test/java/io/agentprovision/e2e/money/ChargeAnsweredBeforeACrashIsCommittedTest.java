package io.agentprovision.e2e.money;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.e2e.money.FaultedRun.Via;
import io.agentprovision.testing.SimulatedCrash;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host dies after a provider answered a paid call and before the ledger learned what it
 * charged. The resumed run repeats the step: the provider replays what it already did, nothing is
 * bought twice, and the ledger commits what was charged, not less.
 *
 * <p>The domain is the hard case. It is bought by the answer to the registrar's question, paid with a
 * token capped at the chosen name's price, while the step's first call (the search) carried another
 * token under the same reservation. Resumed, the step repeats the search, which the provider answers
 * with the registered domain: that call's own token captured nothing, so the answer says nothing
 * was charged by it. Taken as the purchase's charge, it had the ledger commit USD 0.00 for a domain
 * that cost USD 10.11, and free the rest of the human's limit for more spending.
 */
class ChargeAnsweredBeforeACrashIsCommittedTest {
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
