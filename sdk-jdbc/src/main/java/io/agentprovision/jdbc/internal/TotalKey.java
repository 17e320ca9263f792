package io.agentprovision.jdbc.internal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLedgerRules;
import java.nio.ByteBuffer;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.Currency;
import org.jspecify.annotations.Nullable;

/**
 * The key of one row of running totals: a bucket (currency; agent and provider, {@code ""} for
 * every one), a calendar ({@code MONTHLY/Europe/Berlin}) and the start of a window in it.
 *
 * @param currency the currency code
 * @param agent the agent, or {@code ""} for every agent
 * @param provider the provider, or {@code ""} for every provider
 * @param calendar the interval and the zone of its windows
 * @param window the window
 */
public record TotalKey(String currency, String agent, String provider, String calendar, SpendInterval.Window window)
    implements Comparable<TotalKey> {
  private static final Comparator<TotalKey> ORDER = Comparator.comparing(TotalKey::currency)
      .thenComparing(TotalKey::agent).thenComparing(TotalKey::provider).thenComparing(TotalKey::calendar)
      .thenComparing(k -> k.window().start());

  /** The total of {@code bucket} in the window of {@code interval} (in its calendar's zone) containing {@code at}. */
  public static TotalKey of(SpendLedgerRules.Bucket bucket, SpendInterval interval, ZoneId zone, Instant at) {
    ZoneId z = SpendLedgerRules.calendarZone(interval, zone);
    return new TotalKey(bucket.currency().getCurrencyCode(), agentColumn(bucket.agent()),
        providerColumn(bucket.provider()), interval.name() + "/" + z.getId(), interval.windowAt(at, z));
  }

  /** The agent column of a bucket: its agent, or {@code ""} for every agent. */
  public static String agentColumn(@Nullable AgentId agent) {
    return agent == null ? "" : agent.value();
  }

  /** The provider column of a bucket: its provider, or {@code ""} for every provider. */
  public static String providerColumn(@Nullable String provider) {
    return provider == null ? "" : provider;
  }

  /** The bucket part of the key. */
  public BucketKey bucket() {
    return new BucketKey(currency, agent, provider);
  }

  /** Binds currency, agent, provider, calendar and window start from parameter {@code first} on. */
  public void bind(PreparedStatement ps, int first) throws SQLException {
    ps.setString(first, currency);
    ps.setString(first + 1, agent);
    ps.setString(first + 2, provider);
    ps.setString(first + 3, calendar);
    ps.setString(first + 4, Sql.ts(window.start()));
  }

  @Override
  public int compareTo(TotalKey o) {
    return ORDER.compare(this, o);
  }

  /**
   * A bucket as its columns hold it.
   *
   * @param currency the currency code
   * @param agent the agent, or {@code ""}
   * @param provider the provider, or {@code ""}
   */
  public record BucketKey(String currency, String agent, String provider) {
    /** The four buckets a spend feeds. */
    public static java.util.List<BucketKey> fed(Currency currency, AgentId agent, String provider) {
      java.util.List<BucketKey> out = new java.util.ArrayList<>(4);
      for (SpendLedgerRules.Bucket b : SpendLedgerRules.bucketsFed(currency, agent, provider)) {
        out.add(of(b));
      }
      return out;
    }

    public static BucketKey of(SpendLedgerRules.Bucket b) {
      return new BucketKey(b.currency().getCurrencyCode(), agentColumn(b.agent()), providerColumn(b.provider()));
    }

    /**
     * The second key of this bucket's advisory lock (the first is {@link #LOCK_CLASS}): a 32-bit hash
     * of its columns. Two buckets sharing a hash only share a lock: slower, never wrong.
     */
    public int lockKey() {
      byte[] h = io.agentprovision.core.wire.Digests.sha256(currency + "\u0000" + agent + "\u0000" + provider);
      return ByteBuffer.wrap(h).getInt();
    }

    /** The first key of every ledger advisory lock: "apsp" in ASCII, apart from the host's own locks. */
    public static final int LOCK_CLASS = 0x61707370;
  }
}
