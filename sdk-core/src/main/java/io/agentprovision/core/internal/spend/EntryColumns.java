package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.Reservation;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory ledger's reservations, one column per field: entry {@code h} (its handle, which is
 * also its order of arrival) is the {@code h}-th element of every array. Guarded by the ledger's lock.
 *
 * <p><b>Why columns.</b> A ledger keeps every reservation it made (idempotent repeats,
 * {@code reservation(id)}, the time and run queries), and what the collector does with them is what
 * a busy ledger costs: kept as an object each (round 6: about 180 bytes, the entry and the caller's
 * id string), every reservation was still young at the next collection and was copied, once or
 * twice, which took about half of a busy ledger's time. Here a reservation adds no object at all:
 * its numbers go to primitive arrays (which the collector neither scans nor copies once they are
 * large and old), its id's characters to a byte array, and its references (agent, provider, run,
 * step, description, amount, the usage's shape, the buckets it feeds) to dictionaries of distinct
 * values, as an int code each: a thousand reservations by one agent keep one {@link AgentId}.
 *
 * <p>Ids are found through a hash table whose chains run through the {@link #nextById} column; an id
 * is compared character for character with its copy, never by hash alone. An id of Latin-1
 * characters, as generated ids are, is copied one byte per character; any other is kept as the
 * string itself in a side list.
 */
final class EntryColumns {
  /** A code for no value (a reservation with no run or no step); also the end of an id chain. */
  static final int NONE = -1;
  private static final Reservation.Status[] STATUSES = Reservation.Status.values();
  /** Longer ids are kept as strings: they are not generated ones, and a byte copy buys nothing. */
  private static final int MAX_COPIED_ID = 256;
  private static final int MAX_ENTRIES = 1 << 30;

  private int size;
  private int capacity = 16;

  // The id, and the id table's chain.
  private int[] hash = new int[capacity];
  private int[] nextById = new int[capacity];
  /** Where the id's bytes start in {@link #idBytes}, or {@code -1 - i} for {@code longIds.get(i)}. */
  private int[] idAt = new int[capacity];
  private int[] idLength = new int[capacity];
  private byte[] idBytes = new byte[256];
  private int idBytesUsed;
  private final List<String> longIds = new ArrayList<>();
  private int[] heads = newHeads(16);

  // Codes into the dictionaries.
  private int[] agent = new int[capacity];
  private int[] provider = new int[capacity];
  private int[] run = new int[capacity];
  private int[] step = new int[capacity];
  private int[] description = new int[capacity];
  private int[] amount = new int[capacity];
  private int[] usages = new int[capacity];
  private int[] fed = new int[capacity];

  // Numbers.
  private long[] amountMinor = new long[capacity];
  private long[] createdSecond = new long[capacity];
  private int[] createdNano = new int[capacity];
  private long[] expiresSecond = new long[capacity];
  private int[] expiresNano = new int[capacity];
  private long[] used0 = new long[capacity];
  /** Where the uses of the limits after the first start in {@link #rest}, or {@link #NONE}. */
  private int[] restAt = new int[capacity];
  private long[] rest = new long[16];
  private int restUsed;
  private long[] committedMinor = new long[capacity];
  private byte[] status = new byte[capacity];
  /**
   * Whether its amount is counted as held in the totals: from the reserve until it is committed,
   * released, or reaped at its expiry. The ledger's clock decides expiry once; a clock set back
   * later does not make a reaped reservation count again.
   */
  private boolean[] held = new boolean[capacity];

  /** Distinct values of the reference fields, each once, by code. */
  private final List<Object> values = new ArrayList<>();
  private final Map<Object, Integer> codes = new HashMap<>();
  private final List<Usages> usageShapes = new ArrayList<>();
  private final List<RunningTotals.Bucket[]> fedSets = new ArrayList<>();

  /** The last value and code of each reference field: a run reserves again and again with the same ones. */
  final LastCode lastAgent = new LastCode();
  final LastCode lastProvider = new LastCode();
  final LastCode lastRun = new LastCode();
  final LastCode lastStep = new LastCode();
  final LastCode lastDescription = new LastCode();
  final LastCode lastAmount = new LastCode();

  int size() {
    return size;
  }

  /** The code of {@code value} in the dictionary, added if new; {@link #NONE} for null. */
  int code(@Nullable Object value) {
    if (value == null) {
      return NONE;
    }
    Integer c = codes.get(value);
    if (c == null) {
      c = values.size();
      values.add(value);
      codes.put(value, c);
    }
    return c;
  }

  /** The code of a usage shape or a set of fed buckets, added by the ledger when it makes a new one. */
  int addShape(Usages u) {
    usageShapes.add(u);
    return usageShapes.size() - 1;
  }

  int addFed(RunningTotals.Bucket[] buckets) {
    fedSets.add(buckets);
    return fedSets.size() - 1;
  }

  /** A string's hash as the id table uses it: the high bits folded into the low ones its mask keeps. */
  static int spread(int h) {
    return h ^ (h >>> 16);
  }

  /** The entry whose id is {@code id} ({@code h} its {@link #spread spread} hash), or {@link #NONE}. */
  int find(String id, int h) {
    for (int e = heads[h & (heads.length - 1)]; e != NONE; e = nextById[e]) {
      if (hash[e] == h && idEquals(e, id)) {
        return e;
      }
    }
    return NONE;
  }

  private boolean idEquals(int e, String id) {
    int at = idAt[e];
    if (at < 0) {
      return longIds.get(-1 - at).equals(id);
    }
    int n = idLength[e];
    if (id.length() != n) {
      return false;
    }
    byte[] b = idBytes;
    for (int i = 0; i < n; i++) {
      if (id.charAt(i) != (b[at + i] & 0xFF)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds an entry, held and {@code RESERVED}, whose id is not in the table; returns its handle. The
   * codes are this dictionary's ({@link #code}, {@link #addShape}, {@link #addFed}).
   */
  int add(String id, int h, int agentCode, int providerCode, int runCode, int stepCode, int descriptionCode,
      int amountCode, long amountMinorUnits, Instant createdAt, Instant expiresAt, int usagesCode, long firstUsed,
      long @Nullable [] restUsed, int fedCode) {
    if (size == capacity) {
      grow();
    }
    int e = size;
    hash[e] = h;
    storeId(e, id);
    agent[e] = agentCode;
    provider[e] = providerCode;
    run[e] = runCode;
    step[e] = stepCode;
    description[e] = descriptionCode;
    amount[e] = amountCode;
    amountMinor[e] = amountMinorUnits;
    createdSecond[e] = createdAt.getEpochSecond();
    createdNano[e] = createdAt.getNano();
    expiresSecond[e] = expiresAt.getEpochSecond();
    expiresNano[e] = expiresAt.getNano();
    usages[e] = usagesCode;
    used0[e] = firstUsed;
    restAt[e] = restUsed == null ? NONE : storeRest(restUsed);
    fed[e] = fedCode;
    status[e] = (byte) Reservation.Status.RESERVED.ordinal();
    held[e] = true;
    committedMinor[e] = 0;
    size++;
    if (size > heads.length - (heads.length >>> 2)) {
      rehash(heads.length * 2);
    } else {
      int slot = h & (heads.length - 1);
      nextById[e] = heads[slot];
      heads[slot] = e;
    }
    return e;
  }

  private void storeId(int e, String id) {
    int n = id.length();
    boolean latin1 = n <= MAX_COPIED_ID;
    for (int i = 0; latin1 && i < n; i++) {
      latin1 = id.charAt(i) <= 0xFF;
    }
    if (!latin1) {
      longIds.add(id);
      idAt[e] = -longIds.size();
      idLength[e] = n;
      return;
    }
    if (idBytesUsed + n > idBytes.length) {
      long want = Math.max((long) idBytes.length * 2, (long) idBytesUsed + n);
      if (want > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("the in-memory ledger holds as many reservation ids as it can");
      }
      idBytes = Arrays.copyOf(idBytes, (int) want);
    }
    byte[] b = idBytes;
    int at = idBytesUsed;
    for (int i = 0; i < n; i++) {
      b[at + i] = (byte) id.charAt(i);
    }
    idAt[e] = at;
    idLength[e] = n;
    idBytesUsed = at + n;
  }

  private int storeRest(long[] r) {
    if (restUsed + r.length > rest.length) {
      long want = Math.max((long) rest.length * 2, (long) restUsed + r.length);
      if (want > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("the in-memory ledger holds as many reservations as it can");
      }
      rest = Arrays.copyOf(rest, (int) want);
    }
    int at = restUsed;
    System.arraycopy(r, 0, rest, at, r.length);
    restUsed += r.length;
    return at;
  }

  private void grow() {
    if (capacity >= MAX_ENTRIES) {
      throw new IllegalStateException("the in-memory ledger holds as many reservations as it can index");
    }
    int c = capacity * 2;
    hash = Arrays.copyOf(hash, c);
    nextById = Arrays.copyOf(nextById, c);
    idAt = Arrays.copyOf(idAt, c);
    idLength = Arrays.copyOf(idLength, c);
    agent = Arrays.copyOf(agent, c);
    provider = Arrays.copyOf(provider, c);
    run = Arrays.copyOf(run, c);
    step = Arrays.copyOf(step, c);
    description = Arrays.copyOf(description, c);
    amount = Arrays.copyOf(amount, c);
    usages = Arrays.copyOf(usages, c);
    fed = Arrays.copyOf(fed, c);
    amountMinor = Arrays.copyOf(amountMinor, c);
    createdSecond = Arrays.copyOf(createdSecond, c);
    createdNano = Arrays.copyOf(createdNano, c);
    expiresSecond = Arrays.copyOf(expiresSecond, c);
    expiresNano = Arrays.copyOf(expiresNano, c);
    used0 = Arrays.copyOf(used0, c);
    restAt = Arrays.copyOf(restAt, c);
    committedMinor = Arrays.copyOf(committedMinor, c);
    status = Arrays.copyOf(status, c);
    held = Arrays.copyOf(held, c);
    capacity = c;
  }

  private static int[] newHeads(int n) {
    int[] h = new int[n];
    Arrays.fill(h, NONE);
    return h;
  }

  /**
   * Rebuilds the id table with {@code n} slots. Slots are chosen as {@link HashMap}'s are (the hash's
   * low bits): numbered ids ({@code run:step:1}, {@code r-41}) land near one another, so a reserve
   * and its commit find their slot's line of memory warm.
   */
  private void rehash(int n) {
    if (n > MAX_ENTRIES) {
      throw new IllegalStateException("the in-memory ledger holds as many reservations as it can index");
    }
    int[] fresh = newHeads(n);
    int mask = n - 1;
    for (int e = 0; e < size; e++) {
      int slot = hash[e] & mask;
      nextById[e] = fresh[slot];
      fresh[slot] = e;
    }
    heads = fresh;
  }

  // Reading an entry.

  String id(int e) {
    int at = idAt[e];
    return at < 0 ? longIds.get(-1 - at) : new String(idBytes, at, idLength[e], StandardCharsets.ISO_8859_1);
  }

  AgentId agent(int e) {
    return (AgentId) values.get(agent[e]);
  }

  String provider(int e) {
    return (String) values.get(provider[e]);
  }

  @Nullable RunId run(int e) {
    int c = run[e];
    return c == NONE ? null : (RunId) values.get(c);
  }

  @Nullable StepId step(int e) {
    int c = step[e];
    return c == NONE ? null : (StepId) values.get(c);
  }

  String description(int e) {
    return (String) values.get(description[e]);
  }

  Money amount(int e) {
    return (Money) values.get(amount[e]);
  }

  long amountMinor(int e) {
    return amountMinor[e];
  }

  Usages usages(int e) {
    return usageShapes.get(usages[e]);
  }

  long used0(int e) {
    return used0[e];
  }

  /** The uses of the limits after the first (a copy), or null when there is at most one limit. */
  long @Nullable [] rest(int e) {
    int at = restAt[e];
    if (at == NONE) {
      return null;
    }
    int n = usages(e) instanceof Usages.Shape s ? s.labels.length - 1 : 0;
    return Arrays.copyOfRange(rest, at, at + n);
  }

  RunningTotals.Bucket[] fed(int e) {
    return fedSets.get(fed[e]);
  }

  long createdSecond(int e) {
    return createdSecond[e];
  }

  int createdNano(int e) {
    return createdNano[e];
  }

  Instant createdAt(int e) {
    return Instant.ofEpochSecond(createdSecond[e], createdNano[e]);
  }

  Instant expiresAt(int e) {
    return Instant.ofEpochSecond(expiresSecond[e], expiresNano[e]);
  }

  /** Whether entry {@code e}'s expiry is not after {@code now} ({@code second} and {@code nano}). */
  boolean expiredAt(int e, long second, int nano) {
    return second > expiresSecond[e] || (second == expiresSecond[e] && nano >= expiresNano[e]);
  }

  /** Soonest expiry first; among equal expiries, the one made first. */
  int compareExpiry(int a, int b) {
    int c = Long.compare(expiresSecond[a], expiresSecond[b]);
    if (c == 0) {
      c = Integer.compare(expiresNano[a], expiresNano[b]);
    }
    return c != 0 ? c : Integer.compare(a, b);
  }

  /** Entry {@code e}'s creation against {@code second} and {@code nano}: negative when made before. */
  int compareCreated(int e, long second, int nano) {
    int c = Long.compare(createdSecond[e], second);
    return c != 0 ? c : Integer.compare(createdNano[e], nano);
  }

  Reservation.Status status(int e) {
    return STATUSES[status[e]];
  }

  boolean held(int e) {
    return held[e];
  }

  void held(int e, boolean h) {
    held[e] = h;
  }

  /** The amount it counts as held: its reserved amount while held, else nothing. */
  long heldMinor(int e) {
    return held[e] ? amountMinor[e] : 0;
  }

  /** The amount it counts as committed: what was charged once committed, else nothing. */
  long committedMinor(int e) {
    return status[e] == Reservation.Status.COMMITTED.ordinal() ? committedMinor[e] : 0;
  }

  /** Takes {@code settled}'s status and committed amount (its other fields are the entry's). */
  void take(int e, Reservation settled) {
    status[e] = (byte) settled.status().ordinal();
    Money c = settled.committed();
    committedMinor[e] = c == null ? 0 : c.minorUnits();
  }

  /**
   * The reservation entry {@code e} stands for, as it stands; {@code id} is its id when the caller
   * has it (it equals the entry's), null to rebuild it from the copy.
   */
  Reservation view(int e, @Nullable String id) {
    Reservation.Status s = status(e);
    Money a = amount(e);
    Money committed = s == Reservation.Status.COMMITTED ? Money.ofMinor(committedMinor[e], a.currency()) : null;
    return new Reservation(id != null ? id : id(e), agent(e), provider(e), run(e), step(e), a, committed, s,
        createdAt(e), expiresAt(e), usages(e).list(used0[e], rest(e)), description(e));
  }

  /** The last value of one reference field and its code: the dictionary is asked only when it changes. */
  static final class LastCode {
    private @Nullable Object last;
    private int code = NONE;

    int of(EntryColumns columns, @Nullable Object value) {
      if (value == null) {
        return NONE;
      }
      Object l = last;
      if (value == l || value.equals(l)) {
        return code;
      }
      code = columns.code(value);
      last = value;
      return code;
    }
  }
}
