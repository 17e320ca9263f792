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
    Map<String, Long> out = new LinkedHashMap<>();
    for (Map.Entry<String, Gap> g : threads(flowStart, flowEnd, exchanges, answers, onChain).entrySet()) {
      out.put(g.getKey(), g.getValue().nanos());
    }
    return out;
  }

  /**
   * One gap of the chain: its wall time and, when the link before it ended on the thread that
   * started this one, the CPU time that thread used in between ({@code -1} when the chain changed
   * threads there, or a thread was not noted).
   */
  public record Gap(long nanos, long cpuNanos) {
    /** Whether the link before it ended on the thread that started this one. */
    public boolean sameThread() {
      return cpuNanos >= 0;
    }
  }

  /**
   * The gaps of one flow as {@link #of}, each with the CPU the chain's thread used in it
   * ({@link OnThread}): the rest of its wall time the thread waited. The end is always a hand-over
   * (the caller's thread wakes up).
   */
  public static Map<String, Gap> threads(long flowStart, long flowEnd, List<Exchange> exchanges,
      List<PersonAnswer> answers, List<String> onChain) {
    Set<String> chain = new HashSet<>(onChain);
    long[] ends = new long[exchanges.size() + answers.size()];
    OnThread[] endOn = new OnThread[ends.length];
    int i = 0;
    for (Exchange e : exchanges) {
      endOn[i] = e.on();
      ends[i++] = e.endNanos();
    }
    for (PersonAnswer a : answers) {
      endOn[i] = a.on();
      ends[i++] = a.endNanos();
    }
    // the links of the chain's steps that the SDK starts: its requests, and the checkpoints it asks
    List<Started> started = new ArrayList<>();
    int at = 0;
    for (Exchange e : exchanges) {
      if (chain.contains(e.step())) {
        started.add(new Started(e.startNanos(), key(e), at, e.on()));
      }
      at++;
    }
    for (PersonAnswer a : answers) {
      String step = a.step() == null ? CriticalPath.PLAN : a.step();
      if (chain.contains(step)) {
        started.add(new Started(a.startNanos(), step + " asks the person: " + a.kind(), at, a.on()));
      }
      at++;
    }
    started.sort(Comparator.comparingLong(Started::startNanos));
    Map<String, Gap> out = new LinkedHashMap<>();
    long lastEnd = flowStart;
    for (long e : ends) {
      lastEnd = Math.max(lastEnd, e);
    }
    for (Started r : started) {
      long before = flowStart;
      int link = -1;
      for (int j = 0; j < ends.length; j++) {
        // not its own end: an answer given at once ends when it was asked
        if (j != r.endIndex() && ends[j] <= r.startNanos() && ends[j] > before) {
          before = ends[j];
          link = j;
        }
      }
      long cpu = -1;
      if (link >= 0 && r.on().noted() && endOn[link].thread() == r.on().thread()) {
        cpu = Math.max(0, r.on().startCpu() - endOn[link].endCpu());
      }
      // the same request twice in a flow (a poll): keyed by its turn
      String k = r.key();
      for (int n = 2; out.containsKey(k); n++) {
        k = r.key() + " #" + n;
      }
      out.put(k, new Gap(r.startNanos() - before, cpu));
    }
    out.put(END, new Gap(Math.max(0, flowEnd - lastEnd), -1));
    return out;
  }

  /**
   * One line per gap, over the flows that had it: the median wall time, and over those flows where
   * the chain stayed on one thread there, the median CPU the thread used and the median time it
   * waited (each flow's wall time less its CPU), with how many flows changed threads there.
   */
  public static List<String> threadTable(List<Map<String, Gap>> flows) {
    Map<String, List<Gap>> byKey = new LinkedHashMap<>();
    for (Map<String, Gap> f : flows) {
      for (Map.Entry<String, Gap> g : f.entrySet()) {
        byKey.computeIfAbsent(g.getKey(), k -> new ArrayList<>()).add(g.getValue());
      }
    }
    List<Gap> end = byKey.remove(END);
    if (end != null) {
      byKey.put(END, end);
    }
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "  %-72s %7s %7s %7s %5s %5s", "gap", "wall", "cpu", "waited", "flows",
        "moved"));
    double[] sums = new double[3];
    for (Map.Entry<String, List<Gap>> g : byKey.entrySet()) {
      List<Long> wall = new ArrayList<>();
      List<Long> cpu = new ArrayList<>();
      List<Long> waited = new ArrayList<>();
      for (Gap x : g.getValue()) {
        wall.add(x.nanos());
        if (x.sameThread()) {
          cpu.add(x.cpuNanos());
          waited.add(Math.max(0, x.nanos() - x.cpuNanos()));
        }
      }
      double w = medianMillis(wall);
      double c = medianMillis(cpu);
      double q = medianMillis(waited);
      sums[0] += w;
      sums[1] += Double.isNaN(c) ? 0 : c;
      sums[2] += Double.isNaN(q) ? 0 : q;
      lines.add(String.format(Locale.ROOT, "  %-72s %7.2f %7s %7s %5d %5d", g.getKey(), w, text(c), text(q),
          wall.size(), wall.size() - cpu.size()));
    }
    lines.add(String.format(Locale.ROOT, "  %-72s %7.2f %7.2f %7.2f", "sum of the medians", sums[0], sums[1], sums[2]));
    return lines;
  }

  private static double medianMillis(List<Long> v) {
    if (v.isEmpty()) {
      return Double.NaN;
    }
    List<Long> sorted = new ArrayList<>(v);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2) / 1e6;
  }

  private static String text(double ms) {
    return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.2f", ms);
  }

  /** A link the SDK started: a request sent, or a checkpoint put to the person; its end is {@code ends[endIndex]}. */
  private record Started(long startNanos, String key, int endIndex, OnThread on) {}

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
