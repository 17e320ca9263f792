-- Schema version 2: room for running a run under a lease, one host at a time. A host that takes a
-- run writes its name and until when it holds it; another host may take the run over once the lease
-- has run out. The journal leaves both empty until leases are used.
ALTER TABLE ap_run ADD COLUMN lease_owner text;
ALTER TABLE ap_run ADD COLUMN lease_until timestamptz;
CREATE INDEX ap_run_lease ON ap_run (lease_until) WHERE lease_owner IS NOT NULL;
