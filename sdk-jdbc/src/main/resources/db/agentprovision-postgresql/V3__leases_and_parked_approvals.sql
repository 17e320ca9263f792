-- Schema version 3: the journal's leases (a run executed by one host at a time, a person's turn at
-- the account and plan) and the approvals a parked run waits for. A lease row is kept once made: a
-- released lease has no owner, and the token only grows, so a host that lost a lease never renews a
-- later one. An approval is kept as JSON beside the columns it is looked up by.
CREATE TABLE ap_lease (
  name text PRIMARY KEY,
  owner text,
  token bigint NOT NULL,
  expires_at text
);

CREATE TABLE ap_approval (
  id text PRIMARY KEY,
  run_id text NOT NULL,
  status text NOT NULL,
  requested_at timestamptz NOT NULL,
  body text NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX ap_approval_run ON ap_approval (run_id, requested_at, id);
CREATE INDEX ap_approval_status ON ap_approval (status, requested_at, id);
