/**
 * Contract tests for implementations of the SDK's SPIs, to extend in the module that implements
 * them: {@link io.agentprovision.testing.contract.RunJournalContract} checks a
 * {@link io.agentprovision.core.spi.RunJournal} (compare-and-set, leases, parked approvals) and
 * {@link io.agentprovision.testing.contract.HostTakeoverContract} runs two hosts over shared stores,
 * kills one at every step boundary and checks the other finishes without buying anything twice.
 *
 * <pre>{@code
 * class JdbcRunJournalContractTest extends RunJournalContract {
 *   @Override protected RunJournal newJournal() { return JdbcRunJournal.create(freshDatabase()); }
 * }
 * }</pre>
 *
 * <p>They use JUnit Jupiter's API only (no assertion library), which the extending test brings.
 */
@NullMarked
package io.agentprovision.testing.contract;

import org.jspecify.annotations.NullMarked;
