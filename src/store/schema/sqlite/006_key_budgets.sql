-- 006_key_budgets: a monthly budget per API key, usage records that name the key of their
-- job, and budget events that name the key whose budget they are about.

-- budget_kind '' (none), 'currency' (budget_limit in micro-units of the price table's
-- currency) or 'gpu_hours' (milli-GPU-hours); per UTC month, like a tenant's.
ALTER TABLE api_keys ADD COLUMN budget_kind         TEXT    NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN budget_limit        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN budget_warn_percent INTEGER NOT NULL DEFAULT 80;

-- The prefix of the key that submitted the job ('' for records written before this version).
ALTER TABLE usage ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';
CREATE INDEX usage_key_start ON usage (key_prefix, start_ms);

-- Events of a key's budget carry its prefix ('' for the tenant's own budget): at most one per
-- tenant, key, kind and month. SQLite cannot change a UNIQUE constraint: the table is rebuilt.
CREATE TABLE billing_events_v6 (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant     TEXT    NOT NULL,
  key_prefix TEXT    NOT NULL,
  kind       TEXT    NOT NULL,  -- "budget_warning", "budget_exhausted"
  period     TEXT    NOT NULL,
  at_ms      INTEGER NOT NULL,
  message    TEXT    NOT NULL,
  UNIQUE (tenant, key_prefix, kind, period)
);
INSERT INTO billing_events_v6 (id, tenant, key_prefix, kind, period, at_ms, message)
  SELECT id, tenant, '', kind, period, at_ms, message FROM billing_events;
DROP TABLE billing_events;
ALTER TABLE billing_events_v6 RENAME TO billing_events;
