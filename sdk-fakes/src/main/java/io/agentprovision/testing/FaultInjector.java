package io.agentprovision.testing;

import io.agentprovision.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Records the calls made to a fake and makes chosen calls fail, the one fault-injection mechanism
 * every fake in this package shares ({@link FakeOrchestrator}, {@link RecordingDeployer},
 * {@link FakePaymentTokens}, {@link FakeIdentityProvider}).
 *
 * <p>A fault targets the {@code nth} call of one method <em>counted from when the fault is
 * armed</em> ({@code 1} = the next call), and fires once. Three kinds:
 * <ul>
 *   <li>{@link #failOn}: the call throws the given exception instead of doing anything, as a remote
 *       API that refuses or times out;</li>
 *   <li>{@link #crashBefore}: the call throws {@link SimulatedCrash} before doing anything, as a
 *       process killed just before the request left;</li>
 *   <li>{@link #crashAfter}: the call does its work (the purchase is made, the script uploaded) and
 *       then throws {@link SimulatedCrash}, as a process killed before it could record the answer.
 *       This is the case that tests resume-without-duplicates.</li>
 * </ul>
 * A fault armed on a call that ends otherwise (for example a {@code crashAfter} on a call that
 * itself failed) is used up with that call. Method names are checked against the fake's methods,
 * so a typo fails at once instead of silently never firing. Thread-safe.
 *
 * <pre>{@code
 * FakeOrchestrator orch = FakeOrchestrator.builder().build();
 * orch.failOn("provision", 1, new ProviderException("cloudflare", 503, null, null, "unavailable", true));
 * orch.crashAfter("submitInformation", 1);
 * }</pre>
 */
public final class FaultInjector {
  /**
   * One recorded call.
   *
   * @param sequence its place among all calls to the fake, from 1
   * @param method the method called
   * @param sideEffect whether the method can create, change, charge or delete something
   * @param nth its place among the calls to this method, from 1
   */
  public record Call(int sequence, String method, boolean sideEffect, int nth) {}

  private enum Kind { FAIL, CRASH_BEFORE, CRASH_AFTER }

  private record Fault(String method, int targetCall, Kind kind, @Nullable RuntimeException error) {
    String describe() {
      return kind + " " + method + " call " + targetCall;
    }
  }

  private final Set<String> methods;
  private final Object lock = new Object();
  private final Map<String, Integer> counts = new HashMap<>();
  private final List<Call> calls = new ArrayList<>();
  private final List<Fault> armed = new ArrayList<>();

  /** An injector for a fake whose faultable methods are {@code methods}. */
  public FaultInjector(Collection<String> methods) {
    this.methods = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(methods, "methods")));
  }

  /** The {@code nth} call of {@code method} from now on throws {@code error} without doing anything. */
  public void failOn(String method, int nth, RuntimeException error) {
    arm(method, nth, Kind.FAIL, Objects.requireNonNull(error, "error"));
  }

  /** The {@code nth} call of {@code method} from now on throws {@link SimulatedCrash} without doing anything. */
  public void crashBefore(String method, int nth) {
    arm(method, nth, Kind.CRASH_BEFORE, null);
  }

  /** The {@code nth} call of {@code method} from now on does its work, then throws {@link SimulatedCrash}. */
  public void crashAfter(String method, int nth) {
    arm(method, nth, Kind.CRASH_AFTER, null);
  }

  private void arm(String method, int nth, Kind kind, @Nullable RuntimeException error) {
    checkMethod(method);
    if (nth < 1) {
      throw new InvalidRequestException("nth", "must be 1 or more (was " + nth + ")", "pass 1 for the next call");
    }
    synchronized (lock) {
      armed.add(new Fault(method, counts.getOrDefault(method, 0) + nth, kind, error));
    }
  }

  private void checkMethod(String method) {
    if (method == null || !methods.contains(method)) {
      throw new InvalidRequestException("method", "'" + method + "' is not a faultable method of this fake",
          "use one of " + new java.util.TreeSet<>(methods));
    }
  }

  /**
   * Records a call of {@code method}, applies any fault armed for it, and otherwise returns what
   * {@code effect} computes. Fakes wrap each SPI method's body in this.
   */
  public <T> T call(String method, boolean sideEffect, Supplier<T> effect) {
    checkMethod(method);
    int nth;
    Fault before = null;
    Fault after = null;
    synchronized (lock) {
      nth = counts.merge(method, 1, Integer::sum);
      calls.add(new Call(calls.size() + 1, method, sideEffect, nth));
      for (Iterator<Fault> it = armed.iterator(); it.hasNext();) {
        Fault f = it.next();
        if (f.method.equals(method) && f.targetCall == nth) {
          it.remove();
          if (f.kind == Kind.CRASH_AFTER) {
            after = after == null ? f : after;
          } else {
            before = before == null ? f : before;
          }
        }
      }
    }
    if (before != null) {
      if (before.kind == Kind.FAIL) {
        throw Objects.requireNonNull(before.error);
      }
      throw new SimulatedCrash(method, nth, false);
    }
    T result = effect.get();
    if (after != null) {
      throw new SimulatedCrash(method, nth, true);
    }
    return result;
  }

  /** {@link #call} for a method that returns nothing. */
  public void run(String method, boolean sideEffect, Runnable effect) {
    call(method, sideEffect, () -> {
      effect.run();
      return null;
    });
  }

  /** Every call recorded, in order. */
  public List<Call> calls() {
    synchronized (lock) {
      return List.copyOf(calls);
    }
  }

  /** How many times {@code method} was called. */
  public int count(String method) {
    synchronized (lock) {
      return counts.getOrDefault(method, 0);
    }
  }

  /** The faults armed and not yet reached, described, such as {@code "CRASH_AFTER provision call 2"}. */
  public List<String> pendingFaults() {
    synchronized (lock) {
      return armed.stream().map(Fault::describe).toList();
    }
  }

  /** The methods faults may be armed on. */
  public Set<String> methods() {
    return methods;
  }
}
