package io.agentprovision.benchmarks.flow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The SDK's own time at each gap of a flow's critical path, from the recorded exchanges alone (no
 * timestamps inside the SDK): before each request of a step on the {@link CriticalPath}, the time
 * from the last link that ended before it was sent (an answer on the wire, a person's answer, or
 * the flow's start) to its send; and after the last link, the time to the flow's end. Keyed by step,
 * method and path (ids in the path folded to {@code {id}}), so the same gap of many flows can be put
 * together and its median read: under load, a median over forty flows per gap says more than the
 * flow's ratio to its path.
 *
 * <p>A person's answer to a checkpoint of a step on the path is a link of the chain as a request
 * is: the time from the last link before it to the gate being asked is the SDK's too (the flow's
 * start to the plan approval, an answer to the step-up that follows it), keyed
 * {@code step asks the person: KIND}.
 *
 * <p>A request sent beside others (a step's parallel reads) is measured from the same last answer,
 * so its gap includes the time its siblings took to be sent. A gap measured from an answer of a
 * step off the chain is shorter than the chain's own.
 */
public final class ChainGaps {
  /** The gap before the flow's first request is keyed from here; the one after the last answer is {@link #END}. */
  public static final String END = "(last answer -> flow's end)";

  /** An API version such as {@code v2}: a path segment with a digit that names no object. */
  private static final Pattern VERSION = Pattern.compile("v[0-9]+");
  private static final Pattern DIGIT = Pattern.compile(".*[0-9].*");

  private ChainGaps() {}

  /**
   * The gaps of one flow, in the order of the requests' sends, then {@link #END}.
   *
   * @param flowStart when the host called the SDK ({@link System#nanoTime()})
   * @param flowEnd when the call returned
   * @param exchanges the flow's exchanges
   * @param answers the person's answers to the flow's checkpoints
   * @param onChain the steps of the critical path ({@link CriticalPath#steps()})
   */
  public static Map<String, Long> of(long flowStart, long flowEnd, List<Exchange> exchanges, List<PersonAnswer> answers,
      List<String> onChain) {
    Set<String> chain = new HashSet<>(onChain);
    long[] ends = new long[exchanges.size() + answers.size()];
    int i = 0;
    for (Exchange e : exchanges) {
      ends[i++] = e.endNanos();
    }
    for (PersonAnswer a : answers) {
      ends[i++] = a.endNanos();
    }
    // the links of the chain's steps that the SDK starts: its requests, and the checkpoints it asks
    List<Started> started = new ArrayList<>();
    int at = 0;
    for (Exchange e : exchanges) {
      if (chain.contains(e.step())) {
        started.add(new Started(e.startNanos(), key(e), at));
      }
      at++;
    }
    for (PersonAnswer a : answers) {
      String step = a.step() == null ? CriticalPath.PLAN : a.step();
      if (chain.contains(step)) {
        started.add(new Started(a.startNanos(), step + " asks the person: " + a.kind(), at));
      }
      at++;
    }
    started.sort(Comparator.comparingLong(Started::startNanos));
    Map<String, Long> out = new LinkedHashMap<>();
    long lastEnd = flowStart;
    for (long e : ends) {
      lastEnd = Math.max(lastEnd, e);
    }
    for (Started r : started) {
      long before = flowStart;
      for (int j = 0; j < ends.length; j++) {
        // not its own end: an answer given at once ends when it was asked
        if (j != r.endIndex() && ends[j] <= r.startNanos() && ends[j] > before) {
          before = ends[j];
        }
      }
      // the same request twice in a flow (a poll): keyed by its turn
      String k = r.key();
      for (int n = 2; out.containsKey(k); n++) {
        k = r.key() + " #" + n;
      }
      out.put(k, r.startNanos() - before);
    }
    out.put(END, Math.max(0, flowEnd - lastEnd));
    return out;
  }

  /** A link the SDK started: a request sent, or a checkpoint put to the person; its end is {@code ends[endIndex]}. */
  private record Started(long startNanos, String key, int endIndex) {}

  /**
   * {@code step METHOD /path}, each path segment holding a digit (other than an API version) folded
   * to {@code {id}}, the query dropped.
   */
  static String key(Exchange e) {
    String url = e.url();
    int scheme = url.indexOf("://");
    int slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
    String path = slash < 0 ? "/" : url.substring(slash);
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    StringBuilder folded = new StringBuilder();
    for (String segment : path.split("/", -1)) {
      if (folded.length() > 0 || !segment.isEmpty()) {
        folded.append('/');
      }
      folded.append(DIGIT.matcher(segment).matches() && !VERSION.matcher(segment).matches() ? "{id}" : segment);
    }
    return e.step() + " " + e.method() + " " + (folded.length() == 0 ? "/" : folded);
  }

  /**
   * One line per gap: its median and 75th percentile over the flows that had it, in milliseconds,
   * and the sum of the medians.
   */
  public static List<String> table(List<Map<String, Long>> flows) {
    Map<String, List<Long>> byKey = new LinkedHashMap<>();
    for (Map<String, Long> f : flows) {
      for (Map.Entry<String, Long> g : f.entrySet()) {
        byKey.computeIfAbsent(g.getKey(), k -> new ArrayList<>()).add(g.getValue());
      }
    }
    // the end last, wherever a flow's requests put it
    List<Long> end = byKey.remove(END);
    if (end != null) {
      byKey.put(END, end);
    }
    List<String> lines = new ArrayList<>();
    double sum = 0;
    for (Map.Entry<String, List<Long>> g : byKey.entrySet()) {
      List<Long> v = new ArrayList<>(g.getValue());
      v.sort(null);
      double median = v.get(v.size() / 2) / 1e6;
      double p75 = v.get(Math.min(v.size() - 1, (v.size() * 3) / 4)) / 1e6;
      sum += median;
      lines.add(String.format(Locale.ROOT, "  %-72s %7.2f %7.2f %4d", g.getKey(), median, p75, v.size()));
    }
    lines.add(String.format(Locale.ROOT, "  %-72s %7.2f", "sum of the medians", sum));
    return lines;
  }
}
