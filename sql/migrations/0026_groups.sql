-- 0026_groups: groups of tasks sent together to run in parallel (Celery's `group`,
-- Canvas/Group.swift). A group is its members' ids, in order: its GroupResult can be saved and
-- restored by the group's id, and reads its members' states in one statement
-- (results.statuses). The rows go with results, after result_expires (groups.prune).
CREATE TABLE groups (
    id         uuid        PRIMARY KEY,
    task_ids   uuid[]      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX groups_created_at_idx ON groups (created_at);
