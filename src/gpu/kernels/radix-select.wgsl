// Top-k selection over Q arrays of u32 keys (f32 distance bits, or
// SENTINEL) without sorting them: a radix select on the unique composite
// (key, index), 8 bits a round, finds the k-th smallest; then the k entries
// at or below it are compacted and put in order by rank counting.
// Tie rule: smaller key, then smaller index.  Twin: src/core/top-k.ts.
//
// Host order per selection: init; (histogram, pick) x 8; compact; rankSort.
// Passes 0-3 resolve the key's bytes, 4-7 the index's bytes among equal
// keys; once a whole bucket is taken the selection is done and the
// remaining passes return at once.

const SENTINEL: u32 = 0xffffffffu;
const STATE_WORDS: u32 = 264u;
const PASS: u32 = 0u;
const DONE: u32 = 1u;
const PREFIX_KEY: u32 = 2u;
const PREFIX_INDEX: u32 = 3u;
const REMAINING: u32 = 4u;
const COUNTER: u32 = 5u;
const SELECTED: u32 = 6u;
const HIST: u32 = 8u;

struct Params {
  count: u32,      // entries per query
  k: u32,          // entries wanted
  outStride: u32,  // per-query stride of the selected/sorted arrays (>= min(k, count))
  pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> selected: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> sorted: array<vec2<u32>>;

var<workgroup> localHist: array<atomic<u32>, 256>;
var<workgroup> sharedWord: u32;
var<workgroup> tile: array<vec2<u32>, 256>;

@compute @workgroup_size(64)
fn init(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let base = wg.y * STATE_WORDS;
  for (var i = HIST + lid.x; i < STATE_WORDS; i += 64u) {
    atomicStore(&state[base + i], 0u);
  }
  if (lid.x == 0u) {
    let want = min(params.k, params.count);
    atomicStore(&state[base + PASS], 0u);
    atomicStore(&state[base + REMAINING], want);
    atomicStore(&state[base + COUNTER], 0u);
    atomicStore(&state[base + SELECTED], want);
    atomicStore(&state[base + 7u], 0u);
    if (want >= params.count) {
      // Everything is selected: the threshold is the largest composite.
      atomicStore(&state[base + DONE], 1u);
      atomicStore(&state[base + PREFIX_KEY], SENTINEL);
      atomicStore(&state[base + PREFIX_INDEX], SENTINEL);
    } else {
      atomicStore(&state[base + DONE], 0u);
      atomicStore(&state[base + PREFIX_KEY], 0u);
      atomicStore(&state[base + PREFIX_INDEX], 0u);
    }
  }
}

// True when a and b agree on the bits above the byte at `shift`.
fn higherBitsMatch(a: u32, b: u32, shift: u32) -> bool {
  if (shift >= 24u) { return true; }
  let s = shift + 8u;
  return (a >> s) == (b >> s);
}

@compute @workgroup_size(256)
fn histogram(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
  let q = wg.y;
  let base = q * STATE_WORDS;
  atomicStore(&localHist[lid.x], 0u);
  if (lid.x == 0u) { sharedWord = atomicLoad(&state[base + DONE]); }
  if (workgroupUniformLoad(&sharedWord) != 0u) { return; }
  let round = atomicLoad(&state[base + PASS]);
  let prefixKey = atomicLoad(&state[base + PREFIX_KEY]);
  let prefixIndex = atomicLoad(&state[base + PREFIX_INDEX]);
  let shift = 24u - 8u * (round & 3u);
  let keyBase = q * params.count;
  for (var i = wg.x * 256u + lid.x; i < params.count; i += groups.x * 256u) {
    let key = keys[keyBase + i];
    if (round < 4u) {
      if (higherBitsMatch(key, prefixKey, shift)) {
        atomicAdd(&localHist[(key >> shift) & 0xffu], 1u);
      }
    } else if (key == prefixKey && higherBitsMatch(i, prefixIndex, shift)) {
      atomicAdd(&localHist[(i >> shift) & 0xffu], 1u);
    }
  }
  workgroupBarrier();
  let c = atomicLoad(&localHist[lid.x]);
  if (c > 0u) { atomicAdd(&state[base + HIST + lid.x], c); }
}

@compute @workgroup_size(1)
fn pick(@builtin(workgroup_id) wg: vec3<u32>) {
  let base = wg.y * STATE_WORDS;
  if (atomicLoad(&state[base + DONE]) != 0u) { return; }
  let round = atomicLoad(&state[base + PASS]);
  var remaining = atomicLoad(&state[base + REMAINING]);
  var below = 0u;
  var digit = 255u;
  var bucket = 0u;
  for (var b = 0u; b < 256u; b++) {
    let h = atomicLoad(&state[base + HIST + b]);
    if (below + h >= remaining) {
      digit = b;
      bucket = h;
      break;
    }
    below += h;
  }
  remaining -= below;
  let shift = 24u - 8u * (round & 3u);
  // When the whole bucket is taken, every lower bit is "anything": set them to ones.
  let wholeBucket = bucket == remaining;
  let lowOnes = (1u << shift) - 1u;
  if (round < 4u) {
    var prefixKey = atomicLoad(&state[base + PREFIX_KEY]) | (digit << shift);
    if (wholeBucket) {
      prefixKey |= lowOnes;
      atomicStore(&state[base + PREFIX_INDEX], SENTINEL);
    }
    atomicStore(&state[base + PREFIX_KEY], prefixKey);
  } else {
    var prefixIndex = atomicLoad(&state[base + PREFIX_INDEX]) | (digit << shift);
    if (wholeBucket) { prefixIndex |= lowOnes; }
    atomicStore(&state[base + PREFIX_INDEX], prefixIndex);
  }
  if (wholeBucket || round >= 7u) { atomicStore(&state[base + DONE], 1u); }
  atomicStore(&state[base + REMAINING], remaining);
  atomicStore(&state[base + PASS], round + 1u);
  for (var b = 0u; b < 256u; b++) { atomicStore(&state[base + HIST + b], 0u); }
}

@compute @workgroup_size(256)
fn compact(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = gid.y;
  let base = q * STATE_WORDS;
  let prefixKey = atomicLoad(&state[base + PREFIX_KEY]);
  let prefixIndex = atomicLoad(&state[base + PREFIX_INDEX]);
  let want = atomicLoad(&state[base + SELECTED]);
  let keyBase = q * params.count;
  for (var i = gid.x; i < params.count; i += groups.x * 256u) {
    let key = keys[keyBase + i];
    if (key < prefixKey || (key == prefixKey && i <= prefixIndex)) {
      let slot = atomicAdd(&state[base + COUNTER], 1u);
      if (slot < want) { selected[q * params.outStride + slot] = vec2<u32>(key, i); }
    }
  }
}

@compute @workgroup_size(256)
fn rankSort(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let q = wg.y;
  let outBase = q * params.outStride;
  if (lid.x == 0u) { sharedWord = atomicLoad(&state[q * STATE_WORDS + SELECTED]); }
  let want = workgroupUniformLoad(&sharedWord);
  let i = wg.x * 256u + lid.x;
  var mine = vec2<u32>(SENTINEL, SENTINEL);
  if (i < want) { mine = selected[outBase + i]; }
  var rank = 0u;
  for (var t = 0u; t < want; t += 256u) {
    let j = t + lid.x;
    if (j < want) { tile[lid.x] = selected[outBase + j]; }
    workgroupBarrier();
    let n = min(256u, want - t);
    for (var u = 0u; u < n; u++) {
      let other = tile[u];
      if (other.x < mine.x || (other.x == mine.x && other.y < mine.y)) { rank++; }
    }
    workgroupBarrier();
  }
  if (i < want) { sorted[outBase + rank] = mine; }
}
