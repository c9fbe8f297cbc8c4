-- 0020_chain_index: the steps of a chain by its first task, for the dashboard's task page
-- (views.sql `chain_steps`). Partial: only tasks that belong to a chain (root_id set) pay for
-- an index entry; a plain task's completion does not.
CREATE INDEX results_root_id_idx ON results (root_id) WHERE root_id IS NOT NULL;
CREATE INDEX tasks_root_id_idx ON tasks (root_id) WHERE root_id IS NOT NULL;
