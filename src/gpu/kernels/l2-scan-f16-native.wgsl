// The l2-scan-f16.wgsl scan for adapters with shader-f16: rows are read as
// native vec4<f16> and widened to f32, so results equal the packed variant.
// Used only when the device has the 'shader-f16' feature.
// Twin: src/core/l2-scan.ts (squaredL2F16).
enable f16;

const SENTINEL: u32 = 0xffffffffu;

struct Params {
  rowCount: u32,
  rowOffset: u32,
  strideVec4: u32,    // row stride in vec4<u32> = 2 x vec4<f16>
  totalRows: u32,
  excludeWords: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<vec4<f16>>;
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
    let base = r * stride * 2u;
    for (var i = 0u; i < stride; i++) {
      let da = queries[queryBase + 2u * i] - vec4<f32>(rows[base + 2u * i]);
      let db = queries[queryBase + 2u * i + 1u] - vec4<f32>(rows[base + 2u * i + 1u]);
      acc += da * da;
      acc += db * db;
    }
    keys[out] = bitcast<u32>((acc.x + acc.y) + (acc.z + acc.w));
  }
}
