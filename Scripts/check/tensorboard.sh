#!/usr/bin/env bash
# make check-tensorboard: trains a short run on the bundled flowers (release build; RUN=folder to check an existing
# run instead), then loads its tensorboard/ folder with TensorBoard's own EventAccumulator and checks every epoch
# scalar against history.csv, the per-batch losses, the pictures and the histograms.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Scripts/check/venv.sh
if [ -z "${RUN:-}" ]; then
  swift build -c release --product petal >/dev/null
  PETAL="$(swift build -c release --show-bin-path)/petal"
  RUN=runs/check-tensorboard
  "$PETAL" train --run-dir "$RUN" --overwrite --epochs 3 --tensorboard-histograms --no-report
fi
"$CHECK_VENV/bin/python" Scripts/check/tensorboard_check.py "$RUN"
