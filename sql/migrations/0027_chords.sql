-- 0027_chords: chords, callbacks and canvases nested in chains (Canvas/, repeatable/chords.sql).
--
-- A chord is a group with a body: the body is sent, with its members' results in member
-- order, by the statement that records the last member's outcome. Every final outcome is a
-- row of `results`, whichever path wrote it (completion, rescue, revoke, purge, an aborted
-- chain), and a member's row carries its group's id: a trigger on `results` counts them down
-- (`remaining`, under the group row's lock, so exactly one statement sees it reach zero) and
-- sends the body there. The primary key of `results` makes each member count once.

ALTER TABLE groups
    -- The body: a chain step (ChainStepRecord, or a group step), sent when `remaining` reaches
    -- zero. NULL for a plain group, which is not counted.
    ADD COLUMN body             jsonb,
    -- The steps of the chain after the body (the body's own `chain`).
    ADD COLUMN rest             jsonb,
    -- Members without a final outcome yet (chords only).
    ADD COLUMN remaining        integer,
    -- Members that failed or were revoked, and the first of them ({id, name, state, error}).
    ADD COLUMN failures         integer     NOT NULL DEFAULT 0,
    ADD COLUMN first_failure    jsonb,
    -- How many members may fail with the body still sent (their results left out).
    ADD COLUMN allowed_failures integer     NOT NULL DEFAULT 0 CHECK (allowed_failures >= 0),
    -- The task whose result started the group (a group inside a chain), and the canvas's first.
    ADD COLUMN parent_id        uuid,
    ADD COLUMN root_id          uuid,
    -- When the body was sent, or failed with ChordError.
    ADD COLUMN fired_at         timestamptz;

CREATE INDEX groups_parent_id_idx ON groups (parent_id) WHERE parent_id IS NOT NULL;

-- The group a final outcome belongs to (its task's option `group_id`), and the callbacks its
-- task was sent with (options `link`, `link_error`): both read by the trigger on results.
ALTER TABLE results
    ADD COLUMN group_id  uuid,
    ADD COLUMN callbacks jsonb;

CREATE INDEX results_group_id_idx ON results (group_id) WHERE group_id IS NOT NULL;
