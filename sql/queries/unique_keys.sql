-- Statements on `unique_keys`: the holders of unique tasks' keys (migrations/0025_unique_tasks.sql).

-- name: holders
-- The task holding each message's unique key, in the order given: what a producer answers with
-- when the insert of a unique task was left out because its key is held (reject or replace).
-- NULL where the message has no key, or where no task holds it any more.
-- param names: text[]
-- param args: text[]
-- param kwargs: text[]
-- param options: text[]
-- column task_id: uuid?
SELECT (SELECT u.task_id FROM celeriac.unique_keys AS u
        WHERE u.key = celeriac.unique_task_key(m.name, m.args::jsonb, m.kwargs::jsonb, m.options::jsonb)) AS task_id
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS m(name, args, kwargs, options, i)
ORDER BY m.i

-- name: prune
-- Forgets up to `limit` keys whose task no longer holds them (prune_unique_keys(), 0025).
-- param limit: int
-- column pruned: int
SELECT celeriac.prune_unique_keys($1) AS pruned
