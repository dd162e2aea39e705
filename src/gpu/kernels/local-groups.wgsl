// L2D-L's local aggregation on the GPU. Input: each query's top-M rows as
// (key, row) pairs from radix-select, in any order (its compaction's, not
// rank-sorted: nothing here depends on it). `order` sorts them by (item, row) so
// each item's rows form a run; `accumulate` (once per memory part, parts in
// row order) sums each run in ascending row order; `finalize` divides by
// the run length and labels the run's first slot with its item (other
// slots INVALID). l2-scan-f32.wgsl then ranks the group means.
// Twin: src/core/cpu-decoder.ts (CpuDecoder.local) with src/core/centroids.ts.

const SENTINEL: u32 = 0xffffffffu;
const INVALID: u32 = 0xffffffffu;

struct Params {
  slots: u32,          // M' = min(M, N) selected rows per query
  strideVec4: u32,     // row stride in vec4<u32>
  partFirstRow: u32,
  partRowCount: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> nearest: array<vec2<u32>>;       // Q x slots (key, row)
@group(0) @binding(2) var<storage, read> labels: array<u32>;              // N
@group(0) @binding(3) var<storage, read_write> orderedLabels: array<u32>; // Q x slots
@group(0) @binding(4) var<storage, read_write> orderedRows: array<u32>;   // Q x slots
@group(0) @binding(5) var<storage, read> rows: array<vec4<u32>>;          // one memory part
@group(0) @binding(6) var<storage, read_write> groupSums: array<vec4<f32>>; // Q x slots x 2*strideVec4
@group(0) @binding(7) var<storage, read_write> groupLabels: array<u32>;  // Q x slots

var<workgroup> tile: array<vec2<u32>, 256>;

// (item, row) of slot j; excluded rows (SENTINEL key) sort last as (INVALID, j).
fn slotEntry(q: u32, j: u32) -> vec2<u32> {
  let pair = nearest[q * params.slots + j];
  if (pair.x == SENTINEL) { return vec2<u32>(INVALID, j); }
  return vec2<u32>(labels[pair.y], pair.y);
}

@compute @workgroup_size(256)
fn order(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let q = wg.y;
  let i = wg.x * 256u + lid.x;
  var mine = vec2<u32>(INVALID, SENTINEL);
  if (i < params.slots) { mine = slotEntry(q, i); }
  var rank = 0u;
  for (var t = 0u; t < params.slots; t += 256u) {
    let j = t + lid.x;
    if (j < params.slots) { tile[lid.x] = slotEntry(q, j); }
    workgroupBarrier();
    let n = min(256u, params.slots - t);
    for (var u = 0u; u < n; u++) {
      let other = tile[u];
      if (other.x < mine.x || (other.x == mine.x && other.y < mine.y)) { rank++; }
    }
    workgroupBarrier();
  }
  if (i < params.slots) {
    orderedLabels[q * params.slots + rank] = mine.x;
    orderedRows[q * params.slots + rank] = mine.y;
  }
}

fn isRunStart(base: u32, p: u32) -> bool {
  let label = orderedLabels[base + p];
  return label != INVALID && (p == 0u || orderedLabels[base + p - 1u] != label);
}

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = gid.y;
  let stride = params.strideVec4;
  let base = q * params.slots;
  let partEnd = params.partFirstRow + params.partRowCount;
  let total = params.slots * stride;
  for (var t = gid.x; t < total; t += groups.x * 256u) {
    let p = t / stride;
    let i = t % stride;
    if (!isRunStart(base, p)) { continue; }
    let label = orderedLabels[base + p];
    let out = 2u * ((base + p) * stride + i);
    var a = groupSums[out];
    var b = groupSums[out + 1u];
    for (var j = p; j < params.slots && orderedLabels[base + j] == label; j++) {
      let row = orderedRows[base + j];
      if (row < params.partFirstRow || row >= partEnd) { continue; }
      let w = rows[(row - params.partFirstRow) * stride + i];
      a += vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
      b += vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w));
    }
    groupSums[out] = a;
    groupSums[out + 1u] = b;
  }
}

@compute @workgroup_size(256)
fn finalize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = gid.y;
  let perSlot = params.strideVec4 * 2u;
  let base = q * params.slots;
  let total = params.slots * perSlot;
  for (var t = gid.x; t < total; t += groups.x * 256u) {
    let p = t / perSlot;
    let i = t % perSlot;
    let start = isRunStart(base, p);
    if (i == 0u) {
      groupLabels[base + p] = select(INVALID, orderedLabels[base + p], start);
    }
    if (!start) { continue; }
    let label = orderedLabels[base + p];
    var count = 0u;
    for (var j = p; j < params.slots && orderedLabels[base + j] == label; j++) { count++; }
    let at = (base + p) * perSlot + i;
    groupSums[at] = groupSums[at] / f32(count);
  }
}
