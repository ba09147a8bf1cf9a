-- 001_init: the first schema of the control-plane store.
-- Applied once, in one transaction, by the migration runner in sqlite_migrator.cc; the runner
-- records the version in schema_migrations. Never edit an applied migration: add 002_*.sql.

-- Jobs. AUTOINCREMENT so that ids are never reused, even after the newest row is deleted.
-- name and priority repeat fields of spec_json (the source of truth) for queries.
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant           TEXT    NOT NULL,
  name             TEXT    NOT NULL,
  state            TEXT    NOT NULL,  -- core::JobStateName: pending, scheduled, running, ...
  priority         INTEGER NOT NULL,
  submit_ms        INTEGER NOT NULL,
  start_ms         INTEGER NOT NULL,  -- 0: not started
  end_ms           INTEGER NOT NULL,  -- 0: not ended
  attempt          INTEGER NOT NULL,
  exit_code        INTEGER NULL,
  signal           INTEGER NULL,
  cancel_requested INTEGER NOT NULL,  -- 0 or 1
  reason           TEXT    NOT NULL,
  spec_json        TEXT    NOT NULL,  -- core::JobSpec, see record_codec.h
  placement_json   TEXT    NULL       -- core::Placement; NULL when never placed
);
CREATE INDEX jobs_state_id ON jobs (state, id);
CREATE INDEX jobs_tenant_id ON jobs (tenant, id);

-- Registered nodes, by name.
CREATE TABLE nodes (
  name          TEXT    PRIMARY KEY,
  spec_json     TEXT    NOT NULL,  -- core::NodeSpec
  simulated     INTEGER NOT NULL,  -- 0 or 1
  registered_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL
);

-- API keys; only the hash of a key is kept.
CREATE TABLE api_keys (
  prefix     TEXT    PRIMARY KEY,
  hash       TEXT    NOT NULL,
  tenant     TEXT    NOT NULL,
  role       TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked    INTEGER NOT NULL  -- 0 or 1
);

-- Small server-wide settings.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per applied migration.
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  applied_ms INTEGER NOT NULL
);
