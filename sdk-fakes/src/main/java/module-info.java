/**
 * In-memory fakes of every plug-in interface, virtual time and a scripted approval gate, for tests
 * of the SDK, of its adapters and of the applications that embed it.
 */
module io.agentprovision.testing {
  exports io.agentprovision.testing;
  exports io.agentprovision.testing.contract;

  requires transitive io.agentprovision.core;
  requires static org.jspecify;
  // the contract tests (RunJournalContract, HostTakeoverContract) are JUnit tests for other modules to extend
  requires static org.junit.jupiter.api;
  requires static org.junit.jupiter.params;
}
