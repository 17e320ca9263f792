package io.agentprovision.testing.contract;

import io.agentprovision.core.spi.RunJournal;

/** The in-memory journal keeps the journal contract. */
class InMemoryRunJournalContractTest extends RunJournalContract {
  @Override
  protected RunJournal newJournal() {
    return RunJournal.inMemory();
  }
}
