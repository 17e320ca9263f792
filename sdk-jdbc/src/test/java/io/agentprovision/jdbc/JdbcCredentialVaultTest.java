package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.internal.vault.CredentialVaultContract;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JDBC vault held to the contract every vault keeps, and to what makes it safe to put in a
 * shared database: the tables hold ciphertext only, an altered or moved record is refused, a wrong
 * key is refused, and records sealed by the file vault's code open here (one sealing for both).
 */
class JdbcCredentialVaultTest extends CredentialVaultContract {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  static final String CANARY = "CANARY-91c2-secret-value";
  static final byte[] KEY_1 = bytes(1);
  static final byte[] KEY_2 = bytes(2);

  DataSource db;
  JdbcStores stores;

  static byte[] bytes(int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (seed * 37 + i * 11);
    }
    return k;
  }

  @BeforeEach
  void database() {
    db = PG.freshDatabase();
    stores = JdbcStores.builder().dataSource(db).build();
  }

  @Override
  protected CredentialVault vault() {
    return vault(KeyProvider.of("k1", KEY_1));
  }

  CredentialVault vault(KeyProvider keys) {
    return stores.vault(keys); // each call opens the vault as another host would: it checks the keys again
  }

  static VaultEntry canary(String name) {
    return new VaultEntry(name, Secret.of(CANARY), Map.of("account_id", "acct-CANARY-attr"),
        Instant.parse("2026-11-02T09:00:00Z"), null);
  }

  @Test
  void theTables_holdCiphertextOnly() throws Exception {
    vault().put(canary("run_1/cloudflare/deploy-token"));

    StringBuilder everything = new StringBuilder();
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name, key_id, nonce, data FROM ap_vault_entry")) {
      while (rs.next()) {
        everything.append(rs.getString(1)).append(rs.getString(2))
            .append(new String(rs.getBytes(3), StandardCharsets.ISO_8859_1))
            .append(new String(rs.getBytes(4), StandardCharsets.ISO_8859_1));
      }
    }
    assertThat(everything.toString()).contains("run_1/cloudflare/deploy-token").doesNotContain(CANARY)
        .doesNotContain("acct-CANARY-attr");
  }

  @Test
  void aRecordAlteredInTheTable_isRefusedNotReturned() throws Exception {
    CredentialVault v = vault();
    v.put(canary("a"));
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE ap_vault_entry SET data = overlay(data placing '\\x00'::bytea from 3 for 1) WHERE name = 'a'");
    }

    assertThatThrownBy(() -> v.get("a")).isInstanceOfSatisfying(VaultException.class, e -> {
      assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED);
      assertThat(e.getMessage()).contains("'a'").doesNotContain(CANARY);
    });
  }

  @Test
  void aRecordCopiedUnderAnotherName_isRefused() throws Exception {
    CredentialVault v = vault();
    v.put(canary("a"));
    v.put(new VaultEntry("b", Secret.of("other"), Map.of(), Instant.parse("2026-11-02T09:00:00Z"), null));
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE ap_vault_entry SET nonce = a.nonce, data = a.data FROM ap_vault_entry a"
          + " WHERE ap_vault_entry.name = 'b' AND a.name = 'a'");
    }

    assertThatThrownBy(() -> v.get("b")).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED));
    assertThat(v.get("a").orElseThrow().secret().reveal()).isEqualTo(CANARY);
  }

  @Test
  void anotherKeyUnderTheSameId_isRefusedWhenOpened() {
    vault().put(canary("a"));

    assertThatThrownBy(() -> vault(KeyProvider.of("k1", KEY_2))).isInstanceOfSatisfying(VaultException.class,
        e -> {
          assertThat(e.reason()).isEqualTo(VaultException.Reason.WRONG_KEY);
          assertThat(e.getMessage()).contains("'k1'");
        });
  }

  @Test
  void afterARotation_oldRecordsOpen_andAPutMovesOneToTheNewKey() throws Exception {
    vault().put(canary("a"));
    CredentialVault rotated = vault(KeyProvider.rotating("k2", Map.of("k1", KEY_1, "k2", KEY_2)));

    VaultEntry a = rotated.get("a").orElseThrow();
    rotated.put(a);

    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT key_id FROM ap_vault_entry WHERE name = 'a'")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("k2");
      }
    }
    assertThatThrownBy(() -> vault(KeyProvider.of("k3", KEY_2)).get("a")).isInstanceOfSatisfying(
        VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.UNKNOWN_KEY));
  }

  @Test
  void twoHostsSharingTheVault_seeEachOthersEntries() {
    CredentialVault one = vault();
    CredentialVault two = vault();

    one.put(canary("run_1/x"));

    assertThat(two.get("run_1/x").orElseThrow().secret().reveal()).isEqualTo(CANARY);
    assertThat(two.delete("run_1/x")).isTrue();
    assertThat(one.get("run_1/x")).isEmpty();
  }
}
