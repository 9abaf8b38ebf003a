#!/usr/bin/env bash
# Issue 18's measurement: the tutorial's recipe against standard alternatives, SEEDS seeds each (default 1 2 3), on the
# bundled flowers and on a Fashion-MNIST pair (pullover vs coat, 300 images each, written as PNG from Debian's
# dataset-fashion-mnist), at no more wall-clock than the tutorial's 10 doubled epochs (the alternatives train 20
# epochs without the doubled batches, the same number of images). Prints val AUC and accuracy of each run's best
# checkpoint (evaluation.json), mean ± standard deviation per recipe, and the seconds per run. Release build.
# Results accumulate in runs/recipes/results.csv (remove it to start over); RECIPE_NAMES runs a subset. `standard` is
# Petal's default recipe (doubled-momentum-cosine spelled out, which it became, on photos resized to the crop since issue
# 30; `standard-crop` is it on the photo's own pixels, as before); the others start from the tutorial's.
# DATASETS picks the data (default: flowers fmnist); other3 is ../shared/datasets/flowers-other3 (967 photos of three
# other flowers, issue 30's larger validation set; OTHER3 names another copy).
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-"1 2 3"}
swift build -c release --product petal >/dev/null
PETAL="$(swift build -c release --show-bin-path)/petal"
OUT=${OUT:-runs/recipes}
mkdir -p "$OUT"
FMNIST="$OUT/fmnist-pullover-coat"
if [ ! -d "$FMNIST" ]; then
  python3 - "$FMNIST" <<'PY'
import gzip, os, struct, sys, zlib
root = sys.argv[1]
images = gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").read()[16:]
labels = gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz").read()[8:]
def png(pixels, w, h):  # 8-bit greyscale PNG, written by hand (no imaging library on a fresh machine)
    raw = b"".join(b"\0" + pixels[y * w:(y + 1) * w] for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
for name, label in [("pullover", 2), ("coat", 4)]:
    os.makedirs(f"{root}/{name}", exist_ok=True)
    taken = 0
    for i, l in enumerate(labels):
        if l == label and taken < 300:
            open(f"{root}/{name}/{i}.png", "wb").write(png(images[i * 784:(i + 1) * 784], 28, 28))
            taken += 1
PY
fi
declare -A RECIPES=(
  [tutorial]="--recipe tutorial --epochs 10"
  [tutorial-preact]="--recipe tutorial --variant preact --epochs 10"
  [standard]="--epochs 10"
  [standard-crop]="--epochs 10 --no-resize"
  [standard-tta]="--epochs 10 --tta"
  [standard-rrc]="--epochs 10 --random-resized-crop 0.35"
  [standard-resize100]="--epochs 10 --resize 100"
  [standard-resize114]="--epochs 10 --resize 114"
  [standard-resize100-ls]="--epochs 10 --resize 100 --label-smoothing 0.1"
  [standard-resize100-rrc]="--epochs 10 --resize 100 --random-resized-crop 0.35"
  [standard-resize128-crop112]="--epochs 10 --resize 128 --crop 112"
  [sgd-momentum-onecycle]="--recipe tutorial --epochs 20 --no-double --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --schedule onecycle --label-smoothing 0.1"
  [adamw-onecycle]="--recipe tutorial --epochs 20 --no-double --optimizer adamw --lr 0.002 --weight-decay 0.05 --schedule onecycle --label-smoothing 0.1"
  [doubled-momentum-cosine]="--recipe tutorial --epochs 10 --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --schedule cosine"
  [sgd-momentum-onecycle-16]="--recipe tutorial --epochs 16 --no-double --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --schedule onecycle --label-smoothing 0.1"
  # Issue 28: each family of the model zoo with the default recipe, and with AdamW where transformers' and ConvNeXt's
  # papers train with it (ConvNeXt and ViT need crops of at least 32: not on Fashion-MNIST's 28).
  [mobilenet_v3_small]="--epochs 10 --model mobilenet_v3_small"
  [mobilenet_v3_small-bn0.1]="--epochs 10 --model mobilenet_v3_small --batch-norm-momentum 0.1"
  [efficientnet_b0]="--epochs 10 --model efficientnet_b0"
  [convnext_tiny]="--epochs 10 --model convnext_tiny"
  [convnext_tiny-adamw]="--epochs 10 --model convnext_tiny --optimizer adamw --lr 0.002 --weight-decay 0.05"
  [vit_b_32]="--epochs 10 --model vit_b_32"
  [vit_b_32-adamw]="--epochs 10 --model vit_b_32 --optimizer adamw --lr 0.001 --weight-decay 0.05"
)
# RECIPE_NAMES picks which to run (default: all, in this order).
NAMES=${RECIPE_NAMES:-"tutorial sgd-momentum-onecycle adamw-onecycle doubled-momentum-cosine sgd-momentum-onecycle-16"}
declare -A DATA=([flowers]="Data/flowers-mini" [fmnist]="$FMNIST --crop 28" [other3]="${OTHER3:-../shared/datasets/flowers-other3}")
[ -f "$OUT/results.csv" ] || echo "data,recipe,seed,val_auc,val_accuracy,seconds" >"$OUT/results.csv"
for data in ${DATASETS:-flowers fmnist}; do
  for recipe in $NAMES; do
    for seed in $SEEDS; do
      run="$OUT/$data-$recipe-$seed"
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$PETAL" train ${DATA[$data]} ${RECIPES[$recipe]} --seed "$seed" --run-dir "$run" --overwrite --no-report --no-tensorboard >/dev/null 2>&1
      seconds=$(echo "$(date +%s.%N) - $start" | bc)
      python3 -c "import json,sys; e=json.load(open('$run/evaluation.json')); print(f\"$data,$recipe,$seed,{e['auc']},{e['accuracy']},{float('$seconds'):.1f}\")" >>"$OUT/results.csv"
      tail -1 "$OUT/results.csv"
    done
  done
done
python3 - "$OUT/results.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| data | recipe | val AUC mean ± sd | val accuracy mean ± sd | seconds per run |")
print("|---|---|---|---|---|")
for data in dict.fromkeys(x["data"] for x in rows):
    for recipe in dict.fromkeys(x["recipe"] for x in rows):
        r = [x for x in rows if x["data"] == data and x["recipe"] == recipe]
        if not r: continue
        auc, acc, sec = ([float(x[k]) for x in r] for k in ["val_auc", "val_accuracy", "seconds"])
        sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0
        print(f"| {data} | {recipe} | {statistics.mean(auc):.4f} ± {sd(auc):.4f} | {statistics.mean(acc):.4f} ± {sd(acc):.4f} | {statistics.mean(sec):.0f} |")
PY
