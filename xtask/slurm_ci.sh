#!/usr/bin/env bash
# `regretnet reproduce --slurm` against a real one-node Slurm on localhost (run by `cargo xtask
# ci`): install Slurm from Debian's packages if needed, start slurmctld and slurmd by hand
# (auth/none, every path under one temporary directory), submit a 3-row array, kill one task
# mid-run, resubmit it, collect, and check that the table and every row equal a local
# `regretnet reproduce` of the same budget; then stop the daemons by PID.
#
# Usage: xtask/slurm_ci.sh path/to/regretnet. Skips (exit 0, saying so) where Slurm is not
# installed and cannot be (not root, or no apt-get).
set -euo pipefail
BIN=$(readlink -f "$1")
T=$(mktemp -d /tmp/regretnet-slurm-XXXXXX)
say() { echo "slurm-ci: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "SKIPPED: Slurm is not installed and this machine cannot install it (needs root and apt-get)"
        exit 0
    fi
    say "installing slurmctld, slurmd and slurm-client from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client >/dev/null
fi

H=$(hostname -s)
NCPU=$(nproc)
MEM=$(( $(free -m | awk '/^Mem:/{print $2}') - 2048 ))
mkdir -p "$T"/{etc,state,spool,log,run}
cat > "$T/etc/slurm.conf" <<EOF
ClusterName=regretnet-ci
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
NodeName=$H NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$MEM State=UNKNOWN
PartitionName=ci Nodes=$H Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$T/etc/slurm.conf

stop() {
    for f in slurmd slurmctld; do
        [ -f "$T/run/$f.launch" ] && kill -TERM "$(cat "$T/run/$f.launch")" 2>/dev/null || true
    done
    for f in slurmd slurmctld; do
        if [ -f "$T/run/$f.launch" ]; then
            p=$(cat "$T/run/$f.launch")
            for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    [ -n "${KEEP_SLURM_CI:-}" ] || rm -rf "$T"
}
trap stop EXIT

setsid /usr/sbin/slurmctld -D -f "$SLURM_CONF" </dev/null >"$T/log/slurmctld.stdout" 2>&1 &
echo $! > "$T/run/slurmctld.launch"
setsid /usr/sbin/slurmd -D -f "$SLURM_CONF" </dev/null >"$T/log/slurmd.stdout" 2>&1 &
echo $! > "$T/run/slurmd.launch"
for _ in $(seq 120); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 0.25; done
sinfo -h -o %T | grep -qx idle || { say "the node never became idle"; cat "$T"/log/*; exit 1; }
say "one-node Slurm is up ($(sinfo -V))"

# The tiny budget: three rows, 400 iterations, checkpoints every 100, 300 test profiles.
ROWS=(additive_1x2_uniform unit_1x2_uniform additive_1x2_uniform_triangle)
ARGS=(--budget quick --only "${ROWS[@]}" --iterations 400 --checkpoint-every 100 --samples 300)
S=$T/slurm-run
L=$T/local-run

wait_for() { # wait_for JOB SECONDS: until the array leaves the queue
    local end=$(( $(date +%s) + $2 ))
    while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$end" ] || { say "job $1 still queued after $2 s"; squeue; exit 1; }
        sleep 0.5
    done
}

# The whole quick budget's script, and the tiny budget's, pass sbatch --test-only.
"$BIN" reproduce --budget quick --out "$T/quick" --slurm --dry-run >/dev/null
sbatch --test-only "$T/quick/slurm/reproduce.sbatch" 2>&1 | grep -q "to start at" \
    || { say "sbatch --test-only refused the quick budget's script"; exit 1; }
"$BIN" reproduce "${ARGS[@]}" --out "$S" --slurm --dry-run >/dev/null
sbatch --test-only "$S/slurm/reproduce.sbatch" 2>&1 | grep -q "to start at" \
    || { say "sbatch --test-only refused the script"; exit 1; }
JOB=$("$BIN" reproduce "${ARGS[@]}" --out "$S" --slurm --cpus-per-task 1 | sed -n 's/^submitted job array \([0-9]*\).*/\1/p')
[ -n "$JOB" ] || { say "no job id"; exit 1; }
say "submitted array $JOB"

# Kill task 0 once its checkpoint at iteration 200 exists (mid-run: it trains to 400).
end=$(( $(date +%s) + 120 ))
until [ -f "$S/${ROWS[0]}/checkpoints/iter-000000200.safetensors" ]; do
    [ "$(date +%s)" -lt "$end" ] || { say "row 0 never reached iteration 200"; exit 1; }
    sleep 0.1
done
scancel "${JOB}_0"
say "cancelled task ${JOB}_0 at $(ls "$S/${ROWS[0]}/checkpoints" | tr '\n' ' ')"
wait_for "$JOB" 180
"$BIN" reproduce --status "$S" >&2
[ ! -f "$S/${ROWS[0]}/reproduce.json" ] || { say "the cancelled row finished anyway"; exit 1; }
if "$BIN" reproduce --collect "$S" --results "$T/partial.md" 2>/dev/null; then
    say "--collect passed with a row missing"; exit 1
fi
grep -q "^- ${ROWS[0]}: running at iteration" "$T/partial.md" \
    || { say "--collect did not name the unfinished row"; cat "$T/partial.md"; exit 1; }

JOB2=$("$BIN" reproduce "${ARGS[@]}" --out "$S" --slurm --resubmit --cpus-per-task 1 | sed -n 's/^submitted job array \([0-9]*\).*/\1/p')
[ -n "$JOB2" ] || { say "the resubmission submitted nothing"; exit 1; }
grep -q "^#SBATCH --array=0$" "$S/slurm/reproduce.sbatch" || { say "resubmitted more than row 0"; exit 1; }
wait_for "$JOB2" 180
"$BIN" reproduce --collect "$S" --results "$T/slurm.md" >/dev/null

# The same budget run locally.
"$BIN" reproduce "${ARGS[@]}" --out "$L" --results "$T/local.md" --quiet >/dev/null

# Every printed digit equal but the wall times, the machine and the commands (which name
# --only ROW per task); every row's numbers equal to the bit.
strip() { grep -v '^Reproduced with\|^Total wall time' "$1" | sed -E 's/\| [^|]* \+ [^|]* \|$/|/'; }
diff <(strip "$T/local.md") <(strip "$T/slurm.md") >&2 || { say "the tables differ"; exit 1; }
for r in "${ROWS[@]}"; do
    python3 - "$L/$r/reproduce.json" "$S/$r/reproduce.json" <<'PY' || { say "row $r differs"; exit 1; }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
keys = ["revenue", "revenue_se", "gradient_regret", "audited_regret", "baselines", "iterations", "estimates"]
bad = [k for k in keys if a[k] != b[k]]
sys.exit(f"differ: {bad}" if bad else 0)
PY
done
# A seed sweep of one preset: one task per seed, each its own row and run directory.
W=$T/seeds
JOB3=$("$BIN" reproduce --budget quick --only additive_1x2_uniform --seeds 1,2 --iterations 100 \
    --samples 100 --out "$W" --slurm --cpus-per-task 1 | sed -n 's/^submitted job array \([0-9]*\).*/\1/p')
[ -n "$JOB3" ] || { say "the seed sweep submitted nothing"; exit 1; }
wait_for "$JOB3" 120
"$BIN" reproduce --status "$W" >&2
"$BIN" reproduce --collect "$W" --results "$T/seeds.md" >/dev/null
for s in 1 2; do
    grep -q "^| additive_1x2_uniform (seed $s) | 100 |" "$T/seeds.md" \
        || { say "seed $s is not in the sweep's table"; cat "$T/seeds.md"; exit 1; }
    grep -q "^seed = $s$" "$W/additive_1x2_uniform-seed$s/config.toml" \
        || { say "the seed-$s row did not train with seed $s"; exit 1; }
done
say "passed: 3-row array, task 0 cancelled at iteration >= 200 and resubmitted, collected table equals the local one; a 2-seed sweep"
