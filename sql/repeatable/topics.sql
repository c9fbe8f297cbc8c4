-- topic_channel(topic): the NOTIFY channel of a topic in this schema, `<schema>.<topic>`.
--
-- The topics (Swift: Sources/Celeriac/Schema/Topic.swift names the same channels):
--   tasks      wake-up: a task is due in the queue named by the payload
--   schedules  the beat schedule changed (payload empty)
--   control    control messages; the payload names the worker, or `*` for all
--   events     task and worker events, announced once per batch
--   replies    workers' answers to control messages that ask for one (ping)
-- PostgreSQL truncates channel names at 63 bytes: schema names have at most 48 characters.
CREATE OR REPLACE FUNCTION topic_channel(topic text) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
    SELECT current_schema() || '.' || topic
$$;
