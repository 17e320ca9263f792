package io.agentprovision.benchmarks;

import com.squareup.moshi.JsonAdapter;
import io.agentprovision.core.wire.Json;
import io.agentprovision.stripe.internal.ProvisioningJson;
import io.agentprovision.stripe.internal.StripeWire;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A request body written and an answer read as a flow does them: {@code write} is {@link Json#write}
 * (plain values appended directly), {@code writeThroughMoshi} moshi's adapter for {@code Object} with
 * nulls serialized, as {@code Json.write} did before, in the same run; {@code read} is
 * {@code StripeWire.WIRE.read}, which looks its adapter up in moshi for every answer, and
 * {@code readCachedAdapter} the same adapter looked up once. Run with {@code -prof gc} for the bytes
 * allocated per operation.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WireJsonBenchmark {
  /** A Stripe v2 request body and a project's answer, as the sandbox's flow sends and receives them. */
  @State(Scope.Benchmark)
  public static class Bodies {
    final Map<String, Object> body = body();
    final String answer = "{\"id\":\"prvprj_sbx000123\",\"name\":\"bench-app-302\",\"catalog\":\"default\","
        + "\"object\":\"v2.provisioning.project\",\"created\":\"2026-12-07T14:00:00.000Z\",\"livemode\":false}";
    final JsonAdapter<Object> moshi = Json.moshi().adapter(Object.class).serializeNulls();
    final JsonAdapter<ProvisioningJson.ProjectJson> project =
        StripeWire.WIRE.moshi().adapter(ProvisioningJson.ProjectJson.class);

    private static Map<String, Object> body() {
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("region", "us-east-1");
      config.put("plan", "free");
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("service_id", "stripe/postgres");
      b.put("project", "prvprj_sbx000123");
      b.put("name", "bench-app-302-db");
      b.put("configuration", config);
      b.put("tags", List.of("fleet", "bench"));
      b.put("max_amount", 2500L);
      b.put("metadata", null);
      return b;
    }
  }

  @Benchmark
  public String write(Bodies b) {
    return Json.write(b.body);
  }

  @Benchmark
  public String writeThroughMoshi(Bodies b) {
    return b.moshi.toJson(b.body);
  }

  @Benchmark
  public ProvisioningJson.ProjectJson read(Bodies b) {
    return StripeWire.WIRE.read(ProvisioningJson.ProjectJson.class, b.answer);
  }

  @Benchmark
  public ProvisioningJson.@Nullable ProjectJson readCachedAdapter(Bodies b) throws IOException {
    return b.project.fromJson(b.answer);
  }
}
