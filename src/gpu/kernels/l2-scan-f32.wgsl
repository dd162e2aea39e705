// Squared-L2 scan of Q queries against float32 vectors: item centroids
// (L2D-G) or the local group means of L2D-L. Same lane order as the f16
// scan. A vector whose label is INVALID (an item without rows, a group slot
// that is not a group) or excluded by the query gets the SENTINEL key.
// Twin: src/core/l2-scan.ts (squaredL2F32).

const SENTINEL: u32 = 0xffffffffu;
const INVALID: u32 = 0xffffffffu;

struct Params {
  vectorCount: u32,    // vectors per query
  strideVec4: u32,     // vector stride in vec4<f32>
  excludeWords: u32,
  perQuery: u32,       // 1: each query has its own vectors and labels (L2D-L groups); 0: shared (centroids)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> vectors: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> vectorLabels: array<u32>;
@group(0) @binding(3) var<storage, read> excluded: array<u32>;
@group(0) @binding(4) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> keys: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = gid.y;
  let stride = params.strideVec4;
  let queryBase = q * stride;
  let setBase = q * params.perQuery * params.vectorCount;
  for (var v = gid.x; v < params.vectorCount; v += groups.x * 256u) {
    let out = q * params.vectorCount + v;
    let label = vectorLabels[setBase + v];
    var skip = label == INVALID;
    if (!skip && params.excludeWords > 0u) {
      skip = ((excluded[q * params.excludeWords + (label >> 5u)] >> (label & 31u)) & 1u) == 1u;
    }
    if (skip) {
      keys[out] = SENTINEL;
      continue;
    }
    var acc = vec4<f32>(0.0);
    let base = (setBase + v) * stride;
    for (var i = 0u; i < stride; i++) {
      let d = queries[queryBase + i] - vectors[base + i];
      acc += d * d;
    }
    keys[out] = bitcast<u32>((acc.x + acc.y) + (acc.z + acc.w));
  }
}
