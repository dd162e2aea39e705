#!/bin/sh
# The Llama-3.2-1B-shaped speed model (random weights: fine for speed), built
# where it is measured: the GPU machine's Python has torch and onnx, and the
# ~1.5 GB graph would not fit the trip there. Only the fused encoder graphs
# (q4, q4f16): no generation graph, so no memory and no probe, which the
# speed stage (bench/forward-timing.ts) does not need. The token table in 4
# bits (EMBEDDING=q4, the default; q8 or float for the others), as a
# 1B model is best shipped: it is most of the download otherwise.
#
#   sh bench/gpu-speed-model.sh [OUT=models/dev/llama-1b-shaped]
set -e
OUT=${1:-models/dev/llama-1b-shaped}
PYTHON=${PYTHON:-python3}
EMBEDDING=${EMBEDDING:-q4}
$PYTHON tools/export/random-checkpoint.py "$OUT" --tokenizer-from models/movielens-demo
$PYTHON tools/export/export.py "$OUT" --encoder-only --encoder-kinds fused --dtypes q4,q4f16 --embedding "$EMBEDDING"
ls -la "$OUT/onnx"
