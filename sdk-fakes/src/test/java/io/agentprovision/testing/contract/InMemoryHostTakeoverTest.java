package io.agentprovision.testing.contract;

import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.VirtualTime;

/** Host takeover over the in-memory stores, shared by both hosts. */
class InMemoryHostTakeoverTest extends HostTakeoverContract {
  @Override
  protected Stores newStores(VirtualTime time) {
    return new Stores(RunJournal.inMemory(), SpendLedger.inMemory(time), AuditLog.inMemory(), CredentialVault.inMemory());
  }
}
