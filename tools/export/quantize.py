"""4-bit weight quantization of an ONNX graph: every MatMul whose weight is a
2-D float initializer becomes com.microsoft MatMulNBits (bits 4, symmetric,
one scale per block of `block_size` input rows, no zero-point input so
the kernel's default zero point 8 applies). Scales take the weight's type:
float32 weights give q4 (float32 activations), float16 weights (a graph
already converted to float16) give q4f16.

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


def quantize_matmuls_4bit(src, dst, block_size=32):
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    uses = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    nodes, replaced = [], []
    for node in graph.node:
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
