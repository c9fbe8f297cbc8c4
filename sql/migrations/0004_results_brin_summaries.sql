-- 0004_results_brin_summaries: keep the BRIN index on results.finished_at useful.
--
-- A BRIN index only skips block ranges it has summarized, and nothing summarized them:
-- results only grow between prunes, and a VACUUM that finds nothing to clean leaves new
-- ranges alone. Pruning then read every row of `results` on every maintenance round
-- (200 ms per million results here, every 5 s), which showed as a 14% slower drain with
-- a million finished tasks present. The maintenance leader now summarizes new ranges
-- before it prunes; autosummarize is the backstop when it lacks the privilege (it must
-- own the index).
-- (Schemas made by early builds of 0001 have a B-tree there, which needs neither.)
DO $$
BEGIN
    IF (SELECT am.amname FROM pg_class AS c JOIN pg_am AS am ON am.oid = c.relam
        WHERE c.oid = 'results_finished_at_idx'::regclass) = 'brin' THEN
        ALTER INDEX results_finished_at_idx SET (autosummarize = on);
        PERFORM brin_summarize_new_values('results_finished_at_idx'::regclass);
    END IF;
END
$$;
