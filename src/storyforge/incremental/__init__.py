"""What makes a rebuild cheap, beside the pipeline: the cache, fingerprints, the entry store, compiled templates."""
