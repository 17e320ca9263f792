package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The ID-token benchmark runs: for each algorithm, both verifiers accept the same token and agree
 * on whom it names. No timing is asserted.
 */
class IdTokenBenchmarkTest {
  @Test
  void bothVerifiersAcceptTheSameToken_forEachAlgorithm() throws Exception {
    IdTokenBenchmark b = new IdTokenBenchmark();
    for (String alg : new String[] {"RS256", "ES256"}) {
      IdTokenBenchmark.Issuer s = new IdTokenBenchmark.Issuer();
      s.alg = alg;
      s.start();
      try {
        String subject = b.rawNimbus(s).getSubject();
        assertThat(subject).as("%s: nimbus read the token's subject", alg).isNotBlank();
        assertThat(b.sdk(s).subject()).as("%s: the SDK names the same person", alg).isEqualTo(subject);
      } finally {
        s.stop();
      }
    }
  }

  @Test
  void theCpuTimeComparison_printsARowPerAlgorithm() throws Exception {
    String row = IdTokenCpu.row("RS256", 2);

    assertThat(row).startsWith("| RS256 | 2 |").matches("(\\| [^|]+ ){7}\\|");
  }
}
