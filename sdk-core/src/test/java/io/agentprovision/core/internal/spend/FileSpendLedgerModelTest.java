package io.agentprovision.core.internal.spend;

import io.agentprovision.core.spi.SpendLedger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tuple;

/**
 * The file ledger against the naive model of {@link SpendLedgerModelContract}, reopened from its log
 * at random points: what it replays must answer exactly as the model does. Fewer tries than in
 * memory, since every change is forced to disk.
 */
class FileSpendLedgerModelTest extends SpendLedgerModelContract {
  private static final int TRIES = 40;

  @Override
  protected SpendLedger newLedger(Clock clock) {
    try {
      Path dir = Files.createTempDirectory(Path.of("target"), "file-ledger-model");
      dir.toFile().deleteOnExit();
      return SpendLedger.file(dir, clock);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected SpendLedger restart(SpendLedger ledger, Clock clock) {
    return SpendLedger.file(((FileSpendLedger) ledger).file().getParent(), clock);
  }

  @Property(tries = TRIES)
  void replayedLedgerAgreesWithANaiveRecountAndNeverOverspends(
      @ForAll("policies") List<Tuple.Tuple2<Shape, Long>> initial, @ForAll("operations") List<Op> ops,
      @ForAll("starts") Instant start, @ForAll("zones") ZoneId startZone) {
    check(initial, ops, start, startZone);
    requireCoverage(TRIES / 300.0);
  }
}
