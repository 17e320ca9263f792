package io.agentprovision.core.internal.journal;

import io.agentprovision.core.spi.RunJournal;

class InMemoryRunJournalTest extends RunJournalContract {
  @Override
  protected RunJournal journal() {
    return RunJournal.inMemory();
  }
}
