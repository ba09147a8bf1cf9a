-- 005_metering: usage records and the price table (as sqlite/005_metering.sql).
CREATE TABLE usage (
  job          BIGINT  NOT NULL,
  attempt      INTEGER NOT NULL,
  tenant       TEXT    NOT NULL,
  user_name    TEXT    NOT NULL,
  node         TEXT    NOT NULL,
  devices_json TEXT    NOT NULL,
  cpu_milli    INTEGER NOT NULL,
  memory_mib   BIGINT  NOT NULL,
  start_ms     BIGINT  NOT NULL,
  end_ms       BIGINT  NOT NULL,  -- 0: still open
  PRIMARY KEY (job, attempt)
);
CREATE INDEX usage_tenant_start ON usage (tenant, start_ms);
CREATE INDEX usage_start ON usage (start_ms);

CREATE TABLE prices (
  resource     TEXT   NOT NULL,
  effective_ms BIGINT NOT NULL,
  micros       BIGINT NOT NULL,
  PRIMARY KEY (resource, effective_ms)
);

CREATE TABLE billing_events (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant  TEXT   NOT NULL,
  kind    TEXT   NOT NULL,
  period  TEXT   NOT NULL,
  at_ms   BIGINT NOT NULL,
  message TEXT   NOT NULL,
  UNIQUE (tenant, kind, period)
);
