// L2D-G item representations on the GPU: per-item float32 sums of the rows
// labelled with the item, in ascending row order, then divided by the
// count. `accumulate` runs once per memory part, parts in row order, so the
// summation order is the same as the CPU's.  Twin: src/core/centroids.ts.

struct Params {
  itemCount: u32,
  strideVec4: u32,     // row stride in vec4<u32> (8 halves); sums use 2 vec4<f32> per vec4<u32>
  partFirstRow: u32,
  partRowCount: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;   // itemCount + 1 (CSR by item)
@group(0) @binding(3) var<storage, read> rowIds: array<u32>;    // rows sorted by (item, row)
@group(0) @binding(4) var<storage, read_write> sums: array<vec4<f32>>;

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = params.strideVec4;
  let total = params.itemCount * stride;
  let partEnd = params.partFirstRow + params.partRowCount;
  for (var t = gid.x; t < total; t += groups.x * 256u) {
    let item = t / stride;
    let i = t % stride;
    var a = sums[2u * t];
    var b = sums[2u * t + 1u];
    for (var j = offsets[item]; j < offsets[item + 1u]; j++) {
      let row = rowIds[j];
      if (row >= partEnd) { break; }
      if (row < params.partFirstRow) { continue; }
      let w = rows[(row - params.partFirstRow) * stride + i];
      a += vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
      b += vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w));
    }
    sums[2u * t] = a;
    sums[2u * t + 1u] = b;
  }
}

@compute @workgroup_size(256)
fn finalize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let perItem = params.strideVec4 * 2u;
  let total = params.itemCount * perItem;
  for (var t = gid.x; t < total; t += groups.x * 256u) {
    let item = t / perItem;
    let count = offsets[item + 1u] - offsets[item];
    if (count > 0u) { sums[t] = sums[t] / f32(count); }
  }
}
