package io.agentprovision.benchmarks.flow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The shortest time a flow could take if only its network round trips took time: the longest chain
 * of exchanges that had to happen one after another.
 *
 * <p>Two things order exchanges. Across steps, the step graph: every exchange of a step comes after
 * every exchange of the steps it depends on. Within a step, what was seen: an exchange that started
 * after another ended is taken to depend on it (the step's code waited for the answer), while
 * exchanges that overlapped in time were independent. The planner's exchanges ({@code "plan"}) come
 * before every step. The weight of a step is its longest chain of non-overlapping exchanges; the
 * critical path is the heaviest path through the step graph.
 *
 * <p>The person's answers to the run's checkpoints ({@link PersonAnswer}: the time the approval gate
 * took to decide, such as the identity provider signing a step-up's fresh ID token) are links of the
 * same chains: the flow waits for them as it waits for an answer on the wire, and neither is the
 * SDK's time. They are not counted as requests.
 *
 * <p>What the flow took beyond this is the SDK's own time: CPU, disk syncs, waiting for a thread
 * (handing a checkpoint to the gate's thread and its answer back included), and any sleep (a poll's
 * backoff) that no exchange covers.
 */
public final class CriticalPath {
  /** The graph node standing for the planner, before every step. */
  public static final String PLAN = "(planner)";

  private final long nanos;
  private final int exchanges;
  private final long personNanos;
  private final List<String> steps;
  private final Map<String, Long> stepWeights;
  private final Map<String, Integer> stepChainLengths;

  private CriticalPath(long nanos, int exchanges, long personNanos, List<String> steps, Map<String, Long> stepWeights,
      Map<String, Integer> stepChainLengths) {
    this.nanos = nanos;
    this.exchanges = exchanges;
    this.personNanos = personNanos;
    this.steps = steps;
    this.stepWeights = stepWeights;
    this.stepChainLengths = stepChainLengths;
  }

  /** One link of a chain: an exchange on the wire, or a person's answer. */
  private record Link(long startNanos, long endNanos, boolean request) {
    long nanos() {
      return endNanos - startNanos;
    }
  }

  /** The critical path of exchanges alone (a flow whose checkpoints the person answered at once). */
  public static CriticalPath of(Map<String, List<String>> dependsOn, List<Exchange> recorded) {
    return of(dependsOn, recorded, List.of());
  }

  /**
   * @param dependsOn each step of the flow with the steps it waits for, in an order where every
   *     step comes after those it waits for (the plan's order)
   * @param recorded the flow's exchanges; an exchange of a step not in {@code dependsOn} (the
   *     planner's, or one made outside a step) is placed before every step
   */
  public static CriticalPath of(Map<String, List<String>> dependsOn, List<Exchange> recorded,
      List<PersonAnswer> answers) {
    Map<String, List<Link>> byStep = new LinkedHashMap<>();
    for (Exchange e : recorded) {
      String step = dependsOn.containsKey(e.step()) ? e.step() : PLAN;
      byStep.computeIfAbsent(step, k -> new ArrayList<>()).add(new Link(e.startNanos(), e.endNanos(), true));
    }
    for (PersonAnswer a : answers) {
      String step = a.step() != null && dependsOn.containsKey(a.step()) ? a.step() : PLAN;
      byStep.computeIfAbsent(step, k -> new ArrayList<>()).add(new Link(a.startNanos(), a.endNanos(), false));
    }
    Map<String, Long> weight = new HashMap<>();
    Map<String, Integer> chain = new HashMap<>();
    Map<String, Long> person = new HashMap<>();
    for (Map.Entry<String, List<Link>> s : byStep.entrySet()) {
      long[] best = longestChain(s.getValue());
      weight.put(s.getKey(), best[0]);
      chain.put(s.getKey(), (int) best[1]);
      person.put(s.getKey(), best[2]);
    }
    // the heaviest path: the planner first, then the steps in an order that respects the graph
    Map<String, Long> finish = new HashMap<>();
    Map<String, Integer> finishCount = new HashMap<>();
    Map<String, Long> finishPerson = new HashMap<>();
    Map<String, String> via = new HashMap<>();
    long planW = weight.getOrDefault(PLAN, 0L);
    int planN = chain.getOrDefault(PLAN, 0);
    long planP = person.getOrDefault(PLAN, 0L);
    long bestEnd = planW;
    int bestCount = planN;
    long bestPerson = planP;
    String last = null;
    for (Map.Entry<String, List<String>> s : dependsOn.entrySet()) {
      long start = planW;
      int count = planN;
      long personBefore = planP;
      String from = null;
      for (String d : s.getValue()) {
        Long f = finish.get(d);
        if (f != null && f > start) {
          start = f;
          count = Objects.requireNonNull(finishCount.get(d), "finishCount holds every step finish holds");
          personBefore = Objects.requireNonNull(finishPerson.get(d), "finishPerson holds every step finish holds");
          from = d;
        }
      }
      long end = start + weight.getOrDefault(s.getKey(), 0L);
      finish.put(s.getKey(), end);
      finishCount.put(s.getKey(), count + chain.getOrDefault(s.getKey(), 0));
      finishPerson.put(s.getKey(), personBefore + person.getOrDefault(s.getKey(), 0L));
      if (from != null) {
        via.put(s.getKey(), from);
      }
      if (end > bestEnd) {
        bestEnd = end;
        bestCount = finishCount.get(s.getKey());
        bestPerson = finishPerson.get(s.getKey());
        last = s.getKey();
      }
    }
    List<String> path = new ArrayList<>();
    for (String s = last; s != null; s = via.get(s)) {
      path.add(0, s);
    }
    path.add(0, PLAN);
    return new CriticalPath(bestEnd, bestCount, bestPerson, path, weight, chain);
  }

  /** {total nanos, requests, the person's nanos} of the longest chain of non-overlapping links. */
  private static long[] longestChain(List<Link> list) {
    List<Link> sorted = new ArrayList<>(list);
    sorted.sort(Comparator.comparingLong(Link::startNanos));
    long[] best = new long[sorted.size()];
    int[] count = new int[sorted.size()];
    long[] person = new long[sorted.size()];
    long top = 0;
    int topCount = 0;
    long topPerson = 0;
    for (int i = 0; i < sorted.size(); i++) {
      Link e = sorted.get(i);
      long before = 0;
      int beforeCount = 0;
      long beforePerson = 0;
      for (int j = 0; j < i; j++) {
        if (sorted.get(j).endNanos() <= e.startNanos() && best[j] > before) {
          before = best[j];
          beforeCount = count[j];
          beforePerson = person[j];
        }
      }
      best[i] = before + e.nanos();
      count[i] = beforeCount + (e.request() ? 1 : 0);
      person[i] = beforePerson + (e.request() ? 0 : e.nanos());
      if (best[i] > top) {
        top = best[i];
        topCount = count[i];
        topPerson = person[i];
      }
    }
    return new long[] {top, topCount, topPerson};
  }

  /** The critical path's length. */
  public long nanos() {
    return nanos;
  }

  /** How much of it is the person's answers ({@link PersonAnswer}), in nanoseconds. */
  public long personNanos() {
    return personNanos;
  }

  /** How many exchanges lie on it (one after another). */
  public int exchanges() {
    return exchanges;
  }

  /** The steps it passes through, the planner first. */
  public List<String> steps() {
    return steps;
  }

  /** A step's longest chain of non-overlapping exchanges and answers, in nanoseconds (0 for a step without any). */
  public long stepWeight(String step) {
    return stepWeights.getOrDefault(step, 0L);
  }

  /** How many exchanges the step's longest chain holds. */
  public int stepChain(String step) {
    return stepChainLengths.getOrDefault(step, 0);
  }
}
