package io.agentprovision.benchmarks.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The flow's start and end piece by piece, on made-up marks. */
class HandOversTest {
  private static final long US = 1_000;
  private static final long CALLER = 1;
  private static final long STEP = 2;

  private static HandOvers.Mark mark(String what, long atUs, long thread, long cpuUs) {
    return new HandOvers.Mark(what, atUs * US, new OnThread(thread, cpuUs * US, cpuUs * US));
  }

  @Test
  void eachPieceIsTheTimeBetweenItsMarks_withTheCpuWhereOneThreadLeftBoth() {
    List<HandOvers.Mark> marks = List.of(
        mark(HandOvers.FLOW_START, 0, CALLER, 1_000),
        mark(HandOvers.PLAN_MADE, 150, CALLER, 1_140),
        mark(HandOvers.RUN_STARTED, 350, CALLER, 1_300),
        // handed to a step thread: no CPU for that piece
        mark(HandOvers.STEP_STARTED + "identity", 450, STEP, 500),
        mark(HandOvers.STEP_FINISHED + "identity", 800, STEP, 840),
        mark(HandOvers.STEP_STARTED + "verify", 440_000, STEP, 9_000),
        mark(HandOvers.STEP_FINISHED + "verify", 450_200, STEP, 9_180),
        mark(HandOvers.RUN_FINISHED, 450_400, STEP, 9_370),
        mark(HandOvers.FLOW_END, 450_450, CALLER, 1_310));
    List<Exchange> exchanges = List.of(new Exchange(0, "verify", "GET", "http://127.0.0.1:1/", List.of(), new byte[0],
        null, 400_000 * US, 450_000 * US, 200, true, new OnThread(STEP, 8_950 * US, 9_000 * US)));
    List<PersonAnswer> answers = List.of(new PersonAnswer("plan-approval", "PLAN_APPROVAL", 920 * US, 930 * US,
        new OnThread(STEP, 950 * US, 955 * US)));

    Map<String, ChainGaps.Gap> pieces = HandOvers.pieces(marks, exchanges, answers);

    assertThat(pieces.values()).containsExactly(
        new ChainGaps.Gap(150 * US, 140 * US),
        new ChainGaps.Gap(200 * US, 160 * US),
        new ChainGaps.Gap(100 * US, -1),
        new ChainGaps.Gap(350 * US, 340 * US),
        new ChainGaps.Gap(120 * US, 110 * US),
        new ChainGaps.Gap(200 * US, 180 * US),
        new ChainGaps.Gap(200 * US, 190 * US),
        new ChainGaps.Gap(50 * US, -1));
    assertThat(pieces.keySet()).anyMatch(k -> k.contains("(identity)"));
  }
}
