#!/usr/bin/env bash
# Issue 22, step 1 (measure before porting): oneDNN 3's kernels against the oneDNN 2.6 Petal uses, on this machine,
# in one run:
#   1. petal-bench --probe-convolutions: oneDNN 2.6's bare primitives on ResNet-18's 3×3 shapes (fp32 and bf16, batch
#      32; fp32 batch 1);
#   2. conv_probe.c against Intel's onednn-cpu-gomp 2023.2.0 wheel (oneDNN 3.2), the same shapes;
#   3. PyTorch's own oneDNN 3 (ONEDNN_VERBOSE) on a whole ResNet-18 training step, fp32 and bf16 autocast.
# The wheels are unpacked into a temporary folder: nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m pip download -q --no-deps onednn-cpu-gomp==2023.2.0 onednn-devel-cpu-gomp==2023.2.0 -d "$WORK"
for w in "$WORK"/*.whl; do python3 -m zipfile -e "$w" "$WORK/x"; done
INC="$WORK/x/onednn_devel_cpu_gomp-2023.2.0.data/data/include"
LIB="$WORK/x/onednn_cpu_gomp-2023.2.0.data/data/lib"
gcc -O2 -I"$INC" Benchmarks/onednn3/conv_probe.c -L"$LIB" -ldnnl -Wl,-rpath,"$LIB" -o "$WORK/conv_probe"
swift build -c release --product petal-bench --traits KernelProbes >/dev/null
BENCH="$(swift build -c release --show-bin-path --traits KernelProbes)/petal-bench"
echo "== oneDNN 2.6 (Debian), Petal's bare primitives"
"$BENCH" --probe-convolutions --batch 32
"$BENCH" --probe-convolutions --bf16 --batch 32
"$BENCH" --probe-convolutions --batch 1
echo "== oneDNN 3.2 (Intel's wheel)"
"$WORK/conv_probe"
echo "== PyTorch's oneDNN"
.venv-bench/bin/python Benchmarks/onednn3/torch_verbose.py
