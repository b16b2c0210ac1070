"""`lawful backfill`: read an existing org through REST and feed it to the pipeline as snapshots.

SOQL only (pages of up to 2,000 records, the next page fetched while the current one is
produced): the emulator's Bulk API 2.0 supports only delete/hardDelete ingest jobs, not query
jobs (emulator/rest/bulk.py), so a Bulk query path could not be tested here.
"""
