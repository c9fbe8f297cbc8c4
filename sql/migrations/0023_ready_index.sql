-- Claim order as one ascending key: (queue, -priority, run_at, id). The claim can then start
-- its index scan after a given key with a row comparison, `(-priority, run_at, id) > (…)`,
-- which a DESC priority column would not allow. A worker passes the last key it claimed when
-- claims from the head have turned slow: while a transaction held open somewhere keeps vacuum
-- from removing anything, the head of the index fills with entries of tasks already claimed
-- or finished, and a claim from the head steps over every one of them (Worker/ClaimHints.swift).
-- Same rows, same order as tasks_runnable_idx, which it replaces.
CREATE INDEX tasks_ready_idx ON tasks (queue, (-priority), run_at, id)
    WHERE state IN ('queued', 'retry');
DROP INDEX tasks_runnable_idx;
