-- 006_key_budgets: a monthly budget per API key, usage records that name the key of their
-- job, and budget events that name the key whose budget they are about (as SQLite's 006).

-- budget_kind '' (none), 'currency' (budget_limit in micro-units of the price table's
-- currency) or 'gpu_hours' (milli-GPU-hours); per UTC month, like a tenant's.
ALTER TABLE api_keys ADD COLUMN budget_kind         TEXT    NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN budget_limit        BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN budget_warn_percent INTEGER NOT NULL DEFAULT 80;

-- The prefix of the key that submitted the job ('' for records written before this version).
ALTER TABLE usage ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';
CREATE INDEX usage_key_start ON usage (key_prefix, start_ms);

-- Events of a key's budget carry its prefix ('' for the tenant's own budget): at most one per
-- tenant, key, kind and month.
ALTER TABLE billing_events ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_events DROP CONSTRAINT billing_events_tenant_kind_period_key;
ALTER TABLE billing_events ADD CONSTRAINT billing_events_tenant_key_kind_period
  UNIQUE (tenant, key_prefix, kind, period);
