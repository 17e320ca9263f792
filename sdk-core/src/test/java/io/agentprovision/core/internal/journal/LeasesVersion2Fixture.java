package io.agentprovision.core.internal.journal;

import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.spi.RunJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Writes the fixture {@code version2-leases.json} of {@link FileRunJournalTest}: a lease file as an
 * SDK writing lease file version 2 (tokens counted per name, a slot per name ever leased) left it.
 * Not a test: it was run once on the code of main at {@code d24880f} (the last to write version 2),
 * through its public API, and its output committed under
 * {@code src/test/resources/io/agentprovision/core/internal/journal/}; run on the code of today it
 * would write version 3.
 *
 * <pre>{@code
 * java -cp old-sdk-core.jar LeasesVersion2Fixture.java <dir>   # then <dir>/.leases.json
 * }</pre>
 *
 * <ul>
 *   <li>{@code run:run_1}: five tenures of host-a, each released (tokens 1 to 5);
 *   <li>{@code run:run_2}: two tenures released, then host-b's (token 3) renewed to 09:01:30;
 *   <li>{@code run:run_3}: host-a's (token 1) until 09:01, never released (a host that died);
 *   <li>{@code person:p_1/cloudflare}: one tenure, released (token 1).
 * </ul>
 */
final class LeasesVersion2Fixture {
  private LeasesVersion2Fixture() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Instant t0 = Instant.parse("2026-11-02T09:00:00Z");
    RunJournal j = RunJournal.directory(dir);
    for (int i = 0; i < 5; i++) {
      j.releaseLease(j.acquireLease("run:run_1", "host-a", t0, t0.plusSeconds(60)).orElseThrow());
    }
    for (int i = 0; i < 2; i++) {
      j.releaseLease(j.acquireLease("run:run_2", "host-a", t0, t0.plusSeconds(60)).orElseThrow());
    }
    Lease b = j.acquireLease("run:run_2", "host-b", t0, t0.plusSeconds(60)).orElseThrow();
    j.renewLease(b, t0.plusSeconds(90)).orElseThrow();
    j.acquireLease("run:run_3", "host-a", t0, t0.plusSeconds(60)).orElseThrow();
    j.releaseLease(j.acquireLease("person:p_1/cloudflare", "host-a", t0, t0.plusSeconds(60)).orElseThrow());
    System.out.print(Files.readString(dir.resolve(".leases.json")));
  }
}
