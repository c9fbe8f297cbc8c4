-- 0003_task_domains: the rules on a task's columns move from table CHECK constraints to
-- domains, with the same meaning.
--
-- Why: PostgreSQL rebuilds a table's CHECK expressions (parse from the catalog, plan,
-- initialise) at the start of every INSERT or UPDATE statement, and evaluates all of them
-- for every row written, whichever columns changed. On `tasks` that came to ~35 µs per
-- single-row insert (more than the rest of the insert) and a regular expression per row
-- on every claim and lease renewal. A domain's constraints are prepared once per session
-- and checked only when a value of that column is written. The queue name rule no longer
-- uses a regular expression (~2 µs per row); rtrim() over the allowed characters says
-- the same thing.
--
-- Rows written directly with SQL still get a clear error, for example
--   ERROR:  value for domain celeriac.queue_name violates check constraint "queue_name_check"
--
-- Changing a column to a constrained domain rewrites `tasks` under an exclusive lock:
-- quick, since the table holds only unfinished work, but stop workers while migrating.

CREATE DOMAIN task_name AS text
    CHECK (VALUE <> '' AND length(VALUE) <= 200);

-- 1 to 100 of A-Z a-z 0-9 _ . : @ -
CREATE DOMAIN queue_name AS text
    CHECK (length(VALUE) BETWEEN 1 AND 100
           AND rtrim(VALUE, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@-') = '');

CREATE DOMAIN task_priority AS smallint
    CHECK (VALUE BETWEEN 0 AND 255);

CREATE DOMAIN task_state AS text
    CHECK (VALUE IN ('queued', 'retry', 'started'));

CREATE DOMAIN json_array AS jsonb
    CHECK (jsonb_typeof(VALUE) = 'array');

CREATE DOMAIN json_object AS jsonb
    CHECK (jsonb_typeof(VALUE) = 'object');

CREATE DOMAIN finite_timestamptz AS timestamptz
    CHECK (isfinite(VALUE));

-- IF EXISTS: schemas made by early builds of 0001 lack some of these constraints.
ALTER TABLE tasks
    DROP CONSTRAINT IF EXISTS tasks_name_check,
    DROP CONSTRAINT IF EXISTS tasks_queue_check,
    DROP CONSTRAINT IF EXISTS tasks_priority_check,
    DROP CONSTRAINT IF EXISTS tasks_state_check,
    DROP CONSTRAINT IF EXISTS tasks_args_check,
    DROP CONSTRAINT IF EXISTS tasks_kwargs_check,
    DROP CONSTRAINT IF EXISTS tasks_options_check,
    DROP CONSTRAINT IF EXISTS tasks_chain_check,
    DROP CONSTRAINT IF EXISTS tasks_run_at_check,
    ALTER COLUMN name     TYPE task_name,
    ALTER COLUMN queue    TYPE queue_name,
    ALTER COLUMN priority TYPE task_priority,
    ALTER COLUMN state    TYPE task_state,
    ALTER COLUMN args     TYPE json_array,
    ALTER COLUMN kwargs   TYPE json_object,
    ALTER COLUMN options  TYPE json_object,
    ALTER COLUMN chain    TYPE json_array,
    ALTER COLUMN run_at   TYPE finite_timestamptz;
