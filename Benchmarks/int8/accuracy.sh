#!/usr/bin/env bash
# int8 accuracy against fp32 on real photos: a checkpoint (CHECKPOINT, or one trained here with the default recipe on
# DATA, default ../shared/datasets/flowers-other3, seed SEED) quantized by each calibration method on IMAGES training
# photos, then evaluated on the run's validation split (ROC AUC, accuracy) and run on every photo of DATA to count the
# labels int8 changes. Release build; prints one table. Used for docs/INT8.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${DATA:-../shared/datasets/flowers-other3}
images=${IMAGES:-256}
swift build -c release --product petal >/dev/null
petal=$(swift build -c release --show-bin-path)/petal
work=${WORK:-.bench-cache/int8-accuracy}
mkdir -p "$work"
checkpoint=${CHECKPOINT:-}
if [ -z "$checkpoint" ]; then
  run="$work/run-${MODEL:-resnet18}-seed${SEED:-1}"
  if [ ! -f "$run/best.safetensors" ]; then
    "$petal" train "$data" --model "${MODEL:-resnet18}" --seed "${SEED:-1}" --run-dir "$run" --no-tensorboard ${TRAIN_ARGS:-}
  fi
  checkpoint="$run/best.safetensors"
fi
folder=$(dirname "$checkpoint")
# One line per photo: its label and the top probability.
labels() { "$petal" predict "$1" "$data"/*/ --json 2>/dev/null | python3 -c 'import json,sys; [print(r["label"], max(r["probabilities"].values())) for r in map(json.loads, sys.stdin)]'; }
metrics() { "$petal" evaluate "$1" "$data" --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.4f %.4f" % (d["auc"], d["accuracy"]))'; }
labels "$checkpoint" > "$work/fp32.labels"
read -r auc acc < <(metrics "$checkpoint")
printf '%-28s %8s %9s %s\n' "model" "val AUC" "accuracy" "labels equal to fp32's (all; where fp32's top probability is at least 0.6)"
printf '%-28s %8s %9s %s\n' "fp32" "$auc" "$acc" "-"
for method in min-max percentile entropy; do
  for first in "" "--keep-first-convolution"; do
    out="$folder/int8-$method${first:+-first-fp32}.safetensors"
    "$petal" quantize "$checkpoint" --calibration "$data" --images "$images" --method "$method" $first -o "$out" --overwrite >/dev/null
    labels "$out" > "$work/int8.labels"
    read -r auc acc < <(metrics "$out")
    same=$(paste -d' ' "$work/fp32.labels" "$work/int8.labels" | awk '$1 == $3 { n++ } $2 >= 0.6 { c++; if ($1 == $3) s++ }
      END { printf "%.2f %% of %d; %.2f %% of %d", 100 * n / NR, NR, c ? 100 * s / c : 100, c }')
    printf '%-28s %8s %9s %s\n' "int8 $method${first:+, stem fp32}" "$auc" "$acc" "$same"
  done
done
# The reference: ONNX Runtime's static int8 of the same checkpoint (ORT_PYTHON: a Python with onnxruntime, e.g. the
# bench venv's).
if [ -n "${ORT_PYTHON:-}" ]; then
  "$ORT_PYTHON" Benchmarks/int8/ort_accuracy.py "$petal" "$checkpoint" "$data" "$images" "$work/onnxruntime" 2>&1 | grep -v -i warning
fi
