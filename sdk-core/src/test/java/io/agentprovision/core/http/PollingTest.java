package io.agentprovision.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.spi.StepContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class PollingTest {
  final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");

  /** Just what polling uses of a step: time, the deadline and progress. */
  static final class PollingContext implements StepContext {
    final ManualTime time;
    final Instant deadline;
    final List<String> progress = new ArrayList<>();
    Sleeper sleeper;

    PollingContext(ManualTime time, Duration budget) {
      this.time = time;
      this.sleeper = time;
      this.deadline = time.instant().plus(budget);
    }

    @Override
    public RunId runId() {
      return RunId.of("run_1");
    }

    @Override
    public StepId stepId() {
      return StepId.of("domain");
    }

    @Override
    public AgentId agent() {
      return AgentId.of("agent-a");
    }

    @Override
    public @Nullable Principal principal() {
      return null;
    }

    @Override
    public Clock clock() {
      return time;
    }

    @Override
    public Sleeper sleeper() {
      return sleeper;
    }

    @Override
    public String idempotencyKey() {
      return "run_1:domain";
    }

    @Override
    public Instant deadline() {
      return deadline;
    }

    @Override
    public ApprovalDecision checkpoint(CheckpointRequest request) {
      throw new UnsupportedOperationException("polling asks no human");
    }

    @Override
    public SpendAuthorization authorizeSpend(SpendRequest request) {
      throw new UnsupportedOperationException("polling spends nothing");
    }

    @Override
    public void progress(String message) {
      progress.add(message);
    }

    @Override
    public void retrying(int attempt, Duration delay, String reason) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void audit(String action, String outcome, Map<String, String> details) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void until_whenDoneAtOnce_neitherWaitsNorReports() {
    PollingContext ctx = new PollingContext(time, Duration.ofMinutes(10));

    String result = Polling.until(ctx, "resource res_1", () -> "active", "active"::equals, Polling.Backoff.DEFAULT);

    assertThat(result).isEqualTo("active");
    assertThat(time.sleeps()).isEmpty();
    assertThat(ctx.progress).isEmpty();
  }

  @Test
  void until_backsOffDoublingUpToTheMaximumAndReportsEachWait() {
    PollingContext ctx = new PollingContext(time, Duration.ofMinutes(10));
    AtomicInteger polls = new AtomicInteger();

    int result = Polling.until(ctx, "resource res_1", polls::incrementAndGet, n -> n == 8, Polling.Backoff.DEFAULT);

    assertThat(result).isEqualTo(8);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(8), Duration.ofSeconds(16), Duration.ofSeconds(30), Duration.ofSeconds(30));
    assertThat(ctx.progress).hasSize(7);
    assertThat(ctx.progress.get(0)).isEqualTo("resource res_1: waiting 1000 ms (check 1)");
    assertThat(ctx.progress.get(6)).isEqualTo("resource res_1: waiting 30000 ms (check 7)");
    assertThat(time.instant()).isEqualTo(Instant.parse("2026-11-02T09:01:31Z"));
  }

  @Test
  void until_whenTheDeadlineComesFirst_throwsARetryableError() {
    PollingContext ctx = new PollingContext(time, Duration.ofSeconds(10));
    AtomicInteger polls = new AtomicInteger();

    assertThatThrownBy(() -> Polling.until(ctx, "registration of my-app.com", polls::incrementAndGet, n -> false,
        Polling.Backoff.DEFAULT)).isInstanceOfSatisfying(AgentProvisionException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).contains("registration of my-app.com").contains("after 4 checks")
              .contains("resume the run later");
        });
    assertThat(polls.get()).isEqualTo(4);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
    assertThat(time.instant()).isBefore(ctx.deadline());
  }

  @Test
  void until_whenInterrupted_stopsWithARetryableErrorAndKeepsTheInterrupt() {
    PollingContext ctx = new PollingContext(time, Duration.ofMinutes(10));
    ctx.sleeper = d -> {
      throw new InterruptedException("cancelled");
    };

    try {
      assertThatThrownBy(() -> Polling.until(ctx, "resource res_1", () -> 1, n -> false, Polling.Backoff.DEFAULT))
          .isInstanceOfSatisfying(AgentProvisionException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.getCause()).isInstanceOf(InterruptedException.class);
          });
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void backoff_after_doublesAndCaps() {
    Polling.Backoff b = new Polling.Backoff(Duration.ofMillis(250), Duration.ofSeconds(1));

    assertThat(b.after(1)).isEqualTo(Duration.ofMillis(250));
    assertThat(b.after(2)).isEqualTo(Duration.ofMillis(500));
    assertThat(b.after(3)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.after(50)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.after(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void backoff_whenInitialNotPositiveOrMaxShorter_isRefusedNamingTheField() {
    assertThatThrownBy(() -> new Polling.Backoff(Duration.ZERO, Duration.ofSeconds(2)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("backoff.initial"));
    assertThatThrownBy(() -> new Polling.Backoff(Duration.ofSeconds(5), Duration.ofSeconds(2)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("backoff.max"));
  }
}
