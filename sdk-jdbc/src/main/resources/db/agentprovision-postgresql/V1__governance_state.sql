-- agentprovision's governance state on PostgreSQL, schema version 1: the spend ledger, the run
-- journal, the audit chain, the credential vault (ciphertext only) and the spend policy with its
-- history. Every table is prefixed ap_ so that the schema can be shared with the host's own tables;
-- Flyway records what was applied in ap_schema_history. Times are timestamptz (kept to the
-- microsecond); money is bigint minor units beside a three-letter currency code.

-- ---- spend ledger -------------------------------------------------------------------------------

-- One row per reservation. held says whether its amount is counted as held in ap_spend_total: from
-- the reserve until it is committed, released, or reaped at its expiry. status is the caller's view:
-- a reaped reservation stays RESERVED (it may still be committed, when the charge went through).
CREATE TABLE ap_spend_reservation (
  id          text        PRIMARY KEY,
  seq         bigint      GENERATED ALWAYS AS IDENTITY,
  agent       text        NOT NULL,
  provider    text        NOT NULL,
  currency    text        NOT NULL,
  run_id      text,
  step_id     text,
  amount      bigint      NOT NULL CHECK (amount >= 0),
  committed   bigint      CHECK (committed >= 0),
  status      text        NOT NULL,
  held        boolean     NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  usage       text        NOT NULL,
  description text        NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX ap_spend_reservation_time ON ap_spend_reservation (created_at, seq);
CREATE INDEX ap_spend_reservation_bucket ON ap_spend_reservation (currency, provider, created_at);
CREATE INDEX ap_spend_reservation_run ON ap_spend_reservation (run_id, created_at, seq) WHERE run_id IS NOT NULL;
-- what the reaper looks for: held reservations past their expiry
CREATE INDEX ap_spend_reservation_expiry ON ap_spend_reservation (expires_at) WHERE held;

-- The running totals: one row per bucket (currency, agent or '' for every agent, provider or '' for
-- every provider), calendar (interval and zone, such as MONTHLY/UTC) and window start. A row is made
-- once by a recount of the reservations it counts, and from then on changed in the transaction that
-- changes what one of them counts.
CREATE TABLE ap_spend_total (
  currency     text        NOT NULL,
  agent        text        NOT NULL,
  provider     text        NOT NULL,
  calendar     text        NOT NULL,
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  held         bigint      NOT NULL,
  committed    bigint      NOT NULL,
  PRIMARY KEY (currency, agent, provider, calendar, window_start)
);
-- the windows that contain an instant: those ending after it (the current ones, a few)
CREATE INDEX ap_spend_total_open ON ap_spend_total (currency, agent, provider, window_end);

-- Budget alerts fired, so that each fires once across every host.
CREATE TABLE ap_spend_alert (
  alert_key text        PRIMARY KEY,
  fired_at  timestamptz NOT NULL
);

-- ---- run journal --------------------------------------------------------------------------------

CREATE TABLE ap_run (
  id         text        PRIMARY KEY,
  agent      text        NOT NULL,
  provider   text        NOT NULL,
  status     text        NOT NULL,
  request    text        NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  error      text,
  version    bigint      NOT NULL
);
CREATE INDEX ap_run_status ON ap_run (status, created_at, id);

-- ordinal keeps the order in which a run's steps were first saved
CREATE TABLE ap_step (
  run_id          text        NOT NULL,
  step_id         text        NOT NULL,
  ordinal         bigint      GENERATED ALWAYS AS IDENTITY,
  status          text        NOT NULL,
  idempotency_key text,
  attempts        integer     NOT NULL,
  output          text,
  progress        text,
  reservations    text        NOT NULL,
  decisions       text        NOT NULL,
  error           text,
  updated_at      timestamptz NOT NULL,
  version         bigint      NOT NULL,
  PRIMARY KEY (run_id, step_id)
);

-- ---- audit chain --------------------------------------------------------------------------------

-- Each entry as the one line the JSON-lines log would hold for it (every byte covered by its hash);
-- the head row names the last entry any append acknowledged, and is locked by every append so that
-- the chain stays single whichever host appends.
CREATE TABLE ap_audit_entry (
  seq  bigint PRIMARY KEY,
  line text   NOT NULL
);
CREATE TABLE ap_audit_head (
  id     smallint PRIMARY KEY CHECK (id = 1),
  seq    bigint   NOT NULL,
  hash   text     NOT NULL,
  key_id text
);
INSERT INTO ap_audit_head (id, seq, hash, key_id) VALUES (1, 0, repeat('0', 64), NULL);

-- ---- credential vault ---------------------------------------------------------------------------

-- Sealed records only (AES-256-GCM, entry name and key id authenticated); keys stay with the host.
CREATE TABLE ap_vault_entry (
  name       text        PRIMARY KEY,
  key_id     text        NOT NULL,
  nonce      bytea       NOT NULL,
  data       bytea       NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE ap_vault_key_check (
  key_id text  PRIMARY KEY,
  nonce  bytea NOT NULL,
  data   bytea NOT NULL
);

-- ---- spend policy -------------------------------------------------------------------------------

-- Every change of the policy; the highest version is the policy in force.
CREATE TABLE ap_policy_change (
  version       bigint      PRIMARY KEY CHECK (version >= 1),
  before_policy text,
  after_policy  text        NOT NULL,
  changed_by    text        NOT NULL,
  approved_by   text,
  reason        text        NOT NULL,
  changed_at    timestamptz NOT NULL
);
