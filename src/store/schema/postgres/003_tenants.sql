-- 003_tenants: tenants with quotas and budgets, richer API keys, jobs' owners, the audit log
-- (as sqlite/003_tenants.sql, which explains each column).
CREATE TABLE tenants (
  name                TEXT    PRIMARY KEY,
  created_ms          BIGINT  NOT NULL,
  weight              INTEGER NOT NULL,
  guaranteed_gpus     INTEGER NOT NULL,
  max_gpus            INTEGER NOT NULL,
  max_running_jobs    INTEGER NOT NULL,
  max_gpu_memory_mib  BIGINT  NOT NULL,
  budget_kind         TEXT    NOT NULL,
  budget_limit        BIGINT  NOT NULL,
  budget_warn_percent INTEGER NOT NULL,
  budget_preempt      INTEGER NOT NULL  -- 0 or 1
);

ALTER TABLE api_keys ADD COLUMN user_name  TEXT   NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN label      TEXT   NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN revoked_ms BIGINT NOT NULL DEFAULT 0;

ALTER TABLE jobs ADD COLUMN user_name  TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';

-- ids in write order (one writer: the leader).
CREATE TABLE audit_log (
  id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms      BIGINT  NOT NULL,
  key_prefix TEXT    NOT NULL,
  tenant     TEXT    NOT NULL,
  user_name  TEXT    NOT NULL,
  role       TEXT    NOT NULL,
  method     TEXT    NOT NULL,
  path       TEXT    NOT NULL,
  status     INTEGER NOT NULL,
  remote     TEXT    NOT NULL,
  detail     TEXT    NOT NULL
);
CREATE INDEX audit_log_tenant_id ON audit_log (tenant, id);
