#!/usr/bin/env bash
# The Slurm stage: `nicenergy campaign --slurm` against a real Slurm cluster (the
# single-node one of scripts/slurm-test-cluster), not a mock.
#
#   scripts/slurm-test-cluster start && tests/slurm/run.sh [build/nicenergy]
#
# 1. A small campaign (3 networks x 3 sizes, CPU estimate meter, short windows)
#    in 3 shards as an array job, merged and fitted by the dependent job: the
#    merged CSV holds exactly the points of a single-machine run of the same plan
#    (energies differ; the keys network, quality, image, width, height are
#    compared), each once; each task's log names its job and node; each row
#    names the node (Slurm's name for it), its task's job (ARRAY_I) and no GPU.
# 2. The same plan again, one task at a time; shard 2's task is cancelled
#    (scancel) mid-shard, after its first row. While it runs, a second campaign on
#    its shard is refused with a message naming the holder (pid on node). The
#    merge job is then cancelled by Slurm (its dependency can no longer be met);
#    `campaign status` shows the shard incomplete; `--slurm --resume` resubmits
#    shard 2 alone, which carries on from its CSV (the rows from before the kill
#    kept, under the cancelled task's job id, the later ones under the new
#    array's), and the merged CSV again holds every point exactly once.
# If the cluster is not running the test says so and FAILS: it never passes
# without having run. Takes a few minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"
bin="$(realpath "${1:-build/nicenergy}")"
fail() { echo "tests/slurm: FAIL: $*" >&2; exit 1; }
step() { echo "tests/slurm: $*"; }

[ -x "$bin" ] || fail "no nicenergy binary at $bin: build it first (cmake --build build --target nicenergy)"
command -v python3 >/dev/null || fail "python3 is needed to compare the CSVs"
if ! status="$(scripts/slurm-test-cluster status 2>&1)"; then
  fail "the Slurm test cluster is not running ($status): start it with scripts/slurm-test-cluster start"
fi
eval "$(scripts/slurm-test-cluster env)"
export SLURM_CONF
for tool in sbatch squeue scancel scontrol; do command -v "$tool" >/dev/null || fail "'$tool' is not installed"; done
node="$(hostname -s)"

work="$(mktemp -d /tmp/nicenergy-slurm-test.XXXXXX)"
trap 'echo "tests/slurm: scratch folder $work (kept for a look)"' EXIT
cd "$work"

write_config() {  # name output windows window_s
  cat >"$1.toml" <<EOF
[campaign]
name = "$1"
output = "$work/$2"
device = "cpu"
meter = "estimate"
models = ["Bfac", "Bhyp", "Mmean"]
levels = ["low"]

[protocol]
idle_s = 0.5
window_s = $4
k_min = $3
k_max = $3
preheat_max_s = 0
preheat_no_sensor_s = 0

[[images]]
sizes = ["64x64", "128x64", "128x128"]
from = "$repo/data/images"
method = "mosaic"
EOF
}

# The point keys of a results CSV, one per line, sorted (duplicates kept).
keys() {
  python3 - "$1" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for key in sorted("|".join(r[c] for c in ("network", "quality", "image", "width", "height")) for r in rows):
    print(key)
EOF
}

column_values() {  # file column: the distinct values
  python3 - "$1" "$2" <<'EOF'
import csv, sys
print(" ".join(sorted({r[sys.argv[2]] for r in csv.DictReader(open(sys.argv[1], newline=""))})))
EOF
}

job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }

wait_for_jobs() {  # job ids...; until none is pending or running (600 s at most)
  local ids; ids="$(IFS=,; echo "$*")"
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$ids" -t PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED,REQUEUED 2>/dev/null)" ] && return 0
    sleep 1
  done
  squeue -j "$ids" || true
  fail "jobs $ids still not done after 600 s"
}

submitted_id() {  # "array" or "merge", from the submission text on stdin
  sed -n "s/^submitted $1 job \([0-9]*\).*/\1/p" | head -1
}

step "single-machine run of the plan"
write_config single single.csv 2 0.2
"$bin" campaign single.toml >single.log 2>&1 || { cat single.log; fail "the single-machine campaign failed"; }
keys single.csv >single.keys
[ "$(wc -l <single.keys)" = 9 ] || fail "the single-machine run has $(wc -l <single.keys) rows, not 9"

step "1. the same plan on Slurm in 3 shards"
write_config cluster results/cluster.csv 2 0.2
"$bin" campaign cluster.toml --slurm --shards 3 | tee submit.txt
array="$(submitted_id array <submit.txt)"; merge="$(submitted_id merge <submit.txt)"
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids in the submission output"
grep -q -- "--shard \"\${SLURM_ARRAY_TASK_ID}/3\"" results/cluster.slurm/shards.sbatch || fail "shards.sbatch lacks the shard command"
wait_for_jobs "$array" "$merge"
[ "$(job_state "$merge")" = COMPLETED ] || { cat results/cluster.slurm/logs/*; fail "merge job $merge ended $(job_state "$merge")"; }
keys results/cluster.csv >cluster.keys
diff single.keys cluster.keys || fail "the merged CSV's points differ from the single-machine run's (diff above)"
[ -z "$(uniq -d cluster.keys)" ] || fail "a point is in the merged CSV twice"
[ "$(column_values results/cluster.csv meter)" = estimate ] || fail "meter column: '$(column_values results/cluster.csv meter)', not 'estimate'"
# Where each row ran: the cluster's one node, the task of the array job that measured it, no GPU.
[ "$(column_values results/cluster.csv node)" = "$node" ] || fail "node column: '$(column_values results/cluster.csv node)', not '$node'"
tasks="$(printf '%s\n' "${array}_1" "${array}_2" "${array}_3" | sort | paste -sd' ')"
[ "$(column_values results/cluster.csv slurm_job)" = "$tasks" ] || fail "slurm_job column: '$(column_values results/cluster.csv slurm_job)', not '$tasks'"
for i in 1 2 3; do
  [ "$(column_values results/cluster.shard${i}of3.csv slurm_job)" = "${array}_$i" ] || fail "shard $i's rows do not name task ${array}_$i"
done
[ -z "$(column_values results/cluster.csv gpu)" ] || fail "gpu column: '$(column_values results/cluster.csv gpu)' on a CPU-only cluster"
[ -z "$(column_values single.csv slurm_job)" ] || fail "the single-machine run names a Slurm job"
grep -q "^shard 2/3: job [0-9]* on $node" results/cluster.slurm/logs/shard-2.out || fail "shard 2's log does not name its job and node"
[ -s results/cluster-fit.json ] || fail "the merge job wrote no fit"
"$bin" campaign status cluster.toml | tee status1.txt
grep -q ": 9 of 9 points in 3 shards" status1.txt || fail "status does not show 9 of 9 points"
step "1. passed: $(wc -l <cluster.keys) points, the single-machine run's, each once"

step "2. kill a task mid-shard, then --resume"
# Longer points (5 windows of 0.3 s): the task must still be at work when it is cancelled.
write_config kill results/kill.csv 5 0.3
"$bin" campaign kill.toml --slurm --shards 3 --array-max 1 | tee submit2.txt
array="$(submitted_id array <submit2.txt)"; merge="$(submitted_id merge <submit2.txt)"
shard2=results/kill.shard2of3.csv
rows() { if [ -f "$1" ]; then python3 -c "import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline='')))))" "$1"; else echo 0; fi; }
killed=""
for _ in $(seq 1200); do
  if [ "$(rows "$shard2")" -ge 1 ]; then
    # While its task runs, a second campaign on the shard is refused, naming the holder.
    if "$bin" campaign kill.toml --shard 2/3 >second.log 2>&1; then fail "a second campaign on a running shard was not refused"; fi
    grep -q "is in use by pid [0-9]* on $node" second.log || { cat second.log; fail "the lock message does not name the holder"; }
    scancel "${array}_2"
    killed=yes
    break
  fi
  sleep 0.25
done
[ -n "$killed" ] || fail "shard 2 never wrote a row"
wait_for_jobs "$array" "$merge"
before="$(rows "$shard2")"
[ "$before" -lt 3 ] || fail "shard 2 finished ($before rows) before it was cancelled: make its points longer"
head -2 "$shard2" | tail -1 >first-row.txt
[ ! -e results/kill.csv ] || fail "the merge job ran although a shard was cancelled"
step "shard 2 cancelled with $before of 3 rows; merge job $merge $(job_state "$merge")"
"$bin" campaign status kill.toml | tee status2.txt
grep -q "2/3     $before/3" status2.txt || fail "status does not show shard 2 at $before/3"

"$bin" campaign kill.toml --slurm --resume | tee resume.txt
grep -q "shard 2/3: $before of 3 points, resubmitted" resume.txt || fail "--resume did not resubmit shard 2"
if grep -q "shard [13]/3" resume.txt; then fail "--resume touched a complete shard"; fi
grep -q "^#SBATCH --array=2$" results/kill.slurm/shards.sbatch || fail "the resubmitted array is not shard 2 alone"
killed_array="$array"
array="$(submitted_id array <resume.txt)"; merge="$(submitted_id merge <resume.txt)"
wait_for_jobs "$array" "$merge"
[ "$(job_state "$merge")" = COMPLETED ] || { cat results/kill.slurm/logs/*; fail "merge job $merge ended $(job_state "$merge")"; }
grep -q "resuming: $before of 3 points already in" results/kill.slurm/logs/shard-2.out ||
  { cat results/kill.slurm/logs/shard-2.out; fail "the resubmitted task did not resume from its CSV"; }
grep -qxF "$(cat first-row.txt)" "$shard2" || fail "the row measured before the kill is gone from shard 2"
grep -qF ",${killed_array}_2," first-row.txt || fail "the row from before the kill does not name the cancelled task ${killed_array}_2"
tasks="$(printf '%s\n' "${killed_array}_2" "${array}_2" | sort | paste -sd' ')"
[ "$(column_values "$shard2" slurm_job)" = "$tasks" ] || fail "shard 2's slurm_job column: '$(column_values "$shard2" slurm_job)', not '$tasks'"
keys "$shard2" >shard2.keys
[ "$(wc -l <shard2.keys)" = 3 ] && [ -z "$(uniq -d shard2.keys)" ] || fail "shard 2 does not hold its 3 points once each"
keys results/kill.csv >kill.keys
diff single.keys kill.keys || fail "after --resume the merged CSV's points differ from the single-machine run's"
"$bin" campaign status kill.toml | tee status3.txt
grep -q ": 9 of 9 points in 3 shards" status3.txt || fail "status does not show 9 of 9 points after the resume"
step "2. passed: shard 2 resumed from $before rows, every point once"
trap - EXIT
rm -rf "$work"
step "all passed"
