#!/usr/bin/env bash
# make bench-serve: `petal serve` under load from wrk (Debian's; installed on first use) on loopback, DURATION seconds
# (default 30) at each of CONCURRENCY (default "1 8 32") connections, with batching (the default, up to 16 images per
# forward pass) and without (--max-batch 1); requests/s, p50/p99 latency, errors, and the server's memory before and
# after. The baseline is `petal predict` started once per image. Release build; the model is the demo run's
# (runs/demo/best.safetensors; a short run is trained first when it is missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { SUDO=$([ "$(id -u)" = 0 ] || echo sudo); $SUDO apt-get install -y -qq wrk >/dev/null; }
DURATION=${DURATION:-30}
CONCURRENCY=${CONCURRENCY:-"1 8 32"}
swift build -c release --product petal >/dev/null
PETAL="$(swift build -c release --show-bin-path)/petal"
MODEL=runs/demo/best.safetensors
if [ ! -f "$MODEL" ]; then
  "$PETAL" train --run-dir runs/bench-serve --overwrite --epochs 1 --no-report >/dev/null
  MODEL=runs/bench-serve/best.safetensors
fi
IMAGE=$(ls Data/flowers-mini/rose/*.jpg | head -1)
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
cat >"$WORK/post.lua" <<LUA
local f = io.open("$IMAGE", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2 / 1024}' "/proc/$1/status"; }

echo "| server | connections | requests/s | p50 ms | p99 ms | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|---|"
for batch in 16 1; do
  "$PETAL" serve "$MODEL" --port 18090 --max-batch "$batch" >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18090/health >/dev/null && break; sleep 0.2; done
  before=$(rss $SERVER)
  for c in $CONCURRENCY; do
    wrk -t 1 -c "$c" -d "${DURATION}s" --latency -s "$WORK/post.lua" http://127.0.0.1:18090/predict >"$WORK/wrk.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt"); p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk.txt"); socket=$(awk '/Socket errors/ {print $4 $5 $6 $7 $8 $9 $10 $11}' "$WORK/wrk.txt")
    echo "| max batch $batch | $c | $rps | $p50 | $p99 | ${non2xx:-0} | ${socket:-0} |"
  done
  echo "memory, max batch $batch: before $before; after $(rss $SERVER)" >>"$WORK/memory.txt"
  kill -INT $SERVER; wait $SERVER || true
done
cat "$WORK/memory.txt"
start=$(date +%s.%N)
for _ in $(seq 10); do "$PETAL" predict "$MODEL" "$IMAGE" >/dev/null; done
echo "baseline: petal predict once per image: $(echo "10 / ($(date +%s.%N) - $start)" | bc -l | cut -c1-5) images/s"
