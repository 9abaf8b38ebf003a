#!/usr/bin/env bash
# `make fuzz`: builds the PetalFuzz target (Fuzz/PetalFuzz.swift) with the package's `Fuzz` trait, libFuzzer's coverage
# instrumentation and AddressSanitizer, in .build-fuzz apart from the normal build: SwiftPM links whatever the libraries
# need. Then runs each fuzz target for FUZZ_SECONDS (default 60) on its corpus. New inputs that reach new code go to
# .build-fuzz/corpus/<target>; crashes, leaks and inputs slower than 25 s are written to .build-fuzz/crashes/<time>/
# and fail the run. CI runs it for 20 s a target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"safetensors metadata image split config pth pickle compare"}
scratch=.build-fuzz
echo "building the instrumented fuzzer (log: $scratch/build.log)"
mkdir -p "$scratch"
# `--sanitize fuzzer` tells SwiftPM that libFuzzer brings `main`; the sanitizers themselves go in one swiftc flag, which
# comes last and wins: swiftc keeps only the last -sanitize flag, so SwiftPM's `--sanitize fuzzer --sanitize address`
# gives coverage without AddressSanitizer, or the reverse, as SwiftPM happens to order them.
swift build --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address --traits Fuzz --product PetalFuzz > "$scratch/build.log" 2>&1 \
  || { tail -20 "$scratch/build.log"; exit 1; }
fuzzer="$(swift build --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address --traits Fuzz --show-bin-path)/PetalFuzz"
crashes="$scratch/crashes/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$crashes"
status=0
for t in $targets; do
  mkdir -p "$scratch/corpus/$t"
  echo "== fuzz $t for ${seconds}s"
  # ZIPFoundation leaks 26 bytes per archive opened from a path (Foundation's fileSystemRepresentation, never freed):
  # a leak in the dependency, not a fault of the reader, so leak detection is off for that target only.
  leaks=1; [ "$t" = pth ] && leaks=0
  code=0
  ASAN_OPTIONS=detect_leaks=$leaks PETAL_FUZZ_TARGET=$t "$fuzzer" "$scratch/corpus/$t" "Fuzz/corpus/$t" -max_total_time="$seconds" \
    -rss_limit_mb=4096 -timeout=25 -artifact_prefix="$crashes/$t-" -print_final_stats=1 > "$scratch/$t.log" 2>&1 || code=$?
  grep -E "DONE|ERROR|SUMMARY|stat::number_of_executed_units" "$scratch/$t.log" || tail -5 "$scratch/$t.log"
  if ls "$crashes/$t-"* >/dev/null 2>&1; then echo "fuzz $t: crash, leak or slow inputs in $crashes"; status=1
  elif [ "$code" != 0 ] || ! grep -q "^Done [0-9]* runs" "$scratch/$t.log"; then
    # A fuzzer that failed to start, or stopped without finishing its time and without an artifact, is a failure too.
    echo "fuzz $t: the fuzzer exited with status $code without completing its run (see $scratch/$t.log)"; status=1
  fi
done
exit $status
