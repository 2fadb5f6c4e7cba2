"""policyqa core: load policy documents, index their clauses, and answer with citations."""

__version__ = "0.1.0"
