# Keras side of `make bench-tutorial`: the tutorial's run as a Keras user would write it today (Keras 3, TF backend),
# timed per epoch, to set against `petal-bench --only tutorial --json` (the recipe of `make demo`'s training):
#  - data: every JPEG of Data/flowers-mini/<class>/ read with PIL, centre-cropped to 100x100 (smaller images skipped,
#    Petal's default), /255; per class the first 80% of the sorted files train and the last 20% validate (the
#    tutorial's order; Petal's default split is a seeded shuffle of the same sizes: 160 training, 40 validation);
#  - model: ResNet-18 pre-activation as raghakot/keras-resnet builds it (biased he_normal convolutions, conv-BN-ReLU
#    stem and max-pool, BN-ReLU-conv blocks, no BN-ReLU before the first block's first conv, 1x1 strided conv
#    shortcuts without BN, final BN-ReLU, average pool, softmax dense), 11,180,546 weights like Petal's `.preActivation`;
#    keras-resnet's L2(1e-4) kernel regularisers are left out because Petal's run has no weight decay;
#  - training: batches of 32 (last partial batch dropped, reshuffled every epoch), each doubled by an augmented copy
#    of itself, SGD(0.1, clipnorm=1) -- Keras' per-tensor clipping -- with the learning rate 0.1 * 0.5^epoch;
#  - augmentation: ImageDataGenerator's settings (rotation 30, shifts 0.1, zoom 0.2, shear 10 degrees, horizontal flip,
#    reflect fill) with Keras 3's preprocessing layers (ImageDataGenerator is gone from Keras 3) -- RandomRotation,
#    RandomTranslation, RandomZoom (rows and columns drawn apart, like ImageDataGenerator), RandomShear
#    (x only, tan 10 degrees) and RandomFlip, applied per image to each batch in a prefetching tf.data pipeline;
#  - after every epoch: validation loss, accuracy and ROC AUC (scikit-learn) from one prediction pass. Keras' BN
#    defaults (momentum 0.99) are kept, so its moving statistics lag over 5 steps an epoch and validation accuracy
#    can sit at 0.5 for the first epochs; that does not change the time;
#  - model.fit with jit_compile off: Keras' default "auto" would XLA-compile, measured slower here (first epoch
#    22.8 s against 12.2 s, later 7.7 s against 6.9 s); `--jit` turns it on.
# An epoch's time runs from its start to the end of its validation (the first includes Keras' graph tracing); total_s
# from reading the images to the end of the last epoch (Petal's total_s: scan, split, model, epochs). Prints one JSON
# line: first_epoch_s, later_epoch_s (the fastest later epoch), train_images_per_epoch, val_auc, ...
import argparse
import json
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Data/flowers-mini"))
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--jit", action="store_true", help="XLA-compile the model (Keras' 'auto' would; slower here)")
args = parser.parse_args()

import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras
from keras import layers
from reference import load_flowers
from sklearn.metrics import roc_auc_score

keras.utils.set_random_seed(42)
t0 = time.perf_counter()
classes, x_train, y_train, x_val, y_val = load_flowers(args.data)
x_train, x_val = x_train.astype(np.float32) / 255, x_val.astype(np.float32) / 255
load_s = time.perf_counter() - t0

augment = keras.Sequential([
    layers.RandomRotation(30 / 360, fill_mode="reflect"),
    layers.RandomTranslation(0.1, 0.1, fill_mode="reflect"),
    layers.RandomZoom(0.2, 0.2, fill_mode="reflect"),
    layers.RandomShear(x_factor=math.tan(math.radians(10)), fill_mode="reflect"),
    layers.RandomFlip("horizontal"),
])
train = (tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(len(x_train), seed=42, reshuffle_each_iteration=True)
         .batch(32, drop_remainder=True)
         .map(lambda x, y: (tf.concat([x, augment(x, training=True)], 0), tf.concat([y, y], 0)))
         .prefetch(tf.data.AUTOTUNE))
batches = len(x_train) // 32


def conv(filters, kernel, strides=1, padding="same"):
    return layers.Conv2D(filters, kernel, strides=strides, padding=padding, kernel_initializer="he_normal")


def bn_relu(x):
    return layers.Activation("relu")(layers.BatchNormalization()(x))


def basic_block(x, filters, strides, first):
    h = conv(filters, 3, strides)(x if first else bn_relu(x))
    h = conv(filters, 3)(bn_relu(h))
    shortcut = x if strides == 1 and x.shape[-1] == filters else conv(filters, 1, strides, "valid")(x)
    return layers.add([shortcut, h])


inputs = keras.Input((100, 100, 3))
x = layers.MaxPooling2D(3, strides=2, padding="same")(bn_relu(conv(64, 7, 2)(inputs)))
for stage, filters in enumerate([64, 128, 256, 512]):
    for i in range(2):
        x = basic_block(x, filters, 2 if stage > 0 and i == 0 else 1, first=stage == 0 and i == 0)
x = layers.GlobalAveragePooling2D()(bn_relu(x))
model = keras.Model(inputs, layers.Dense(len(classes), activation="softmax", kernel_initializer="he_normal")(x))
assert model.count_params() - sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == 11_180_546
model.compile(optimizer=keras.optimizers.SGD(0.1, clipnorm=1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"], jit_compile=args.jit)


class Validation(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        p = self.model.predict(x_val, batch_size=32, verbose=0)
        logs["val_loss"] = float(keras.losses.sparse_categorical_crossentropy(y_val, p).numpy().mean())
        logs["val_accuracy"] = float((p.argmax(1) == y_val).mean())
        logs["val_auc"] = float(roc_auc_score(y_val, p[:, 1]))


class Timer(keras.callbacks.Callback):
    times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.began = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.began)


schedule = keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch)
history = model.fit(train, epochs=args.epochs, callbacks=[schedule, Validation(), Timer()], shuffle=False, verbose=0)
t = Timer.times
print(json.dumps({"first_epoch_s": t[0], "later_epoch_s": min(t[1:]) if len(t) > 1 else None,
                  "train_images_per_epoch": batches * 64, "val_auc": history.history["val_auc"], "epoch_s": t,
                  "val_accuracy": history.history["val_accuracy"], "load_s": load_s, "total_s": time.perf_counter() - t0,
                  "keras": keras.__version__}))
