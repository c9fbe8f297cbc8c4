-- Statements on `task_types`: the options of each task type, as its workers register it
-- (migrations/0011_task_types.sql).

-- name: register
-- A worker records the options of every task it runs (the latest registration wins).
-- Parallel arrays, one element per task type.
-- param names: text[]
-- param acks_late: array
-- param max_retries: int[]
-- param reject_on_worker_lost: array
-- param time_limits: array
-- param soft_time_limits: array
-- param ignore_result: array
-- param queues: array
-- param worker: text
-- param rate_limits: array
-- param rate_keys: array
INSERT INTO celeriac.task_types AS t (name, acks_late, max_retries, reject_on_worker_lost, time_limit, soft_time_limit,
                                      ignore_result, queue, registered_by, rate_limit, rate_key)
SELECT * FROM unnest($1::text[], $2::boolean[], $3::int[], $4::boolean[], $5::float8[], $6::float8[], $7::boolean[],
                     $8::text[], array_fill($9::text, ARRAY[cardinality($1::text[])]), $10::text[], $11::text[])
ON CONFLICT (name) DO UPDATE SET
    acks_late = EXCLUDED.acks_late, max_retries = EXCLUDED.max_retries,
    reject_on_worker_lost = EXCLUDED.reject_on_worker_lost, time_limit = EXCLUDED.time_limit,
    soft_time_limit = EXCLUDED.soft_time_limit, ignore_result = EXCLUDED.ignore_result, queue = EXCLUDED.queue,
    registered_by = EXCLUDED.registered_by, registered_at = now(), rate_limit = EXCLUDED.rate_limit,
    rate_key = EXCLUDED.rate_key

-- name: get
-- One task type's registered options.
-- param name: text
-- column acks_late: bool
-- column max_retries: int
-- column reject_on_worker_lost: bool
SELECT acks_late, max_retries, reject_on_worker_lost FROM celeriac.task_types WHERE name = $1
