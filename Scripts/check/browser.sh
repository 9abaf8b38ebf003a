#!/usr/bin/env bash
# make check-browser: petal serve's page (GET /) in a real browser. Installs Debian's chromium and chromium-driver when
# missing, serves the demo model (runs/demo/best.safetensors, trained briefly first when missing) in fp32 and as its
# int8 quantization, and has Scripts/check/browser.py upload a photo through the page and compare what the page shows
# with petal predict, then upload a text file and expect the error. Screenshots go to $SHOTS (default .check-browser/).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromedriver >/dev/null || [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium and chromium-driver"
  $(command -v sudo || true) apt-get install -y -q chromium chromium-driver >/dev/null
fi
swift build --product petal >/dev/null
PETAL="$(swift build --show-bin-path)/petal"
RUN=${RUN:-runs/demo}
if [ ! -f "$RUN/best.safetensors" ]; then
  RUN=runs/check-browser
  rm -rf "$RUN"
  "$PETAL" train --run-dir "$RUN" --epochs 1 --no-report --no-tensorboard
fi
SHOTS=${SHOTS:-.check-browser}
mkdir -p "$SHOTS"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PETAL" quantize "$RUN/best.safetensors" --calibration Data/flowers-mini --images 64 -o "$TMP/model.int8.safetensors" >/dev/null
PHOTO=$(ls Data/flowers-mini/rose/*.jpg | head -1)
for model in "$RUN/best.safetensors" "$TMP/model.int8.safetensors"; do
  name=$(basename "$model" .safetensors)
  echo "== $name"
  python3 Scripts/check/browser.py "$PETAL" "$model" "$PHOTO" README.md "$SHOTS/$name"
done
echo "browser check passed; screenshots in $SHOTS/"
