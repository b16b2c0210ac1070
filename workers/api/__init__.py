"""`lawful api`: the privacy-details search API, its web page and its authentication."""
