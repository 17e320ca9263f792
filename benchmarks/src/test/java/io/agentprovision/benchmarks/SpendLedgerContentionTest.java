package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.spi.SpendLedger;
import java.lang.reflect.Method;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What {@link SpendLedgerContention} times is the SDK build it was given, every pair of every
 * thread landing on the one cap.
 */
class SpendLedgerContentionTest {
  @Test
  void aTurn_runsEveryThreadsPairs_onTheLedgerOfTheBuildItWasGiven() throws Exception {
    Path sdk = Path.of(SpendLedger.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Class<?> slice = SpendLedgerJarPairs.besideSdk(sdk, SpendLedgerContendedSlice.class);
    ClassLoader loader = slice.getClassLoader();
    assertThat(loader).isNotSameAs(SpendLedgerContendedSlice.class.getClassLoader());
    assertThat(Class.forName(SpendLedger.class.getName(), false, loader)).isNotSameAs(SpendLedger.class);
    Method run = slice.getMethod("run", int.class, int.class, int.class);
    // the slice checks that the cap counts the seeded cents, the first spend and every thread's pairs,
    // and throws when it does not
    long[] figures = (long[]) run.invoke(null, 7, 4, 250);
    assertThat(figures[0]).as("wall-clock ns").isPositive();
    assertThat(figures[1]).as("CPU ns").isPositive();
    assertThat(figures[2]).as("voluntary switches").isNotNegative();
    assertThat(figures[3]).as("involuntary switches").isNotNegative();
  }

  @Test
  void theMedianInterval_holdsTheMedian_andNarrowsWithMoreTurns() {
    double[] few = new double[11];
    double[] many = new double[101];
    for (int i = 0; i < few.length; i++) {
      few[i] = i;
    }
    for (int i = 0; i < many.length; i++) {
      many[i] = i / 10.0;
    }
    double[] a = SpendLedgerContention.interval(few);
    double[] b = SpendLedgerContention.interval(many);
    assertThat(a[0]).isLessThanOrEqualTo(SpendLedgerContention.median(few));
    assertThat(a[1]).isGreaterThanOrEqualTo(SpendLedgerContention.median(few));
    assertThat(b[0]).isLessThanOrEqualTo(5.0);
    assertThat(b[1]).isGreaterThanOrEqualTo(5.0);
    // both samples spread over 0..10: the interval of 101 turns is narrower than that of 11
    assertThat(b[1] - b[0]).isLessThan(a[1] - a[0]);
  }
}
