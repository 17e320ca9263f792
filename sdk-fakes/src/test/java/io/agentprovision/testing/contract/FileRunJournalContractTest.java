package io.agentprovision.testing.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.spi.RunJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file journal keeps the journal contract, every read going through a second instance opened on
 * the same directory, as another process would.
 */
class FileRunJournalContractTest extends RunJournalContract {
  @TempDir
  Path dir;

  @Override
  protected RunJournal newJournal() {
    return RunJournal.directory(dir);
  }

  @Override
  protected RunJournal reopen(RunJournal journal) {
    return RunJournal.directory(dir);
  }

  @Test
  void leases_liveBesideTheRunFiles_andAreNotTakenForRuns() throws Exception {
    Lease l = journal.acquireLease("run:r1", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    assertThat(Files.readString(dir.resolve(".leases.json"))).contains("\"run:r1\"", "\"host-a\"");
    assertThat(reopen(journal).runs()).isEmpty();
    assertThat(reopen(journal).lease("run:r1")).contains(l);
  }
}
