# Petal — every set-up step a fresh Debian machine needs lives here.
DEBS := libdnnl-dev libturbojpeg0-dev libpng-dev zlib1g-dev libjpeg-turbo-progs dataset-fashion-mnist libopenmpi-dev openmpi-bin
SWIFT ?= swift
FULL ?= 0
# GNU OpenMP threads spin between oneDNN primitives; passive waiting leaves the cores to the data loader.
export OMP_WAIT_POLICY ?= passive

.PHONY: deps build test check-consumer docs tsan fuzz chaos bench bench-quick bench-compare bench-tutorial bench-latency bench-int8 bench-distributed check-onnx check-browser check-tensorboard bench-serve demo clean

deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

test: deps check-consumer docs
	$(SWIFT) test
	bash Scripts/check/docs.sh

# Every command of docs/TUTORIAL.md and the README's quick start, in order, from a scratch folder (about 40 s at width 8
# and at most 2 epochs, the part `make test` runs; FULL=1 runs them as written with the release build, about 8 minutes
# on 2 cores after it is built).
check-docs: deps
ifeq ($(FULL),1)
	$(SWIFT) build -c release --product petal
	PETAL=$(PETAL_RELEASE) FULL=1 bash Scripts/check/docs.sh
else
	$(SWIFT) build --product petal
	bash Scripts/check/docs.sh
endif

# The DocC catalogues of PetalNN and PetalRun with their articles ("Writing a block", "Embedding a run"), built by
# swift-docc-plugin into .build/plugins/Swift-DocC/outputs (about a minute on 2 cores after a build).
docs: deps
	$(SWIFT) package generate-documentation --target PetalNN --target PetalRun

# A throwaway package that depends on the Petal product alone (`traits: []`) resolves no server packages, builds and runs.
check-consumer: deps
	BUILD=1 bash Scripts/check/consumer.sh

# ThreadSanitizer over the suites that run work on several threads at once (concurrent predictions and traces,
# scoped devices, the serving queue, the prefetching loader, training runs), in a build folder of its own (.build-tsan; its first
# build takes about 7 minutes on 2 cores). Exits non-zero on any report.
TSAN_SUITES ?= ConcurrencyTests|InferenceSessionTests|InferenceFusionTests|BatchingPredictorTests|LoaderTests|TrainerTests|TrainingRunTests|FineTuningTests|RunFolderTests
tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter '$(TSAN_SUITES)'

# Every loader of untrusted bytes (safetensors, checkpoint metadata, JPEG/PNG, split files, run configurations, .pth
# archives and their pickles, what `petal compare` reads) under libFuzzer with AddressSanitizer, FUZZ_SECONDS per target
# (default 60; CI runs 20); the PetalFuzz target is built by SwiftPM with the Fuzz trait in .build-fuzz. Seeds in
# Fuzz/corpus (crafted ones made by Fuzz/make-corpus.py); a crash, a leak or an input slower than 25 s fails the run.
fuzz: deps
	bash Scripts/fuzz.sh

# A small run interrupted at random moments of every stage (SIGKILL, SIGTERM, SIGINT, double SIGINT, SIGHUP), resumed,
# and compared byte for byte with an uninterrupted run; CHAOS_TRIALS (default 20, CI runs 6), CHAOS_SEED to replay.
chaos: deps
	$(SWIFT) build --product petal
	bash Scripts/chaos.sh

bench: deps
	$(SWIFT) build -c release --product petal-bench --traits KernelProbes
	$$($(SWIFT) build -c release --show-bin-path --traits KernelProbes)/petal-bench

# Petal against PyTorch (NCHW and channels-last), ONNX Runtime and, with KERAS=1 or an existing .venv-keras,
# TF/Keras, interleaved; BF16=1 adds the bf16 table. Installs the references into .venv-bench / .venv-keras from
# PyPI on first use (~7 GB); they are never a dependency of Petal or its tests. See Benchmarks/compare/run.sh.
bench-compare: deps
	bash Benchmarks/compare/run.sh

# The tutorial's training run (make demo's recipe) in Petal, PyTorch and Keras, epoch times side by side.
bench-tutorial: deps
	bash Benchmarks/compare/run.sh tutorial

# Batch-1 latency against ONNX Runtime in short alternating pairs (steadier than bench-compare's few long rounds on a
# machine whose speed drifts), with Petal as shipped, with briefly spinning OpenMP threads and with GNU OpenMP's defaults.
bench-latency: deps
	bash Benchmarks/compare/run.sh latency

# Petal's int8 inference (petal quantize's) against its fp32, ONNX Runtime's static QDQ quantization and OpenVINO running
# that QDQ model, interleaved (MODEL, CROP, ROUNDS as bench-compare; installs OpenVINO into the bench venv once).
bench-int8: deps
	bash Benchmarks/compare/run.sh int8

# Data-parallel training: one process against two ranks over shared memory and over TCP loopback (ResNet-18,
# 100×100, global batch 64, release build), then the multi-machine scaling model README.md shows.
bench-distributed: deps
	bash Benchmarks/distributed/run.sh

# Petal's ONNX export checked by onnx.checker and ONNX Runtime against petal predict on the demo run's validation
# images (largest probability difference ≤ 1e-4); installs onnx/onnxruntime/tensorboard into .venv-check once.
check-onnx: deps
	bash Scripts/check/onnx.sh

# petal serve's try-it page in headless Chromium (Debian's chromium and chromium-driver, installed when missing): a
# photo uploaded through the page shows petal predict's label and probabilities, fp32 and int8; a text file shows the
# server's error. Screenshots in .check-browser/. About 1.5 minutes; not part of make test (it installs packages).
check-browser: deps
	bash Scripts/check/browser.sh

# A short run's TensorBoard logs read by TensorBoard's own EventAccumulator, every epoch scalar against history.csv.
check-tensorboard: deps
	bash Scripts/check/tensorboard.sh

# petal serve under wrk on loopback, with and without batching, against petal predict per image (DURATION, CONCURRENCY).
bench-serve: deps
	bash Benchmarks/serve/run.sh

bench-quick: deps
	$(SWIFT) build -c release --product petal-bench --traits KernelProbes
	$$($(SWIFT) build -c release --show-bin-path --traits KernelProbes)/petal-bench --quick

# The tutorial's run on the bundled flowers (ResNet-18, 100×100 crops, SGD 0.1 halved each epoch, augmentation with
# doubled batches, best checkpoint by validation AUC) and its learning-rate sweep; then the same split trained with
# Petal's default recipe (momentum, weight decay, cosine), the two compared in the tutorial run's report, and
# predictions by the default recipe's model.
DEMO_RUN ?= runs/demo
PETAL_RELEASE = $$($(SWIFT) build -c release --show-bin-path)/petal
demo: deps
	$(SWIFT) build -c release --product petal
	rm -rf $(DEMO_RUN) $(DEMO_RUN)-standard
	$(PETAL_RELEASE) train --recipe tutorial --run-dir $(DEMO_RUN) --epochs 10
	$(PETAL_RELEASE) sweep-lr --recipe tutorial --output $(DEMO_RUN) --epochs 3 --no-augment
	$(PETAL_RELEASE) train --run-dir $(DEMO_RUN)-standard --epochs 10
	$(PETAL_RELEASE) compare $(DEMO_RUN) $(DEMO_RUN)-standard
	$(PETAL_RELEASE) predict $(DEMO_RUN)-standard/best.safetensors \
	  $$(ls Data/flowers-mini/daisy/*.jpg | head -3) $$(ls Data/flowers-mini/rose/*.jpg | head -3)
	@echo "Report: $(DEMO_RUN)/report.html (the tutorial's run, compared with the default recipe's in $(DEMO_RUN)-standard)"

clean:
	rm -rf .build
