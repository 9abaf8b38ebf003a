#!/usr/bin/env bash
# `make chaos`: interrupts a small training run at random moments of every stage (scan, epochs, checkpoint writes, the
# best model's evaluation, the report) with SIGKILL, SIGTERM, SIGINT, a double SIGINT or SIGHUP, resumes it, and checks
# that the finished run folder equals an uninterrupted run's byte for byte. Only what must differ is left out: the run's
# identity in config.json, the TensorBoard event files (wall-clock times) and the lock file; the record of written files
# (.petal-written) is compared as a set of names, since a resumed run writes some files again.
#
#   CHAOS_TRIALS (default 20; CI runs 6), CHAOS_SEED (default: the time), PETAL (default .build/debug/petal, built if
#   missing). Exit 1 when any trial's folder differs or a resume fails; the trial's folders stay in $work for a look.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${CHAOS_TRIALS:-20}
seed=${CHAOS_SEED:-$(date +%s)}
petal=${PETAL:-.build/debug/petal}
[ -x "$petal" ] || swift build --product petal
petal=$(realpath "$petal")
data=$(realpath Data/flowers-mini)
work=$(mktemp -d /tmp/petal-chaos-XXXXXX)
options=(--epochs 3 --width 4 --crop 32 --batch-size 8 --per-class-limit 10 --validation-per-class-limit 5 --seed 7 --threads 1)
RANDOM=$seed
echo "chaos: $trials trials, seed $seed, in $work"

# A run folder's files as compared: every file but the lock and the TensorBoard events, with the folder's own path, its
# run identity and the report's date written the same way for every run.
fingerprint() {
  (cd "$1" && find . -type f ! -name .petal-lock ! -name .petal-written ! -path './tensorboard/*' | LC_ALL=C sort | while read -r f; do
     LC_ALL=C sed -E -e "s|$1|RUN|g" -e 's/runID[^0-9A-F]{0,8}[0-9A-F-]{36}/runID/g' -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC/DATE/g' "$f" \
       | sha256sum | sed "s|-\$|$f|"
   done
   LC_ALL=C sort -u .petal-written | sha256sum | sed "s|-\$|./.petal-written (names)|")
}

start=$(date +%s%N)
mkdir -p "$work/whole"
"$petal" train "$data" --run-dir "$work/whole/run" "${options[@]}" > "$work/whole/log" 2>&1 || { cat "$work/whole/log"; exit 1; }
whole_ms=$(( ($(date +%s%N) - start) / 1000000 ))
fingerprint "$work/whole/run" > "$work/whole/sums"
echo "uninterrupted run: ${whole_ms} ms, $(wc -l < "$work/whole/sums") files"

# A run that wrote config.json resumes; one cut before starts again (paths hold no spaces: mktemp and the repository).
command_for() { if [ -f "$1/config.json" ]; then echo "train --resume $1"; else echo "train $data --run-dir $1 ${options[*]}"; fi; }
signals=(KILL TERM INT INT2 HUP)
failed=0
for trial in $(seq 1 "$trials"); do
  mkdir -p "$work/$trial"
  folder="$work/$trial/run" log="$work/$trial/log"
  story="" last=none
  # One or two interruptions (the second during the resumed run), then resumes until the run exits 0.
  for cut in $(seq 1 $(( 1 + RANDOM % 2 ))); do
    signal=${signals[$(( RANDOM % ${#signals[@]} ))]}
    delay_ms=$(( RANDOM * RANDOM % (whole_ms * 11 / 10 + 1) ))
    "$petal" $(command_for "$folder") >> "$log" 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    case $signal in
      INT2) { kill -INT $pid && sleep 0.05 && kill -INT $pid; } 2>/dev/null || true ;;
      *) kill -"$signal" $pid 2>/dev/null || true ;;
    esac
    last=0; { wait $pid; } 2>/dev/null || last=$?
    story+="${signal/INT2/double INT} at ${delay_ms} ms → exit $last; "
    [ $last = 0 ] && break
  done
  for attempt in 1 2 3; do
    [ "$last" = 0 ] && break
    last=0; "$petal" $(command_for "$folder") >> "$log" 2>&1 || last=$?
    story+="resumed → exit $last; "
  done
  if [ "$last" != 0 ]; then echo "trial $trial: ${story}the run never finished (log: $log)"; failed=1; continue; fi
  if fingerprint "$folder" | diff -u "$work/whole/sums" - > "$work/$trial/diff"; then
    echo "trial $trial: ${story}identical"; rm -rf "${work:?}/$trial"
  else
    echo "trial $trial: ${story}DIFFERS:"; sed 's/^/    /' "$work/$trial/diff"; failed=1
  fi
done
if [ $failed = 0 ]; then rm -rf "$work"; echo "chaos: every trial ended as the uninterrupted run"; else echo "chaos: failures kept in $work (seed $seed)"; fi
exit $failed
