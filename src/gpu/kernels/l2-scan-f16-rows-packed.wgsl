// Row reader of l2-scan-f16.wgsl for every adapter: float16 rows stored as
// packed u32 pairs, decoded with unpack2x16float. kernels.ts puts it before
// the scan. Twin: src/core/l2-scan.ts (squaredL2F16).

@group(0) @binding(1) var<storage, read> rows: array<vec4<u32>>;

// Halves 8i .. 8i+7 of the row whose first vec4<u32> is at `base`.
fn rowHalves(base: u32, i: u32) -> array<vec4<f32>, 2> {
  let w = rows[base + i];
  return array<vec4<f32>, 2>(vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)), vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)));
}
