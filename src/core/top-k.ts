/**
 * Top-K selection, the CPU twin of src/gpu/kernels/radix-select.wgsl.
 *
 * The tie rule is fixed: smaller distance first, then smaller index. With
 * it every ranking is a total order, so CPU and GPU can be compared exactly.
 */

export interface TopK {
  /** Indices of the selected entries, best first. */
  indices: Uint32Array;
  /** Their distances (as given), best first. */
  distances: Float32Array;
}

/** a ranks before b. */
function before(da: number, ia: number, db: number, ib: number): boolean {
  return da < db || (da === db && ia < ib);
}

/**
 * The k entries of `distances` that rank first, in rank order. Entries for
 * which `eligible` returns false are never selected; fewer than k entries
 * come back when fewer are eligible. O(n log k) with a bounded max-heap.
 */
export function topK(distances: ArrayLike<number>, k: number, eligible?: (index: number) => boolean): TopK {
  const n = distances.length;
  const cap = Math.max(0, Math.min(k, n));
  // Max-heap of the best `cap` seen so far; the root is the worst of them.
  const heapIdx = new Uint32Array(cap);
  const heapDist = new Float64Array(cap);
  let size = 0;
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < size && before(heapDist[worst], heapIdx[worst], heapDist[l], heapIdx[l])) worst = l;
      if (r < size && before(heapDist[worst], heapIdx[worst], heapDist[r], heapIdx[r])) worst = r;
      if (worst === i) return;
      [heapIdx[i], heapIdx[worst]] = [heapIdx[worst], heapIdx[i]];
      [heapDist[i], heapDist[worst]] = [heapDist[worst], heapDist[i]];
      i = worst;
    }
  };
  for (let i = 0; i < n && cap > 0; i++) {
    if (eligible && !eligible(i)) continue;
    const d = distances[i];
    if (size < cap) {
      let j = size++;
      heapIdx[j] = i;
      heapDist[j] = d;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (!before(heapDist[p], heapIdx[p], heapDist[j], heapIdx[j])) break;
        [heapIdx[p], heapIdx[j]] = [heapIdx[j], heapIdx[p]];
        [heapDist[p], heapDist[j]] = [heapDist[j], heapDist[p]];
        j = p;
      }
    } else if (before(d, i, heapDist[0], heapIdx[0])) {
      heapIdx[0] = i;
      heapDist[0] = d;
      siftDown(0);
    }
  }
  const order = Array.from({ length: size }, (_, j) => j).sort((a, b) =>
    before(heapDist[a], heapIdx[a], heapDist[b], heapIdx[b]) ? -1 : 1,
  );
  return {
    indices: Uint32Array.from(order, (j) => heapIdx[j]),
    distances: Float32Array.from(order, (j) => heapDist[j]),
  };
}
