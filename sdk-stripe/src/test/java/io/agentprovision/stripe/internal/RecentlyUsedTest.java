package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentlyUsedTest {
  @Test
  void grownPastItsMax_dropsTheLeastRecentlyUsed_andKeepsWhatWasReadLately() {
    AtomicLong clock = new AtomicLong();
    RecentlyUsed<String, Integer> m = new RecentlyUsed<>(20, clock::incrementAndGet);
    for (int i = 0; i < 20; i++) {
      m.put("k" + i, i);
    }
    assertThat(m.get("k0")).isEqualTo(0); // read: now the most recently used
    m.put("k20", 20);

    // past 20: the tenth with the oldest use goes, k1 and k2 (k0 was read after them)
    assertThat(m.size()).isEqualTo(19);
    assertThat(m.get("k1")).isNull();
    assertThat(m.get("k2")).isNull();
    assertThat(m.get("k0")).isEqualTo(0);
    assertThat(m.get("k3")).isEqualTo(3);
    assertThat(m.get("k20")).isEqualTo(20);
  }

  @Test
  void removeIf_dropsOnlyAValueItAccepts() {
    RecentlyUsed<String, String> m = new RecentlyUsed<>(10);
    m.put("project", "proj_new");
    m.removeIf("project", v -> v.equals("proj_gone")); // a project found gone, already replaced here
    assertThat(m.get("project")).isEqualTo("proj_new");
    m.removeIf("project", v -> v.equals("proj_new"));
    assertThat(m.get("project")).isNull();
  }

  @Test
  void manyThreadsReadingAndAdding_readOnlyWhatWasPutUnderEachKey_andStayNearTheMax() throws Exception {
    RecentlyUsed<String, Integer> m = new RecentlyUsed<>(64);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> wrong = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      wrong.add(pool.submit(() -> {
        start.await();
        int misread = 0;
        for (int i = 0; i < 5_000; i++) {
          m.put(me + ":" + i, i);
          // an entry may have been dropped meanwhile (other threads' are newer), never mixed with another
          Integer back = m.get(me + ":" + i);
          Integer older = m.get(me + ":" + (i / 2));
          if ((back != null && back != i) || (older != null && older != i / 2)) {
            misread++;
          }
        }
        return misread;
      }));
    }
    start.countDown();
    for (Future<Integer> f : wrong) {
      assertThat(f.get(60, TimeUnit.SECONDS)).isZero();
    }
    pool.shutdown();
    assertThat(m.size()).isLessThanOrEqualTo(64 + threads);
  }
}
