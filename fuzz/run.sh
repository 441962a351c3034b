#!/usr/bin/env bash
# Builds one libFuzzer harness with clang (address and undefined-behaviour
# sanitizers) and runs it for a fixed number of executions on its seed corpus.
#
#   fuzz/run.sh HARNESS RUNS [libFuzzer options...]
#   fuzz/run.sh image 200000            fuzz/fuzz_image.cpp, 200000 executions
#   fuzz/run.sh image -1 -max_total_time=300
#                                       five minutes instead (-1: no run limit)
#
# The build goes to build-fuzz/ (NICENERGY_FUZZ_BUILD overrides it); the
# corpus grows in build-fuzz/corpus-HARNESS (the seeds in fuzz/corpus/HARNESS
# are only read), and crashing inputs land in build-fuzz/findings-HARNESS/.
# Needs clang and its runtime libraries (Debian: clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then sed -n '2,13p' "$0"; exit 2; fi
harness="$1"; runs="$2"; shift 2
case "$runs" in -1) ;; ''|*[!0-9]*) echo "fuzz/run.sh: RUNS must be a whole number or -1, not '$runs'" >&2; exit 2 ;; esac
if [ ! -f "fuzz/fuzz_${harness}.cpp" ]; then
  echo "fuzz/run.sh: no harness fuzz/fuzz_${harness}.cpp (have: $(cd fuzz && ls fuzz_*.cpp | sed 's/fuzz_//; s/\.cpp//' | tr '\n' ' '))" >&2
  exit 2
fi
clang="${CXX:-$(command -v clang++ || command -v clang++-14 || true)}"
if [ -z "$clang" ]; then echo "fuzz/run.sh: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 2; fi

build="${NICENERGY_FUZZ_BUILD:-build-fuzz}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$clang" -DNICENERGY_FUZZ=ON >/dev/null
cmake --build "$build" --target "fuzz_${harness}"

corpus="$build/corpus-$harness"
findings="$build/findings-$harness"
mkdir -p "$corpus" "$findings"
seeds=()
if [ -d "fuzz/corpus/$harness" ]; then seeds=("fuzz/corpus/$harness"); fi
# Run limits: 10 s and 2 GB per input; the caps in the harness keep real
# decodes far below both (milliseconds), so hitting either is itself a finding.
# A tighter -timeout=1 (pass it after RUNS) finds slower inputs but reports
# false timeouts on a loaded machine: with builds beside it, a run reported a
# 199-byte safetensors header as a timeout that, rerun alone, took 12 ms of CPU.
exec "$build/fuzz_${harness}" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$findings/" -print_final_stats=1 "$@" "$corpus" "${seeds[@]}"
