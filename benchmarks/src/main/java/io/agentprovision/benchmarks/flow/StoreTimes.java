package io.agentprovision.benchmarks.flow;

import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Times the calls a provisioner makes to its stores ({@code --store-times true}): each store is
 * wrapped in a proxy of its interfaces that adds up, per store and method, the calls, the wall time
 * and the calling thread's CPU time spent in them while {@link #on} is set. Only the outermost call
 * on a thread counts (a default method that calls another of the same store counts once). Objects a
 * store returns (a lease, a record) are not wrapped. The proxy costs about a microsecond per call,
 * the same for every kind of store, so in-memory and file stores compare on equal terms.
 */
final class StoreTimes {
  private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Calls, wall nanoseconds and CPU nanoseconds of one method of one store. */
  static final class Tally {
    final LongAdder calls = new LongAdder();
    final LongAdder wall = new LongAdder();
    final LongAdder cpu = new LongAdder();
  }

  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
  /** The same by the step the calling thread ran ({@link StepAttribution}) and store. */
  private final Map<String, Tally> bySteps = new ConcurrentHashMap<>();
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
  volatile boolean on;

  /** {@code store} behind a proxy of every interface its class implements, timed under {@code name}. */
  @SuppressWarnings("unchecked")
  <T> T wrap(String name, Class<T> api, T store) {
    Set<Class<?>> interfaces = new LinkedHashSet<>();
    interfaces.add(api);
    for (Class<?> c = store.getClass(); c != null; c = c.getSuperclass()) {
      for (Class<?> i : c.getInterfaces()) {
        interfaces.add(i);
      }
    }
    InvocationHandler h = (proxy, method, args) -> {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> method.invoke(store, args);
        };
      }
      int[] d = depth.get();
      boolean count = on && d[0] == 0;
      long w0 = count ? System.nanoTime() : 0;
      long c0 = count ? THREADS.getCurrentThreadCpuTime() : 0;
      d[0]++;
      try {
        return method.invoke(store, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      } finally {
        d[0]--;
        if (count) {
          long c1 = THREADS.getCurrentThreadCpuTime();
          long w1 = System.nanoTime();
          Tally t = tallies.computeIfAbsent(name + "." + method.getName(), k -> new Tally());
          t.calls.increment();
          t.wall.add(w1 - w0);
          t.cpu.add(c1 - c0);
          Tally s = bySteps.computeIfAbsent(StepAttribution.current() + " " + name, k -> new Tally());
          s.calls.increment();
          s.wall.add(w1 - w0);
          s.cpu.add(c1 - c0);
        }
      }
    };
    return (T) Proxy.newProxyInstance(api.getClassLoader(), interfaces.toArray(new Class<?>[0]), h);
  }

  /** The tallies by {@code store.method}, sorted by name. */
  Map<String, Tally> tallies() {
    return new TreeMap<>(tallies);
  }

  /** Prints the tallies per flow: calls, wall ms, CPU ms, and each store's total. */
  void print(java.io.PrintStream out, int flows) {
    out.printf(java.util.Locale.ROOT, "time in the stores per flow (calls, wall ms, CPU ms of the calling thread):%n");
    Map<String, double[]> byStore = new TreeMap<>();
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, Tally> e : tallies().entrySet()) {
      double calls = e.getValue().calls.sum() / (double) flows;
      double wall = e.getValue().wall.sum() / 1e6 / flows;
      double cpu = e.getValue().cpu.sum() / 1e6 / flows;
      lines.add(String.format(java.util.Locale.ROOT, "  %-34s %6.1f %8.2f %8.2f", e.getKey(), calls, wall, cpu));
      double[] s = byStore.computeIfAbsent(e.getKey().substring(0, e.getKey().indexOf('.')), k -> new double[3]);
      s[0] += calls;
      s[1] += wall;
      s[2] += cpu;
    }
    lines.forEach(out::println);
    double[] all = new double[3];
    for (Map.Entry<String, double[]> s : byStore.entrySet()) {
      out.printf(java.util.Locale.ROOT, "  %-34s %6.1f %8.2f %8.2f%n", s.getKey() + " (all)", s.getValue()[0],
          s.getValue()[1], s.getValue()[2]);
      for (int i = 0; i < 3; i++) {
        all[i] += s.getValue()[i];
      }
    }
    out.printf(java.util.Locale.ROOT, "  %-34s %6.1f %8.2f %8.2f%n", "every store", all[0], all[1], all[2]);
    out.printf(java.util.Locale.ROOT, "the same by the step whose thread called (a step's start is journaled before it "
        + "is marked, under the step before it or %s):%n", StepAttribution.OUTSIDE);
    for (Map.Entry<String, Tally> e : new TreeMap<>(bySteps).entrySet()) {
      out.printf(java.util.Locale.ROOT, "  %-34s %6.1f %8.2f %8.2f%n", e.getKey(), e.getValue().calls.sum() / (double) flows,
          e.getValue().wall.sum() / 1e6 / flows, e.getValue().cpu.sum() / 1e6 / flows);
    }
  }
}
