package io.agentprovision.jdbc;

import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import io.agentprovision.core.vault.VaultSealer;
import io.agentprovision.core.vault.VaultSealer.Sealed;
import io.agentprovision.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * {@link CredentialVault} in PostgreSQL, holding ciphertext only: every record is sealed by
 * {@link VaultSealer} (AES-256-GCM under the {@link KeyProvider}'s current key, a fresh nonce per
 * record, the entry's name and the key id authenticated with it), exactly as the encrypted-file
 * vault seals it; the keys never leave the host. {@code ap_vault_entry} holds each entry's name (in
 * clear, as the journal and audit log name it), key id, nonce and ciphertext; {@code
 * ap_vault_key_check} holds, per key id, a tag that tells a wrong key from an altered record.
 *
 * <p>A record copied under another name, relabelled with another key id or altered in any byte is
 * refused ({@link VaultException.Reason#TAMPERED}); a key supplied under an id the vault was sealed
 * with under another key is refused when the vault is opened ({@link VaultException.Reason#WRONG_KEY}).
 * Thread-safe. Made by {@link JdbcStores#vault(KeyProvider)}.
 */
public final class JdbcCredentialVault implements CredentialVault {
  private final DataSource ds;
  private final VaultSealer sealer;
  private final Clock clock;
  private final String where;

  private JdbcCredentialVault(DataSource ds, VaultSealer sealer, Clock clock, String where) {
    this.ds = ds;
    this.sealer = sealer;
    this.clock = clock;
    this.where = where;
  }

  static JdbcCredentialVault open(DataSource ds, KeyProvider keys, Clock clock, String where) {
    JdbcCredentialVault v = new JdbcCredentialVault(ds, VaultSealer.of(keys, where), clock, where);
    v.run("read the vault's key checks", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT key_id, nonce, data FROM ap_vault_key_check");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          v.sealer.checkKey(new Sealed(rs.getString(1), rs.getBytes(2), rs.getBytes(3)), null);
        }
      }
      return null;
    });
    return v;
  }

  @Override
  public void put(VaultEntry entry) {
    Objects.requireNonNull(entry, "entry");
    Sealed sealed = sealer.seal(entry);
    String kid = sealed.keyId();
    run("store vault entry '" + entry.key() + "'", c -> {
      Sealed check = keyCheck(c, kid);
      if (check == null) {
        Sealed fresh = sealer.newKeyCheck(kid);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO ap_vault_key_check (key_id, nonce, data)"
            + " VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING")) {
          ps.setString(1, kid);
          ps.setBytes(2, fresh.nonce());
          ps.setBytes(3, fresh.data());
          ps.executeUpdate();
        }
        check = keyCheck(c, kid);
      }
      if (check != null) {
        sealer.checkKey(check, entry.key());
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO ap_vault_entry (name, key_id, nonce, data, updated_at)"
          + " VALUES (?, ?, ?, ?, ?::timestamptz) ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id,"
          + " nonce = excluded.nonce, data = excluded.data, updated_at = excluded.updated_at")) {
        ps.setString(1, entry.key());
        ps.setString(2, kid);
        ps.setBytes(3, sealed.nonce());
        ps.setBytes(4, sealed.data());
        ps.setString(5, Sql.ts(clock.instant()));
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<VaultEntry> get(String name) {
    Objects.requireNonNull(name, "key");
    Object[] found = run("read vault entry '" + name + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT key_id, nonce, data FROM ap_vault_entry WHERE name = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          Sealed record = new Sealed(rs.getString(1), rs.getBytes(2), rs.getBytes(3));
          return new Object[] {record, keyCheck(c, record.keyId())};
        }
      } catch (IllegalArgumentException e) { // a nonce of the wrong length: not a record this SDK wrote
        throw new VaultException(VaultException.Reason.CORRUPT, name, "vault entry '" + name + "' in " + where
            + " is not a sealed record: " + e.getMessage());
      }
    });
    if (found == null) {
      return Optional.empty();
    }
    return Optional.of(sealer.open(name, (Sealed) found[0], (Sealed) found[1]));
  }

  @Override
  public boolean delete(String name) {
    Objects.requireNonNull(name, "key");
    return Objects.requireNonNull(run("delete vault entry '" + name + "'",
        c -> Sql.update(c, "DELETE FROM ap_vault_entry WHERE name = ?", name) == 1));
  }

  @Override
  public List<String> keys(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    List<String> names = Objects.requireNonNull(run("list vault entries", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT name FROM ap_vault_entry WHERE starts_with(name, ?)")) {
        ps.setString(1, prefix);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    }));
    names.sort(null); // the interface's order: Java's, whatever the database's collation
    return names;
  }

  @Override
  public String toString() {
    return "JdbcCredentialVault{" + where + ", currentKey=" + sealer.currentKeyId() + "}";
  }

  private static @Nullable Sealed keyCheck(Connection c, String kid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT nonce, data FROM ap_vault_key_check WHERE key_id = ?")) {
      ps.setString(1, kid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Sealed(kid, rs.getBytes(1), rs.getBytes(2)) : null;
      }
    }
  }

  private interface Work<T> {
    @Nullable T apply(Connection c) throws SQLException;
  }

  private <T> @Nullable T run(String what, Work<T> work) {
    try (Connection c = ds.getConnection()) {
      return work.apply(c);
    } catch (SQLException e) {
      throw new VaultException(VaultException.Reason.IO, null, String.valueOf(Sql.failure(e, where, what).getMessage()), e);
    }
  }
}
