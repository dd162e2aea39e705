/**
 * The L2D-L row scan of `evaluate`, made fast enough for whole test splits
 * on a CPU and still exactly the CPU reference's answer. A batch of queries
 * is multiplied by the memory in onnxruntime-node (one MatMul graph, built
 * here as bytes), giving approximate distances |q|^2 + |x|^2 - 2 q.x; the
 * rows within twice the error bound of the M-th approximate distance are
 * re-scored with the reference's exact float32 scan (squaredL2F16), and the
 * top M taken under the reference's tie rule. Every row of the exact top M
 * is among those candidates (the bound argument is in nearestRows), so the
 * result equals CpuDecoder's, as the test holds.
 */
import * as ort from 'onnxruntime-node';
import { float16Table } from '../../src/core/float16.ts';
import { squaredL2F16 } from '../../src/core/l2-scan.ts';
import { rowStride, type L2DMemory } from '../../src/core/memory.ts';
import { topK } from '../../src/core/top-k.ts';

/** Protobuf field bytes (the few wire types an ONNX ModelProto needs). */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const intField = (num: number, value: number) => [...varint(num << 3), ...varint(value)];
const bytesField = (num: number, bytes: number[]) => [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
const stringField = (num: number, text: string) => bytesField(num, Array.from(new TextEncoder().encode(text)));

/** ValueInfoProto of a float tensor; a string dimension is symbolic. */
function floatTensorInfo(name: string, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : stringField(2, d)));
  const tensorType = [...intField(1, 1 /* FLOAT */), ...bytesField(2, shape)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/** An ONNX model computing out = a [n, d] x b [d, rows] (opset 13). */
export function matMulModel(d: number): Uint8Array {
  const node = [...stringField(1, 'a'), ...stringField(1, 'b'), ...stringField(2, 'out'), ...stringField(4, 'MatMul')];
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, 'batched-dot'),
    ...bytesField(11, floatTensorInfo('a', ['n', d])),
    ...bytesField(11, floatTensorInfo('b', [d, 'rows'])),
    ...bytesField(12, floatTensorInfo('out', ['n', 'rows'])),
  ];
  const opset = [...stringField(1, ''), ...intField(2, 13)];
  return Uint8Array.from([...intField(1, 8 /* IR version */), ...bytesField(7, graph), ...bytesField(8, opset)]);
}

export class BatchedNearestRows {
  private constructor(
    private readonly memory: L2DMemory,
    private readonly session: ort.InferenceSession,
    private readonly transposed: ort.Tensor,
    private readonly rowNorms: Float64Array,
    private readonly maxRowNorm: number,
  ) {}

  static async create(memory: L2DMemory): Promise<BatchedNearestRows> {
    const { rows, dim } = memory;
    const stride = rowStride(dim);
    const halves = float16Table();
    // The memory as float32, dimensions x rows (the MatMul's right side), and each row's squared norm.
    const transposed = new Float32Array(dim * rows);
    const rowNorms = new Float64Array(rows);
    let maxRowNorm = 0;
    for (let r = 0; r < rows; r++) {
      let norm = 0;
      for (let c = 0; c < dim; c++) {
        const v = halves[memory.vectors[r * stride + c]];
        transposed[c * rows + r] = v;
        norm += v * v;
      }
      rowNorms[r] = norm;
      if (norm > maxRowNorm) maxRowNorm = norm;
    }
    const session = await ort.InferenceSession.create(matMulModel(dim), { intraOpNumThreads: 0 });
    return new BatchedNearestRows(memory, session, new ort.Tensor('float32', transposed, [dim, rows]), rowNorms, maxRowNorm);
  }

  /**
   * For each padded query (float32, rowStride(dim) long): the indices of its
   * top-m memory rows, nearest first, exactly as CpuDecoder selects them
   * (no excluded items).
   */
  async nearestRows(queries: Float32Array[], m: number): Promise<Uint32Array[]> {
    const { rows, dim } = this.memory;
    const a = new Float32Array(queries.length * dim);
    queries.forEach((q, i) => a.set(q.subarray(0, dim), i * dim));
    const out = await this.session.run({ a: new ort.Tensor('float32', a, [queries.length, dim]), b: this.transposed });
    const dots = out.out.data as Float32Array;
    const results = queries.map((q, i) => {
      let queryNorm = 0;
      for (let c = 0; c < dim; c++) queryNorm += q[c] * q[c];
      const approx = new Float64Array(rows);
      for (let r = 0; r < rows; r++) approx[r] = queryNorm + this.rowNorms[r] - 2 * dots[i * rows + r];
      // Both the reference's float32 sums and the MatMul's differ from the real distance by at most
      // ~d * 2^-24 * (|q|^2 + |x|^2) each; 1e-4 relative covers d up to ~800 with a wide margin.
      const tolerance = 1e-4 * (queryNorm + this.maxRowNorm) * Math.max(1, dim / 256);
      // If M rows have approx <= T, the M-th exact distance is <= T + tol, so every exact top-M row has approx <= T + 2 tol.
      const mth = topK(approx, Math.min(m, rows)).indices.at(-1)!;
      const threshold = approx[mth] + 2 * tolerance;
      const candidates: number[] = [];
      for (let r = 0; r < rows; r++) if (approx[r] <= threshold) candidates.push(r);
      const exact = Float32Array.from(candidates, (r) => squaredL2F16(q, this.memory.vectors, r));
      return Uint32Array.from(topK(exact, m).indices, (j) => candidates[j]);
    });
    out.out.dispose?.();
    return results;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
