-- 002_preemption: what the scheduler's preemption must keep across a server restart (as
-- sqlite/002_preemption.sql).
ALTER TABLE jobs ADD COLUMN preempting_for BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN preemptions    INTEGER NOT NULL DEFAULT 0;
