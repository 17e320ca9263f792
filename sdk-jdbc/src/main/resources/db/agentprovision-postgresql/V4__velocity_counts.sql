-- Velocity counts: the actions agents create (accounts, paid plans, domains, tokens), counted against
-- rolling-window limits, shared by every host as the spend ledger is.

-- one row per action admitted (idempotent per id; a release deletes it and its entries)
CREATE TABLE ap_velocity_action (
  id         text        PRIMARY KEY,
  counted_at timestamptz NOT NULL
);

-- one row per bucket the action was counted in (the limit's action and scope: an agent, a person, the host)
CREATE TABLE ap_velocity_entry (
  bucket     text        NOT NULL,
  counted_at timestamptz NOT NULL,
  id         text        NOT NULL REFERENCES ap_velocity_action (id) ON DELETE CASCADE,
  PRIMARY KEY (bucket, counted_at, id)
);
CREATE INDEX ap_velocity_entry_id ON ap_velocity_entry (id);

-- one row per bucket ever counted: locked (in key order) by every admission to that bucket, so that
-- two hosts never both admit the last action a limit has room for
CREATE TABLE ap_velocity_bucket (
  bucket text PRIMARY KEY
);
