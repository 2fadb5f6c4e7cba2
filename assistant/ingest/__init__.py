"""From files on disk to a new index version: loading, chunking, and the pipeline."""
