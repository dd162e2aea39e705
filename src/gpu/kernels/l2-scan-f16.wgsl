// Squared-L2 scan of Q queries against one part of the memory: float16 rows,
// read by rowHalves (binding 1 and the reader come from
// l2-scan-f16-rows-packed.wgsl or, with shader-f16, l2-scan-f16-rows-native.wgsl;
// kernels.ts joins them), accumulated in f32 in four lanes (lane j takes
// dims j, j+4, ...), summed (l0+l1)+(l2+l3).
// Twin: src/core/l2-scan.ts (squaredL2F16).
//
// Output keys are the distances' f32 bits (monotone for non-negative
// floats), or SENTINEL for rows whose item the query excludes.

const SENTINEL: u32 = 0xffffffffu;

struct Params {
  rowCount: u32,      // rows in this part
  rowOffset: u32,     // global index of the part's first row
  strideVec4: u32,    // row stride in vec4<u32> (8 halves each)
  totalRows: u32,     // N, the length of one query's key array
  excludeWords: u32,  // u32 words of one query's exclusion bitmap (0 = none)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> excluded: array<u32>;
@group(0) @binding(4) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> keys: array<u32>;

fn isExcluded(q: u32, label: u32) -> bool {
  if (params.excludeWords == 0u) { return false; }
  let word = excluded[q * params.excludeWords + (label >> 5u)];
  return ((word >> (label & 31u)) & 1u) == 1u;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = gid.y;
  let stride = params.strideVec4;
  let queryBase = q * stride * 2u;
  for (var r = gid.x; r < params.rowCount; r += groups.x * 256u) {
    let row = params.rowOffset + r;
    let out = q * params.totalRows + row;
    if (isExcluded(q, labels[row])) {
      keys[out] = SENTINEL;
      continue;
    }
    var acc = vec4<f32>(0.0);
    let base = r * stride;
    for (var i = 0u; i < stride; i++) {
      let halves = rowHalves(base, i);
      let da = queries[queryBase + 2u * i] - halves[0];
      let db = queries[queryBase + 2u * i + 1u] - halves[1];
      acc += da * da;
      acc += db * db;
    }
    keys[out] = bitcast<u32>((acc.x + acc.y) + (acc.z + acc.w));
  }
}
