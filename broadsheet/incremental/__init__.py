"""The incremental layer: every decision to skip work, behind one interface (incremental.layer). It owns the cache
folder and its records (cache, records), the digests of what a page depends on (fingerprints), the no-change stamp
(stamp), the worker pool (pool) and what a worker does (tasks). It may import the stages (it runs and memoises them)
and the base layer; never the pipeline, the preview or the command line."""
