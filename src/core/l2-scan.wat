;; Squared-L2 scans with WebAssembly SIMD: the CPU decoder's fast path, twin of src/core/l2-scan.ts
;; (scanMemory's squaredL2F16, and squaredL2F32), whose results it equals bit for bit
;; (src/core/l2-scan-wasm.test.ts); and L2D-L's group means (sums, then the division), twin of meanOfRows
;; (src/core/centroids.ts).
;;
;; The JS twin's order is already four float32 lanes (lane j takes dimensions j, j+4, j+8, ...), summed as
;; (l0 + l1) + (l2 + l3): one f32x4 accumulator per row. Eight dimensions per step: the first four, then
;; the next four. wasm's f32 arithmetic is IEEE binary32, round to nearest, subnormals kept: what
;; Math.fround of the double result gives for +, - and *.
;;
;; float16 to float32, exact for every finite value: the magnitude's bits shifted to float32's places read
;; as a float32 2^112 times too small (a subnormal half becomes a subnormal float32), so one multiply by
;; 2^112 gives the value; then the sign bit.
;;
;; Written out, not in helper functions: V8 does not inline wasm calls here, and the calls cost 3x.
;; Assembled by `npm run build:wasm` into src/core/l2-scan-wasm-bytes.ts. Memory layout (byte offsets, set
;; by the caller): the query (stride float32), the output (n float32), the rows (n x stride values).
;; stride is a multiple of 8 (rowStride), at least 8.
(module
  (memory (export "memory") 1)

  ;; (l0 + l1) + (l2 + l3), stored as row $r's distance.
  (func $store (param $out i32) (param $r i32) (param $acc v128)
    (f32.store
      (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))

  ;; float16 rows. Four rows at a time (independent accumulators keep the CPU busy; each row's own order
  ;; is unchanged), then the last n mod 4 one by one.
  (func (export "scanF16") (param $query i32) (param $out i32) (param $rows i32) (param $n i32) (param $stride i32)
    (local $r i32) (local $i i32) (local $row i32) (local $rowBytes i32) (local $q i32) (local $at i32)
    (local $h v128) (local $d v128) (local $q0 v128) (local $q1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $magnitude v128) (local $signBit v128) (local $scale v128)
    (local.set $magnitude (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $signBit (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
    (local.set $scale (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 1)))
    (local.set $row (local.get $rows))
    (block $foursDone
      (loop $eachFour
        (br_if $foursDone (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $n)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (loop $eachEight
          (local.set $q (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $q0 (v128.load (local.get $q)))
          (local.set $q1 (v128.load offset=16 (local.get $q)))
          (local.set $at (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 1))))
          (local.set $h (v128.load (local.get $at)))
          (local.set $d (f32x4.sub (local.get $q0) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (local.get $q1) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $h (v128.load (local.get $at)))
          (local.set $d (f32x4.sub (local.get $q0) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (local.get $q1) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $h (v128.load (local.get $at)))
          (local.set $d (f32x4.sub (local.get $q0) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (local.get $q1) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $h (v128.load (local.get $at)))
          (local.set $d (f32x4.sub (local.get $q0) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (local.get $q1) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br_if $eachEight (i32.lt_u (local.get $i) (local.get $stride))))
        (call $store (local.get $out) (local.get $r) (local.get $a0))
        (call $store (local.get $out) (i32.add (local.get $r) (i32.const 1)) (local.get $a1))
        (call $store (local.get $out) (i32.add (local.get $r) (i32.const 2)) (local.get $a2))
        (call $store (local.get $out) (i32.add (local.get $r) (i32.const 3)) (local.get $a3))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $rowBytes) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $eachFour)))
    (block $done
      (loop $eachRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (loop $eachEight
          (local.set $q (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $q0 (v128.load (local.get $q)))
          (local.set $q1 (v128.load offset=16 (local.get $q)))
          (local.set $h (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 1)))))
          (local.set $d (f32x4.sub (local.get $q0) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (local.get $q1) (v128.or
            (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
            (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br_if $eachEight (i32.lt_u (local.get $i) (local.get $stride))))
        (call $store (local.get $out) (local.get $r) (local.get $a0))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachRow))))

  ;; float32 rows (centroids), one at a time: a few thousand rows, where the float16 scan has millions.
  (func (export "scanF32") (param $query i32) (param $out i32) (param $rows i32) (param $n i32) (param $stride i32)
    (local $r i32) (local $i i32) (local $row i32) (local $q i32) (local $v i32) (local $acc v128) (local $d v128)
    (local.set $row (local.get $rows))
    (block $done
      (loop $eachRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (loop $eachEight
          (local.set $q (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $v (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $d (f32x4.sub (v128.load (local.get $q)) (v128.load (local.get $v))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load offset=16 (local.get $q)) (v128.load offset=16 (local.get $v))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br_if $eachEight (i32.lt_u (local.get $i) (local.get $stride))))
        (call $store (local.get $out) (local.get $r) (local.get $acc))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachRow))))
  ;; Sums of float16 rows, group by group: group g's rows are rows offsets[g] .. offsets[g + 1] - 1 of
  ;; $rows (stride halves each), added in that order, in float32, to the stride sums at $out + g * stride * 4
  ;; (which the caller zeroed, or which hold the group's earlier rows). Each dimension's sum takes its rows in
  ;; meanOfRows' order, so it is that function's sum bit for bit; the caller divides by the count.
  (func (export "sumGroupsF16") (param $rows i32) (param $offsets i32) (param $groups i32) (param $stride i32) (param $out i32)
    (local $g i32) (local $r i32) (local $end i32) (local $i i32) (local $row i32) (local $sums i32) (local $sum i32)
    (local $h v128) (local $magnitude v128) (local $signBit v128) (local $scale v128)
    (local.set $magnitude (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $signBit (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
    (local.set $scale (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
    (local.set $sums (local.get $out))
    (block $done
      (loop $eachGroup
        (br_if $done (i32.ge_u (local.get $g) (local.get $groups)))
        (local.set $r (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $g) (i32.const 2)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $g) (i32.const 2)))))
        (local.set $row (i32.add (local.get $rows) (i32.mul (local.get $r) (i32.shl (local.get $stride) (i32.const 1)))))
        (block $rowsDone
          (loop $eachRow
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $end)))
            (local.set $i (i32.const 0))
            (loop $eachEight
              (local.set $h (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 1)))))
              (local.set $sum (i32.add (local.get $sums) (i32.shl (local.get $i) (i32.const 2))))
              (v128.store (local.get $sum) (f32x4.add (v128.load (local.get $sum))
                (v128.or
                (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
                (i32x4.shl (v128.and (i32x4.extend_low_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
              (v128.store offset=16 (local.get $sum) (f32x4.add (v128.load offset=16 (local.get $sum))
                (v128.or
                (f32x4.mul (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $magnitude)) (i32.const 13)) (local.get $scale))
                (i32x4.shl (v128.and (i32x4.extend_high_i16x8_u (local.get $h)) (local.get $signBit)) (i32.const 16)))))
              (local.set $i (i32.add (local.get $i) (i32.const 8)))
              (br_if $eachEight (i32.lt_u (local.get $i) (local.get $stride))))
            (local.set $row (i32.add (local.get $row) (i32.shl (local.get $stride) (i32.const 1))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $eachRow)))
        (local.set $sums (i32.add (local.get $sums) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $eachGroup))))
  ;; Group g's sums divided by its row count, offsets[g + 1] - offsets[g] (f32x4.div: the quotient correctly
  ;; rounded to float32, as meanOfRows stores it); a group without rows keeps its zeros.
  (func (export "divideGroups") (param $offsets i32) (param $groups i32) (param $stride i32) (param $sums i32)
    (local $g i32) (local $count i32) (local $i i32) (local $at i32) (local $divisor v128)
    (block $done
      (loop $eachGroup
        (br_if $done (i32.ge_u (local.get $g) (local.get $groups)))
        (local.set $count (i32.sub
          (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $g) (i32.const 2))))
          (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $g) (i32.const 2))))))
        (if (i32.gt_u (local.get $count) (i32.const 0))
          (then
            (local.set $divisor (f32x4.splat (f32.convert_i32_u (local.get $count))))
            (local.set $i (i32.const 0))
            (loop $eachFour
              (local.set $at (i32.add (local.get $sums) (i32.shl (local.get $i) (i32.const 2))))
              (v128.store (local.get $at) (f32x4.div (v128.load (local.get $at)) (local.get $divisor)))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $eachFour (i32.lt_u (local.get $i) (local.get $stride))))))
        (local.set $sums (i32.add (local.get $sums) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $eachGroup)))))
