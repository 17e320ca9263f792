package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.RunId;
import io.agentprovision.core.spi.RunJournal;
import org.junit.jupiter.api.Test;

class InMemoryRunJournalTest extends RunJournalContract {
  @Override
  protected RunJournal journal() {
    return RunJournal.inMemory();
  }

  @Test
  void keepsAnIndexOfRunsByKey_soAPersonsRunsAreFoundWithoutReadingEveryRun() {
    RunJournal j = journal();
    assertThat(j.fileRun(RunId.of("run_1"), "person-a")).isTrue();
    assertThat(j.runsFiledUnder("person-a")).hasValueSatisfying(ids -> assertThat(ids).containsExactly(RunId.of("run_1")));
  }
}
