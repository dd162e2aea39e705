#!/usr/bin/env bash
# The trip to the NVIDIA GPU machine for issue 9's measurements (bench/README.md,
# "For the next GPU session"), scripted so that a session spends its device time
# measuring. The repository (~119 MB tracked) and Chromium (~75 MB) do not fit
# one device call (64 MiB), so `pack` cuts them into call folders; each call
# carries one and `receive`s it into /opt there; the last ones measure.
#
# Here:
#   bash bench/gpu-trip.sh pack      # builds the page, cuts .gpu-trip/call-N, takes the big tracked
#                                    # files out of the working tree, prints the device calls
#   bash bench/gpu-trip.sh restore   # puts them back from git (after the trip, or to give up)
#   bash bench/gpu-trip.sh rehearse  # the device calls' commands, here, in a copy without the big
#                                    # files, on SwiftShader in ?quick mode (~11 min)
# There (each call carries .gpu-trip/call-N):
#   bash bench/gpu-trip.sh receive .gpu-trip/call-N
#   bash bench/gpu-trip.sh models    # the Llama-3.2-1B-shaped speed model, built there (CPU, minutes)
#   bash bench/gpu-trip.sh page [STAGES]   # PyTorch eager (if STAGES has graphs) and the page, same
#                                    # command; results in $OUT
set -euo pipefail
cd "$(dirname "$0")/.."

TRIP=.gpu-trip
STORE=${TRIP_STORE:-/opt/l2d-trip}
CHROMIUM_PARTS=${CHROMIUM_PARTS:-/opt/chromium-parts} # where .gpu-chromium/run/setup.sh reads them
CALL_LIMIT=$((64 * 1024 * 1024))
BIG=1000000 # tracked files from this size on travel in the pieces, not in the tree
# Big tracked files the GPU page never reads: out of the tree like the others, but they stay here (no call carries them).
STAYS_HERE='^models/(amazon-games|movielens-demo)/memory/train-q4-f0\.3-int8/'
PIECE=$((4 * 1024 * 1024))
SPEED_MODEL=models/dev/llama-1b-shaped
TORCH_MODELS="models/movielens-demo models/amazon-games $SPEED_MODEL"
PAGE_LIMIT_S=${PAGE_LIMIT_S:-540} # inside the device's 600 s per call, leaving time to copy results
# The page's stages in two calls, each inside one call's limit; PyTorch eager runs in the graphs call.
PAGE_CALLS=${PAGE_CALLS:-"graphs encoder,encoderBatch64,flow,prefix,versusGeneration,buildMemory"}
# Within a 15-minute device budget: PyTorch eager and the graphs, recommend() end to end, and vs generation.
PAGE_15_MINUTES="graphs,flow,versusGeneration"

die() { echo "gpu-trip: $*" >&2; exit 1; }

big_tracked_files() { git ls-files -z | xargs -0 stat -c '%s %n' | awk -v big="$BIG" '$1 >= big { print $2 }'; }

# The working tree that travels besides the carried folder: tracked files minus the big ones, and
# untracked files that git does not ignore.
tree_bytes() {
  local tracked untracked
  tracked=$(git ls-files -z | xargs -0 stat -c '%s' 2>/dev/null | awk -v big="$BIG" '$1 < big { s += $1 } END { print s + 0 }')
  untracked=$(git ls-files -z --others --exclude-standard | xargs -0 -r stat -c '%s' | awk '{ s += $1 } END { print s + 0 }')
  echo $((tracked + untracked))
}

pack() {
  [ -d data/prepared/movielens-latest-small ] || npm run prepare-data -- --all
  [ -f .gpu-chromium/part1/part.0 ] || ../shared/device/prepare-chromium.sh .gpu-chromium
  local files; files=$(big_tracked_files)
  # A missing big file is one an earlier pack took out: git has it. A changed one would be lost.
  for f in $files; do [ -e "$f" ] || git checkout -- "$f"; done
  git diff --quiet -- $files || die "uncommitted changes in big tracked files ($(git diff --name-only -- $files | tr '\n' ' ')): commit them first, the trip takes them out of the tree"
  npx tsx bench/gpu-bench-inputs.ts .gpu-bench --no-decode
  rm -rf "$TRIP"; mkdir -p "$TRIP/pieces"
  printf '%s\n' $files > "$TRIP/files"
  local travel; travel=$(printf '%s\n' $files | grep -v -E "$STAYS_HERE" || true)
  tar -czf "$TRIP/tree.tgz" $travel .gpu-bench .gpu-chromium/run
  split -b "$PIECE" -d -a 4 "$TRIP/tree.tgz" "$TRIP/pieces/tree."
  {
    echo "pieces $(ls "$TRIP"/pieces | wc -l)"
    echo "sha256 $(sha256sum "$TRIP/tree.tgz" | cut -d' ' -f1)"
    echo "chromium $(ls .gpu-chromium/part*/part.* | wc -l)"
  } > "$TRIP/manifest"
  rm "$TRIP/tree.tgz"
  # What travels with every call: the tree without the big files, and the manifest.
  local room=$((CALL_LIMIT - $(tree_bytes) - $(stat -c %s "$TRIP/manifest") - 3 * 1024 * 1024)) # 3 MiB to spare
  local call=1 used=0 f size name
  for f in .gpu-chromium/part*/part.* "$TRIP"/pieces/tree.*; do
    size=$(stat -c %s "$f")
    [ "$size" -le "$room" ] || die "$f ($size bytes) does not fit one call ($room bytes of room)"
    if [ $((used + size)) -gt "$room" ]; then call=$((call + 1)); used=0; fi
    mkdir -p "$TRIP/call-$call"
    case "$f" in .gpu-chromium/*) name=chromium.$(basename "$f") ;; *) name=$(basename "$f") ;; esac
    ln "$f" "$TRIP/call-$call/$name"
    cp "$TRIP/manifest" "$TRIP/call-$call/manifest"
    used=$((used + size))
  done
  rm -rf "$TRIP/pieces"
  rm -f $files
  echo
  echo "Packed $(wc -l < "$TRIP/files") big tracked files (now out of the working tree: 'bash bench/gpu-trip.sh restore' puts them back) into $call calls. On the GPU machine, back to back:"
  local n
  for n in $(seq 1 "$call"); do echo "  run carry=[\"$TRIP/call-$n\"] command: bash bench/gpu-trip.sh receive $TRIP/call-$n"; done
  # A drawn task's device time is 15 minutes in all (bench/README.md): one page call with the stages issue 9's ratios need.
  echo "  with 15 minutes of device time, then ONE call (timeout_s 460), then give_back:"
  echo "  run command: PAGE_LIMIT_S=400 bash bench/gpu-trip.sh page $PAGE_15_MINUTES"
  echo "  with 30 minutes or more, instead: the speed model, then the two page calls:"
  echo "  run command: bash bench/gpu-trip.sh models"
  local stages
  for stages in $PAGE_CALLS; do echo "  run command: bash bench/gpu-trip.sh page $stages"; done
  echo "Then here, before any commit: bash bench/gpu-trip.sh restore; then npx tsx bench/gpu-bench-report.ts with the page calls' gpu-bench-*.json and the torch.jsonl of the call that ran 'graphs' (each call's files come back in its own files_at)"
}

restore() {
  [ -f "$TRIP/files" ] || die "no $TRIP/files: nothing was packed"
  git checkout -- $(cat "$TRIP/files")
  git status --short -- $(cat "$TRIP/files")
  echo "restored $(wc -l < "$TRIP/files") files from git"
}

manifest_value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

receive() {
  local dir=${1:?usage: gpu-trip.sh receive .gpu-trip/call-N}
  [ -f "$dir/manifest" ] || die "$dir has no manifest: carry a folder that 'pack' made"
  mkdir -p "$STORE" "$CHROMIUM_PARTS"
  # Pieces of an earlier pack (a warm machine, a session that packed again) would not add up: drop them.
  if [ -f "$STORE/manifest" ] && ! cmp -s "$dir/manifest" "$STORE/manifest"; then rm -f "$STORE"/tree.*; fi
  cp "$dir/manifest" "$STORE/manifest"
  local f
  for f in "$dir"/*; do
    case "$(basename "$f")" in
      chromium.*) cp "$f" "$CHROMIUM_PARTS/$(basename "$f" | sed 's/^chromium\.//')" ;;
      tree.*) cp "$f" "$STORE/" ;;
    esac
  done
  echo "received $dir: $(ls "$STORE" | grep -c '^tree\.') of $(manifest_value pieces "$STORE/manifest") pieces, $(ls "$CHROMIUM_PARTS" | wc -l) of $(manifest_value chromium "$STORE/manifest") Chromium parts"
}

# Puts the big tracked files, the built page and Chromium's run folder back into this copy of the
# repository (every call: the tree that arrives with a call has none of them).
unpack() {
  [ -f "$STORE/manifest" ] || die "nothing received yet: send the .gpu-trip/call-N folders first ('pack' printed the calls)"
  local want got
  want=$(manifest_value pieces "$STORE/manifest"); got=$(ls "$STORE" | grep -c '^tree\.' || true)
  [ "$got" = "$want" ] || die "$got of $want pieces received: send the missing .gpu-trip/call-N folders (the machine may have been given back: then all of them again)"
  cat "$STORE"/tree.* > "$STORE/tree.tgz.check"
  [ "$(sha256sum "$STORE/tree.tgz.check" | cut -d' ' -f1)" = "$(manifest_value sha256 "$STORE/manifest")" ] || die "the pieces do not add up to the packed archive (sha256 differs): pack and send again"
  tar -xzf "$STORE/tree.tgz.check"
  rm "$STORE/tree.tgz.check"
  if [ -d "$STORE/llama-1b-shaped" ]; then link_speed_model; fi
}

# The speed model lives in the store, where it outlasts the calls; the page and PyTorch find it in models/dev.
link_speed_model() {
  [ -e "$SPEED_MODEL" ] || { mkdir -p "$(dirname "$SPEED_MODEL")"; ln -s "$STORE/llama-1b-shaped" "$SPEED_MODEL"; }
}

models() {
  unpack
  local t0=$SECONDS
  PYTHON=${PYTHON:-python3} sh bench/gpu-speed-model.sh "$STORE/llama-1b-shaped"
  link_speed_model
  echo "speed model built in $((SECONDS - t0)) s"
}

page() {
  local stages=${1:-}
  local out=${OUT:?OUT: the folder results go to (the device sets it)}
  unpack
  local chromium flags query
  if [ -n "${LOCAL_CHROMIUM:-}" ]; then
    # rehearse: Debian's Chromium on SwiftShader (e2e/browser.ts's CHROMIUM_ARGS, plus --headless), every stage on a few inputs.
    chromium=$LOCAL_CHROMIUM; flags="--headless --no-sandbox --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic --enable-unsafe-webgpu"
    query=quick
  else
    # shellcheck disable=SC1091
    . .gpu-chromium/run/setup.sh
    [ -x "$CHROMIUM" ] || die "Chromium did not unpack: send every .gpu-trip/call-N folder"
    chromium=$CHROMIUM; flags=$CHROMIUM_GPU_FLAGS; query=""
  fi
  if [ -n "$stages" ]; then query="${query:+$query&}stages=$stages"; fi
  nvidia-smi --query-gpu=name,driver_version,memory.used,utilization.gpu --format=csv > "$out/nvidia-smi.csv" 2>&1 || true
  if [ -z "$stages" ] || [[ ",$stages," == *",graphs,"* ]]; then
    local m
    for m in $TORCH_MODELS; do
      if [ -f "$m/config.json" ]; then ${PYTHON:-python3} bench/torch-encoder.py "$m" --synthetic 128; else echo "no $m (run 'models' first)" >&2; fi
    done > "$out/torch.jsonl"
  fi
  local result=/tmp/l2d-gpu-result.json name=gpu-bench${stages:+-${stages//,/-}}.json
  rm -f "$result"
  python3 bench/gpu-serve.py . "$result" & local server=$!
  sleep 1
  "$chromium" $flags --user-data-dir="$(mktemp -d)" --remote-debugging-port=0 "http://127.0.0.1:8765/.gpu-bench/dist/bench/gpu-bench.html${query:+?$query}" > /tmp/l2d-chromium.log 2>&1 & local browser=$!
  local t0=$SECONDS finished=no
  while [ $((SECONDS - t0)) -lt "$PAGE_LIMIT_S" ]; do
    if [ -f "$result" ] && python3 -c 'import json, sys; sys.exit(0 if "finished" in json.load(open(sys.argv[1])) else 1)' "$result" 2>/dev/null; then finished=yes; break; fi
    kill -0 "$browser" 2>/dev/null || break
    sleep 2
  done
  kill "$browser" "$server" 2>/dev/null || true
  [ -f "$result" ] && cp "$result" "$out/$name"
  tail -n 40 /tmp/l2d-chromium.log > "$out/chromium.log" || true
  [ "$finished" = yes ] || die "the page did not finish in $((SECONDS - t0)) s: what it posted so far is in \$OUT/$name (stages post as they end), Chromium's log in \$OUT/chromium.log; 'page' again with the stages it did not reach measures the rest"
  # The page's own error (an unknown stage name) ends the call with it; a failed stage is listed.
  python3 - "$out/$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r.get("error"):
    sys.exit(f"gpu-trip: the page says: {r['error']}")
print("adapter:", r.get("adapter"))
for k, v in r.items():
    if isinstance(v, dict) and "error" in v:
        print("stage", k, "FAILED:", str(v["error"])[:300])
PY
  echo "page finished in $((SECONDS - t0)) s: \$OUT/$name"
}

# The device calls' commands, here: a copy of the repository as a call would find it (committed
# tree without the big files), the call folders received one by one into a store outside it, and
# the page on SwiftShader, in the same page calls. The speed model is left out: ?quick times only the demo model's
# graphs, and PyTorch's batch of 64 on a 1B model would take many minutes on 2 cores (torch.jsonl then lacks it).
rehearse() {
  [ -d "$TRIP/call-1" ] || die "pack first"
  local tmp here; tmp=$(mktemp -d); here=$(pwd)
  git clone -q . "$tmp/repo"
  (cd "$tmp/repo" && xargs rm -f < "$here/$TRIP/files")
  local dir
  for dir in "$TRIP"/call-*; do
    mkdir -p "$tmp/repo/$TRIP"; cp -r "$dir" "$tmp/repo/$TRIP/"
    (cd "$tmp/repo" && TRIP_STORE="$tmp/store" CHROMIUM_PARTS="$tmp/chromium-parts" bash bench/gpu-trip.sh receive "$dir")
  done
  cat "$tmp"/chromium-parts/part.* | xz -t || die "the Chromium parts do not make an archive"
  mkdir -p "$tmp/out"
  local stages
  for stages in $PAGE_CALLS; do
    (cd "$tmp/repo" && TRIP_STORE="$tmp/store" OUT="$tmp/out" PYTHON=${PYTHON:-/usr/bin/python3} LOCAL_CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium} PAGE_LIMIT_S=1200 bash bench/gpu-trip.sh page "$stages")
  done
  npx tsx bench/gpu-bench-report.ts "$tmp"/out/gpu-bench*.json "$tmp/out/torch.jsonl"
  echo "rehearsal's files: $tmp/out"
}

case "${1:-}" in
  pack | restore | receive | models | page | rehearse) cmd=$1; shift; "$cmd" "$@" ;;
  *) sed -n '2,19p' "$0"; exit 2 ;;
esac
