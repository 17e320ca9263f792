package io.agentprovision.jdbc;

import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.contract.HostTakeoverContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Host takeover with the run journal on PostgreSQL: leases, takeover and parked approvals between two hosts. */
class JdbcHostTakeoverTest extends HostTakeoverContract {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  @Override
  protected Stores newStores(VirtualTime time) {
    return new Stores(JdbcStores.builder().dataSource(PG.freshDatabase()).build().journal(), SpendLedger.inMemory(time),
        AuditLog.inMemory(), CredentialVault.inMemory());
  }
}
