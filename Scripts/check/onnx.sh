#!/usr/bin/env bash
# make check-onnx: exports the demo model (runs/demo/best.safetensors; a short run is trained first when it is
# missing) with `petal export`, has onnx.checker check it, runs it in ONNX Runtime on every validation image of the run
# (the exact inputs Petal feeds the network, written by `petal predict --save-inputs`) and compares the probabilities
# with `petal predict`'s: the largest difference must be at most 1e-4. Both the folded export and one that keeps the
# batch norms and returns probabilities are checked; then the demo model's int8 quantization, exported as QDQ, in ONNX
# Runtime and OpenVINO (Scripts/check/onnx_check_int8.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Scripts/check/venv.sh
swift build -c release --product petal >/dev/null
PETAL="$(swift build -c release --show-bin-path)/petal"
RUN=${RUN:-runs/demo}
if [ ! -f "$RUN/best.safetensors" ]; then
  RUN=runs/check-onnx
  rm -rf "$RUN"
  "$PETAL" train --run-dir "$RUN" --epochs 2 --no-report
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$PETAL" export "$RUN/best.safetensors" -o "$OUT/folded.onnx"
"$PETAL" export "$RUN/best.safetensors" -o "$OUT/kept.onnx" --keep-batch-norm --returns probabilities >/dev/null
IMAGES=$("$CHECK_VENV/bin/python" -c "
import json, sys
s = json.load(open('$RUN/split.json'))
root = json.load(open('$RUN/config.json'))['dataDirectory']
print('\n'.join(f'{root}/{p}' for c in s['validation'] for p in c))")
mapfile -t FILES <<<"$IMAGES"
"$PETAL" predict "$RUN/best.safetensors" "${FILES[@]}" --json --save-inputs "$OUT/inputs" >"$OUT/predictions.jsonl"
"$CHECK_VENV/bin/python" Scripts/check/onnx_check.py "$OUT" "$RUN/best.safetensors"
# The int8 model of petal quantize, exported as QDQ and run by ONNX Runtime and OpenVINO.
DATA=$("$CHECK_VENV/bin/python" -c "import json; print(json.load(open('$RUN/config.json'))['dataDirectory'])")
"$PETAL" quantize "$RUN/best.safetensors" --calibration "$DATA" --images 64 --method min-max -o "$OUT/int8.safetensors" >/dev/null
"$PETAL" export "$OUT/int8.safetensors" -o "$OUT/int8.onnx" >/dev/null
"$PETAL" predict "$OUT/int8.safetensors" "${FILES[@]}" --json >"$OUT/predictions-int8.jsonl"
"$CHECK_VENV/bin/python" Scripts/check/onnx_check_int8.py "$OUT"
