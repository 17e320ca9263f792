-- Schema version 5: the journal's runs filed by key (the engine files each run under a hash of its
-- person and provider, and a run about to pay for the person's plan under a second key), so that a
-- person's next run finds their account and plan without reading every run. The index is complete
-- only when it was started before the journal held any run: a database migrated with runs in it
-- keeps them unfiled (ap_run_index.complete is false), and the journal reads them through as before.
CREATE TABLE ap_run_filed (
  key text NOT NULL,
  run_id text NOT NULL,
  seq bigserial NOT NULL,
  PRIMARY KEY (key, run_id)
);
CREATE INDEX ap_run_filed_order ON ap_run_filed (key, seq);

CREATE TABLE ap_run_index (
  id integer PRIMARY KEY CHECK (id = 1),
  complete boolean NOT NULL
);
INSERT INTO ap_run_index (id, complete) SELECT 1, NOT EXISTS (SELECT 1 FROM ap_run);
