package io.agentprovision.benchmarks;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonReader;
import io.agentprovision.cloudflare.internal.Wire;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import okio.Buffer;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One Cloudflare timestamp read from JSON: the Cloudflare wire's adapter ({@code wire}) against the
 * reading it replaced ({@code jdk}: {@link Instant#parse}, then {@link OffsetDateTime#parse}), both
 * from the same JSON string through a moshi reader, for the shapes Cloudflare sends (whole seconds,
 * a six-digit fraction, an offset).
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CloudflareTimestampBenchmark {
  /** The JSON text of one timestamp, and both readers. */
  @State(Scope.Benchmark)
  public static class Text {
    @Param({"2026-11-02T09:00:00Z", "2026-11-01T00:00:00.123456Z", "2026-11-02T11:30:00+02:00"})
    public String timestamp;

    byte[] json;
    JsonAdapter<Instant> wire;

    @Setup
    public void setUp() {
      json = ("\"" + timestamp + "\"").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      wire = Wire.moshi().adapter(Instant.class);
    }

    JsonReader reader() {
      return JsonReader.of(new Buffer().write(json));
    }
  }

  @Benchmark
  public @Nullable Instant wire(Text t) throws IOException {
    return t.wire.fromJson(t.reader());
  }

  @Benchmark
  public @Nullable Instant jdk(Text t) throws IOException {
    String s = t.reader().nextString().trim();
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }
}
