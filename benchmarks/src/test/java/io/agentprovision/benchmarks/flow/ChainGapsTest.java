package io.agentprovision.benchmarks.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SDK's time at each gap of the critical path, on made-up times. */
class ChainGapsTest {
  private static final long MS = 1_000_000;

  private static Exchange exchange(String step, String method, String url, long startMs, long endMs) {
    return new Exchange(0, step, method, url, List.of(), new byte[0], null, startMs * MS, endMs * MS, 200, false);
  }

  @Test
  void eachRequestOfTheChain_isMeasuredFromTheLastAnswerBeforeIt_andTheEndFromTheLastAnswer() {
    List<Exchange> ex = List.of(
        exchange("account", "POST", "http://127.0.0.1:1/v2/provisioning/projects", 2, 52),
        exchange("domain", "POST", "http://127.0.0.1:1/v2/provisioning/resources", 56, 106),
        exchange("domain", "POST", "http://127.0.0.1:1/v2/provisioning/resources/prvres_sbx0042/submit_information",
            107, 157),
        // off the chain: not measured, but its answer is an answer like any other
        exchange("resource", "POST", "http://127.0.0.1:1/v2/provisioning/resources", 53, 103));
    // the step-up's answer came after the account's: the domain's first request is measured from it
    List<PersonAnswer> answers = List.of(new PersonAnswer("domain", "STEP_UP", 53 * MS, 54 * MS));

    Map<String, Long> gaps = ChainGaps.of(0, 158 * MS, ex, answers, List.of(CriticalPath.PLAN, "account", "domain"));

    assertThat(gaps).containsExactly(
        Map.entry("account POST /v2/provisioning/projects", 2 * MS),
        // the SDK's time from the account's answer to the step-up put to the person
        Map.entry("domain asks the person: STEP_UP", 1 * MS),
        Map.entry("domain POST /v2/provisioning/resources", 2 * MS),
        Map.entry("domain POST /v2/provisioning/resources/{id}/submit_information", 1 * MS),
        Map.entry(ChainGaps.END, 1 * MS));
  }

  @Test
  void aCheckpointOfAStepOnTheChain_isMeasuredFromTheLinkBeforeIt_oneOffTheChainIsNot() {
    List<Exchange> ex = List.of(exchange("account", "GET", "http://127.0.0.1:1/v2/provisioning/resources/prvres_1", 3, 53));
    List<PersonAnswer> answers = List.of(
        // the plan approval, asked 2 ms after the flow began and answered at once
        new PersonAnswer("plan-approval", "PLAN_APPROVAL", 2 * MS, 2 * MS),
        // a checkpoint of a step off the path: no row, though its answer still ends a gap
        new PersonAnswer("resource", "SERVICE_PURCHASE", 54 * MS, 55 * MS));

    Map<String, Long> gaps = ChainGaps.of(0, 56 * MS, ex, answers,
        List.of(CriticalPath.PLAN, "plan-approval", "account"));

    assertThat(gaps).containsExactly(
        Map.entry("plan-approval asks the person: PLAN_APPROVAL", 2 * MS),
        Map.entry("account GET /v2/provisioning/resources/{id}", 1 * MS),
        Map.entry(ChainGaps.END, 1 * MS));
  }

  @Test
  void theSameRequestTwice_isKeyedByItsTurn_andTheQueryAndIdsAreFolded() {
    List<Exchange> ex = List.of(
        exchange("deploy", "GET", "http://127.0.0.1:1/client/v4/accounts/c5ae9c64/workers/domains?hostname=a.org", 0, 10),
        exchange("deploy", "GET", "http://127.0.0.1:1/client/v4/accounts/c5ae9c64/workers/domains?hostname=b.org", 13,
            20));

    Map<String, Long> gaps = ChainGaps.of(0, 20 * MS, ex, List.of(), List.of("deploy"));

    assertThat(gaps.keySet()).containsExactly("deploy GET /client/v4/accounts/{id}/workers/domains",
        "deploy GET /client/v4/accounts/{id}/workers/domains #2", ChainGaps.END);
    assertThat(gaps.get("deploy GET /client/v4/accounts/{id}/workers/domains #2")).isEqualTo(3 * MS);
  }

  @Test
  void theTable_givesEachGapsMedianOverTheFlows_theEndLast_andTheSum() {
    List<Map<String, Long>> flows = List.of(
        Map.of(ChainGaps.END, 1 * MS, "a GET /", 2 * MS),
        Map.of(ChainGaps.END, 3 * MS, "a GET /", 4 * MS),
        Map.of(ChainGaps.END, 5 * MS, "a GET /", 6 * MS));

    List<String> lines = ChainGaps.table(flows);

    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).trim().split(" +")).containsExactly("a", "GET", "/", "4.00", "6.00", "3");
    assertThat(lines.get(1)).startsWith("  " + ChainGaps.END);
    assertThat(lines.get(1).substring(ChainGaps.END.length() + 2).trim().split(" +")).containsExactly("3.00", "5.00",
        "3");
    assertThat(lines.get(2)).contains("sum of the medians").endsWith(" 7.00");
  }
}
