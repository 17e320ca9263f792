package io.agentprovision.jdbc;

import io.agentprovision.core.spi.VelocityStore;
import io.agentprovision.testing.contract.VelocityStoreContract;
import java.util.IdentityHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The velocity store contract on PostgreSQL: a restart, and the second host of the race, are new
 * {@link JdbcStores} over the same database.
 */
class JdbcVelocityStoreTest extends VelocityStoreContract {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  private final Map<VelocityStore, DataSource> databases = new IdentityHashMap<>();

  @Override
  protected VelocityStore newStore() {
    DataSource ds = PG.freshDatabase();
    VelocityStore s = JdbcStores.builder().dataSource(ds).build().velocity();
    databases.put(s, ds);
    return s;
  }

  @Override
  protected VelocityStore reopen(VelocityStore store) {
    DataSource ds = databases.get(store);
    VelocityStore s = JdbcStores.builder().dataSource(ds).validateOnly().build().velocity();
    databases.put(s, ds);
    return s;
  }
}
