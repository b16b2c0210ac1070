"""`lawful backfill`: read an existing org through REST and feed it to the pipeline as snapshots."""
