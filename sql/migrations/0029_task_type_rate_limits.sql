-- 0029_task_type_rate_limits: a task's own rate limit (TaskOptions.rateLimit) is registered
-- with its type by the workers that run it, as Celery's `rate_limit` is a task attribute, and
-- the claim reads it there (admit_tasks) for the names the worker says are limited. Rows carry
-- a limit only when a call overrides it (options `rate_limit`, `rate_key`): under a rate far
-- above the drain rate, carrying it in every row cost a fifth of the drain rate.
ALTER TABLE task_types
    -- "10/m"; NULL: no limit.
    ADD COLUMN rate_limit text,
    -- Whose budget a call spends (LimitKey): NULL for the task's name, 'argument:N',
    -- 'keyword:NAME' or 'fixed:KEY' (limit_key()).
    ADD COLUMN rate_key   text;
