-- Histograms for the counters of task_stats (0017): runtimes and waits are counted in 64
-- buckets on a log scale, so the views can give percentiles without reading history.
--
--   bucket 0        up to 100 µs
--   bucket k ≥ 1    (100 µs × 2^((k-1)/2), 100 µs × 2^(k/2)]   each √2 wider than the last
--   bucket 63       everything above ~2.3 days
--
-- A percentile is reported as its bucket's geometric middle: within ±19% of the true value.

-- stats_bucket(seconds): the bucket of one duration (0 for NULL). Workers bucket their counts
-- in Swift (TaskStatsTally.bucket) with the same formula; a test checks the two agree.
CREATE OR REPLACE FUNCTION stats_bucket(seconds double precision) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN seconds IS NULL OR seconds <= 0.0001 THEN 0
            ELSE least(63, 1 + floor(2 * ln(seconds / 0.0001) / ln(2))::integer) END;

-- stats_bucket_seconds(bucket): the duration a bucket stands for (its geometric middle).
CREATE OR REPLACE FUNCTION stats_bucket_seconds(bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN bucket <= 0 THEN 0.00005 ELSE 0.0001 * power(2, (bucket - 0.5) / 2.0) END;

-- stats_histogram(bucket, count): the aggregate of task_stats rows into 64 counts.
CREATE OR REPLACE FUNCTION stats_histogram_step(state bigint[], bucket integer, n bigint) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    IF state IS NULL THEN
        state := array_fill(0::bigint, ARRAY[64]);
    END IF;
    IF bucket BETWEEN 0 AND 63 AND n IS NOT NULL THEN
        state[bucket + 1] := state[bucket + 1] + n;
    END IF;
    RETURN state;
END;
$$;

CREATE OR REPLACE AGGREGATE stats_histogram(integer, bigint) (
    SFUNC = stats_histogram_step,
    STYPE = bigint[]
);

-- stats_percentile(histogram, fraction): the duration below which `fraction` (0…1) of the
-- counted ones fall, in seconds; NULL when nothing was counted.
CREATE OR REPLACE FUNCTION stats_percentile(histogram bigint[], fraction double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT stats_bucket_seconds(s.i::integer - 1)
    FROM (SELECT u.i, sum(u.n) OVER (ORDER BY u.i) AS below, sum(u.n) OVER () AS total
          FROM unnest(histogram) WITH ORDINALITY AS u(n, i)) AS s
    WHERE s.total > 0 AND s.below >= fraction * s.total
    ORDER BY s.i
    LIMIT 1;
END;
