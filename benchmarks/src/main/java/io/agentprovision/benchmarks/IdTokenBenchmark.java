package io.agentprovision.benchmarks;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.testing.oidc.OidcIssuerSandbox;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Verifying an ID token: {@link OidcIdentityProvider#attest} (signature against the cached JWKS,
 * then every claim check it makes) against the floor, nimbus's {@link DefaultJWTProcessor} with the
 * same keys and the standard claim checks (issuer, audience, expiry, subject). Both verify the same
 * token from {@link OidcIssuerSandbox}, signed {@code RS256} (RSA 2048) or {@code ES256} (P-256);
 * the JWKS is fetched once, before the measurement. The ratio of the two is what the SDK's own
 * checks cost on top of the signature.
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class IdTokenBenchmark {
  /** One issuer, one token, and both verifiers. */
  @State(Scope.Benchmark)
  public static class Issuer {
    @Param({"RS256", "ES256"})
    public String alg;

    OidcIssuerSandbox issuer;
    OidcIdentityProvider sdk;
    DefaultJWTProcessor<SecurityContext> nimbus;
    Secret token;
    String raw;
    IdentityRequest request;

    @Setup(Level.Trial)
    public void start() throws Exception {
      Clock clock = Clock.systemUTC();
      issuer = OidcIssuerSandbox.start(clock);
      sdk = OidcIdentityProvider.builder().issuer(issuer.issuer()).audience(OidcIssuerSandbox.DEFAULT_AUDIENCE)
          .clock(clock).build();
      raw = issuer.idToken().algorithm(alg).sign();
      token = Secret.of(raw);
      request = new IdentityRequest(AgentId.of("bench-agent"), null, token, null, false);
      sdk.attest(request); // fetches the discovery document and the JWKS
      OkHttpClient http = new OkHttpClient();
      String jwks;
      try (Response r = http.newCall(new Request.Builder().url(issuer.jwksUri()).build()).execute()) {
        jwks = r.body().string();
      }
      nimbus = new DefaultJWTProcessor<>();
      nimbus.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
          new ImmutableJWKSet<>(JWKSet.parse(jwks))));
      nimbus.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(OidcIssuerSandbox.DEFAULT_AUDIENCE,
          new JWTClaimsSet.Builder().issuer(issuer.issuer()).build(), Set.of("sub", "exp", "iat")));
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }

    @TearDown(Level.Trial)
    public void stop() {
      issuer.close();
    }
  }

  @Benchmark
  public Principal sdk(Issuer s) {
    return s.sdk.attest(s.request);
  }

  @Benchmark
  public JWTClaimsSet rawNimbus(Issuer s) throws Exception {
    return s.nimbus.process(s.raw, null);
  }
}
