-- 002_preemption: what the scheduler's preemption must keep across a server restart.
-- preempting_for: >0 while a job's attempt is being stopped to make room for that job (the
-- agent was told to stop it; when it reports the exit the job goes back to the queue).
-- preemptions: how many times the job was preempted and requeued (not counted as retries).
ALTER TABLE jobs ADD COLUMN preempting_for INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN preemptions INTEGER NOT NULL DEFAULT 0;
