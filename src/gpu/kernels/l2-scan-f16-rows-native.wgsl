// Row reader of l2-scan-f16.wgsl for adapters with shader-f16: the same
// bytes read as native vec4<f16> and widened to f32, so distances equal the
// packed reader's. kernels.ts puts it (and its `enable f16`) before the scan.
// Twin: src/core/l2-scan.ts (squaredL2F16).
enable f16;

@group(0) @binding(1) var<storage, read> rows: array<vec4<f16>>;

// Halves 8i .. 8i+7 of the row whose first vec4<u32> is at `base` (2 x vec4<f16> per vec4<u32>).
fn rowHalves(base: u32, i: u32) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(vec4<f32>(rows[2u * (base + i)]), vec4<f32>(rows[2u * (base + i) + 1u]));
}
