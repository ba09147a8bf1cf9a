-- 003_control: what the durable, observable control plane keeps.

-- Per-job history (GET /v1/jobs/{id}/events), written with the job change it describes.
CREATE TABLE job_events (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,  -- write order
  job_id    INTEGER NOT NULL,
  time_ms   INTEGER NOT NULL,
  type      TEXT    NOT NULL,  -- submitted, scheduled, started, ..., finished
  attempt   INTEGER NOT NULL,
  node      TEXT    NOT NULL,  -- '' when none
  devices   TEXT    NOT NULL,  -- device indexes, comma-separated; '' when none
  state     TEXT    NOT NULL,  -- the job's state after the event
  reason    TEXT    NOT NULL,
  exit_code INTEGER NULL
);
CREATE INDEX job_events_job ON job_events (job_id, id);

-- Idempotency-Key of submits: a retried submit returns the job the first one created.
CREATE TABLE idempotency_keys (
  tenant       TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  request_hash TEXT    NOT NULL,
  job_id       INTEGER NOT NULL,
  created_ms   INTEGER NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);

-- Cordon and drain survive a restart: no new jobs go to such a node.
ALTER TABLE nodes ADD COLUMN cordoned INTEGER NOT NULL DEFAULT 0;  -- 0 or 1
ALTER TABLE nodes ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;  -- 0 or 1: cordoned until empty
