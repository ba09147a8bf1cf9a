-- 004_control: job history, idempotency keys, cordon and drain (as sqlite/004_control.sql).
CREATE TABLE job_events (
  id        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- write order
  job_id    BIGINT  NOT NULL,
  time_ms   BIGINT  NOT NULL,
  type      TEXT    NOT NULL,
  attempt   INTEGER NOT NULL,
  node      TEXT    NOT NULL,
  devices   TEXT    NOT NULL,  -- device indexes, comma-separated; '' when none
  state     TEXT    NOT NULL,
  reason    TEXT    NOT NULL,
  exit_code INTEGER NULL
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE idempotency_keys (
  tenant       TEXT   NOT NULL,
  key          TEXT   NOT NULL,
  request_hash TEXT   NOT NULL,
  job_id       BIGINT NOT NULL,
  created_ms   BIGINT NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);

ALTER TABLE nodes ADD COLUMN cordoned INTEGER NOT NULL DEFAULT 0;  -- 0 or 1
ALTER TABLE nodes ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;  -- 0 or 1
