#!/usr/bin/env bash
# The sharded CI flow on one machine, against the bundled emulator:
# start `bstm emulator` on a free port, create one run, run 3 shards concurrently into it,
# close it, show it, stop the emulator. Needs `bstm` and `pytest` on PATH (pip install pytest-bstm).
set -euo pipefail

cd "$(dirname "$0")"
SHARDS=3
PROJECT=PR-1
work=$(mktemp -d "${TMPDIR:-/tmp}/bstm-sharded.XXXXXX")
emulator_pid=""
status=1

cleanup() {
    if [ -n "$emulator_pid" ]; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    if [ "$status" -eq 0 ]; then
        rm -rf "$work"
    else
        echo "run-local.sh: failed; shard logs and journals are kept in $work" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The emulator on a free port (--port 0); it prints its URL once it listens. The log exists
#    before the emulator starts: the background job may open it after the first read below.
: >"$work/emulator.log"
bstm emulator --port 0 >>"$work/emulator.log" 2>&1 &
emulator_pid=$!
url=""
for _ in $(seq 1 100); do
    url=$(sed -n 's/.*serving on \(http[^ ]*\).*/\1/p' "$work/emulator.log")
    [ -n "$url" ] && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "run-local.sh: the emulator did not start:" >&2
    cat "$work/emulator.log" >&2
    exit 1
fi
echo "emulator:  $url"

# What CI gets from its secrets store; these are the emulator's fixed credentials.
export BSTM_URL="$url"
export BROWSERSTACK_USERNAME=bstm-emulator
export BROWSERSTACK_ACCESS_KEY=bstm-emulator-key

# 2. One run for all shards.
run=$(bstm runs create --project "$PROJECT" --name "Sharded local {date} {time}")
echo "run:       $run"

# 3. The shards, concurrently; each joins the run and leaves it open.
#    Each shard journals to its own file (on CI every shard is its own machine).
pids=""
for shard in $(seq 1 "$SHARDS"); do
    pytest --bstm-run "$run" --bstm-no-close --bstm-journal "$work/journal-$shard.jsonl" \
        --shard "$shard/$SHARDS" >"$work/shard-$shard.log" 2>&1 &
    pids="$pids $!"
done
shards_ok=0
for pid in $pids; do
    wait "$pid" || shards_ok=1
done
for shard in $(seq 1 "$SHARDS"); do
    echo "--- shard $shard/$SHARDS"
    sed -n '/^-* bstm -*$/,$p' "$work/shard-$shard.log"
done

# 4. Close the run once every shard is done, and show what it holds.
bstm runs close --project "$PROJECT" "$run"
bstm runs show --project "$PROJECT" "$run"

status=$shards_ok
exit "$status"
