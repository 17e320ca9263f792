package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.spi.AuditLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The audit check at each run's end: runs ending together check the log's new entries once between
 * them (each from where the one before got to, none from the same checkpoint again), and an entry
 * edited after a check still fails the next run's.
 */
class AuditCheckAtRunEndTest {
  private final EngineHarness h = new EngineHarness();
  private final ExecutorService steps = Executors.newFixedThreadPool(4);

  @AfterEach
  void close() {
    h.close();
    steps.shutdownNow();
  }

  /** An in-memory log that notes every check asked of it: from which entry, up to which. */
  private static final class CountingLog implements AuditLog {
    final AuditLog inner = AuditLog.inMemory();
    final List<long[]> checks = new CopyOnWriteArrayList<>();
    final java.util.concurrent.CountDownLatch checked = new java.util.concurrent.CountDownLatch(1);

    @Override
    public AuditEntry append(AuditRecord record) {
      return inner.append(record);
    }

    @Override
    public List<AuditEntry> entries() {
      return inner.entries();
    }

    @Override
    public Optional<AuditEntry> head() {
      return inner.head();
    }

    @Override
    public void export(java.io.Writer out) throws java.io.IOException {
      inner.export(out);
    }

    @Override
    public AuditVerification verify() {
      AuditVerification v = inner.verify();
      checks.add(new long[] {0, v.entries()});
      checked.countDown();
      return v;
    }

    @Override
    public AuditVerification verifyAfter(long sequence, String hash) {
      AuditVerification v = inner.verifyAfter(sequence, hash);
      checks.add(new long[] {sequence, v.entries()});
      checked.countDown();
      return v;
    }
  }

  private static ProvisionRequest person(int i) {
    return EngineHarness.request().domain(null).identityToken(EngineHarness.personToken(i)).build();
  }

  @Test
  void runsEndingTogether_checkEachNewEntryOnce() throws Exception {
    int runs = 8;
    h.people(runs);
    CountingLog log = new CountingLog();
    h.steps = steps;
    AgentProvisioner p = h.provisioner(b -> b.audit(log));
    List<CompletableFuture<Deployment>> all = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      all.add(p.provisionAndDeployAsync(person(i)));
    }
    for (CompletableFuture<Deployment> f : all) {
      assertThat(f.get(60, TimeUnit.SECONDS).auditVerified()).isTrue();
    }
    // one at each run's end, and some ahead of it while runs' last steps waited (a check ahead is
    // skipped when another is under way); in the order they were made, each check starts where the
    // one before it ended
    assertThat(log.checks).hasSizeGreaterThanOrEqualTo(runs);
    long upTo = 0;
    for (long[] c : log.checks) {
      assertThat(c[0]).as("a check starts at the last checked entry: %s", log.checks.stream().map(java.util.Arrays::toString).toList()).isEqualTo(upTo);
      assertThat(c[1]).isGreaterThanOrEqualTo(upTo);
      upTo = c[1];
    }
  }

  @Test
  void theLogIsCheckedWhileTheLastStepRuns_andTheEndChecksOnlyWhatCameAfter() throws Exception {
    h.people(1);
    CountingLog log = new CountingLog();
    h.steps = steps;
    AtomicReference<Long> entriesWhenVerifyStarted = new AtomicReference<>();
    AgentProvisioner p = h.provisioner(b -> b.audit(log).listener(e -> {
      if (e instanceof ProvisioningEvent.StepStarted s && s.step().value().equals("verify")) {
        // the last step goes on only once the check ahead of the end has been made (on another step thread)
        try {
          assertThat(log.checked.await(30, TimeUnit.SECONDS)).as("the check ahead of the run's end").isTrue();
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
        }
        entriesWhenVerifyStarted.set((long) log.entries().size());
      }
    }));

    Deployment d = p.provisionAndDeploy(person(1));

    assertThat(d.auditVerified()).isTrue();
    assertThat(log.checks).as("a check ahead of the end, then the end's").hasSize(2);
    long[] ahead = log.checks.get(0);
    long[] atEnd = log.checks.get(1);
    assertThat(ahead[0]).isZero();
    assertThat(ahead[1]).isLessThanOrEqualTo(entriesWhenVerifyStarted.get());
    assertThat(atEnd[0]).as("the end starts where the check ahead got to").isEqualTo(ahead[1]);
    assertThat(atEnd[1]).isEqualTo(log.entries().size());
    // what the end checked: the last step's entries and the run's end, not the run again
    List<AuditEntry> all = log.entries();
    List<String> checkedAtEnd = all.subList((int) atEnd[0], all.size()).stream()
        .map(e -> e.record().action()).toList();
    assertThat(checkedAtEnd).contains("run.finished").doesNotContain("run.started");
    assertThat(atEnd[1] - atEnd[0]).isLessThan(ahead[1] - ahead[0]);
  }

  /** A log kept in a list the test can edit, checked by the SPI's own verifyAfter. */
  private static final class EditableLog implements AuditLog {
    final List<AuditEntry> entries = new ArrayList<>();

    @Override
    public synchronized AuditEntry append(AuditRecord record) {
      AuditEntry e = AuditChain.link(entries.isEmpty() ? null : entries.get(entries.size() - 1), record);
      entries.add(e);
      return e;
    }

    @Override
    public synchronized List<AuditEntry> entries() {
      return List.copyOf(entries);
    }

    @Override
    public synchronized Optional<AuditEntry> head() {
      return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
    }

    @Override
    public synchronized AuditVerification verify() {
      return AuditChain.verify(entries, null, null);
    }

    @Override
    public void export(java.io.Writer out) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void anEntryEditedAfterACheck_failsTheNextRunsCheck() {
    h.people(2);
    EditableLog log = new EditableLog();
    AgentProvisioner p = h.provisioner(b -> b.audit(log));
    assertThat(p.provisionAndDeploy(person(1)).auditVerified()).isTrue();
    // the last entry, the one the check stopped at, edited in place (its hash kept)
    synchronized (log) {
      int at = log.entries.size() - 1;
      AuditEntry e = log.entries.get(at);
      AuditRecord edited = e.record().toBuilder().detail("note", "edited").build();
      log.entries.set(at, new AuditEntry(e.sequence(), edited, e.previousHash(), e.hash()));
    }

    assertThat(p.provisionAndDeploy(person(2)).auditVerified()).isFalse();
  }
}
