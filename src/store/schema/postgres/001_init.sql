-- 001_init: the first schema of the control-plane store, PostgreSQL edition.
-- Each file here mirrors the SQLite migration of the same number (src/store/schema/sqlite/):
-- same tables, columns and meaning, in PostgreSQL's types (BIGINT for times and ids, 0/1
-- INTEGERs where SQLite has 0/1, so both backends share their row code). A new migration is
-- added to both folders under the same number (store_postgres_test checks the numbers match).
-- Applied once, in one transaction, by postgres_migrator.cc, which records the version in
-- schema_migrations. Never edit an applied migration: add 002_*.sql.

-- Jobs. Ids are chosen by the control plane (MaxJobId() + 1); jobs are never deleted.
-- name and priority repeat fields of spec_json (the source of truth) for queries.
CREATE TABLE jobs (
  id               BIGINT  PRIMARY KEY,
  tenant           TEXT    NOT NULL,
  name             TEXT    NOT NULL,
  state            TEXT    NOT NULL,  -- core::JobStateName: pending, scheduled, running, ...
  priority         INTEGER NOT NULL,
  submit_ms        BIGINT  NOT NULL,
  start_ms         BIGINT  NOT NULL,  -- 0: not started
  end_ms           BIGINT  NOT NULL,  -- 0: not ended
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
  registered_ms BIGINT  NOT NULL,
  last_seen_ms  BIGINT  NOT NULL
);

-- API keys; only the hash of a key is kept.
CREATE TABLE api_keys (
  prefix     TEXT    PRIMARY KEY,
  hash       TEXT    NOT NULL,
  tenant     TEXT    NOT NULL,
  role       TEXT    NOT NULL,
  created_ms BIGINT  NOT NULL,
  revoked    INTEGER NOT NULL  -- 0 or 1
);

-- Small server-wide settings.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per applied migration.
CREATE TABLE schema_migrations (
  version    BIGINT PRIMARY KEY,
  applied_ms BIGINT NOT NULL
);

-- PostgreSQL only: which of several servers on this database leads (store/leader_lease.h).
-- One row. A server leads while expires_at (by the database's clock) is ahead; a takeover
-- increments epoch, and every write of the leader first checks that the epoch is still its
-- own (fencing), so a leader paused past its lease cannot write after a successor took over.
CREATE TABLE leader_lease (
  id         INTEGER     PRIMARY KEY CHECK (id = 1),
  epoch      BIGINT      NOT NULL,
  holder     TEXT        NOT NULL,  -- the leader's id (one per process start); '' at first
  url        TEXT        NOT NULL,  -- where the leader serves the API
  expires_at TIMESTAMPTZ NOT NULL
);
INSERT INTO leader_lease (id, epoch, holder, url, expires_at) VALUES (1, 0, '', '', '-infinity');
