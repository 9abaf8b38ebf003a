# `make bench-tutorial`: the end-to-end tutorial run (`make demo`'s training recipe: ResNet-18 pre-activation,
# 100x100 crops, batches of 32 doubled by augmented copies, SGD 0.1 with clipnorm 1 halved every epoch, validation
# loss/accuracy/AUC each epoch, on Data/flowers-mini) timed in Petal (`petal-bench --only tutorial --json`) and in
# the same recipe written for PyTorch and Keras (tutorial_torch.py, tutorial_keras.py), interleaved over ROUNDS
# rounds. Prints the first epoch's, the fastest later epoch's and the whole run's (from reading the images to the end
# of the last epoch) wall time per side, medians over the rounds, and Petal's ratio, reference time ÷ Petal time, so
# that >1 means Petal is faster. Python drives the references only.
import argparse
import os
import statistics

import interleave

parser = argparse.ArgumentParser()
parser.add_argument("--petal", required=True, help="the petal-bench executable")
parser.add_argument("--torch-python", help="python of a venv with torch + torchvision + scikit-learn")
parser.add_argument("--keras-python", default=os.environ.get("KERAS_PYTHON"), help="python of a venv with keras (env KERAS_PYTHON)")
parser.add_argument("--rounds", type=int, default=1)
parser.add_argument("--threads", default=str(os.cpu_count()))
parser.add_argument("--epochs", type=int, default=3, help="epochs of the reference runs (Petal's benchmark runs 3)")
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
common = ["--threads", args.threads, "--epochs", str(args.epochs)]
sides = {"Petal": [args.petal, "--only", "tutorial", "--json"]}
for name, python, script in (("PyTorch", args.torch_python, "tutorial_torch.py"), ("Keras", args.keras_python, "tutorial_keras.py")):
    if python and os.path.exists(python):
        sides[name] = [python, f"{here}/{script}"] + common
    else:
        print(f"{name}: skipped (no venv given)")

results = interleave.run(sides, args.rounds, args.threads)


def median(name, key):
    v = [x[key] for x in results[name] if x.get(key) is not None]
    return (statistics.median(v), min(v), max(v)) if v else None


def cell(m, unit="s"):
    return "—" if m is None else (f"{m[0]:.2f} {unit}" if m[1] == m[2] else f"{m[0]:.2f} [{m[1]:.2f}-{m[2]:.2f}] {unit}")


print(f"\nTutorial run on Data/flowers-mini, {args.threads} threads, {args.rounds} interleaved round(s): "
      "median [min-max] wall time per epoch, validation included")
keys = ("first_epoch_s", "later_epoch_s", "total_s")
print(f"{'':10}{'first epoch':>26}{'later epoch (fastest)':>26}{'load to last epoch':>26}{'img/s later':>13}   val_auc per epoch")
for name in sides:
    first, later, total = (median(name, k) for k in keys)
    rate = f"{results[name][-1]['train_images_per_epoch'] / later[0]:.0f}" if later else "—"
    auc = " ".join(f"{a:.3f}" for a in results[name][-1].get("val_auc", []))
    print(f"{name:10}{cell(first):>26}{cell(later):>26}{cell(total):>26}{rate:>13}   {auc}")
print("\nPetal's ratio, reference time ÷ Petal time (>1 = Petal faster)")
for name in sides:
    if name == "Petal":
        continue
    cells = []
    for key in keys:
        p, ref = median("Petal", key), median(name, key)
        cells.append("—" if p is None or ref is None else f"×{ref[0] / p[0]:.2f}")
    print(f"{'vs ' + name:10}" + "".join(f"{c:>26}" for c in cells))
