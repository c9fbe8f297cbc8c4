-- Statements on `partitions` (migrations/0022_results_partitioned.sql): the partitions of
-- results and events, made ahead and dropped whole once expired.

-- name: maintain
-- Create the partitions of results or events (`parent`) ahead of time and drop the expired
-- ones (maintain_partitions(), repeatable/partitions.sql).
-- param parent: text
-- param expires_seconds: float8?
-- param width_seconds: float8
-- param ahead_seconds: float8
-- column created: int
-- column dropped: int
-- column allowed: bool
SELECT created, dropped, allowed FROM celeriac.maintain_partitions($1, $2, $3, $4)
