#!/usr/bin/env bash
# make bench-distributed: ResNet-18 training at 100×100 with a global batch of 64, on this machine as
#   one process × all cores, against two ranks × half the cores over shared memory (Open MPI's vader BTL) and over
#   TCP on loopback (--mca btl tcp,self), interleaved for ROUNDS rounds (medians), release build.
# The last column runs the all-reduce on a second thread during the forward and backward pass, against after it:
# whether overlapping communication with computation can pay on this machine.
# Then the scaling model of README.md's "Training on several machines", from the measured step and gradient size.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-8}
BATCH=${BATCH:-64}
swift build -c release --product petal >/dev/null
PETAL="$(swift build -c release --show-bin-path)/petal"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe -np 2)
BENCH=(bench --model resnet18 --input 100 --batch-size "$BATCH" --steps "$STEPS" --json)
OUT=$(mktemp -d)
for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS" >&2
  "$PETAL" "${BENCH[@]}" >"$OUT/single.$round.json"
  "${MPIRUN[@]}" "$PETAL" "${BENCH[@]}" >"$OUT/shm.$round.json"
  "${MPIRUN[@]}" --mca btl tcp,self "$PETAL" "${BENCH[@]}" >"$OUT/tcp.$round.json"
done
python3 - "$OUT" "$ROUNDS" "$BATCH" <<'PY'
import json, statistics, sys
out, rounds, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(kind): return [json.load(open(f"{out}/{kind}.{r}.json")) for r in range(1, rounds + 1)]
def med(rows, key): return statistics.median(r[key] for r in rows)
single, shm, tcp = load("single"), load("shm"), load("tcp")
base = med(single, "trainImagesPerSecond")
print(f"ResNet-18, 100×100, global batch {batch}, medians of {rounds} rounds")
print("| run | images/s | vs one process | step ms | waiting ms | all-reduce ms | all-reduce share of step | forward+backward with all-reduce alongside / after, ms |")
print("|---|---|---|---|---|---|---|---|")
print(f"| 1 process × all cores | {base:.1f} | ×1.00 | {batch / base * 1000:.0f} | – | – | – | – |")
for name, rows in [("2 ranks, shared memory", shm), ("2 ranks, TCP loopback", tcp)]:
    ips, step, wait, ar, together, apart = (med(rows, k) for k in ["imagesPerSecond", "stepMilliseconds", "waitMilliseconds", "allReduceMilliseconds",
                                                                  "overlappedMilliseconds", "sequentialMilliseconds"])
    print(f"| {name} | {ips:.1f} | ×{ips / base:.2f} | {step:.0f} | {wait:.1f} | {ar:.1f} | {ar / step * 100:.1f} % | {together:.0f} / {apart:.0f} |")
mb = med(shm, "gradientMegabytes")
step = batch / base * 1000  # one machine like this one computing the whole global batch, ms
print()
print(f"Scaling model: every machine like this one, global batch {batch} split evenly, ring all-reduce of {mb:.1f} MB")
print("(2·(N−1)/N × bytes ÷ bandwidth), no overlap; step = compute/N + all-reduce.")
print("| machines | compute ms | 10 Gbit/s: all-reduce ms | step ms | speed-up | 25 Gbit/s: all-reduce ms | step ms | speed-up |")
print("|---|---|---|---|---|---|---|---|")
for n in [1, 2, 4, 8, 16, 32, 64]:
    compute = step / n
    row = [f"{n}", f"{compute:.0f}"]
    for gbit in [10, 25]:
        ar = 0 if n == 1 else 2 * (n - 1) / n * mb * 8 / (gbit * 1000) * 1000
        row += [f"{ar:.0f}", f"{compute + ar:.0f}", f"×{step / (compute + ar):.1f}"]
    print("| " + " | ".join(row) + " |")
PY
rm -rf "$OUT"
