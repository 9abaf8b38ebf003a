# Helpers shared by the reference-side benchmark scripts (PyTorch, ONNX Runtime, TF/Keras), each run in its own venv:
# only the standard library, NumPy and Pillow, which every reference venv has.
import os
import resource
import statistics
import time

import numpy as np
from PIL import Image


def timed(fn, warmup, runs):
    """Median seconds per call of `fn` over `runs` calls after `warmup` calls (fn must wait for its result)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_flowers(root, size=100, train_fraction=0.8):
    """The tutorial's data: every image of root/<class>/ centre-cropped to size x size (smaller ones skipped), per
    class the first 80% of the sorted files for training and the rest for validation. Returns uint8 NHWC arrays and
    integer labels: (classes, x_train, y_train, x_val, y_val)."""
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    splits = {"train": ([], []), "val": ([], [])}
    for label, name in enumerate(classes):
        crops = []
        for f in sorted(os.listdir(os.path.join(root, name))):
            with Image.open(os.path.join(root, name, f)) as im:
                a = np.asarray(im.convert("RGB"))
            h, w = a.shape[:2]
            if h >= size and w >= size:
                top, left = (h - size) // 2, (w - size) // 2
                crops.append(a[top:top + size, left:left + size])
        n = int(len(crops) * train_fraction + 1e-9)
        for side, part in (("train", crops[:n]), ("val", crops[n:])):
            splits[side][0].extend(part)
            splits[side][1].extend([label] * len(part))
    (x_train, y_train), (x_val, y_val) = [(np.stack(x), np.array(y)) for x, y in splits.values()]
    return classes, x_train, y_train, x_val, y_val
