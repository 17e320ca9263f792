package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A second process for {@link FileSpendLedgerTest}: opens the file ledger in {@code args[0]} and
 * tries {@code args[2]} reservations of USD 5.00 under a USD 20.00 monthly limit, ids prefixed
 * {@code args[1]}, committing each one admitted; prints {@code ready} once open, then waits for a
 * line on its input so both processes start together, and finally {@code admitted=N}.
 */
public final class FileLedgerReserverMain {
  static final SpendLimit CAP = SpendLimit.monthly(Money.usd("20.00"));
  static final Money PRICE = Money.usd("5.00");
  static final Instant NOW = Instant.parse("2026-11-02T09:00:00Z");

  private FileLedgerReserverMain() {}

  public static void main(String[] args) throws Exception {
    SpendLedger ledger = SpendLedger.file(Path.of(args[0]), java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC));
    System.out.println("ready");
    System.out.flush();
    System.in.read();
    int admitted = 0;
    for (int i = 0; i < Integer.parseInt(args[2]); i++) {
      try {
        String id = args[1] + "-" + i;
        ledger.reserve(ReservationRequest.builder(id, AgentId.of("agent-" + args[1]), "cloudflare", PRICE).at(NOW)
            .expiresAt(NOW.plus(Duration.ofHours(1))).limits(List.of(CAP)).build());
        ledger.commit(id, PRICE);
        admitted++;
      } catch (PolicyViolationException e) {
        // the cap is spent
      }
    }
    System.out.println("admitted=" + admitted);
  }
}
