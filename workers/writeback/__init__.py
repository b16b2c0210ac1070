"""`lawful writeback`: the computed status of each person written to its Individual record."""
