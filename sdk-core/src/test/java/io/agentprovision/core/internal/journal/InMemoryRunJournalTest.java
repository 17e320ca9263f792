package io.agentprovision.core.internal.journal;

import io.agentprovision.core.spi.RunJournal;

class InMemoryRunJournalTest extends RunJournalContract {
  @Override
  RunJournal journal() {
    return RunJournal.inMemory();
  }
}
