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
 * The in-memory ledger's reservations, each a handle (an int, which is also its order of arrival)
 * to a row of {@code long}s in a slab. Guarded by the ledger's lock.
 *
 * <p><b>Why no object per reservation.</b> A ledger keeps every reservation it made (idempotent
 * repeats, {@code reservation(id)}, the time and run queries), and what the collector does with them
 * is what a busy ledger costs: kept as an object each (round 6: about 180 bytes, the entry and the
 * caller's id string), every reservation was still young at the next collection and was copied, once
 * or twice, which took about half of a busy ledger's time. Here a reservation adds no object: its
 * numbers go to a row of a slab (slabs of 8,192 rows, large enough to be allocated outside the young
 * generation and never copied, and never scanned since they hold no references), its id's characters
 * to a byte array, and its references (agent, provider, run, step, description, amount, the usage's
 * shape, the buckets it feeds) to dictionaries of distinct values, as an int code each: a thousand
 * reservations by one agent keep one {@link AgentId}. A row's fields side by side mean that adding,
 * finding and settling a reservation touch a line or two of memory, where an array per field would
 * touch a line per field.
 *
 * <p>Ids are found through a hash table of chains kept apart from the rows. Each slot holds its
 * chain's first entry and a 32-bit summary of its entries' hashes (one bit per entry, chosen by
 * the whole hash mixed); each entry's link holds its hash and the chain's next entry. A reserve
 * looks for its new id first, and a new id's bit is nearly always missing from its slot's summary
 * (a slot holds one or two ids), so it reads one slot, and no link and no row: simulated on the
 * benchmark's numbered ids, about one new id in thirty walks a chain, where one in three did before
 * (each old entry it met a row read, a miss in the cache). The commit that follows finds its id
 * first in its slot's chain. An id is compared character for character with its copy,
 * never by hash alone, and only when the hashes agree. An id of Latin-1 characters, as
 * generated ids are, is copied one byte per character; any other, or one longer than 256
 * characters, is kept as the string itself in a side list.
 */
final class EntryColumns {
  /** A code for no value (a reservation with no run or no step); also the end of an id chain. */
  static final int NONE = -1;
  private static final Reservation.Status[] STATUSES = Reservation.Status.values();
  /** Longer ids are kept as strings: they are not generated ones, and a byte copy buys nothing. */
  private static final int MAX_COPIED_ID = 256;
  private static final int MAX_ENTRIES = 1 << 30;

  private int size;

  // An entry is STRIDE longs of a slab: its fields side by side, so that adding, finding and settling
  // one touches a line or two of memory rather than a line per field. Slabs hold CHUNK entries each
  // (the first grows to that size): a ledger grows by adding a slab, never by copying its history.
  private static final int STRIDE = 12;
  private static final int CHUNK_SHIFT = 13;
  private static final int CHUNK = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK - 1;
  /** Where the id's bytes start in {@link #idBytes}, or {@code -1 - i} for {@code longIds.get(i)} (high), its length (low). */
  private static final int ID = 0;
  private static final int AGENT_PROVIDER = 1;
  private static final int RUN_STEP = 2;
  private static final int DESCRIPTION_AMOUNT = 3;
  private static final int USAGES_FED = 4;
  private static final int AMOUNT_MINOR = 5;
  private static final int CREATED_SECOND = 6;
  private static final int EXPIRES_SECOND = 7;
  /** The creation's nanoseconds (high half) and the expiry's (low half). */
  private static final int NANOS = 8;
  private static final int USED0 = 9;
  private static final int COMMITTED_MINOR = 10;
  /**
   * Where the uses of the limits after the first start in {@link #rest}, or {@link #NONE} (high
   * half); the status's ordinal (bits 1 to 8) and whether its amount is held (bit 0). Held: counted
   * as held in the totals, from the reserve until it is committed, released, or reaped at its
   * expiry (the ledger's clock decides expiry once; a clock set back later does not make a reaped
   * reservation count again).
   */
  private static final int REST_STATE = 11;

  private long[][] slabs = {new long[16 * STRIDE]};

  private byte[] idBytes = new byte[256];
  private int idBytesUsed;
  private final List<String> longIds = new ArrayList<>();
  /**
   * The id table: per slot, the summary of its chain's hashes (high half: the {@link #bit} of each)
   * and its first entry (low half, {@link #NONE} when empty). It holds at most one id per slot on
   * average: a new id is found absent from the summary whatever its slot's chain, so a fuller table
   * costs a new id little (simulated on numbered ids: one in thirty to forty walks a chain, against
   * one in fifty half full), and it takes half the memory.
   */
  private long[] heads = newHeads(16);
  /**
   * Per entry, its hash (high half) and the next entry of its chain (low half, {@link #NONE} at
   * the chain's end). Apart from the rows (8 bytes an entry, where a row is 96): walking a chain, and
   * rebuilding the table, touch this small array, not rows scattered over the slabs.
   */
  private long[] links = new long[16];
  private long[] rest = new long[16];
  private int restUsed;

  /** Distinct values of the reference fields, each once, by code. */
  private final List<Object> values = new ArrayList<>();
  private final Map<Object, Integer> codes = new HashMap<>();
  private final List<Usages> usageShapes = new ArrayList<>();
  private final List<RunningTotals.Fed> fedSets = new ArrayList<>();

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

  int addFed(RunningTotals.Fed buckets) {
    fedSets.add(buckets);
    return fedSets.size() - 1;
  }

  /**
   * The bit a hash sets in its slot's summary: the top five bits of the hash multiplied by an odd
   * constant, so that they depend on every bit of it. Not the hash's own top bits: ids sharing a
   * slot share the low bits, and numbered ids ({@code r-41}, {@code r-42}) nearly all the high ones.
   */
  private static int bit(int h) {
    return 1 << ((h * 0x9E3779B9) >>> 27);
  }

  /** An empty slot: no hash summarised, no entry. */
  private static final long EMPTY = pair(0, NONE);

  /** A string's hash as the id table uses it: the high bits folded into the low ones its mask keeps. */
  static int spread(int h) {
    return h ^ (h >>> 16);
  }

  private static int high(long v) {
    return (int) (v >> 32);
  }

  private static int low(long v) {
    return (int) v;
  }

  private static long pair(int high, int low) {
    return ((long) high << 32) | (low & 0xFFFFFFFFL);
  }

  private static int at(int e, int field) {
    return (e & CHUNK_MASK) * STRIDE + field;
  }

  private long get(int e, int field) {
    return slabs[e >>> CHUNK_SHIFT][(e & CHUNK_MASK) * STRIDE + field];
  }

  private void set(int e, int field, long v) {
    slabs[e >>> CHUNK_SHIFT][(e & CHUNK_MASK) * STRIDE + field] = v;
  }

  /** The entry whose id is {@code id} ({@code h} its {@link #spread spread} hash), or {@link #NONE}. */
  int find(String id, int h) {
    long head = heads[h & (heads.length - 1)];
    if ((high(head) & bit(h)) == 0) {
      return NONE; // no id of the slot has this bit: a new id's usual answer, from the slot alone
    }
    long[] next = links;
    for (int e = low(head); e != NONE; ) {
      long l = next[e];
      // the row is read only when the hashes agree
      if (high(l) == h && idEquals(get(e, ID), id)) {
        return e;
      }
      e = low(l);
    }
    return NONE;
  }

  /** Whether entry {@code e}'s id is {@code id}, read without making a string of it. */
  boolean idIs(int e, String id) {
    return idEquals(get(e, ID), id);
  }

  private boolean idEquals(long idField, String id) {
    int at = high(idField);
    if (at < 0) {
      return longIds.get(-1 - at).equals(id);
    }
    int n = low(idField);
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
    int e = size;
    if (e >= MAX_ENTRIES) {
      throw new IllegalStateException("the in-memory ledger holds as many reservations as it can index");
    }
    long[] s = slabFor(e);
    int o = at(e, 0);
    s[o + ID] = storeId(id);
    s[o + AGENT_PROVIDER] = pair(agentCode, providerCode);
    s[o + RUN_STEP] = pair(runCode, stepCode);
    s[o + DESCRIPTION_AMOUNT] = pair(descriptionCode, amountCode);
    s[o + USAGES_FED] = pair(usagesCode, fedCode);
    s[o + AMOUNT_MINOR] = amountMinorUnits;
    s[o + CREATED_SECOND] = createdAt.getEpochSecond();
    s[o + EXPIRES_SECOND] = expiresAt.getEpochSecond();
    s[o + NANOS] = pair(createdAt.getNano(), expiresAt.getNano());
    s[o + USED0] = firstUsed;
    s[o + COMMITTED_MINOR] = 0;
    s[o + REST_STATE] = pair(restUsed == null ? NONE : storeRest(restUsed), state(Reservation.Status.RESERVED, true));
    if (e == links.length) {
      links = Arrays.copyOf(links, e * 2);
    }
    size++;
    int slot = h & (heads.length - 1);
    long head = heads[slot];
    links[e] = pair(h, low(head));
    heads[slot] = pair(high(head) | bit(h), e);
    if (size > heads.length) {
      rehash(heads.length * 2);
    }
    return e;
  }

  /** The slab entry {@code e} goes in, added or grown if needed. */
  private long[] slabFor(int e) {
    int chunk = e >>> CHUNK_SHIFT;
    if (chunk == slabs.length) {
      slabs = Arrays.copyOf(slabs, chunk + 1);
      slabs[chunk] = new long[CHUNK * STRIDE];
    }
    long[] s = slabs[chunk];
    int need = ((e & CHUNK_MASK) + 1) * STRIDE;
    if (s.length < need) {
      // only the first slab grows, doubling up to a full one: a small ledger stays small
      s = Arrays.copyOf(s, Math.min(s.length * 2, CHUNK * STRIDE));
      slabs[chunk] = s;
    }
    return s;
  }

  private static int state(Reservation.Status status, boolean held) {
    return (status.ordinal() << 1) | (held ? 1 : 0);
  }

  /** Copies {@code id} and says where: the {@link #ID} field. */
  private long storeId(String id) {
    int n = id.length();
    if (n <= MAX_COPIED_ID) {
      if (idBytesUsed + n > idBytes.length) {
        long want = Math.max((long) idBytes.length * 2, (long) idBytesUsed + n);
        if (want > Integer.MAX_VALUE - 16) {
          throw new IllegalStateException("the in-memory ledger holds as many reservation ids as it can");
        }
        idBytes = Arrays.copyOf(idBytes, (int) want);
      }
      byte[] b = idBytes;
      int at = idBytesUsed;
      // Copied, then checked: a loop without an early exit is a tight one. A character beyond Latin-1
      // abandons the copy (the bytes are not counted as used).
      int any = 0;
      for (int i = 0; i < n; i++) {
        char ch = id.charAt(i);
        b[at + i] = (byte) ch;
        any |= ch;
      }
      if (any <= 0xFF) {
        idBytesUsed = at + n;
        return pair(at, n);
      }
    }
    longIds.add(id);
    return pair(-longIds.size(), n);
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

  private static long[] newHeads(int n) {
    long[] h = new long[n];
    Arrays.fill(h, EMPTY);
    return h;
  }

  /**
   * Rebuilds the id table with {@code n} slots. Slots are chosen as {@link HashMap}'s are (the
   * hash's low bits): numbered ids ({@code run:step:1}, {@code r-41}) land near one another, so a
   * reserve and its commit find their slot's line of memory warm.
   */
  private void rehash(int n) {
    if (n > MAX_ENTRIES) {
      throw new IllegalStateException("the in-memory ledger holds as many reservations as it can index");
    }
    long[] fresh = newHeads(n);
    int mask = n - 1;
    long[] next = links;
    // Each entry's link says its hash: the table is rebuilt from the links alone, in order, reading no row.
    for (int e = 0; e < size; e++) {
      int h = high(next[e]);
      int slot = h & mask;
      long head = fresh[slot];
      next[e] = pair(h, low(head));
      fresh[slot] = pair(high(head) | bit(h), e);
    }
    heads = fresh;
  }

  // Reading an entry.

  String id(int e) {
    long f = get(e, ID);
    int at = high(f);
    return at < 0 ? longIds.get(-1 - at) : new String(idBytes, at, low(f), StandardCharsets.ISO_8859_1);
  }

  AgentId agent(int e) {
    return (AgentId) values.get(high(get(e, AGENT_PROVIDER)));
  }

  String provider(int e) {
    return (String) values.get(low(get(e, AGENT_PROVIDER)));
  }

  @Nullable RunId run(int e) {
    int c = high(get(e, RUN_STEP));
    return c == NONE ? null : (RunId) values.get(c);
  }

  @Nullable StepId step(int e) {
    int c = low(get(e, RUN_STEP));
    return c == NONE ? null : (StepId) values.get(c);
  }

  String description(int e) {
    return (String) values.get(high(get(e, DESCRIPTION_AMOUNT)));
  }

  Money amount(int e) {
    return (Money) values.get(low(get(e, DESCRIPTION_AMOUNT)));
  }

  long used0(int e) {
    return get(e, USED0);
  }

  long amountMinor(int e) {
    return get(e, AMOUNT_MINOR);
  }

  Usages usages(int e) {
    return usageShapes.get(high(get(e, USAGES_FED)));
  }

  /** The uses of the limits after the first (a copy), or null when there is at most one limit. */
  long @Nullable [] rest(int e) {
    int at = high(get(e, REST_STATE));
    if (at == NONE) {
      return null;
    }
    int n = usages(e) instanceof Usages.Shape s ? s.labels.length - 1 : 0;
    return Arrays.copyOfRange(rest, at, at + n);
  }

  RunningTotals.Fed fed(int e) {
    return fedSets.get(low(get(e, USAGES_FED)));
  }

  long createdSecond(int e) {
    return get(e, CREATED_SECOND);
  }

  int createdNano(int e) {
    return high(get(e, NANOS));
  }

  Instant createdAt(int e) {
    return Instant.ofEpochSecond(get(e, CREATED_SECOND), high(get(e, NANOS)));
  }

  Instant expiresAt(int e) {
    return Instant.ofEpochSecond(get(e, EXPIRES_SECOND), low(get(e, NANOS)));
  }

  long expiresSecond(int e) {
    return get(e, EXPIRES_SECOND);
  }

  int expiresNano(int e) {
    return low(get(e, NANOS));
  }

  /** Soonest expiry first; among equal expiries, the one made first. */
  int compareExpiry(int a, int b) {
    int c = Long.compare(get(a, EXPIRES_SECOND), get(b, EXPIRES_SECOND));
    if (c == 0) {
      c = Integer.compare(low(get(a, NANOS)), low(get(b, NANOS)));
    }
    return c != 0 ? c : Integer.compare(a, b);
  }

  /** Entry {@code e}'s creation against {@code second} and {@code nano}: negative when made before. */
  int compareCreated(int e, long second, int nano) {
    int c = Long.compare(get(e, CREATED_SECOND), second);
    return c != 0 ? c : Integer.compare(high(get(e, NANOS)), nano);
  }

  Reservation.Status status(int e) {
    return STATUSES[(low(get(e, REST_STATE)) >>> 1) & 0xFF];
  }

  /** Whether its amount is counted as held in the totals (see {@link #REST_STATE}). */
  boolean held(int e) {
    return (get(e, REST_STATE) & 1) != 0;
  }

  void held(int e, boolean h) {
    long v = get(e, REST_STATE);
    set(e, REST_STATE, h ? v | 1 : v & ~1L);
  }

  /** The amount it counts as held: its reserved amount while held, else nothing. */
  long heldMinor(int e) {
    return held(e) ? get(e, AMOUNT_MINOR) : 0;
  }

  /** The amount it counts as committed: what was charged once committed, else nothing. */
  long committedMinor(int e) {
    return status(e) == Reservation.Status.COMMITTED ? get(e, COMMITTED_MINOR) : 0;
  }

  /** Takes {@code settled}'s status and committed amount (its other fields are the entry's). */
  void take(int e, Reservation settled) {
    Money c = settled.committed();
    take(e, settled.status(), c == null ? 0 : c.minorUnits());
  }

  /** Takes {@code status} and {@code committed} (minor units; meaningful once committed). */
  void take(int e, Reservation.Status status, long committed) {
    long v = get(e, REST_STATE);
    set(e, REST_STATE, pair(high(v), state(status, (v & 1) != 0)));
    set(e, COMMITTED_MINOR, committed);
  }

  /**
   * The reservation entry {@code e} stands for, as it stands; {@code id} is its id when the caller
   * has it (it equals the entry's), null to rebuild it from the copy.
   */
  Reservation view(int e, @Nullable String id) {
    Reservation.Status s = status(e);
    Money a = amount(e);
    Money committed = s == Reservation.Status.COMMITTED ? Money.ofMinor(get(e, COMMITTED_MINOR), a.currency()) : null;
    return view(e, id, s, committed);
  }

  /** The same, with its status and committed amount given. */
  Reservation view(int e, @Nullable String id, Reservation.Status s, @Nullable Money committed) {
    return new Reservation(id != null ? id : id(e), agent(e), provider(e), run(e), step(e), amount(e), committed, s,
        createdAt(e), expiresAt(e), usages(e).list(get(e, USED0), rest(e)), description(e));
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
