package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The in-memory log appends without a lock (a compare-and-set of its head, hashing again after a lost
 * race): however many runs append and verify at once, the entries form one unbroken chain with no
 * sequence taken twice or skipped, each hashed exactly as {@link AuditChain} defines it, and every
 * verification of the new entries holds.
 */
class InMemoryAuditLogConcurrencyTest {
  private static AuditRecord record(int thread, int n) {
    return new AuditRecord(Instant.parse("2026-12-07T10:00:00Z").plusMillis(n), RunId.of("run_" + thread), null,
        "step.done", AgentId.of("agent-" + thread), "person-" + thread + "@example.com", null, null, "ok",
        "key-" + thread + "-" + n, Map.of("n", String.valueOf(n), "note", "é \"quoted\" \n line " + thread));
  }

  @Test
  void appendsAndChecksFromManyThreads_formOneChainThatVerifies() throws Exception {
    InMemoryAuditLog log = new InMemoryAuditLog();
    AuditEntry first = log.append(record(0, 0));
    int threads = 8;
    int each = 400;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    ConcurrentLinkedQueue<AuditVerification> checks = new ConcurrentLinkedQueue<>();
    List<Future<?>> work = new ArrayList<>();
    try {
      for (int t = 1; t <= threads; t++) {
        int thread = t;
        work.add(pool.submit(() -> {
          go.await();
          for (int n = 1; n <= each; n++) {
            AuditEntry mine = log.append(record(thread, n));
            if (n % 50 == 0) {
              // what a run's end does: check what came after an entry it trusts
              checks.add(log.verifyAfter(first.sequence(), first.hash()));
              checks.add(log.verifyAfter(mine.sequence(), mine.hash()));
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : work) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }

    List<AuditEntry> all = log.entries();
    assertThat(all).hasSize(1 + threads * each);
    for (int i = 0; i < all.size(); i++) {
      AuditEntry e = all.get(i);
      assertThat(e.sequence()).isEqualTo(i + 1L);
      assertThat(e.previousHash()).isEqualTo(i == 0 ? AuditChain.GENESIS : all.get(i - 1).hash());
      assertThat(e.hash()).isEqualTo(AuditChain.hash(e.sequence(), e.previousHash(), e.record()));
    }
    assertThat(checks).hasSize(threads * each / 50 * 2).allSatisfy(v -> assertThat(v.valid()).isTrue());
    AuditVerification whole = log.verify();
    assertThat(whole.valid()).isTrue();
    assertThat(whole.entries()).isEqualTo(all.size());
    assertThat(whole.head()).isEqualTo(all.get(all.size() - 1).hash());
  }

  @Test
  void aCheckpointThatIsNotTheEntryAtItsPlace_failsTheCheck() {
    InMemoryAuditLog log = new InMemoryAuditLog();
    AuditEntry a = log.append(record(1, 1));
    log.append(record(1, 2));

    AuditVerification v = log.verifyAfter(a.sequence(), AuditChain.GENESIS);

    assertThat(v.valid()).isFalse();
    assertThat(v.problems()).singleElement().asString().contains("no longer the one verified before");
    assertThat(log.verifyAfter(5, a.hash()).valid()).isFalse(); // more entries verified before than the log holds
  }
}
