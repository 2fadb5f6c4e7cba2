"""The HTTP face of policyqa (FastAPI)."""
