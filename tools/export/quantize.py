"""4-bit weight quantization of an ONNX graph: every MatMul whose weight is a
2-D float initializer becomes com.microsoft MatMulNBits (bits 4, symmetric,
one scale per block of `block_size` input rows, no zero-point input so
the kernel's default zero point 8 applies). Scales take the weight's type:
float32 weights give q4 (float32 activations), float16 weights (a graph
already converted to float16) give q4f16.

With embedding "q4" (or "q8") the token embedding table (a Gather on axis 0
of a 2-D float initializer) is quantized the same way: 4 (8) bits, blocks of
`block_size` along each row, symmetric, scales of the table's type, and
gathered and dequantized with standard ops. Most of a large-vocabulary
model's file is that table (Llama-3.2-1B: 128,256 x 2048 floats, 1.05 GB of
its 1.82 GB q4 file), and L2D reads only the rows of the prompt's tokens.

Written with the `onnx` package alone (Debian's python3-onnx), since
onnxruntime's quantization tools are not on these machines.
"""
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


def quantize_weight(w, block_size):
    """w: [K, N] float32 -> (packed uint8 [N, blocks, block_size/2], scales float32 [N * blocks])."""
    k, n = w.shape
    blocks = (k + block_size - 1) // block_size
    padded = np.zeros((blocks * block_size, n), dtype=np.float32)
    padded[:k] = w
    cols = padded.T.reshape(n, blocks, block_size)
    scale = np.abs(cols).max(axis=-1) / 7.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(cols / scale[..., None]), -8, 7).astype(np.int16) + 8
    q = q.astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return packed, scale.astype(np.float32).reshape(-1)


def dequantize(packed, scales, k, block_size):
    """The inverse, as MatMulNBits computes it: (q - 8) * scale, back to [K, N]."""
    n, blocks, _ = packed.shape
    q = np.empty((n, blocks, block_size), dtype=np.float32)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    w = (q - 8) * scales.reshape(n, blocks)[..., None]
    return w.reshape(n, blocks * block_size)[:, :k].T


def quantize_embedding(table, block_size, kind="q4"):
    """table: [vocab, d] float32 -> (uint8 data, scales float32 [vocab, d / block_size]), blocks along each row
    (GatherBlockQuantized's quantize_axis 1), symmetric. q4: [vocab, d / 2], two values a byte, low nibble
    first, zero point 8 (quantize_weight's blocks); q8: [vocab, d], zero point 128."""
    vocab, d = table.shape
    if d % block_size:
        raise ValueError(f"embedding width {d} is not a multiple of the block size {block_size}: the table cannot be quantized in blocks")
    table = np.asarray(table, dtype=np.float32)
    if kind == "q8":
        blocks = table.reshape(vocab, d // block_size, block_size)
        scale = np.abs(blocks).max(axis=-1) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.round(blocks / scale[..., None]), -128, 127).astype(np.int16) + 128
        return q.astype(np.uint8).reshape(vocab, d), scale.astype(np.float32)
    if kind != "q4":
        raise ValueError(f"embedding {kind!r}: q4 or q8")
    packed, scales = quantize_weight(table.T, block_size)
    return packed.reshape(vocab, d // 2), scales.reshape(vocab, d // block_size)


def dequantize_embedding(data, scales, block_size, kind="q4"):
    """The inverse, as the graphs compute it: [vocab, d] float32."""
    vocab = data.shape[0]
    if kind == "q8":
        return ((data.astype(np.float32).reshape(vocab, -1, block_size) - 128) * scales[..., None]).reshape(vocab, -1)
    return dequantize(data.reshape(vocab, -1, block_size // 2), scales, data.shape[1] * 2, block_size).T


def embedding_nodes(data_name, scales_name, input_ids, output, stem, d, block_size, float_type, kind, op):
    """Nodes that gather rows of the quantized table (quantize_embedding's layout) and dequantize them to
    float_type (TensorProto.FLOAT or FLOAT16), for input_ids [batch, sequence]. Returns (nodes, initializers).

    op "GatherBlockQuantized" (q4 only): one com.microsoft kernel, which onnxruntime-web 1.30 has on WebGPU and
    onnxruntime-node on the CPU, but its wasm build lacks. op "portable": the same values from standard ops
    every execution provider has (Gather of the bytes and of the scales; q4's nibbles split with
    Floor(x / 16), exact for 0..255 in float16 too)."""
    if op == "GatherBlockQuantized":
        if kind != "q4":
            raise ValueError(f"GatherBlockQuantized is used for q4 tables only, not {kind!r}")
        return [helper.make_node("GatherBlockQuantized", [data_name, input_ids, scales_name], [output], name=f"{stem}_gather_4bit", domain="com.microsoft",
                                 bits=4, block_size=block_size, gather_axis=0, quantize_axis=1)], []
    if op != "portable":
        raise ValueError(f"embedding op {op!r}: GatherBlockQuantized or portable")
    np_float = np.float16 if float_type == onnx.TensorProto.FLOAT16 else np.float32
    zero_point = 8 if kind == "q4" else 128
    constants = [("zero_point", zero_point, np_float), ("last_axis", [-1], np.int64),
                 ("blocks_shape", [0, 0, d // block_size, block_size], np.int64), ("rows_shape", [0, 0, d], np.int64)]
    if kind == "q4":
        constants.append(("sixteen", 16, np_float))
    inits = [numpy_helper.from_array(np.array(v, dtype=t), f"{stem}.{n}") for n, v, t in constants]
    c = lambda n: f"{stem}.{n}"
    nodes = [
        helper.make_node("Gather", [data_name, input_ids], [c("bytes")], axis=0),  # [b, s, d / 2 (q4) or d (q8)] uint8
        helper.make_node("Cast", [c("bytes")], [c("bytes_f")], to=float_type),
    ]
    if kind == "q4":
        nodes += [
            helper.make_node("Div", [c("bytes_f"), c("sixteen")], [c("bytes_over_16")]),
            helper.make_node("Floor", [c("bytes_over_16")], [c("high")]),
            helper.make_node("Mul", [c("high"), c("sixteen")], [c("high_16")]),
            helper.make_node("Sub", [c("bytes_f"), c("high_16")], [c("low")]),
            helper.make_node("Unsqueeze", [c("low"), c("last_axis")], [c("low_1")]),
            helper.make_node("Unsqueeze", [c("high"), c("last_axis")], [c("high_1")]),
            helper.make_node("Concat", [c("low_1"), c("high_1")], [c("values")], axis=-1),  # low nibble first: [b, s, d / 2, 2]
        ]
    values = c("values") if kind == "q4" else c("bytes_f")
    nodes += [
        helper.make_node("Reshape", [values, c("blocks_shape")], [c("blocks")]),  # [b, s, d / block, block]
        helper.make_node("Sub", [c("blocks"), c("zero_point")], [c("centred")]),
        helper.make_node("Gather", [scales_name, input_ids], [c("row_scales")], axis=0),  # [b, s, d / block]
        helper.make_node("Unsqueeze", [c("row_scales"), c("last_axis")], [c("block_scales")]),
        helper.make_node("Mul", [c("centred"), c("block_scales")], [c("scaled")]),
        helper.make_node("Reshape", [c("scaled"), c("rows_shape")], [output]),
    ]
    return nodes, inits


def is_embedding_gather(node, inits):
    table = inits.get(node.input[0]) if node.op_type == "Gather" else None
    axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
    return table is not None and len(table.dims) == 2 and axis == 0 and table.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)


def quantize_matmuls_4bit(src, dst, block_size=32, embedding="float"):
    """embedding "q4" or "q8": the table too, with standard ops ("portable"), so the generation and traced graphs
    keep running on every execution provider."""
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    uses = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    nodes, replaced = [], []
    for node in graph.node:
        if embedding != "float" and is_embedding_gather(node, inits):
            table = inits[node.input[0]]
            if node.input[1] not in {i.name for i in graph.input}:
                raise ValueError(f"the embedding Gather {node.name!r} reads {node.input[1]!r}, not a graph input: only a table indexed by input_ids can be quantized")
            data, scales = quantize_embedding(numpy_helper.to_array(table).astype(np.float32), block_size, embedding)
            q_name, s_name = f"{table.name}_{embedding}", f"{table.name}_scales"
            scales = scales.astype(np.float16 if table.data_type == onnx.TensorProto.FLOAT16 else np.float32)
            graph.initializer.extend([numpy_helper.from_array(data, q_name), numpy_helper.from_array(scales, s_name)])
            gather_nodes, gather_inits = embedding_nodes(q_name, s_name, node.input[1], node.output[0], f"{table.name}_{embedding}", table.dims[1], block_size,
                                                         table.data_type, embedding, "portable")
            nodes.extend(gather_nodes)
            graph.initializer.extend(gather_inits)
            uses[table.name] -= 1
            replaced.append(table.name)
            continue
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or len(weight.dims) != 2 or weight.data_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16):
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        k, n = w.shape
        packed, scales = quantize_weight(w, block_size)
        q_name, s_name = f"{weight.name}_q4", f"{weight.name}_scales"
        scales = scales.astype(np.float16 if weight.data_type == onnx.TensorProto.FLOAT16 else np.float32)
        graph.initializer.extend([numpy_helper.from_array(packed, q_name), numpy_helper.from_array(scales, s_name)])
        nodes.append(helper.make_node("MatMulNBits", [node.input[0], q_name, s_name], list(node.output), name=f"{node.name}_q4",
                                      domain="com.microsoft", K=k, N=n, bits=4, block_size=block_size))
        uses[weight.name] -= 1
        replaced.append(weight.name)
    del graph.node[:]
    graph.node.extend(nodes)
    unused = {name for name in replaced if uses.get(name, 0) == 0}
    kept = [i for i in graph.initializer if i.name not in unused]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    for stale in (dst, dst + "_data"):  # onnx appends external data to an existing file
        if os.path.exists(stale):
            os.remove(stale)
    if sum(len(i.raw_data) for i in graph.initializer) > 1_800_000_000:
        # Protobuf files stop at 2 GB: keep the weights in one external file beside the graph.
        onnx.save_model(model, dst, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=dst.split("/")[-1] + "_data", size_threshold=1024)
    else:
        onnx.save(model, dst)
    return len(replaced)
