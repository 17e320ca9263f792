package io.agentprovision.benchmarks.flow;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The thread a link of a flow's chain started and ended on (a request sent and its answer read, a
 * checkpoint asked and answered), with that thread's CPU time at both moments. Between an answer and
 * the next request sent on the same thread, the CPU time the thread used is the SDK's work on the
 * chain; the rest of the gap's wall time the thread waited (for a core, a lock, another thread's
 * work). When the next request leaves on another thread, the chain was handed over
 * ({@link ChainGaps#threads}).
 *
 * @param thread the thread's id ({@code -1} when not noted)
 * @param startCpu its CPU nanoseconds when the link started
 * @param endCpu its CPU nanoseconds when the link ended
 */
public record OnThread(long thread, long startCpu, long endCpu) {
  /** Not noted. */
  public static final OnThread NONE = new OnThread(-1, 0, 0);

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Whether the thread was noted. */
  public boolean noted() {
    return thread >= 0;
  }

  /** The calling thread's CPU nanoseconds so far. */
  static long cpuNow() {
    return THREADS.getCurrentThreadCpuTime();
  }

  /** The calling thread, its CPU at {@code startCpu} and now. */
  static OnThread current(long startCpu) {
    return new OnThread(Thread.currentThread().getId(), startCpu, cpuNow());
  }
}
