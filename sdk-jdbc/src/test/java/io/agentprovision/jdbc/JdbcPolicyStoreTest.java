package io.agentprovision.jdbc;

import io.agentprovision.core.internal.policy.PolicyStoreContract;
import io.agentprovision.core.spi.PolicyStore;
import java.util.IdentityHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The JDBC policy store held to the contract every policy store keeps; a reopen is another host. */
class JdbcPolicyStoreTest extends PolicyStoreContract {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  private final Map<PolicyStore, DataSource> databases = new IdentityHashMap<>();

  @Override
  protected PolicyStore store() {
    DataSource ds = PG.freshDatabase();
    PolicyStore s = JdbcStores.builder().dataSource(ds).build().policies();
    databases.put(s, ds);
    return s;
  }

  @Override
  protected PolicyStore reopen(PolicyStore store) {
    DataSource ds = databases.get(store);
    PolicyStore s = JdbcStores.builder().dataSource(ds).build().policies();
    databases.put(s, ds);
    return s;
  }
}
