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
 * come back when fewer are eligible. O(n log k) with a bounded max-heap; where k is a sizeable share of float32
 * entries (L2D-V's M = 3000 rows of the demo's 21,456), topKSet's quickselect and a native sort of the selected
 * entries' packed (distance, index) keys, the same entries in the same order (bench/README.md).
 * No eligible distance may be NaN (a NaN has no rank; the decoders mark items without rows NaN and rule them
 * out through `eligible`).
 */
export function topK(distances: ArrayLike<number>, k: number, eligible?: (index: number) => boolean): TopK {
  if (distances instanceof Float32Array && prefersQuickselect(distances.length, k) && k <= MAX_KEYED) return rankSelected(distances, topKSet(distances, k, eligible));
  return heapTopK(distances, k, eligible);
}

/**
 * Whether quickselect (a few passes over all n entries) beats the bounded heap (about one comparison per entry plus
 * log k per insertion, of which there are about k (1 + ln(n / k))): where k is a sizeable share of n. (Quickselect
 * alone was slower on 100k rows with k = 200.)
 */
function prefersQuickselect(n: number, k: number): boolean {
  const share = Math.max(1, Math.min(k, n));
  return share * Math.log2(share + 1) * (1 + Math.log(n / share)) > n;
}

/** Entries a packed key can rank: its position among the selected takes the key's low 21 bits. */
const MAX_KEYED = 1 << 21;

/**
 * `selected` (indices into `distances`, ascending) in rank order. Each entry's key is its distance's float32 bits
 * made to sort as the numbers do (sign flipped, negatives inverted; -0 read as 0, which ranks as 0), times 2^21,
 * plus its position in `selected`: under 2^53, so a float64 holds it exactly, and equal distances keep ascending
 * index order. A native sort of numbers: a comparator sort of the same entries was no faster than the heap.
 */
function rankSelected(distances: Float32Array, selected: Uint32Array): TopK {
  const keys = new Float64Array(selected.length);
  const value = new Float32Array(1);
  const bits = new Uint32Array(value.buffer);
  for (let j = 0; j < selected.length; j++) {
    value[0] = distances[selected[j]] || 0;
    const u = bits[0];
    keys[j] = (u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0) * MAX_KEYED + j;
  }
  keys.sort();
  const indices = new Uint32Array(selected.length);
  const ranked = new Float32Array(selected.length);
  for (let r = 0; r < keys.length; r++) {
    const i = selected[keys[r] % MAX_KEYED];
    indices[r] = i;
    ranked[r] = distances[i];
  }
  return { indices, distances: ranked };
}

/** topK by a bounded max-heap: O(n log k). */
function heapTopK(distances: ArrayLike<number>, k: number, eligible?: (index: number) => boolean): TopK {
  const n = distances.length;
  const cap = Math.max(0, Math.min(k, n));
  // Max-heap of the best `cap` seen so far; the root is the worst of them. Entries move into a hole rather than
  // being swapped (the same heap as swapping, a third of the writes): the CPU decoder's top-M runs this per query.
  const heapIdx = new Uint32Array(cap);
  const heapDist = new Float64Array(cap);
  let size = 0;
  // The root (the worst kept) in locals: once the heap is full, most entries are rejected by one comparison.
  let rootDist = Infinity;
  for (let i = 0; i < n && cap > 0; i++) {
    const d = distances[i];
    if (d > rootDist) continue; // ranks after the root (NaN goes on to the full check, which rejects it too)
    if (eligible !== undefined && !eligible(i)) continue;
    if (size < cap) {
      // Sift up: parents that rank before (d, i) move down.
      let hole = size++;
      while (hole > 0) {
        const parent = (hole - 1) >> 1;
        if (!before(heapDist[parent], heapIdx[parent], d, i)) break;
        heapIdx[hole] = heapIdx[parent];
        heapDist[hole] = heapDist[parent];
        hole = parent;
      }
      heapIdx[hole] = i;
      heapDist[hole] = d;
      if (size === cap) rootDist = heapDist[0];
    } else if (before(d, i, heapDist[0], heapIdx[0])) {
      siftDown(heapIdx, heapDist, size, d, i);
      rootDist = heapDist[0];
    }
  }
  // Heapsort in place: the root (the worst kept) goes to the end and the rest is a heap again, so the array ends in
  // rank order, best first (no comparator sort: it took a third of the CPU decoder's top-M).
  for (let end = size - 1; end > 0; end--) {
    const d = heapDist[end];
    const i = heapIdx[end];
    heapDist[end] = heapDist[0];
    heapIdx[end] = heapIdx[0];
    siftDown(heapIdx, heapDist, end, d, i);
  }
  return { indices: heapIdx.slice(0, size), distances: Float32Array.from(heapDist.subarray(0, size)) };
}

/**
 * (d, i) goes into the root's place of the max-heap heap[0 .. size): the child that ranks last moves up while it
 * ranks after (d, i), then (d, i) fills the hole.
 */
function siftDown(heapIdx: Uint32Array, heapDist: Float64Array, size: number, d: number, i: number): void {
  let hole = 0;
  for (;;) {
    const l = 2 * hole + 1;
    const r = l + 1;
    let worst = -1;
    let worstDist = d;
    let worstIdx = i;
    if (l < size && before(worstDist, worstIdx, heapDist[l], heapIdx[l])) (worst = l), (worstDist = heapDist[l]), (worstIdx = heapIdx[l]);
    if (r < size && before(worstDist, worstIdx, heapDist[r], heapIdx[r])) (worst = r), (worstDist = heapDist[r]), (worstIdx = heapIdx[r]);
    if (worst < 0) break;
    heapIdx[hole] = worstIdx;
    heapDist[hole] = worstDist;
    hole = worst;
  }
  heapIdx[hole] = i;
  heapDist[hole] = d;
}

/**
 * The indices topK(distances, k, eligible) selects, in ascending index order, without ranking them: what L2D-L's
 * grouping needs of its top-M rows (it groups them by row index). Where k is a sizeable share of the entries,
 * quickselect finds the k-th distance T of the eligible entries; every entry below T is taken, and of those equal
 * to T the ones with smaller indices, as the tie rule takes them (L2D-L on the demo's memory, M = 1000: the whole
 * decode ~1.2x faster, bench/README.md). Elsewhere, and past a bounded number of partition rounds (adversarial
 * input), the bounded heap selects them.
 */
export function topKSet(
  distances: ArrayLike<number>,
  k: number,
  eligible?: (index: number) => boolean,
  /** Partition rounds before the fallback (tests force it); default: several times a balanced run's. */
  maxRounds?: number,
): Uint32Array {
  const n = distances.length;
  if (!prefersQuickselect(n, k)) return heapTopK(distances, k, eligible).indices.sort();
  // The distances' own precision, so that the threshold is one of them exactly.
  const values = distances instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) if (eligible === undefined || eligible(i)) values[count++] = distances[i];
  const cap = Math.max(0, Math.min(k, count));
  const pick = new Uint32Array(cap);
  if (cap === 0) return pick;
  if (cap === count) {
    for (let i = 0, j = 0; i < n; i++) if (eligible === undefined || eligible(i)) pick[j++] = i;
    return pick;
  }
  const threshold = kthSmallest(values.subarray(0, count), cap - 1, maxRounds);
  if (threshold === undefined) return heapTopK(distances, k, eligible).indices.sort();
  // Entries below the threshold all rank before the k-th; the rest of the k are ties at it, smaller indices first.
  let below = 0;
  for (let j = 0; j < count; j++) if (values[j] < threshold) below++;
  let ties = cap - below;
  for (let i = 0, j = 0; i < n && j < cap; i++) {
    const d = distances[i];
    if (d > threshold) continue;
    if (eligible !== undefined && !eligible(i)) continue;
    if (d < threshold) pick[j++] = i;
    else if (ties > 0) (pick[j++] = i), ties--;
  }
  return pick;
}

/**
 * The k-th smallest (0-based) of `values` (permuted in place): Hoare partitions around a median of three. Undefined
 * after more partition rounds than a balanced run needs several times over (the caller then falls back).
 */
function kthSmallest(values: Float32Array | Float64Array, k: number, maxRounds = 4 * Math.ceil(Math.log2(values.length + 1)) + 16): number | undefined {
  let lo = 0;
  let hi = values.length - 1;
  let rounds = maxRounds;
  while (hi > lo) {
    if (rounds-- === 0) return undefined;
    const a = values[lo];
    const b = values[(lo + hi) >> 1];
    const c = values[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i++] = values[j];
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}
