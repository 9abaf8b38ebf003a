#!/usr/bin/env bash
# Sets up the reference side (a local venv with PyTorch, from PyPI, via the team's pinned script) and runs the
# side-by-side comparison. The venv lives outside Petal's build and is never a dependency of Petal or its tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${VENV:-.venv-bench}
rounds=${ROUNDS:-3}
threads=${THREADS:-$(nproc)}
if ! "$venv/bin/python" -c "import torch, torchvision" 2>/dev/null; then
  echo "installing PyTorch into $venv (about 7 GB, once)"
  bash ../shared/tools/reference-venv.sh "$venv" --torch
fi
swift build -c release --product petal-bench
bin=$(swift build -c release --show-bin-path)
"$venv/bin/python" Benchmarks/compare/compare.py "$bin/petal-bench" "$venv/bin/python" "$rounds" "$threads"
