-- The queue table churns: every task is inserted, updated once per attempt and deleted. Its
-- dead row versions sit at the head of tasks_runnable_idx, where every claim steps over them,
-- until a vacuum. The maintenance leader vacuums it itself when it owns the table
-- (QueueVacuum); for autovacuum, start at a fixed count of dead rows rather than a fifth of
-- the table (a million waiting tasks would wait for 200,000), and do not throttle it. No
-- vacuum gives the table's empty tail pages back: that takes an exclusive lock, which stops
-- every claim and insert while it lasts.
ALTER TABLE tasks SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 20000,
    autovacuum_vacuum_cost_delay = 0,
    vacuum_truncate = false
);
