-- 005_metering: usage records (what each attempt held, and when) and the price table.

-- One row per attempt that ran: opened (end_ms 0) when the agent reports it started, closed
-- with the agent's end time when it exits, is preempted or is cancelled; written in the same
-- transaction as the job change it comes from. devices_json: [{"index","model","milli",
-- "memory_mib"}] of the slices it held.
CREATE TABLE usage (
  job          INTEGER NOT NULL,
  attempt      INTEGER NOT NULL,
  tenant       TEXT    NOT NULL,
  user_name    TEXT    NOT NULL,
  node         TEXT    NOT NULL,
  devices_json TEXT    NOT NULL,
  cpu_milli    INTEGER NOT NULL,
  memory_mib   INTEGER NOT NULL,
  start_ms     INTEGER NOT NULL,
  end_ms       INTEGER NOT NULL,  -- 0: still open
  PRIMARY KEY (job, attempt)
);
CREATE INDEX usage_tenant_start ON usage (tenant, start_ms);
CREATE INDEX usage_start ON usage (start_ms);

-- Prices in micro-units of the currency per unit-hour (per GiB-month for storage), from
-- effective_ms on until the next row of the same resource. resource: "gpu:<model>",
-- "gpu:*" (any model without its own price), "cpu" (per CPU-hour), "memory" (per GiB-hour),
-- "storage" (per GiB-month).
CREATE TABLE prices (
  resource     TEXT    NOT NULL,
  effective_ms INTEGER NOT NULL,
  micros       INTEGER NOT NULL,
  PRIMARY KEY (resource, effective_ms)
);

-- Budget events of a tenant: a warning at its threshold and "exhausted" at 100 %, at most
-- once per tenant, kind and month (period "2024-05").
CREATE TABLE billing_events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant  TEXT    NOT NULL,
  kind    TEXT    NOT NULL,  -- "budget_warning", "budget_exhausted"
  period  TEXT    NOT NULL,
  at_ms   INTEGER NOT NULL,
  message TEXT    NOT NULL,
  UNIQUE (tenant, kind, period)
);
