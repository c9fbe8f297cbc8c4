-- 0009_repeatables: functions, triggers and views live in sql/repeatable/, one file per
-- subject, re-applied by `celeriac migrate` whenever a file's text changes. This table
-- records the checksum of each file applied (a 64-bit FNV-1a hash of its text).
--
-- Functions created by earlier migrations (uuid_v7, enqueue, cron_error, the
-- periodic_tasks triggers) are replaced by their repeatable file on the same run.
CREATE TABLE schema_repeatables (
    name       text        PRIMARY KEY,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
