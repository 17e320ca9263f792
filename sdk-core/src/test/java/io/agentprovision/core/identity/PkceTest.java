package io.agentprovision.core.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class PkceTest {
  @Test
  void challenge_matchesRfc7636AppendixB() {
    Secret verifier = Secret.of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

    assertThat(Pkce.challenge(verifier)).isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assertThat(Pkce.matches(verifier.reveal(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).isTrue();
    assertThat(Pkce.matches("another-verifier", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).isFalse();
    assertThat(Pkce.matches(null, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).isFalse();
  }

  @Test
  void verifiers_areUrlSafeOf43Characters_derivedOnesStableForTheirContext() {
    Secret random = Pkce.randomVerifier(new SecureRandom());
    Secret a = Pkce.derivedVerifier(Secret.of("sk_test_key"), "run-1:link:stripe.connection_request");
    Secret again = Pkce.derivedVerifier(Secret.of("sk_test_key"), "run-1:link:stripe.connection_request");
    Secret other = Pkce.derivedVerifier(Secret.of("sk_test_key"), "run-2:link:stripe.connection_request");

    assertThat(random.reveal()).matches("[A-Za-z0-9_-]{43}");
    assertThat(a.reveal()).matches("[A-Za-z0-9_-]{43}");
    assertThat(a.matches(again)).isTrue();
    assertThat(a.matches(other)).isFalse();
  }
}
