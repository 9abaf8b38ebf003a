# TF/Keras side of `make bench-compare` (run with a venv holding tensorflow-cpu + keras 3; never imports torch):
# the same network as torchvision's resnet18(num_classes=2) -- conv7x7/2 64 + BN + ReLU + maxpool3/2, four stages of
# two basic blocks, 1x1/2 projection + BN shortcuts, global average pool, dense 2; 11,177,538 parameters, checked --
# at 100x100x3, channels_last, on the CPU with the given thread count. It measures what the PyTorch side does: a
# compiled training step (forward, sparse cross-entropy from logits, backward, SGD lr 0.01) at batch 32, inference
# at batch 32 and latency at batch 1 (compiled calls with training=False), each the median of several timed runs
# after a warm-up. Keras' "same" padding gives the same output sizes (50, 25, 25, 13, 7, 4) and work as torch's
# symmetric padding. `--bf16` sets the "mixed_bfloat16" policy (fp32 weights, bf16 compute, the last dense in fp32).
# Prints one JSON line with the keys of torch_model.py.
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--bf16", action="store_true")
parser.add_argument("--steps", type=int, default=20, help="timed training steps and inference batches")
parser.add_argument("--latency-runs", type=int, default=100)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--jit", action="store_true", help="XLA-compile the steps (off: measured slower on CPU)")
args = parser.parse_args()

import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras
from keras import layers

from reference import peak_rss_mb, timed

if args.bf16:
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
keras.utils.set_random_seed(0)


def conv_bn(x, filters, kernel, stride, relu):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
    return layers.ReLU()(x) if relu else x


def basic_block(x, filters, stride):
    shortcut = conv_bn(x, filters, 1, stride, relu=False) if stride != 1 or x.shape[-1] != filters else x
    h = conv_bn(x, filters, 3, stride, relu=True)
    h = conv_bn(h, filters, 3, 1, relu=False)
    return layers.ReLU()(layers.Add()([h, shortcut]))


def resnet18(classes=2, shape=(100, 100, 3)):
    inputs = keras.Input(shape)
    x = conv_bn(inputs, 64, 7, 2, relu=True)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage, filters in enumerate([64, 128, 256, 512]):
        for i in range(2):
            x = basic_block(x, filters, 2 if stage > 0 and i == 0 else 1)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes, dtype="float32")(x))


model = resnet18()
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)  # torch counts no BN running statistics
assert trainable == 11_177_538, trainable
rng = np.random.default_rng(0)
x = tf.constant(rng.standard_normal((32, 100, 100, 3), dtype=np.float32))
y = tf.constant(np.arange(32) % 2)
one = x[:1]
opt = keras.optimizers.SGD(learning_rate=0.01)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function(jit_compile=args.jit)
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return loss


@tf.function(jit_compile=args.jit)
def infer(x):
    return model(x, training=False)



# .numpy() waits for the result.
train = timed(lambda: train_step(x, y).numpy(), args.warmup, args.steps)
inference = timed(lambda: infer(x).numpy(), args.warmup, args.steps)
latency = timed(lambda: infer(one).numpy(), max(args.warmup, 5), args.latency_runs)
print(json.dumps({"train_ips": 32 / train, "infer_ips": 32 / inference, "latency_ms": latency * 1000,
                  "peak_rss_mb": peak_rss_mb(),
                  "precision": "bf16" if args.bf16 else "fp32", "tensorflow": tf.__version__,
                  "keras": keras.__version__, "jit": args.jit}))
