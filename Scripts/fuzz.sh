#!/usr/bin/env bash
# `make fuzz`: builds Petal's libraries with libFuzzer's coverage instrumentation and AddressSanitizer (in
# .build-fuzz, apart from the normal build), links Fuzz/PetalFuzz.swift against them, and runs each fuzz target for
# FUZZ_SECONDS (default 60) on its corpus. New inputs that reach new code go to .build-fuzz/corpus/<target>; crashes
# are written to .build-fuzz/crashes/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"safetensors metadata image split config pth"}
scratch=.build-fuzz
echo "building the instrumented libraries and the fuzzer (log: $scratch/build.log)"
mkdir -p "$scratch"
swift build --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address --target PetalRun > "$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log"; exit 1; }
debug="$scratch/debug"
objects=()
for module in ZIPFoundation PetalFiles PetalRandom PetalTensor PetalImage PetalNN PetalData PetalTrain PetalReport PetalRun; do
  objects+=("$debug/$module.build"/*.o)
done
swiftc -sanitize=fuzzer,address -parse-as-library -g Fuzz/PetalFuzz.swift -o "$scratch/petal-fuzz" \
  -I "$debug/Modules" -I Sources/CDNNL -I Sources/CJPEG -I Sources/CPNG -I "$scratch/checkouts/ZIPFoundation/Sources/CZLib" $(pkg-config --cflags-only-I libpng | sed 's/-I/-Xcc -I/g') \
  "${objects[@]}" -ldnnl -lgomp -lturbojpeg -lpng16 -lz >> "$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log"; exit 1; }
mkdir -p "$scratch/crashes"
status=0
for t in $targets; do
  mkdir -p "$scratch/corpus/$t"
  echo "== fuzz $t for ${seconds}s"
  # ZIPFoundation leaks 26 bytes per archive opened from a path (Foundation's fileSystemRepresentation, never freed):
  # a leak in the dependency, not a fault of the reader, so leak detection is off for that target only.
  leaks=1; [ "$t" = pth ] && leaks=0
  ASAN_OPTIONS=detect_leaks=$leaks PETAL_FUZZ_TARGET=$t "$scratch/petal-fuzz" "$scratch/corpus/$t" "Fuzz/corpus/$t" -max_total_time="$seconds" \
    -rss_limit_mb=4096 -artifact_prefix="$scratch/crashes/$t-" -print_final_stats=1 > "$scratch/$t.log" 2>&1 || true
  grep -E "DONE|ERROR|SUMMARY|stat::number_of_executed_units" "$scratch/$t.log" || tail -5 "$scratch/$t.log"
  if ls "$scratch/crashes/$t-"* >/dev/null 2>&1; then echo "fuzz $t: crash inputs in $scratch/crashes"; status=1; fi
done
exit $status
