package io.agentprovision.core.internal.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.IdGenerator;
import io.agentprovision.core.internal.concurrent.TaskExecutors;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StripedSecureRandomTest {
  @Test
  void runIds_mintedByManyThreadsAtOnce_areUniqueAndKeepTheirFormat() throws Exception {
    Set<String> ids = ConcurrentHashMap.newKeySet();
    List<String> malformed = new ArrayList<>();
    int threads = 16;
    int each = 5_000;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        await(go);
        for (int i = 0; i < each; i++) {
          String id = IdGenerator.RANDOM.next("run");
          if (!id.matches("run_[0-9a-f]{20}")) {
            synchronized (malformed) {
              malformed.add(id);
            }
          }
          ids.add(id);
        }
      });
      th.start();
      started.add(th);
    }
    go.countDown();
    for (Thread th : started) {
      th.join();
    }

    assertThat(malformed).isEmpty();
    assertThat(ids).hasSize(threads * each);
  }

  @Test
  void tasksOnTheStepExecutor_drawDistinctBytes_onEveryStripe() throws Exception {
    // the executor a provisioner makes by default: virtual threads on Java 21+, platform threads before
    StripedSecureRandom random = new StripedSecureRandom(4);
    Set<String> drawn = ConcurrentHashMap.newKeySet();
    ExecutorService steps = TaskExecutors.create("random-test", 8);
    try {
      List<Future<?>> tasks = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        tasks.add(steps.submit(() -> {
          byte[] b = new byte[16];
          random.nextBytes(b);
          drawn.add(HexFormat.of().formatHex(b));
        }));
      }
      for (Future<?> f : tasks) {
        f.get(1, TimeUnit.MINUTES);
      }
    } finally {
      steps.shutdown();
    }

    assertThat(drawn).hasSize(2_000);
  }

  @Test
  void twoGeneratorsMadeAlike_andEveryStripeOfOne_giveDifferentStreams() throws Exception {
    StripedSecureRandom a = new StripedSecureRandom(8);
    StripedSecureRandom b = new StripedSecureRandom(8);
    Set<String> firsts = ConcurrentHashMap.newKeySet();
    // eight threads with consecutive ids land on eight different stripes of each generator
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        firsts.add(first(a));
        firsts.add(first(b));
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }

    assertThat(firsts).hasSize(16);
  }

  @Test
  void aKnownSeed_givenBeforeFirstUse_doesNotMakeTheOutputPredictable() {
    // with SHA1PRNG, the same seed before first use gives the same bytes: what an attacker who can
    // call setSeed hopes for; here a seed only adds to each instance's entropy
    byte[] known = "attacker-chosen seed".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    StripedSecureRandom a = new StripedSecureRandom(1);
    StripedSecureRandom b = new StripedSecureRandom(1);
    a.setSeed(known);
    b.setSeed(known);
    a.setSeed(42L);
    b.setSeed(42L);

    assertThat(first(a)).isNotEqualTo(first(b));
  }

  @Test
  void worksAsASecureRandom_whereTheSdkTakesOne() {
    SecureRandom r = StripedSecureRandom.SHARED;

    assertThat(r.getAlgorithm()).isEqualTo("DRBG");
    assertThat(r.nextInt(10)).isBetween(0, 9);
    assertThat(r.generateSeed(8)).hasSize(8);
    assertThat(StripedSecureRandom.SHARED.stripes()).isBetween(4, 64);
    assertThat(new StripedSecureRandom(3).stripes()).isEqualTo(4);
    assertThatThrownBy(() -> new StripedSecureRandom(0)).isInstanceOf(IllegalArgumentException.class);
  }

  private static String first(SecureRandom r) {
    byte[] b = new byte[32];
    r.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
