package io.agentprovision.benchmarks.flow;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import org.jspecify.annotations.Nullable;

/**
 * Where a fleet's CPU went, from a flight recording of it ({@link Fleet} with
 * {@code --child-args "-Dfleet.jfr=/tmp/fleet.jfr -Dfleet.jfc=<settings>"}): the execution samples by
 * thread group, by whose code the sampled frame is (the SDK's, okhttp's, stripe-java's, moshi's, the
 * JDK's...), interpreted or compiled, in the first fifth of the fleet and in the rest; each sample by
 * the SDK code nearest its top (what the SDK was running, or called the library that was); and the
 * JIT's compilations by whose method they compiled.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.flow.FleetProfile /tmp/fleet.jfr
 * }</pre>
 */
public final class FleetProfile {
  private FleetProfile() {}

  public static void main(String[] args) throws IOException {
    print(RecordingFile.readAllEvents(Path.of(args[0])), System.out);
  }

  static void print(List<RecordedEvent> events, PrintStream out) {
    List<RecordedEvent> samples = new ArrayList<>();
    Instant first = Instant.MAX;
    Instant last = Instant.MIN;
    for (RecordedEvent e : events) {
      if (e.getEventType().getName().equals("jdk.ExecutionSample") && e.getStackTrace() != null
          && !e.getStackTrace().getFrames().isEmpty()) {
        samples.add(e);
        first = e.getStartTime().isBefore(first) ? e.getStartTime() : first;
        last = e.getStartTime().isAfter(last) ? e.getStartTime() : last;
      }
    }
    if (samples.isEmpty()) {
      out.println("no execution samples");
      compilations(events, out);
      return;
    }
    Instant cut = first.plus(Duration.between(first, last).dividedBy(5));
    Map<String, int[]> threads = new TreeMap<>();
    Map<String, int[]> owners = new TreeMap<>();
    Map<String, int[]> modes = new TreeMap<>();
    Map<String, int[]> sdkModes = new TreeMap<>();
    Map<String, int[]> nearest = new TreeMap<>();
    int[] total = new int[2];
    for (RecordedEvent e : samples) {
      int part = e.getStartTime().isBefore(cut) ? 0 : 1;
      total[part]++;
      RecordedThread t = e.getThread("sampledThread");
      count(threads, group(t == null ? null : t.getJavaName()), part);
      List<RecordedFrame> frames = e.getStackTrace().getFrames();
      RecordedFrame top = frames.get(0);
      String owner = owner(top.getMethod().getType().getName());
      count(owners, owner, part);
      count(modes, top.getType(), part);
      if (owner.equals("SDK")) {
        count(sdkModes, top.getType(), part);
      }
      count(nearest, nearestSdk(frames), part);
    }
    out.printf(Locale.ROOT, "%d execution samples, %d in the first fifth of the recording, %d in the rest%n",
        total[0] + total[1], total[0], total[1]);
    table("thread group", threads, total, out);
    table("the sampled frame's code", owners, total, out);
    table("the sampled frame", modes, total, out);
    table("the sampled frame, where it is the SDK's", sdkModes, total, out);
    table("the SDK code nearest the top (its package; the SDK's own work and what it called)", nearest, total, out);
    compilations(events, out);
  }

  private static void count(Map<String, int[]> m, String key, int part) {
    m.computeIfAbsent(key, k -> new int[2])[part]++;
  }

  private static void table(String title, Map<String, int[]> m, int[] total, PrintStream out) {
    out.printf(Locale.ROOT, "%n%-70s %8s %8s%n", "share of samples by " + title, "first", "rest");
    m.entrySet().stream().sorted((x, y) -> (y.getValue()[0] + y.getValue()[1]) - (x.getValue()[0] + x.getValue()[1]))
        .limit(20).forEach(x -> out.printf(Locale.ROOT, "  %-68s %7.1f%% %7.1f%%%n", x.getKey(),
            100.0 * x.getValue()[0] / Math.max(1, total[0]), 100.0 * x.getValue()[1] / Math.max(1, total[1])));
  }

  private static void compilations(List<RecordedEvent> events, PrintStream out) {
    Map<String, double[]> byOwner = new TreeMap<>();
    Map<String, double[]> sdkMethods = new TreeMap<>();
    double[] all = new double[2];
    for (RecordedEvent e : events) {
      if (!e.getEventType().getName().equals("jdk.Compilation")) {
        continue;
      }
      RecordedMethod m = e.getValue("method");
      String type = m.getType().getName();
      double ms = e.getDuration().toNanos() / 1e6;
      all[0]++;
      all[1] += ms;
      double[] o = byOwner.computeIfAbsent(owner(type), k -> new double[2]);
      o[0]++;
      o[1] += ms;
      if (owner(type).equals("SDK")) {
        double[] s = sdkMethods.computeIfAbsent(type.replace("io.agentprovision.", "") + "." + m.getName(),
            k -> new double[2]);
        s[0]++;
        s[1] += ms;
      }
    }
    out.printf(Locale.ROOT, "%n%d compilations, %.1f s of the compilers' time (wall clock, each its own)%n",
        (int) all[0], all[1] / 1e3);
    byOwner.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1]))
        .forEach(x -> out.printf(Locale.ROOT, "  %-30s %6d compilations %8.1f s%n", x.getKey(), (int) x.getValue()[0],
            x.getValue()[1] / 1e3));
    out.println("the SDK's methods that took the compilers longest:");
    sdkMethods.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1])).limit(10)
        .forEach(x -> out.printf(Locale.ROOT, "  %-70s %2d x %7.0f ms%n", x.getKey(), (int) x.getValue()[0],
            x.getValue()[1]));
  }

  /** The thread's name without its numbers; okhttp's threads as one. */
  static String group(@Nullable String name) {
    if (name == null) {
      return "(not a Java thread)";
    }
    return name.startsWith("OkHttp") ? "okhttp" : name.replaceAll("[0-9]+", "N");
  }

  /** Whose code a class is: the SDK's, a library's, the JDK's (its crypto, method handles and reflection apart). */
  static String owner(String type) {
    if (type.startsWith("io.agentprovision.benchmarks")) {
      return "the harness";
    }
    if (type.startsWith("io.agentprovision")) {
      return "SDK";
    }
    if (type.startsWith("okhttp3") || type.startsWith("okio") || type.startsWith("kotlin")) {
      return "okhttp, okio, kotlin";
    }
    if (type.startsWith("com.stripe")) {
      return "stripe-java";
    }
    if (type.startsWith("com.google.gson")) {
      return "gson (stripe-java's)";
    }
    if (type.startsWith("com.squareup.moshi")) {
      return "moshi";
    }
    if (type.startsWith("com.nimbusds")) {
      return "nimbus-jose";
    }
    if (type.startsWith("com.ibm.icu")) {
      return "ICU";
    }
    if (type.startsWith("io.github.resilience4j")) {
      return "resilience4j";
    }
    if (type.startsWith("java.math") || type.startsWith("sun.security") || type.startsWith("java.security")
        || type.startsWith("javax.crypto") || type.startsWith("com.sun.crypto")) {
      return "JDK crypto, BigInteger";
    }
    if (type.startsWith("java.lang.invoke") || type.startsWith("java.lang.reflect")
        || type.startsWith("jdk.internal.reflect") || type.startsWith("jdk.internal.org.objectweb")) {
      return "JDK method handles, reflection, ASM";
    }
    if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")) {
      return "JDK, other";
    }
    return "other";
  }

  /** The package of the SDK frame nearest the top (the step loop and the barrier's wrapper skipped). */
  private static String nearestSdk(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String type = f.getMethod().getType().getName();
      if (type.startsWith("io.agentprovision") && !type.startsWith("io.agentprovision.benchmarks")
          && !type.contains("DurabilityBarrier") && !type.contains("Engine$RunLoop")) {
        String pkg = type.substring(0, type.lastIndexOf('.')).replace("io.agentprovision.", "");
        if (type.contains("StripeTransport")) {
          return pkg + " (StripeTransport)";
        }
        return pkg;
      }
    }
    return "(no SDK frame)";
  }
}
