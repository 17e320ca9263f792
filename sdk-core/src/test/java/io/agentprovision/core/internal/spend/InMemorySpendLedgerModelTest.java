package io.agentprovision.core.internal.spend;

import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tuple;

/** The in-memory ledger against the naive model of {@link SpendLedgerModelContract}. */
class InMemorySpendLedgerModelTest extends SpendLedgerModelContract {
  @Override
  protected SpendLedger newLedger(Clock clock) {
    return SpendLedger.inMemory(clock);
  }

  /** In memory there is nothing to reopen: a restart keeps the instance. */
  @Override
  protected SpendLedger restart(SpendLedger ledger, Clock clock) {
    return ledger;
  }

  @Property(tries = 300)
  void ledgerAgreesWithANaiveRecountAndNeverOverspends(@ForAll("policies") List<Tuple.Tuple2<Shape, Long>> initial,
      @ForAll("operations") List<Op> ops, @ForAll("starts") Instant start, @ForAll("zones") ZoneId startZone) {
    check(initial, ops, start, startZone);
    requireCoverage(1.0);
  }
}
