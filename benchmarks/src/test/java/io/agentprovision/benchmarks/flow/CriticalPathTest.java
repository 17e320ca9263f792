package io.agentprovision.benchmarks.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The critical path from recorded exchanges and the person's answers, on made-up times. */
class CriticalPathTest {
  private static final long MS = 1_000_000;

  private static Exchange exchange(String step, long startMs, long endMs) {
    return new Exchange(0, step, "GET", "http://example.test/", List.of(), new byte[0], null, startMs * MS, endMs * MS,
        200, false);
  }

  private static Map<String, List<String>> graph() {
    Map<String, List<String>> g = new LinkedHashMap<>();
    g.put("account", List.of());
    g.put("domain", List.of("account"));
    g.put("resource", List.of("account"));
    return g;
  }

  @Test
  void exchangesOneAfterAnother_acrossTheGraph_andOverlappingOnesOnce() {
    List<Exchange> ex = List.of(exchange("account", 0, 50), exchange("account", 1, 51), exchange("domain", 52, 102),
        exchange("domain", 104, 154), exchange("resource", 52, 102));

    CriticalPath p = CriticalPath.of(graph(), ex);

    assertThat(p.nanos()).isEqualTo(150 * MS); // account's longer one, then domain's two
    assertThat(p.exchanges()).isEqualTo(3);
    assertThat(p.personNanos()).isZero();
    assertThat(p.steps()).containsExactly(CriticalPath.PLAN, "account", "domain");
  }

  @Test
  void aPersonsAnswerBetweenTwoExchanges_isALinkOfTheChain_notARequest() {
    List<Exchange> ex = List.of(exchange("account", 0, 50), exchange("domain", 55, 105), exchange("domain", 110, 160),
        exchange("resource", 52, 152));
    // the step-up before the domain's first request, and the purchase's confirmation between its two
    List<PersonAnswer> answers = List.of(new PersonAnswer("domain", "STEP_UP", 51 * MS, 54 * MS),
        new PersonAnswer("domain", "DOMAIN_PURCHASE", 106 * MS, 108 * MS));

    CriticalPath p = CriticalPath.of(graph(), ex, answers);

    assertThat(p.nanos()).isEqualTo((50 + 3 + 50 + 2 + 50) * MS);
    assertThat(p.exchanges()).as("requests one after another").isEqualTo(3);
    assertThat(p.personNanos()).isEqualTo(5 * MS);
    assertThat(p.steps()).containsExactly(CriticalPath.PLAN, "account", "domain");
    // without the answers, the resource's single longer exchange is as long as the domain's two
    assertThat(CriticalPath.of(graph(), ex).nanos()).isEqualTo(150 * MS);
  }

  @Test
  void anAnswerBesideAnExchange_doesNotLengthenTheChain() {
    List<Exchange> ex = List.of(exchange("account", 0, 50));
    List<PersonAnswer> answers = List.of(new PersonAnswer("account", "ACCOUNT_CONSENT", 10 * MS, 20 * MS));

    CriticalPath p = CriticalPath.of(graph(), ex, answers);

    assertThat(p.nanos()).isEqualTo(50 * MS);
    assertThat(p.personNanos()).isZero();
  }
}
