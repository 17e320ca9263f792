package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSpendLedgerTest {
  static final AgentId A = AgentId.of("agent-a");
  static final SpendLimit MONTHLY_20 = SpendLimit.monthly(Money.usd("20.00")).perProvider();

  @TempDir
  Path dir;
  ManualTime time;

  @BeforeEach
  void setUp() {
    time = ManualTime.at("2026-11-02T09:00:00Z");
  }

  ReservationRequest request(String id, String usd) {
    Instant at = time.instant();
    return new ReservationRequest(id, A, "cloudflare", RunId.of("run_1"), StepId.of("plan"), Money.usd(usd), at,
        at.plus(Duration.ofHours(1)), List.of(MONTHLY_20), ZoneOffset.UTC, "workers:paid " + id);
  }

  Money used(SpendLedger ledger) {
    return ledger.usage(MONTHLY_20, A, "cloudflare", time.instant(), ZoneOffset.UTC).used();
  }

  @Test
  void reopened_keepsUncertainMoneyHeldPastItsExpiry_andWhatReconciliationSettled() {
    SpendLedger first = SpendLedger.file(dir, time);
    first.reserve(request("paid", "12.00"));
    first.reserve(request("lost", "3.00"));
    first.markUncertain("paid");
    first.markUncertain("lost");
    first.reconcile("lost", Money.usd("0.00"));
    time.advance(Duration.ofDays(2));

    SpendLedger restarted = SpendLedger.file(dir, time);

    assertThat(restarted.reservation("paid").orElseThrow().status()).isEqualTo(Reservation.Status.UNCERTAIN);
    assertThat(used(restarted)).as("uncertain money counts whatever the clock").isEqualTo(Money.usd("12.00"));
    assertThat(restarted.reservation("lost").orElseThrow().status()).isEqualTo(Reservation.Status.RELEASED);
    assertThatThrownBy(() -> restarted.release("paid")).isInstanceOf(InvalidRequestException.class);
    restarted.reconcile("paid", Money.usd("12.00"));
    assertThat(SpendLedger.file(dir, time).reservation("paid").orElseThrow().committed())
        .isEqualTo(Money.usd("12.00"));
  }

  @Test
  void reopened_keepsTheMonthsSpendHeldMoneyAndAlertsFired() {
    SpendLedger first = SpendLedger.file(dir, time);
    first.reserve(request("r1", "5.00"));
    first.commit("r1", Money.usd("4.50"));
    first.reserve(request("r2", "6.00"));
    first.reserve(request("r3", "1.00"));
    first.release("r3");
    assertThat(first.markAlert("monthly/per-provider|provider=cloudflare|2026-11|50")).isTrue();

    SpendLedger restarted = SpendLedger.file(dir, time);

    assertThat(used(restarted)).isEqualTo(Money.usd("10.50"));
    assertThat(restarted.reservation("r1").orElseThrow().committed()).isEqualTo(Money.usd("4.50"));
    assertThat(restarted.reservation("r2").orElseThrow().status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(restarted.reservation("r3").orElseThrow().status()).isEqualTo(Reservation.Status.RELEASED);
    assertThat(restarted.reservations(RunId.of("run_1"))).extracting(Reservation::id).containsExactly("r1", "r2", "r3");
    assertThat(restarted.reservation("r2").orElseThrow().usage()).singleElement()
        .satisfies(u -> assertThat(u.used()).isEqualTo(Money.usd("10.50")));
    assertThat(restarted.markAlert("monthly/per-provider|provider=cloudflare|2026-11|50"))
        .as("an alert fired before the restart does not fire again").isFalse();
    assertThatThrownBy(() -> restarted.reserve(request("r4", "10.00"))).isInstanceOf(PolicyViolationException.class);
  }

  @Test
  void reopened_heldMoneyStopsCountingAtItsExpiryOnTheReadersClock() {
    SpendLedger first = SpendLedger.file(dir, time);
    first.reserve(request("r1", "15.00"));
    time.advance(Duration.ofHours(2)); // the host died holding it; its TTL passes

    SpendLedger restarted = SpendLedger.file(dir, time);

    assertThat(used(restarted)).isEqualTo(Money.usd("0.00"));
    assertThat(restarted.reserve(request("r2", "20.00")).status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void reserve_whenRefused_writesNothing() throws Exception {
    SpendLedger ledger = SpendLedger.file(dir, time);
    ledger.reserve(request("r1", "15.00"));
    long size = Files.size(dir.resolve("ledger.jsonl"));

    assertThatThrownBy(() -> ledger.reserve(request("r2", "6.00"))).isInstanceOf(PolicyViolationException.class);

    assertThat(Files.size(dir.resolve("ledger.jsonl"))).isEqualTo(size);
    assertThat(SpendLedger.file(dir, time).reservation("r2")).isEmpty();
  }

  @Test
  void aLineCutShortByACrash_isDroppedAndTheLedgerCarriesOn() throws Exception {
    SpendLedger ledger = SpendLedger.file(dir, time);
    ledger.reserve(request("r1", "5.00"));
    // a writer that died mid-append: its reservation was never returned to anyone
    Files.writeString(dir.resolve("ledger.jsonl"), "{\"agent\":\"agent-a\",\"amount\":\"USD 15.0",
        StandardOpenOption.APPEND);

    SpendLedger restarted = SpendLedger.file(dir, time);

    assertThat(used(restarted)).isEqualTo(Money.usd("5.00"));
    restarted.reserve(request("r2", "15.00"));
    assertThat(SpendLedger.file(dir, time).reservations(RunId.of("run_1"))).extracting(Reservation::id)
        .containsExactly("r1", "r2");
  }

  @Test
  void anUnreadableEvent_isRefusedWithTheFileAndOffset() throws Exception {
    SpendLedger.file(dir, time).reserve(request("r1", "5.00"));
    Path log = dir.resolve("ledger.jsonl");
    Files.writeString(log, Files.readString(log).replace("USD 5.00", "USD five"));

    assertThatThrownBy(() -> SpendLedger.file(dir, time)).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(log.toString()).hasMessageContaining("at byte").hasMessageContaining("restore");
  }

  @Test
  void twoProcessesSharingTheDirectory_neverOverspendAndTheSpendSurvivesThem() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> children = new ArrayList<>();
    for (String name : List.of("p1", "p2")) {
      Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          FileLedgerReserverMain.class.getName(), dir.toString(), name, "6").redirectErrorStream(true).start();
      assertThat(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine())
          .isEqualTo("ready");
      children.add(p);
    }
    for (Process p : children) { // both start reserving at once
      OutputStream in = p.getOutputStream();
      in.write('\n');
      in.flush();
    }
    int admitted = 0;
    for (Process p : children) {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertThat(p.exitValue()).as(out).isZero();
      admitted += Integer.parseInt(out.substring(out.lastIndexOf('=') + 1));
    }

    assertThat(admitted).as("USD 20.00 holds four spends of USD 5.00, whoever makes them").isEqualTo(4);
    SpendLedger after = SpendLedger.file(dir, Clock.fixed(FileLedgerReserverMain.NOW, ZoneOffset.UTC));
    assertThat(after.usage(FileLedgerReserverMain.CAP, A, "cloudflare", FileLedgerReserverMain.NOW, ZoneOffset.UTC)
        .used()).isEqualTo(Money.usd("20.00"));
    assertThat(after.reservations(null, null, Instant.EPOCH, Instant.MAX))
        .allSatisfy(r -> assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED)).hasSize(4);
  }
}
