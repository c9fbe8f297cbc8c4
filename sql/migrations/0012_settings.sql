-- 0012_settings: the settings SQL producers need, as the workers run with them. Workers
-- write them when they register (the latest registration wins); celeriac.enqueue() reads them,
-- so a task enqueued with SQL is routed and limited like one sent from Swift.
--
--   default_queue      text     the queue of a task no route names (task_default_queue)
--   routes             object   task-name patterns (`*` wildcards) to queues (task_routes)
--   max_payload_bytes  integer  the largest arguments (args and kwargs) accepted
CREATE TABLE settings (
    key        text        PRIMARY KEY,
    value      jsonb       NOT NULL,
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
