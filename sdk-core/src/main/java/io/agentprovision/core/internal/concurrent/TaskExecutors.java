package io.agentprovision.core.internal.concurrent;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The executor a provisioner runs steps on when the host gives none. Steps spend nearly all their
 * time waiting on the network or on a person, so what must scale is waiting, not threads: on a
 * runtime with virtual threads (Java 21 and later) every task gets a virtual thread, which costs a
 * few hundred bytes of heap while it waits; on Java 17 to 20, a pool of a bounded number of daemon
 * threads, idle ones stopping after a minute.
 *
 * <p>The SDK is compiled for Java 17, so the virtual-thread API is looked up at run time (two
 * method handles, once): one jar, nothing to select by version, and a build that needs no second
 * compiler. {@value #VIRTUAL_THREADS_PROPERTY}{@code =false} turns it off, to compare the two.
 */
public final class TaskExecutors {
  /** System property that, set to {@code false}, keeps platform threads on a runtime with virtual ones. */
  public static final String VIRTUAL_THREADS_PROPERTY = "agentprovision.virtualThreads";

  /** Makes a thread-per-task executor of virtual threads named by a prefix; null before Java 21. */
  private static final @Nullable MethodHandle VIRTUAL = lookupVirtual();

  private TaskExecutors() {}

  /** Whether {@link #create} gives virtual threads on this runtime. */
  public static boolean virtualThreads() {
    return VIRTUAL != null && !"false".equalsIgnoreCase(System.getProperty(VIRTUAL_THREADS_PROPERTY));
  }

  /**
   * A new executor for steps: virtual threads named {@code prefix-N} when the runtime has them,
   * else at most {@code maxThreads} daemon threads (tasks beyond that wait in a queue).
   */
  public static ExecutorService create(String prefix, int maxThreads) {
    MethodHandle v = VIRTUAL;
    if (v != null && virtualThreads()) {
      try {
        return (ExecutorService) v.invoke(prefix + "-");
      } catch (Throwable e) {
        throw new IllegalStateException("could not create a virtual-thread executor", e);
      }
    }
    ThreadPoolExecutor pool = new ThreadPoolExecutor(maxThreads, maxThreads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), daemon(prefix));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Daemon threads named {@code prefix-N}. */
  public static ThreadFactory daemon(String prefix) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * {@code prefix -> Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(prefix, 1).factory())},
   * or null when the runtime has no virtual threads.
   */
  private static @Nullable MethodHandle lookupVirtual() {
    try {
      MethodHandles.Lookup l = MethodHandles.publicLookup();
      Class<?> builder = Class.forName("java.lang.Thread$Builder");
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
      MethodHandle start = l.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual));
      MethodHandle name = l.findVirtual(ofVirtual, "name", MethodType.methodType(ofVirtual, String.class, long.class));
      MethodHandle factory = l.findVirtual(builder, "factory", MethodType.methodType(ThreadFactory.class));
      MethodHandle perTask = l.findStatic(java.util.concurrent.Executors.class, "newThreadPerTaskExecutor",
          MethodType.methodType(ExecutorService.class, ThreadFactory.class));
      // prefix -> perTask(factory(name(ofVirtual(), prefix, 1)))
      MethodHandle named = MethodHandles.insertArguments(
          MethodHandles.collectArguments(name, 0, start), 1, 1L); // (String) -> OfVirtual
      MethodHandle toFactory = MethodHandles.filterReturnValue(named,
          factory.asType(MethodType.methodType(ThreadFactory.class, ofVirtual)));
      return MethodHandles.filterReturnValue(toFactory, perTask);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
