-- 003_tenants: tenants with quotas and budgets, richer API keys, jobs' owners, the audit log.

-- Tenants managed through the API (/v1/tenants). A tenant without a row here still exists
-- implicitly (its jobs and keys name it) and gets the config file's policy or the default.
-- max_* = -1: no limit. budget_kind '' (none), 'currency' (budget_limit in micro-units of the
-- price table's currency) or 'gpu_hours' (budget_limit in milli-GPU-hours); per month (UTC).
CREATE TABLE tenants (
  name                TEXT    PRIMARY KEY,
  created_ms          INTEGER NOT NULL,
  weight              INTEGER NOT NULL,
  guaranteed_gpus     INTEGER NOT NULL,
  max_gpus            INTEGER NOT NULL,
  max_running_jobs    INTEGER NOT NULL,
  max_gpu_memory_mib  INTEGER NOT NULL,
  budget_kind         TEXT    NOT NULL,
  budget_limit        INTEGER NOT NULL,
  budget_warn_percent INTEGER NOT NULL,
  budget_preempt      INTEGER NOT NULL  -- 0 or 1: at 100 % also stop running preemptible jobs
);

-- Keys name the person or robot holding them; they may expire (0: never) and record when
-- they were revoked (0: not revoked).
ALTER TABLE api_keys ADD COLUMN user_name  TEXT    NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN label      TEXT    NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN revoked_ms INTEGER NOT NULL DEFAULT 0;

-- Who submitted a job: the key's user and prefix (for usage by user, submit-only keys).
ALTER TABLE jobs ADD COLUMN user_name  TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';

-- Every mutating request of the user API: who, what, when, from where, and the answer.
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms      INTEGER NOT NULL,
  key_prefix TEXT    NOT NULL,  -- '' when the request carried no usable key
  tenant     TEXT    NOT NULL,
  user_name  TEXT    NOT NULL,
  role       TEXT    NOT NULL,
  method     TEXT    NOT NULL,
  path       TEXT    NOT NULL,
  status     INTEGER NOT NULL,  -- the HTTP status answered
  remote     TEXT    NOT NULL,  -- client address:port
  detail     TEXT    NOT NULL   -- e.g. the error message
);
CREATE INDEX audit_log_tenant_id ON audit_log (tenant, id);
