"""Embedding, the versioned index store, keyword search and hybrid retrieval."""
