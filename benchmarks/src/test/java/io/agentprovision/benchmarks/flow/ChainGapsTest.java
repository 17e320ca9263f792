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

  @Test
  void aGapOnOneThread_isSplitIntoItsCpuAndItsWait_oneThatChangesThreads_isCountedMoved() {
    // thread 7 reads the account's answer at 10 ms of CPU and sends the domain's request at 10.4 ms of CPU
    Exchange account = new Exchange(0, "account", "POST", "http://127.0.0.1:1/v2/provisioning/projects", List.of(),
        new byte[0], null, 2 * MS, 52 * MS, 200, false, new OnThread(7, 9 * MS, 10 * MS));
    Exchange domain = new Exchange(1, "domain", "POST", "http://127.0.0.1:1/v2/provisioning/resources", List.of(),
        new byte[0], null, 53 * MS, 103 * MS, 200, false, new OnThread(7, 10 * MS + 400_000, 11 * MS));
    // the deploy's request leaves on thread 8: the chain was handed over
    Exchange deploy = new Exchange(2, "deploy", "GET", "http://127.0.0.1:1/client/v4/zones", List.of(), new byte[0],
        null, 105 * MS, 155 * MS, 200, false, new OnThread(8, 50 * MS, 51 * MS));

    Map<String, ChainGaps.Gap> gaps = ChainGaps.threads(0, 156 * MS, List.of(account, domain, deploy), List.of(),
        List.of("account", "domain", "deploy"));

    assertThat(gaps.get("domain POST /v2/provisioning/resources")).isEqualTo(new ChainGaps.Gap(1 * MS, 400_000));
    assertThat(gaps.get("deploy GET /client/v4/zones").sameThread()).isFalse();
    assertThat(gaps.get("deploy GET /client/v4/zones").nanos()).isEqualTo(2 * MS);
    assertThat(gaps.get(ChainGaps.END).sameThread()).isFalse();

    List<String> lines = ChainGaps.threadTable(List.of(gaps));
    String domainLine = lines.stream().filter(l -> l.contains("domain POST")).findFirst().orElseThrow();
    // wall 1 ms, of which 0.4 ms CPU and 0.6 ms waited; one flow, none moved
    assertThat(domainLine.trim().split(" +")).endsWith("1.00", "0.40", "0.60", "1", "0");
    String deployLine = lines.stream().filter(l -> l.contains("deploy GET")).findFirst().orElseThrow();
    assertThat(deployLine.trim().split(" +")).endsWith("2.00", "-", "-", "1", "1");
  }
}
