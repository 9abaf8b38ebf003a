#!/usr/bin/env bash
# `make bench-compare` (Benchmarks/compare/run.sh), `make bench-tutorial` (run.sh tutorial) and `make bench-latency`
# (run.sh latency: batch-1 latency against ONNX Runtime in short alternating pairs) and `make bench-int8` (run.sh int8:
# Petal's int8 against ONNX Runtime's and OpenVINO's on ONNX Runtime's QDQ model): sets up the reference
# side -- local venvs from PyPI via the team's pinned script, outside Petal's build and never a dependency of Petal or
# its tests -- builds petal-bench and runs the side-by-side comparison.
#   VENV        PyTorch venv (default .venv-bench; made on first use, ~7 GB), also gets ONNX Runtime
#   KERAS_VENV  TF/Keras venv (default .venv-keras); used when it exists, made first when KERAS=1
#   MODEL       the network (default resnet18; any `petal train --model`, e.g. mobilenet_v3_small, convnext_tiny)
#   CROP        the input's side (default 100, the tutorial's crop; 224 is ImageNet's)
#   PRECISION   fp32 (default) or bf16; BF16=1 prints both tables
#   ROUNDS      interleaved rounds (default 5; 1 for the tutorial; 10 pairs for latency), THREADS (default nproc)
#   PETAL_BENCH an already built petal-bench to use instead of building one
#   SPIN        latency only: GOMP_SPINCOUNT values of the spinning Petal sides, comma-separated (default 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-model}
venv=${VENV:-.venv-bench}
keras_venv=${KERAS_VENV:-.venv-keras}
threads=${THREADS:-$(nproc)}
if ! "$venv/bin/python" -c "import torch, torchvision" 2>/dev/null; then
  echo "installing PyTorch into $venv (about 7 GB, once)"
  bash ../shared/tools/reference-venv.sh "$venv" --torch
fi
if [ "$mode" != tutorial ] && ! "$venv/bin/python" -c "import onnx, onnxruntime, onnxscript" 2>/dev/null; then
  echo "installing ONNX Runtime into $venv"
  "$venv/bin/pip" install -q onnx==1.23.2 onnxruntime==1.32.0 onnxscript==0.7.2
fi
if [ "$mode" = int8 ] && ! "$venv/bin/python" -c "import openvino" 2>/dev/null; then
  echo "installing OpenVINO into $venv"
  "$venv/bin/pip" install -q openvino==2026.4.1
fi
if [ "${KERAS:-0}" = 1 ] && ! "$keras_venv/bin/python" -c "import keras, tensorflow" 2>/dev/null; then
  echo "installing TensorFlow + Keras into $keras_venv (about 1.5 GB, once)"
  bash ../shared/tools/reference-venv.sh "$keras_venv" --keras
fi
keras_args=()
[ -x "$keras_venv/bin/python" ] && keras_args=(--keras-python "$keras_venv/bin/python")
bench=${PETAL_BENCH:-}
if [ -z "$bench" ]; then
  swift build -c release --product petal-bench
  bench=$(swift build -c release --show-bin-path)/petal-bench
fi
case "$mode" in
  model)
    precisions=${PRECISION:-fp32}
    [ "${BF16:-0}" = 1 ] && precisions="fp32 bf16"
    for p in $precisions; do
      "$venv/bin/python" Benchmarks/compare/compare.py --petal "$bench" --torch-python "$venv/bin/python" \
        "${keras_args[@]}" --rounds "${ROUNDS:-5}" --threads "$threads" --precision "$p" \
        --model "${MODEL:-resnet18}" --crop "${CROP:-100}"
    done ;;
  tutorial)
    "$venv/bin/python" Benchmarks/compare/tutorial_compare.py --petal "$bench" --torch-python "$venv/bin/python" \
      "${keras_args[@]}" --rounds "${ROUNDS:-1}" --threads "$threads" ;;
  latency)
    "$venv/bin/python" Benchmarks/compare/latency_pairs.py --petal "$bench" --torch-python "$venv/bin/python" \
      --pairs "${ROUNDS:-10}" --threads "$threads" ${SPIN:+--spin "$SPIN"} ;;
  int8)
    "$venv/bin/python" Benchmarks/compare/int8_compare.py --petal "$bench" --python "$venv/bin/python" \
      --rounds "${ROUNDS:-5}" --threads "$threads" --model "${MODEL:-resnet18}" --crop "${CROP:-100}" ;;
  *) echo "usage: $0 [model|tutorial|latency|int8]" >&2; exit 2 ;;
esac
