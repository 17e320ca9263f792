package io.agentprovision.core.internal.journal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@link RunJournal} in a directory: one JSON file per run, holding the run record and its steps
 * in the order they were first saved. Every save reads the run's file, applies the version check
 * of {@link RunJournal} and replaces the file atomically (temporary file, then
 * {@code ATOMIC_MOVE}), under a lock on {@code .journal.lock} in the directory that holds across
 * the threads of this JVM and across processes. Reads go to the files, so a journal opened again
 * after a crash, or by another process, sees every run saved before.
 *
 * <p>A run's file also holds its parked approvals ({@link ApprovalRecord}); leases live in
 * {@code .leases.json} beside the run files, replaced the same way under the same lock, so that
 * renewing a lease never rewrites a run's file.
 *
 * <p>File names are the run id with characters outside {@code [A-Za-z0-9._-]} replaced, followed
 * by a hash of the id, so that ids differing only in case or in replaced characters never share a
 * file, on any file system. The files hold no secrets (see {@link RunRecord} and {@link StepRecord}).
 */
public final class FileRunJournal implements RunJournal {
  private static final String FORMAT = "agentprovision-run";
  /** 2: a step's output is one JSON document, with typed reservations and checkpoint decisions beside it. */
  private static final long VERSION = 2;
  private static final String SUFFIX = ".json";

  private static final String LEASES_FORMAT = "agentprovision-leases";

  private final Path dir;
  private final Path lockFile;
  private final Path leaseFile;

  private FileRunJournal(Path dir) {
    this.dir = dir;
    this.lockFile = dir.resolve(".journal.lock");
    this.leaseFile = dir.resolve(".leases.json");
  }

  /** Opens the journal in {@code dir}, creating the directory when missing. */
  public static FileRunJournal open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path d = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(d);
    } catch (IOException e) {
      throw new AgentProvisionException("cannot create the run journal directory " + d + ": " + e, e);
    }
    return new FileRunJournal(d);
  }

  /** The journal directory. */
  public Path directory() {
    return dir;
  }

  /** The file that holds {@code run}. */
  public Path fileOf(RunId run) {
    String readable = run.value().replaceAll("[^A-Za-z0-9._-]", "_");
    if (readable.length() > 64) {
      readable = readable.substring(0, 64);
    }
    return dir.resolve(readable + "--" + HexFormat.of().formatHex(Digests.sha256(run.value()), 0, 8) + SUFFIX);
  }

  @Override
  public boolean saveRun(RunRecord record) {
    Objects.requireNonNull(record, "record");
    return update(record.id(), doc -> {
      if (!Versions.follows(doc.run == null ? null : doc.run.version(), record.version())) {
        return false;
      }
      doc.run = record;
      return true;
    });
  }

  @Override
  public Optional<RunRecord> run(RunId id) {
    Objects.requireNonNull(id, "id");
    Doc doc = read(fileOf(id));
    return Optional.ofNullable(doc == null ? null : doc.run);
  }

  @Override
  public List<RunRecord> runs(RunStatus... statuses) {
    Set<RunStatus> wanted = Set.of(statuses);
    List<RunRecord> out = new ArrayList<>();
    for (Doc doc : docs()) {
      if (doc.run != null && (wanted.isEmpty() || wanted.contains(doc.run.status()))) {
        out.add(doc.run);
      }
    }
    out.sort(Comparator.comparing(RunRecord::createdAt).thenComparing(RunRecord::id));
    return out;
  }

  @Override
  public boolean saveStep(StepRecord record) {
    Objects.requireNonNull(record, "record");
    return update(record.run(), doc -> {
      StepRecord current = doc.steps.get(record.step());
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return false;
      }
      doc.steps.put(record.step(), record);
      return true;
    });
  }

  @Override
  public Optional<StepRecord> step(RunId run, StepId step) {
    Objects.requireNonNull(step, "step");
    Doc doc = read(fileOf(Objects.requireNonNull(run, "run")));
    return Optional.ofNullable(doc == null ? null : doc.steps.get(step));
  }

  @Override
  public List<StepRecord> steps(RunId run) {
    Doc doc = read(fileOf(Objects.requireNonNull(run, "run")));
    return doc == null ? List.of() : List.copyOf(doc.steps.values());
  }

  @Override
  public Optional<Lease> acquireLease(String name, String owner, Instant now, Instant until) {
    return changeLease(name, slot -> Leases.acquire(slot, name, owner, now, until));
  }

  @Override
  public Optional<Lease> renewLease(Lease held, Instant until) {
    Objects.requireNonNull(until, "until");
    return changeLease(held.name(), slot -> Leases.renew(slot, held, until));
  }

  @Override
  public boolean releaseLease(Lease held) {
    return changeLease(held.name(), slot -> Leases.release(slot, held)).isPresent();
  }

  @Override
  public Optional<Lease> lease(String name) {
    Objects.requireNonNull(name, "name");
    Leases.Slot slot = readLeases().get(name);
    return Optional.ofNullable(slot == null ? null : slot.lease());
  }

  private Optional<Lease> changeLease(String name, java.util.function.Function<Leases.@Nullable Slot, Leases.Change> op) {
    Objects.requireNonNull(name, "name");
    try {
      return AtomicFiles.withLock(lockFile, ch -> {
        Map<String, Leases.Slot> all = readLeases();
        Leases.Change change = op.apply(all.get(name));
        Leases.Slot store = change.store();
        if (store != null) {
          all.put(name, store);
          AtomicFiles.replace(leaseFile, writeLeases(all));
        }
        return change.answer();
      });
    } catch (IOException e) {
      throw new AgentProvisionException("cannot write the lease file " + leaseFile + ": " + e, e);
    }
  }

  private Map<String, Leases.Slot> readLeases() {
    String text;
    try {
      text = Files.readString(leaseFile, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return new LinkedHashMap<>();
    } catch (IOException e) {
      throw new AgentProvisionException("cannot read the lease file " + leaseFile + ": " + e, e);
    }
    try {
      Map<String, Object> m = Json.parseObject(text);
      if (!LEASES_FORMAT.equals(m.get("format"))) {
        throw new IllegalArgumentException("it is not a lease file");
      }
      Map<String, Leases.Slot> out = new LinkedHashMap<>();
      for (Object o : Json.list(m, "leases")) {
        if (!(o instanceof Map<?, ?> raw)) {
          throw new IllegalArgumentException("a lease is not an object");
        }
        Map<String, Object> l = cast(raw);
        String name = required(l, "name");
        String owner = Json.string(l, "owner");
        String expires = Json.string(l, "expires_at");
        long token = number(l, "token");
        Lease lease = owner == null || expires == null ? null : new Lease(name, owner, token, Instant.parse(expires));
        out.put(name, new Leases.Slot(lease, token));
      }
      return out;
    } catch (RuntimeException e) {
      throw new AgentProvisionException("the lease file " + leaseFile + " is unreadable: " + e.getMessage()
          + "; delete it when no host runs (every run's lease is then free)", e);
    }
  }

  private static byte[] writeLeases(Map<String, Leases.Slot> all) {
    List<Object> leases = new ArrayList<>();
    all.forEach((name, slot) -> {
      Map<String, Object> l = new LinkedHashMap<>();
      Lease lease = slot.lease();
      l.put("name", name);
      l.put("owner", lease == null ? null : lease.owner());
      l.put("token", slot.lastToken());
      l.put("expires_at", lease == null ? null : lease.expiresAt().toString());
      leases.add(l);
    });
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", LEASES_FORMAT);
    m.put("leases", leases);
    return (Json.moshi().adapter(Object.class).serializeNulls().indent("  ").toJson(m) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean saveApproval(ApprovalRecord record) {
    Objects.requireNonNull(record, "record");
    return update(record.run(), doc -> {
      ApprovalRecord current = doc.approvals.get(record.id());
      if (current == null && record.version() == 0 && find(record.id()) != null) {
        return false; // the id is taken by another run's approval
      }
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return false;
      }
      doc.approvals.put(record.id(), record);
      return true;
    });
  }

  @Override
  public Optional<ApprovalRecord> approval(String id) {
    return Optional.ofNullable(find(Objects.requireNonNull(id, "id")));
  }

  private @Nullable ApprovalRecord find(String id) {
    for (Doc doc : docs()) {
      ApprovalRecord a = doc.approvals.get(id);
      if (a != null) {
        return a;
      }
    }
    return null;
  }

  @Override
  public List<ApprovalRecord> approvalsOf(RunId run) {
    Doc doc = read(fileOf(Objects.requireNonNull(run, "run")));
    List<ApprovalRecord> out = doc == null ? new ArrayList<>() : new ArrayList<>(doc.approvals.values());
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }

  @Override
  public List<ApprovalRecord> approvals(ApprovalRecord.Status... statuses) {
    Set<ApprovalRecord.Status> wanted = Set.of(statuses);
    List<ApprovalRecord> out = new ArrayList<>();
    for (Doc doc : docs()) {
      for (ApprovalRecord a : doc.approvals.values()) {
        if (wanted.isEmpty() || wanted.contains(a.status())) {
          out.add(a);
        }
      }
    }
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }

  /** Every run file in the directory, read. */
  private List<Doc> docs() {
    List<Doc> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        if (f.getFileName().toString().startsWith(".")) {
          continue; // a temporary file left by a crash, or the lease file
        }
        Doc doc = read(f);
        if (doc != null) {
          out.add(doc);
        }
      }
    } catch (IOException e) {
      throw new AgentProvisionException("cannot list the run journal " + dir + ": " + e, e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "FileRunJournal{" + dir + "}";
  }

  // ---------------------------------------------------------------------------------------------

  /** One run's file. */
  private static final class Doc {
    final RunId id;
    @Nullable RunRecord run;
    final LinkedHashMap<StepId, StepRecord> steps = new LinkedHashMap<>();
    final LinkedHashMap<String, ApprovalRecord> approvals = new LinkedHashMap<>();

    Doc(RunId id) {
      this.id = id;
    }
  }

  private interface Change {
    /** Applies the change to {@code doc}; returns false to store nothing. */
    boolean apply(Doc doc);
  }

  private boolean update(RunId id, Change change) {
    Path f = fileOf(id);
    try {
      return AtomicFiles.withLock(lockFile, ch -> {
        Doc doc = read(f);
        if (doc == null) {
          doc = new Doc(id);
        }
        if (!change.apply(doc)) {
          return false;
        }
        AtomicFiles.replace(f, write(doc));
        return true;
      });
    } catch (IOException e) {
      throw new AgentProvisionException("cannot write the run journal file " + f + ": " + e, e);
    }
  }

  private static byte[] write(Doc doc) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("version", VERSION);
    m.put("run_id", doc.id.value());
    m.put("run", doc.run == null ? null : runMap(doc.run));
    List<Object> steps = new ArrayList<>();
    for (StepRecord s : doc.steps.values()) {
      steps.add(stepMap(s));
    }
    m.put("steps", steps);
    List<Object> approvals = new ArrayList<>();
    for (ApprovalRecord a : doc.approvals.values()) {
      approvals.add(approvalMap(a));
    }
    m.put("approvals", approvals);
    // indented, because people read these files when a run needs looking into
    return (Json.moshi().adapter(Object.class).serializeNulls().indent("  ").toJson(m) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, Object> runMap(RunRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id().value());
    m.put("agent", r.agent().value());
    m.put("provider", r.provider());
    m.put("status", r.status().name());
    m.put("request", r.request());
    m.put("created_at", r.createdAt().toString());
    m.put("updated_at", r.updatedAt().toString());
    m.put("error", r.error());
    m.put("version", r.version());
    return m;
  }

  private static Map<String, Object> stepMap(StepRecord s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", s.step().value());
    m.put("status", s.status().name());
    m.put("idempotency_key", s.idempotencyKey());
    m.put("attempts", s.attempts());
    m.put("output", s.output());
    m.put("progress", s.progress());
    m.put("reservations", s.reservations());
    List<Object> decisions = new ArrayList<>();
    for (CheckpointDecision d : s.decisions()) {
      Map<String, Object> dm = new LinkedHashMap<>();
      dm.put("sequence", d.sequence());
      dm.put("approval_id", d.approvalId());
      dm.put("kind", d.kind().name());
      dm.put("fingerprint", d.fingerprint());
      dm.put("outcome", d.outcome().name());
      dm.put("approver", d.approver());
      dm.put("decided_at", d.decidedAt().toString());
      dm.put("handed_back", d.handedBack());
      if (d.receipt() != null) {
        dm.put("receipt", d.receipt());
      }
      decisions.add(dm);
    }
    m.put("decisions", decisions);
    m.put("error", s.error());
    m.put("updated_at", s.updatedAt().toString());
    m.put("version", s.version());
    return m;
  }

  private static Map<String, Object> approvalMap(ApprovalRecord a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", a.id());
    m.put("step", a.step().value());
    m.put("sequence", a.sequence());
    m.put("agent", a.agent().value());
    m.put("kind", a.kind().name());
    m.put("title", a.title());
    m.put("reason", a.reason());
    m.put("cost", a.cost() == null ? null : a.cost().toString());
    m.put("url", a.url() == null ? null : a.url().toString());
    m.put("details", new LinkedHashMap<>(new java.util.TreeMap<>(a.details())));
    m.put("principal", a.principal());
    m.put("fingerprint", a.fingerprint());
    m.put("requested_at", a.requestedAt().toString());
    m.put("deadline", a.deadline().toString());
    m.put("status", a.status().name());
    m.put("outcome", a.outcome() == null ? null : a.outcome().name());
    m.put("approver", a.approver());
    m.put("decision_reason", a.decisionReason());
    m.put("decided_at", a.decidedAt() == null ? null : a.decidedAt().toString());
    m.put("handed_back", a.handedBack());
    m.put("updated_at", a.updatedAt().toString());
    m.put("version", a.version());
    return m;
  }

  private static ApprovalRecord approval(Map<String, Object> m, RunId run) {
    Map<String, String> details = new LinkedHashMap<>();
    Json.object(m, "details").forEach((k, v) -> details.put(k, String.valueOf(v)));
    String cost = Json.string(m, "cost");
    String url = Json.string(m, "url");
    String outcome = Json.string(m, "outcome");
    String decidedAt = Json.string(m, "decided_at");
    return new ApprovalRecord.Builder(required(m, "id"), run, StepId.of(required(m, "step")),
        Math.toIntExact(number(m, "sequence")), AgentId.of(required(m, "agent")),
        CheckpointKind.valueOf(required(m, "kind")), required(m, "title"), required(m, "reason"),
        required(m, "fingerprint"), Instant.parse(required(m, "requested_at")), Instant.parse(required(m, "deadline")))
        .cost(cost == null ? null : Money.parse(cost)).url(url == null ? null : URI.create(url)).details(details)
        .principal(Json.string(m, "principal")).status(ApprovalRecord.Status.valueOf(required(m, "status")))
        .outcome(outcome == null ? null : ApprovalDecision.Outcome.valueOf(outcome)).approver(Json.string(m, "approver"))
        .decisionReason(Json.string(m, "decision_reason"))
        .decidedAt(decidedAt == null ? null : Instant.parse(decidedAt)).handedBack(Json.string(m, "handed_back"))
        .updatedAt(Instant.parse(required(m, "updated_at"))).version(number(m, "version")).build();
  }

  private @Nullable Doc read(Path f) {
    String text;
    try {
      text = Files.readString(f, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot read the run journal file " + f + ": " + e, e);
    }
    try {
      Map<String, Object> m = Json.parseObject(text);
      if (!FORMAT.equals(m.get("format")) || !Long.valueOf(VERSION).equals(m.get("version"))) {
        throw new IllegalArgumentException("it is not a version-" + VERSION + " run file");
      }
      RunId id = RunId.of(required(m, "run_id"));
      if (!fileOf(id).getFileName().equals(f.getFileName())) {
        throw new IllegalArgumentException("it holds run " + id + ", whose file has another name");
      }
      Doc doc = new Doc(id);
      if (m.get("run") instanceof Map<?, ?> run) {
        doc.run = run(cast(run), id);
      }
      for (Object o : Json.list(m, "steps")) {
        if (!(o instanceof Map<?, ?> step)) {
          throw new IllegalArgumentException("a step is not an object");
        }
        StepRecord s = step(cast(step), id);
        doc.steps.put(s.step(), s);
      }
      for (Object o : Json.list(m, "approvals")) { // absent in files written before approvals could park
        if (!(o instanceof Map<?, ?> approval)) {
          throw new IllegalArgumentException("an approval is not an object");
        }
        ApprovalRecord a = approval(cast(approval), id);
        doc.approvals.put(a.id(), a);
      }
      return doc;
    } catch (RuntimeException e) { // whatever is wrong with the file, say which file
      throw new AgentProvisionException("the run journal file " + f + " is unreadable: " + e.getMessage()
          + "; restore it from a backup or move it aside", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static RunRecord run(Map<String, Object> m, RunId fileId) {
    RunId id = RunId.of(required(m, "id"));
    if (!id.equals(fileId)) {
      throw new IllegalArgumentException("it holds run " + id + " under the name of run " + fileId);
    }
    return new RunRecord(id, AgentId.of(required(m, "agent")), required(m, "provider"),
        RunStatus.valueOf(required(m, "status").toUpperCase(Locale.ROOT)), required(m, "request"),
        Instant.parse(required(m, "created_at")), Instant.parse(required(m, "updated_at")), Json.string(m, "error"),
        number(m, "version"));
  }

  private static StepRecord step(Map<String, Object> m, RunId run) {
    StepRecord.Builder b = StepRecord.builder(run, StepId.of(required(m, "step")))
        .status(StepStatus.valueOf(required(m, "status").toUpperCase(Locale.ROOT)))
        .idempotencyKey(Json.string(m, "idempotency_key"))
        .attempts(Math.toIntExact(number(m, "attempts")))
        .output(Json.string(m, "output"))
        .progress(Json.string(m, "progress"))
        .error(Json.string(m, "error"))
        .updatedAt(Instant.parse(required(m, "updated_at")))
        .version(number(m, "version"));
    for (Object o : Json.list(m, "reservations")) {
      if (!(o instanceof String id)) {
        throw new IllegalArgumentException("a reservation id is not a string");
      }
      b.reservation(id);
    }
    for (Object o : Json.list(m, "decisions")) {
      if (!(o instanceof Map<?, ?> raw)) {
        throw new IllegalArgumentException("a checkpoint decision is not an object");
      }
      Map<String, Object> d = cast(raw);
      b.decision(new CheckpointDecision(Math.toIntExact(number(d, "sequence")), required(d, "approval_id"),
          CheckpointKind.valueOf(required(d, "kind")), required(d, "fingerprint"),
          ApprovalDecision.Outcome.valueOf(required(d, "outcome")), required(d, "approver"),
          Instant.parse(required(d, "decided_at")), Boolean.TRUE.equals(d.get("handed_back")),
          Json.string(d, "receipt")));
    }
    return b.build();
  }

  private static String required(Map<String, Object> m, String key) {
    String v = Json.string(m, key);
    if (v == null) {
      throw new IllegalArgumentException("'" + key + "' is missing");
    }
    return v;
  }

  private static long number(Map<String, Object> m, String key) {
    if (!(m.get(key) instanceof Long n)) {
      throw new IllegalArgumentException("'" + key + "' is not a whole number");
    }
    return n;
  }
}
