package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The one serialized form of audit entries, which every store and export uses so that logs verify
 * wherever they are read.
 *
 * <p>An entry's <em>body</em> is the canonical JSON (keys sorted, no whitespace, see
 * {@link Json#canonical}) of every field but the hash: the record's fields, {@code seq},
 * {@code prev} and, in a keyed chain, {@code kid}. The hash is computed over exactly those bytes,
 * and the stored line is the body with the hash added as its last member:
 * <pre>{@code {"action":"spend.commit",...,"time":"2026-11-02T09:00:00Z","hash":"<64 hex>"}}</pre>
 * so every byte of a line but the hash itself is covered by it, and a checker can find the hash at a
 * fixed distance from the end without parsing. A line with a field the codec does not write, or
 * that is not byte for byte what the codec would write for the entry it parses to, is not an entry.
 */
public final class AuditCodec {
  /** Where the hash member starts, counted back from the end of a line: {@code ,"hash":"} + 64 hex + {@code "}}. */
  public static final int TRAILER_LENGTH = 75;
  static final String TRAILER_START = ",\"hash\":\"";
  /** The fields a line may hold. */
  static final Set<String> FIELDS = Set.of("action", "agent", "amount", "approver", "details", "idempotency_key",
      "kid", "outcome", "prev", "principal", "run", "seq", "step", "time", "hash");

  private static final java.util.regex.Pattern HASH = java.util.regex.Pattern.compile("[0-9a-f]{64}");

  private AuditCodec() {}

  /**
   * The canonical JSON of an entry without its hash: the bytes the chain hashes (or signs).
   *
   * <p>Written member by member in the canonical order (the members' names sorted, as
   * {@link Json#canonical} sorts them; the record's details are already sorted by key), without the
   * map and the sort {@link Json#canonical} would build: every entry is hashed when appended and
   * again when verified, so this is on the path of every audited step. It gives exactly the text of
   * {@link #genericBody}, which it falls back to for anything unusual (a detail that is not text).
   */
  public static String body(long sequence, String previousHash, @Nullable String keyId, AuditRecord r) {
    if (!plainDetails(r)) {
      return genericBody(sequence, previousHash, keyId, r);
    }
    StringBuilder sb = builder();
    writeBody(sb, previousHash, sequence, keyId, r, null);
    return sb.toString();
  }

  /**
   * A builder per thread for the bodies: every entry is written when appended and again when
   * verified, and a builder made each time grew (copying) past its first size for most entries.
   */
  private static final ThreadLocal<StringBuilder> BUILDER = ThreadLocal.withInitial(() -> new StringBuilder(1024));

  /** Past this a builder is not kept: one unusually long entry does not hold its buffer for the thread's life. */
  private static final int KEPT_CAPACITY = 16 * 1024;

  /** The calling thread's builder, emptied; nothing that writes a body calls back into this class, so it is never in use twice. */
  private static StringBuilder builder() {
    StringBuilder sb = BUILDER.get();
    if (sb.capacity() > KEPT_CAPACITY) {
      sb = new StringBuilder(1024);
      BUILDER.set(sb);
    }
    sb.setLength(0);
    return sb;
  }

  private static boolean plainDetails(AuditRecord r) {
    for (Object v : r.details().values()) {
      if (v != null && !(v instanceof String)) {
        return false;
      }
    }
    return true;
  }

  /**
   * An entry's body before its place in the chain is known, as UTF-8 ({@code bytes}) with the previous
   * entry's hash and the sequence number left out: the hash goes at {@code prevAt} (between
   * {@code prev}'s quotes), the number at {@code seqAt} (after {@code "seq":}). The in-memory log
   * encodes a record into these once, before it knows the record's place; then only the hash is
   * repeated when another append takes that place first; see {@link ChainHasher#hash(Unplaced, String, long)}.
   * One array, not one per part: a part each cost a copy of the text and of its bytes per entry.
   */
  public record Unplaced(byte[] bytes, int prevAt, int seqAt) {}

  /**
   * The body of a plain entry (no key id) for {@code r} without the previous hash and the sequence
   * number, marked where they go, or null when the record holds something unusual (a detail that is not text),
   * whose body {@link #body} writes the generic way.
   */
  public static @Nullable Unplaced unplaced(AuditRecord r) {
    if (!plainDetails(r)) {
      return null;
    }
    StringBuilder sb = builder();
    int[] marks = new int[2];
    writeBody(sb, null, 0, null, r, marks);
    String s = sb.toString();
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length == s.length()) {
      return new Unplaced(bytes, marks[0], marks[1]); // one byte per character: the marks are byte offsets too
    }
    // the marks sit at ASCII characters, so the text before each encodes on its own as it does in the whole
    int prevAt = s.substring(0, marks[0]).getBytes(StandardCharsets.UTF_8).length;
    int seqAt = prevAt + s.substring(marks[0], marks[1]).getBytes(StandardCharsets.UTF_8).length;
    return new Unplaced(bytes, prevAt, seqAt);
  }

  /**
   * Writes the body member by member; with {@code marks}, leaves out the previous hash's digits and the
   * sequence number and notes where they go ({@code marks[0]} between {@code prev}'s quotes,
   * {@code marks[1]} after {@code "seq":}).
   */
  private static void writeBody(StringBuilder sb, @Nullable String previousHash, long sequence,
      @Nullable String keyId, AuditRecord r, int @Nullable [] marks) {
    sb.append("{\"action\":");
    text(sb, r.action());
    member(sb, ",\"agent\":", r.agent() == null ? null : r.agent().value());
    member(sb, ",\"amount\":", r.amount() == null ? null : r.amount().toString());
    member(sb, ",\"approver\":", r.approver());
    sb.append(",\"details\":{");
    boolean first = true;
    for (Map.Entry<String, String> d : r.details().entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      Json.quote(sb, d.getKey());
      sb.append(':');
      text(sb, d.getValue());
    }
    sb.append('}');
    member(sb, ",\"idempotency_key\":", r.idempotencyKey());
    member(sb, ",\"kid\":", keyId);
    sb.append(",\"outcome\":");
    text(sb, r.outcome());
    sb.append(",\"prev\":");
    if (marks == null) {
      text(sb, previousHash);
    } else {
      sb.append('"');
      marks[0] = sb.length();
      sb.append('"');
    }
    member(sb, ",\"principal\":", r.principal());
    member(sb, ",\"run\":", r.run() == null ? null : r.run().value());
    sb.append(",\"seq\":");
    if (marks == null) {
      sb.append(sequence);
    } else {
      marks[1] = sb.length();
    }
    member(sb, ",\"step\":", r.step() == null ? null : r.step().value());
    sb.append(",\"time\":\"");
    Instants.appendIso(sb, r.time());
    sb.append("\"}");
  }

  /** An optional member: left out when absent, as {@link #genericBody} leaves it out. */
  private static void member(StringBuilder sb, String nameAndColon, @Nullable String value) {
    if (value != null) {
      sb.append(nameAndColon);
      Json.quote(sb, value);
    }
  }

  /** A string value, or {@code null} as {@link Json#canonical} writes one. */
  private static void text(StringBuilder sb, @Nullable String value) {
    if (value == null) {
      sb.append("null");
    } else {
      Json.quote(sb, value);
    }
  }

  /**
   * The body by way of a map and {@link Json#canonical}: the definition {@link #body} must match
   * byte for byte (its tests compare the two).
   */
  static String genericBody(long sequence, String previousHash, @Nullable String keyId, AuditRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", r.time().toString());
    putIf(m, "run", r.run() == null ? null : r.run().value());
    putIf(m, "step", r.step() == null ? null : r.step().value());
    m.put("action", r.action());
    putIf(m, "agent", r.agent() == null ? null : r.agent().value());
    putIf(m, "principal", r.principal());
    putIf(m, "approver", r.approver());
    putIf(m, "amount", r.amount() == null ? null : r.amount().toString());
    m.put("outcome", r.outcome());
    putIf(m, "idempotency_key", r.idempotencyKey());
    m.put("details", r.details());
    m.put("seq", sequence);
    m.put("prev", previousHash);
    putIf(m, "kid", keyId);
    return Json.canonical(m);
  }

  private static void putIf(Map<String, Object> m, String k, @Nullable Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  /** One JSON line (without newline) holding the entry: its body with the hash as last member. */
  public static String toLine(AuditEntry e) {
    return line(body(e.sequence(), e.previousHash(), e.keyId(), e.record()), e.hash());
  }

  /** The stored line of an entry whose body and hash are known. */
  static String line(String body, String hash) {
    return body.substring(0, body.length() - 1) + TRAILER_START + hash + "\"}";
  }

  /**
   * Writes the stored line of an entry whose body (as UTF-8) and hash are known, and its newline,
   * to {@code out}: the bytes of {@link #line} and {@code '\n'}, without making the line as text
   * first (a commit writes its lines as bytes).
   */
  static void writeLine(ByteArrayOutputStream out, byte[] body, String hash) {
    out.write(body, 0, body.length - 1);
    out.writeBytes(TRAILER_START_BYTES);
    for (int i = 0; i < hash.length(); i++) {
      out.write(hash.charAt(i)); // 64 hex digits: one byte each
    }
    out.write('"');
    out.write('}');
    out.write('\n');
  }

  private static final byte[] TRAILER_START_BYTES = TRAILER_START.getBytes(StandardCharsets.US_ASCII);

  /**
   * Reads a line written by {@link #toLine}, strictly: every field must be one the codec writes,
   * and the line must be exactly what {@link #toLine} writes for the entry it reads as (so the
   * entry a reader sees is the one whose bytes were hashed). It does not check the hash.
   *
   * @throws IllegalArgumentException when the line is not such an entry
   */
  public static AuditEntry fromLine(String line) {
    if (isEarlierFormat(line)) {
      throw new IllegalArgumentException(EARLIER_FORMAT);
    }
    Map<String, Object> m = Json.parseObject(line);
    for (String k : m.keySet()) {
      if (!FIELDS.contains(k)) {
        throw new IllegalArgumentException("it has a field no audit entry has: '" + k + "'");
      }
    }
    Map<String, String> details = new LinkedHashMap<>();
    for (Map.Entry<String, Object> d : Json.object(m, "details").entrySet()) {
      if (!(d.getValue() instanceof String s)) {
        throw new IllegalArgumentException("detail '" + d.getKey() + "' is not a string");
      }
      details.put(d.getKey(), s);
    }
    String time = req(m, "time");
    String run = str(m, "run");
    String step = str(m, "step");
    String agent = str(m, "agent");
    String amount = str(m, "amount");
    AuditRecord r;
    try {
      r = new AuditRecord(Instant.parse(time), run == null ? null : RunId.of(run),
          step == null ? null : StepId.of(step), req(m, "action"), agent == null ? null : AgentId.of(agent),
          str(m, "principal"), str(m, "approver"), amount == null ? null : Money.parse(amount),
          req(m, "outcome"), str(m, "idempotency_key"), details);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("a field does not hold a valid value (" + e.getMessage() + ")", e);
    }
    if (!(m.get("seq") instanceof Long seq)) {
      throw new IllegalArgumentException("it has no whole-number seq");
    }
    String prev = req(m, "prev");
    String hash = req(m, "hash");
    if (!HASH.matcher(prev).matches() || !HASH.matcher(hash).matches()) {
      throw new IllegalArgumentException("its prev or hash is not 64 lowercase hex digits");
    }
    AuditEntry e = new AuditEntry(seq, r, prev, hash, str(m, "kid"));
    if (!toLine(e).equals(line)) {
      throw new IllegalArgumentException("it is not in the one form the log writes (a field re-encoded, reordered "
          + "or repeated, or whitespace added)");
    }
    return e;
  }

  static final String EARLIER_FORMAT = "it was written by an earlier version of agentprovision, whose hash does not "
      + "cover every field of a line";

  /** Whether the line looks like the earlier format, whose {@code hash} sat among the sorted fields. */
  static boolean isEarlierFormat(String line) {
    int at = line.indexOf(TRAILER_START.substring(1));
    return at > 0 && line.length() >= TRAILER_LENGTH && at != line.length() - TRAILER_LENGTH + 1
        && line.startsWith("{\"action\":");
  }

  private static @Nullable String str(Map<String, Object> m, String k) {
    Object v = m.get(k);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("field '" + k + "' is not a string");
    }
    return s;
  }

  private static String req(Map<String, Object> m, String k) {
    String v = str(m, k);
    if (v == null) {
      throw new IllegalArgumentException("it has no " + k);
    }
    return v;
  }
}
