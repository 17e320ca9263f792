package io.agentprovision.jdbc;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.spi.PaymentTokenProvider;
import io.agentprovision.testing.protocol.PaymentCharger;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A payment service for tests whose tokens live in a table of the test's database
 * ({@code test_payment_token}), so that a token one host process issued is charged by the provider
 * the test serves from its own process, and what it captured is read by whichever host asks: the
 * part Stripe plays for Shared Payment Tokens. {@link #paymentTokens} is the hosts' side (issue,
 * retrieve, revoke), {@link #charger} the provider's (one capture per token, the same idempotency
 * key answering the same charge).
 */
final class SharedPaymentTokens {
  private SharedPaymentTokens() {}

  static void createTable(String url) {
    run(url, c -> {
      try (PreparedStatement s = c.prepareStatement("CREATE TABLE IF NOT EXISTS test_payment_token (token text PRIMARY KEY, "
          + "issue_key text UNIQUE NOT NULL, seller text NOT NULL, max_minor bigint NOT NULL, currency text NOT NULL, "
          + "expires_at timestamptz NOT NULL, status text NOT NULL, captured_minor bigint, charge_key text, "
          + "description text)")) {
        s.execute();
      }
      return null;
    });
  }

  /** The hosts' side, on the database at {@code url}. */
  static PaymentTokenProvider paymentTokens(String url) {
    return new PaymentTokenProvider() {
      @Override
      public String name() {
        return "shared-spt";
      }

      @Override
      public PaymentMethodStatus paymentMethod() {
        return new PaymentMethodStatus(true, "card •••• 4242");
      }

      @Override
      public PaymentToken issue(PaymentTokenRequest r) {
        return run(url, c -> {
          try (PreparedStatement s = c.prepareStatement("INSERT INTO test_payment_token (token, issue_key, seller, "
              + "max_minor, currency, expires_at, status) VALUES (?, ?, ?, ?, ?, ?, 'ACTIVE') "
              + "ON CONFLICT (issue_key) DO NOTHING")) {
            s.setString(1, "spt_shared_" + UUID.randomUUID());
            s.setString(2, r.idempotencyKey());
            s.setString(3, r.seller());
            s.setLong(4, r.maxAmount().minorUnits());
            s.setString(5, r.maxAmount().currency().getCurrencyCode());
            s.setTimestamp(6, Timestamp.from(r.expiresAt()));
            s.executeUpdate();
          }
          return read(c, "issue_key", r.idempotencyKey());
        });
      }

      @Override
      public PaymentToken retrieve(PaymentToken token) {
        return run(url, c -> read(c, "token", token.token().reveal()));
      }

      @Override
      public void revoke(PaymentToken token) {
        run(url, c -> {
          try (PreparedStatement s = c.prepareStatement(
              "UPDATE test_payment_token SET status = 'DEACTIVATED' WHERE token = ?")) {
            s.setString(1, token.token().reveal());
            s.executeUpdate();
          }
          return null;
        });
      }
    };
  }

  /** The provider's side: captures a token once; the same key answers the same charge. */
  static PaymentCharger charger(String url) {
    return (token, amount, seller, description, key) -> run(url, c -> {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement("SELECT status, captured_minor, charge_key, max_minor, currency "
          + "FROM test_payment_token WHERE token = ? FOR UPDATE")) {
        s.setString(1, token.reveal());
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            throw new PaymentCharger.Declined("token_unknown", "no such token");
          }
          if (key.equals(rs.getString(3))) {
            c.commit();
            return new PaymentCharger.Charge(key, Money.ofMinor(rs.getLong(2), rs.getString(5)), seller, description);
          }
          if (!rs.getString(1).equals("ACTIVE")) {
            throw new PaymentCharger.Declined("token_deactivated", "the token was used or revoked");
          }
          if (amount.minorUnits() > rs.getLong(4) || !amount.currency().getCurrencyCode().equals(rs.getString(5))) {
            throw new PaymentCharger.Declined("amount_exceeds_limit", "above the token's cap");
          }
        }
      }
      try (PreparedStatement u = c.prepareStatement("UPDATE test_payment_token SET status = 'DEACTIVATED', "
          + "captured_minor = ?, charge_key = ?, description = ? WHERE token = ?")) {
        u.setLong(1, amount.minorUnits());
        u.setString(2, key);
        u.setString(3, description);
        u.setString(4, token.reveal());
        u.executeUpdate();
      }
      c.commit();
      return new PaymentCharger.Charge(key, amount, seller, description);
    });
  }

  /** Every capture: its description and amount. */
  static List<PaymentCharger.Charge> charges(String url) {
    return run(url, c -> {
      List<PaymentCharger.Charge> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT charge_key, captured_minor, currency, seller, description "
          + "FROM test_payment_token WHERE charge_key IS NOT NULL ORDER BY charge_key");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(new PaymentCharger.Charge(rs.getString(1), Money.ofMinor(rs.getLong(2), rs.getString(3)),
              rs.getString(4), rs.getString(5)));
        }
      }
      return out;
    });
  }

  private static PaymentToken read(Connection c, String column, String value) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT token, seller, max_minor, currency, expires_at, status, "
        + "captured_minor FROM test_payment_token WHERE " + column + " = ?")) {
      s.setString(1, value);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("no such payment token");
        }
        long captured = rs.getLong(7);
        Money capturedMoney = rs.wasNull() ? null : Money.ofMinor(captured, rs.getString(4));
        return new PaymentToken(Secret.of(rs.getString(1)), rs.getString(2), Money.ofMinor(rs.getLong(3),
            rs.getString(4)), rs.getTimestamp(5).toInstant(), PaymentToken.Status.valueOf(rs.getString(6)),
            capturedMoney, null);
      }
    }
  }

  private interface Work<T> {
    T on(Connection c) throws SQLException;
  }

  private static <T> T run(String url, Work<T> work) {
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      return work.on(c);
    } catch (SQLException e) {
      throw new IllegalStateException("the test's payment service failed: " + e.getMessage(), e);
    }
  }
}
