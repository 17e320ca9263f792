package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRunJournalTest extends RunJournalContract {
  @TempDir
  Path dir;

  @Override
  protected RunJournal journal() {
    return RunJournal.directory(dir.resolve("runs"));
  }

  @Test
  void open_again_seesEveryRunAndStepSavedBefore() {
    RunJournal first = journal();
    RunRecord v0 = run("run_1", T0);
    first.saveRun(v0);
    RunRecord running = v0.next(RunStatus.RUNNING, null, T0.plusSeconds(5));
    first.saveRun(running);
    StepRecord domain = step("run_1", "domain").next(T0).status(StepStatus.RUNNING).attempts(1)
        .progress("{\"resourceId\":\"res_1\"}").reservation("run_1:domain:1").build();
    first.saveStep(step("run_1", "domain"));
    first.saveStep(domain);

    RunJournal afterCrash = journal();

    assertThat(afterCrash.runs(RunStatus.RUNNING)).containsExactly(running);
    assertThat(afterCrash.step(RunId.of("run_1"), StepId.of("domain"))).contains(domain);
    assertThat(afterCrash.saveStep(domain)).as("the version check holds across instances").isFalse();
    assertThat(afterCrash.saveStep(domain.next(T0).status(StepStatus.SUCCEEDED).build())).isTrue();
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow().status())
        .isEqualTo(StepStatus.SUCCEEDED);
  }

  @Test
  void files_areOnePerRunAndNeverShared() throws Exception {
    RunJournal j = journal();
    j.saveRun(run("Run_1", T0));
    j.saveRun(run("run_1", T0));
    j.saveRun(run("run/1", T0));
    j.saveRun(run("run:1", T0));

    try (Stream<Path> files = Files.list(dir.resolve("runs"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".json"))).hasSize(4);
    }
    assertThat(j.runs()).extracting(r -> r.id().value()).containsExactlyInAnyOrder("Run_1", "run_1", "run/1", "run:1");
  }

  @Test
  void file_isReadableJsonWithTheRunAndItsSteps() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    j.saveStep(step("run_1", "deploy"));

    Map<String, Object> doc = Json.parseObject(Files.readString(j.fileOf(RunId.of("run_1"))));

    assertThat(doc).containsEntry("run_id", "run_1");
    assertThat(Json.object(doc, "run")).containsEntry("status", "PLANNED").containsEntry("version", 0L);
    assertThat(Json.list(doc, "steps")).hasSize(1);
    assertThat(j.fileOf(RunId.of("run_1")).getFileName().toString()).startsWith("run_1--").endsWith(".json");
  }

  @Test
  void file_keepsAStepsOutputAsOneJsonStringBesideItsTypedFields() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveStep(step("run_1", "plan").toBuilder().status(StepStatus.SUCCEEDED).output("{\"charged\":\"USD 5.00\"}")
        .reservation("run_1:plan:1").build());

    Map<String, Object> doc = Json.parseObject(Files.readString(j.fileOf(RunId.of("run_1"))));

    @SuppressWarnings("unchecked")
    Map<String, Object> plan = (Map<String, Object>) Json.list(doc, "steps").get(0);
    assertThat(plan).containsEntry("output", "{\"charged\":\"USD 5.00\"}")
        .containsEntry("reservations", java.util.List.of("run_1:plan:1")).containsEntry("decisions", java.util.List.of());
    assertThat(doc).containsEntry("version", 2L);
  }

  @Test
  void run_whenTheFileIsFromTheFirstFormat_refusesAndNamesTheFile() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    Path f = j.fileOf(RunId.of("run_1"));
    Files.writeString(f, Files.readString(f).replaceFirst("\"version\"\\s*:\\s*2", "\"version\": 1"));

    assertThatThrownBy(() -> j.run(RunId.of("run_1"))).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(f.getFileName().toString()).hasMessageContaining("version-2");
  }

  @Test
  void runs_ignoreTemporaryFilesLeftByACrash() throws Exception {
    RunJournal j = journal();
    j.saveRun(run("run_1", T0));
    Files.writeString(dir.resolve("runs/.run_2--0011223344556677.json.123.tmp"), "{\"half");
    Files.writeString(dir.resolve("runs/.stray.json"), "{\"half");

    assertThat(j.runs()).hasSize(1);
  }

  @Test
  void run_whenTheFileIsCorrupt_namesTheFile() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    Path f = j.fileOf(RunId.of("run_1"));
    Files.writeString(f, "{\"format\":\"agentprovision-run\",\"version\":2,\"run_id\":\"run_1\",\"run\":{\"id\":\"run_1\"}}");

    assertThatThrownBy(() -> j.run(RunId.of("run_1"))).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(f.getFileName().toString()).hasMessageContaining("unreadable");
    assertThatThrownBy(j::runs).isInstanceOf(AgentProvisionException.class);
    assertThatThrownBy(() -> j.saveRun(run("run_1", T0))).isInstanceOf(AgentProvisionException.class);
  }

  @Test
  void run_whenAFileHoldsAnotherRun_refuses() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    j.saveRun(run("run_2", T0));
    Files.copy(j.fileOf(RunId.of("run_1")), j.fileOf(RunId.of("run_2")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> j.run(RunId.of("run_2"))).isInstanceOf(AgentProvisionException.class);
  }
}
