# The Python half of make check-tensorboard (see tensorboard.sh).
import csv
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
import tensorboard

run = sys.argv[1]
rows = list(csv.DictReader(open(f"{run}/history.csv")))
columns = {("train", "epoch_loss"): "loss", ("train", "epoch_accuracy"): "accuracy", ("train", "epoch_learning_rate"): "lr",
           ("validation", "epoch_loss"): "val_loss", ("validation", "epoch_accuracy"): "val_accuracy", ("validation", "epoch_auc"): "val_auc"}
failures, checked = [], 0
accumulators = {}
for side in ["train", "validation"]:
    acc = EventAccumulator(f"{run}/tensorboard/{side}", size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    acc.Reload()
    accumulators[side] = acc
for (side, tag), column in columns.items():
    events = accumulators[side].Scalars(tag) if tag in accumulators[side].Tags()["scalars"] else []
    if len(events) != len(rows):
        failures.append(f"{side}/{tag}: {len(events)} events for {len(rows)} epochs")
        continue
    for e, row in zip(events, rows):
        want = float(row[column])
        if e.step != int(row["epoch"]) - 1 or abs(e.value - want) > 1e-6 * max(1.0, abs(want)):
            failures.append(f"{side}/{tag} step {e.step}: {e.value} against history.csv epoch {row['epoch']} {column} {want}")
        checked += 1
train_tags = accumulators["train"].Tags()
batches = accumulators["train"].Scalars("batch_loss") if "batch_loss" in train_tags["scalars"] else []
if not batches:
    failures.append("no batch_loss events")
if "training_batch" not in train_tags["images"]:
    failures.append("the first training batch image is missing")
if "best_model/confusion_matrix" not in accumulators["validation"].Tags()["images"]:
    failures.append("the confusion matrix image is missing")
histograms = train_tags["histograms"]
print(f"TensorBoard {tensorboard.__version__}: {checked} epoch scalars equal history.csv; {len(batches)} batch losses; "
      f"images {train_tags['images'] + accumulators['validation'].Tags()['images']}; {len(histograms)} parameter histograms")
if failures:
    sys.exit("check-tensorboard: FAILED\n" + "\n".join(failures))
print("check-tensorboard: passed")
