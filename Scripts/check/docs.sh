#!/usr/bin/env bash
# Runs every shell command of docs/TUTORIAL.md and of the README's quick start, in order, from a scratch folder that
# sees the repository's Data/, and fails on a non-zero exit or on a file a command's comment promises but that its
# --run-dir/--output folder lacks. A block after a `<!-- check-docs: skip … -->` line is not run (it needs a download).
# FULL=1 runs the commands as written; otherwise training commands get --width 8 and at most 2 epochs (overfit keeps
# its epochs: its verdict must pass). PETAL names the binary (default: the debug build's).
set -euo pipefail
repository="$(cd "$(dirname "$0")/../.." && pwd)"
PETAL="${PETAL:-$(cd "$repository" && swift build --show-bin-path)/petal}"
[ -x "$PETAL" ] || { echo "error: $PETAL is not built (swift build --product petal)" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
ln -s "$repository/Data" "$scratch/Data"

# The commands of each runnable ```sh block, one per line (continuations joined), README's before its "### Recipes".
commands() {
  awk -v readme="$2" '
    readme && /^### Recipes/ { exit }
    /<!-- check-docs: skip/ { skip = 1; next }
    /^```sh/ { inside = 1; next }
    /^```/ && inside { inside = 0; skip = 0; next }
    inside && !skip {
      line = $0
      if (pending != "") { line = pending " " line; pending = "" }
      if (line ~ /\\$/) { sub(/\\$/, "", line); pending = line; next }
      print line
    }' "$1" | sed -e 's#\.build/release/petal#petal#g' | grep -v '^make ' || true
}

# The `petal` the doc calls: as built, or reduced for CI.
petal() {
  if [ "${FULL:-0}" = 1 ]; then "$PETAL" "$@"; return; fi
  local sub="$1"; shift
  local args=() previous=""
  for a in "$@"; do
    if [ "$previous" = "--epochs" ] && [ "$sub" != overfit ] && [ "$a" -gt 2 ]; then a=2; fi
    args+=("$a"); previous="$a"
  done
  case "$sub" in train|overfit|sweep-lr|find-lr) args+=(--width 8) ;; esac
  "$PETAL" "$sub" "${args[@]}"
}

# Files a command's comment names (history.csv, report.html, …) must exist in the folder it writes.
check_promised() {
  local line="$1" folder="" comment
  folder=$(grep -oE -- '--(run-dir|output) [^ ]+' <<<"$line" | head -1 | cut -d' ' -f2 || true)
  [ -n "$folder" ] || return 0
  comment="${line#*#}"
  [ "$comment" != "$line" ] || return 0
  for file in $(grep -oE '[a-z-]+\.(csv|svg|json|png|safetensors|html)' <<<"$comment"); do
    [ -e "$folder/$file" ] || { echo "error: '$line' promises $file, but $folder has none" >&2; exit 1; }
  done
}

cd "$scratch"
count=0
for doc in docs/TUTORIAL.md README.md; do
  readme=0; [ "$doc" = README.md ] && readme=1
  while IFS= read -r line; do
    [ -n "${line// }" ] || continue
    count=$((count + 1))
    echo "── $doc: $line"
    started=$SECONDS
    if ! eval "$line" > "$scratch/out.log" 2>&1; then
      tail -20 "$scratch/out.log"
      echo "error: $doc: '$line' failed" >&2
      exit 1
    fi
    echo "   ok ($((SECONDS - started)) s)"
    check_promised "$line"
  done < <(commands "$repository/$doc" "$readme")
done
echo "check-docs: $count commands of docs/TUTORIAL.md and the README's quick start ran$([ "${FULL:-0}" = 1 ] && echo " as written" || echo " (width 8, at most 2 epochs)")"
