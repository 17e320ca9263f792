package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.spi.SpendLedger;
import java.lang.reflect.Method;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What {@link SpendLedgerJarPairs} times is the SDK build it was given, not the harness's own. */
class SpendLedgerJarPairsTest {
  @Test
  void aTurn_runsTheLedgerOfTheBuildItWasGiven_inAClassLoaderOfItsOwn() throws Exception {
    Path sdk = Path.of(SpendLedger.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Method run = SpendLedgerJarPairs.slice(sdk);
    ClassLoader loader = run.getDeclaringClass().getClassLoader();
    assertThat(loader).isNotSameAs(SpendLedgerSlice.class.getClassLoader());
    // the slice links against the SDK at that place: its ledger interface is another class than this test's
    assertThat(Class.forName(SpendLedger.class.getName(), false, loader)).isNotSameAs(SpendLedger.class);
    long cpu = (long) run.invoke(null, 10);
    assertThat(cpu).isPositive();
  }
}
