/**
 * Just enough protobuf to read an ONNX file's node list (op types and
 * domains) without the onnx package: ModelProto.graph (field 7) ->
 * GraphProto.node (field 1) -> NodeProto.op_type (4) / domain (7).
 * Used to count a graph's kernels before and after optimization.
 */

interface Field {
  number: number;
  wireType: number;
  /** Length-delimited payload (wire type 2). */
  bytes?: Uint8Array;
}

function* fields(buffer: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = () => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const b = buffer[pos++];
      result += (b & 127) * shift;
      if (b < 128) return result;
      shift *= 128;
    }
  };
  while (pos < buffer.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      yield { number, wireType, bytes: buffer.subarray(pos, pos + length) };
      pos += length;
      continue;
    } else throw new Error(`Unsupported protobuf wire type ${wireType} at byte ${pos}.`);
    yield { number, wireType };
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** "domain:OpType" of every node of the model's main graph, in order ("ai.onnx" for the default domain). */
export function graphOps(model: Uint8Array): string[] {
  const graph = [...fields(model)].find((f) => f.number === 7 && f.bytes)?.bytes;
  if (!graph) throw new Error('Not an ONNX model: no graph.');
  const ops: string[] = [];
  for (const f of fields(graph)) {
    if (f.number !== 1 || !f.bytes) continue;
    let opType = '';
    let domain = 'ai.onnx';
    for (const g of fields(f.bytes)) {
      if (g.number === 4 && g.bytes) opType = text(g.bytes);
      if (g.number === 7 && g.bytes && g.bytes.length) domain = text(g.bytes);
    }
    ops.push(`${domain}:${opType}`);
  }
  return ops;
}

/** Nodes that run a kernel: all but Constant (folded into initializers by any optimizer). */
export function kernelCount(ops: readonly string[]): number {
  return ops.filter((op) => op !== 'ai.onnx:Constant').length;
}
