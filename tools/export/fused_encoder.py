"""The fused L2D encoder graph, written operator by operator from the
model's weights rather than traced: every decoder layer is the handful of
com.microsoft kernels onnxruntime-web's WebGPU execution provider implements
natively (issue #9), where the traced graph spells attention, rotary and
RMSNorm out in ~80 small ONNX ops per layer.

Per layer: SkipSimplifiedLayerNormalization (residual add + RMSNorm in one),
one MatMulNBits for q, k and v together, GroupQueryAttention with the rotary
embedding inside it (do_rotary, cos/sin tables of the model's own
frequencies), MatMulNBits o_proj, SkipSimplifiedLayerNormalization,
MatMulNBits gate and up, QuickGelu(alpha 1) = SiLU, Mul, MatMulNBits down.
The last layer's o_proj and MLP run on each row's last real token only, the
only row L2D reads.

Inputs differ from the traced graphs, because GroupQueryAttention takes
right-padded rows: input_ids [batch, width] (each row's tokens first, pad
after), seqlens_k [batch] int32 (each row's cached + new token count - 1),
total_sequence_length (int32 scalar, = cached length + width) and per layer
past_key.<i> / past_value.<i> [batch, kv_heads, cached, head_dim] (the
activation float type; cached = 0 for whole prompts). Outputs:
last_token_hidden_state [batch, d], float32 in both dtypes, and per layer
present_key.<i> / present_value.<i> (past + this call's tokens), which the
next call of a growing history passes back as its past (issue #9's prefix
reuse: src/core/fused-prefix.ts); a caller that fetches only the hidden
state never reads them back. Weights are quantized exactly as
tools/export/quantize.py does for the traced graphs (same 4-bit blocks of 32),
so the fused graph reads the memories built with the generation graph.

    q4:    float32 activations (every WebGPU adapter, wasm)
    q4f16: float16 activations and tables (adapters with shader-f16)
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from quantize import embedding_nodes, quantize_embedding, quantize_weight

DOMAIN = "com.microsoft"


class GraphBuilder:
    def __init__(self, float_type):
        self.nodes, self.initializers = [], []
        self.float_type = float_type  # np.float32 or np.float16
        self.counter = 0

    def name(self, stem):
        self.counter += 1
        return f"{stem}_{self.counter}"

    def constant(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def floats(self, name, array):
        return self.constant(name, np.asarray(array, dtype=np.float32).astype(self.float_type))

    def node(self, op, inputs, outputs=1, domain="", **attrs):
        names = [self.name(op) for _ in range(outputs)] if isinstance(outputs, int) else outputs
        self.nodes.append(helper.make_node(op, inputs, names, name=self.name(f"{op}_node"), domain=domain, **attrs))
        return names[0] if len(names) == 1 else names

    def matmul_4bit(self, x, weight, stem, block_size=32):
        """x @ weight.T (torch Linear weight [N, K]) as MatMulNBits with quantize.py's blocks."""
        w = np.asarray(weight, dtype=np.float32).T  # [K, N], ONNX MatMul's B
        k, n = w.shape
        packed, scales = quantize_weight(w, block_size)
        q = self.constant(f"{stem}.q4", packed)
        s = self.floats(f"{stem}.scales", scales)
        return self.node("MatMulNBits", [x, q, s], domain=DOMAIN, K=k, N=n, bits=4, block_size=block_size)


def rotary_tables(inv_freq, max_positions):
    """GroupQueryAttention's cos_cache / sin_cache: [max_positions, head_dim / 2] of position * frequency."""
    freqs = np.arange(max_positions, dtype=np.float32)[:, None] * np.asarray(inv_freq, dtype=np.float32)[None, :]
    return np.cos(freqs), np.sin(freqs)


def build_fused_encoder(config, weights, inv_freq, dtype="q4", max_positions=None, with_past=True, attention="gqa", embedding="float"):
    """weights: the model's state dict as numpy float32 arrays (Hugging Face names); max_positions: the longest
    prompt the runtime sends (the rotary tables' rows; Llama-3.2-1B's 131,072 would be 32 MB of tables);
    with_past: the key/value cache inputs and outputs (False: the graph of the first fused export, whole
    prompts only); attention: "gqa" (GroupQueryAttention, one kernel per layer: the WebGPU graph) or "plain"
    (RotaryEmbedding, MatMul, Softmax: faster than GroupQueryAttention in onnxruntime's wasm build, q4 only);
    embedding: "float" (the table in the activations' type), "q4" (4 bits, quantize.py's blocks: one
    GatherBlockQuantized kernel with GroupQueryAttention, whose graph is WebGPU's; standard ops with plain
    attention, whose graph is wasm's, which lacks that kernel) or "q8" (8 bits, standard ops). Returns an
    onnx.ModelProto."""
    if dtype not in ("q4", "q4f16"):
        raise ValueError(f"fused encoder dtype {dtype!r}: q4 or q4f16")
    if embedding not in ("float", "q4", "q8"):
        raise ValueError(f"fused encoder embedding {embedding!r}: float, q4 or q8")
    if attention not in ("gqa", "plain") or (attention == "plain" and dtype != "q4"):
        raise ValueError(f"fused encoder attention {attention!r} with {dtype}: gqa (q4, q4f16) or plain (q4)")
    float_type = np.float16 if dtype == "q4f16" else np.float32
    g = GraphBuilder(float_type)
    eps = float(config.rms_norm_eps)
    heads, kv_heads, head_dim = config.num_attention_heads, config.num_key_value_heads, config.head_dim
    cos, sin = rotary_tables(inv_freq, min(config.max_position_embeddings, max_positions or config.max_position_embeddings))
    cos_cache, sin_cache = g.floats("rotary.cos", cos), g.floats("rotary.sin", sin)

    if embedding != "float":
        table = weights["model.embed_tokens.weight"]
        data, scales = quantize_embedding(table, 32, embedding)
        x = g.name("embedded")
        onnx_float = TensorProto.FLOAT16 if float_type == np.float16 else TensorProto.FLOAT
        op = "GatherBlockQuantized" if attention == "gqa" and embedding == "q4" else "portable"
        nodes, inits = embedding_nodes(g.constant(f"embed_tokens.{embedding}", data), g.floats("embed_tokens.scales", scales), "input_ids", x, "embed_tokens",
                                       table.shape[1], 32, onnx_float, embedding, op)
        g.nodes.extend(nodes)
        g.initializers.extend(inits)
    else:
        x = g.node("Gather", [g.floats("embed_tokens", weights["model.embed_tokens.weight"]), "input_ids"], axis=0)
    # Each row's last real token, for GatherND (batch_dims 1): [batch, 1, 1] int64.
    # Shaped while int32, then cast: onnxruntime-web's WebGPU EP runs int64 Unsqueeze / Reshape on the CPU.
    # Within this call's tokens: seqlens_k counts from the first cached token, so subtract the cached length
    # (past_key.0's third dimension; 0 for whole prompts). Read from a shape: one small upload, no GPU kernel.
    last_in_call = "seqlens_k"
    if with_past:
        cached = g.node("Cast", [g.node("Shape", ["past_key.0"], start=2, end=3)], to=TensorProto.INT32)
        last_in_call = g.node("Sub", ["seqlens_k", cached])
    last_index = g.node("Cast", [g.node("Reshape", [last_in_call, g.constant("shape_b11", np.array([-1, 1, 1], dtype=np.int64))])], to=TensorProto.INT64)

    def last_rows(t):
        return g.node("GatherND", [t, last_index], batch_dims=1)  # [batch, 1, width of t]

    plain = plain_attention_parts(g, with_past) if attention == "plain" else None

    layers = config.num_hidden_layers
    residual, pending = x, None
    for i in range(layers):
        p = f"model.layers.{i}"
        gamma_in = g.floats(f"{p}.input_layernorm", weights[f"{p}.input_layernorm.weight"])
        if pending is None:
            normed = g.node("SimplifiedLayerNormalization", [residual, gamma_in], axis=-1, epsilon=eps, stash_type=1)
        else:
            normed, _, _, residual = g.node("SkipSimplifiedLayerNormalization", [pending, residual, gamma_in], outputs=4, domain=DOMAIN, epsilon=eps)
        qkv_weight = np.concatenate([weights[f"{p}.self_attn.{n}_proj.weight"] for n in ("q", "k", "v")], axis=0)
        qkv = g.matmul_4bit(normed, qkv_weight, f"{p}.self_attn.qkv_proj")
        if config.attention_bias:
            bias = np.concatenate([weights[f"{p}.self_attn.{n}_proj.bias"] for n in ("q", "k", "v")])
            qkv = g.node("Add", [qkv, g.floats(f"{p}.self_attn.qkv_bias", bias)])
        if plain:
            attended = plain_attention(g, plain, qkv, i, heads, kv_heads, head_dim, cos_cache, sin_cache, with_past)
        else:
            past = [f"past_key.{i}", f"past_value.{i}"] if with_past else ["", ""]
            outputs = [g.name("attention"), f"present_key.{i}", f"present_value.{i}"] if with_past else 3
            attended = g.node("GroupQueryAttention", [qkv, "", "", *past, "seqlens_k", "total_sequence_length", cos_cache, sin_cache],
                              outputs=outputs, domain=DOMAIN, num_heads=heads, kv_num_heads=kv_heads, do_rotary=1, rotary_interleaved=0)[0]
        if i == layers - 1:
            # Only the last real token's row goes on: L2D reads nothing else.
            attended, residual = last_rows(attended), last_rows(residual)
        out = g.matmul_4bit(attended, weights[f"{p}.self_attn.o_proj.weight"], f"{p}.self_attn.o_proj")
        gamma_post = g.floats(f"{p}.post_attention_layernorm", weights[f"{p}.post_attention_layernorm.weight"])
        normed, _, _, residual = g.node("SkipSimplifiedLayerNormalization", [out, residual, gamma_post], outputs=4, domain=DOMAIN, epsilon=eps)
        gate = g.matmul_4bit(normed, weights[f"{p}.mlp.gate_proj.weight"], f"{p}.mlp.gate_proj")
        up = g.matmul_4bit(normed, weights[f"{p}.mlp.up_proj.weight"], f"{p}.mlp.up_proj")
        silu = g.node("QuickGelu", [gate], domain=DOMAIN, alpha=1.0)  # x * sigmoid(1.0 * x) = SiLU
        pending = g.matmul_4bit(g.node("Mul", [silu, up]), weights[f"{p}.mlp.down_proj.weight"], f"{p}.mlp.down_proj")
    final = g.node("SkipSimplifiedLayerNormalization", [pending, residual, g.floats("model.norm", weights["model.norm.weight"])], outputs=4, domain=DOMAIN, epsilon=eps)[0]
    hidden = g.node("Squeeze", [final, g.constant("axes_1", np.array([1], dtype=np.int64))])
    if dtype == "q4f16":
        hidden = g.node("Cast", [hidden], to=TensorProto.FLOAT)
    g.nodes[-1].output[0] = "last_token_hidden_state"

    onnx_float = TensorProto.FLOAT16 if dtype == "q4f16" else TensorProto.FLOAT
    cache = [(f"{kind}_{part}.{i}", ["batch_size", kv_heads, f"{kind}_sequence_length", head_dim])
             for i in range(layers) for kind, part in (("past", "key"), ("past", "value"))] if with_past else []
    graph = helper.make_graph(
        g.nodes,
        f"l2d-fused-encoder-{dtype}",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
         helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, ["batch_size"]),
         helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, [])]
        + [helper.make_tensor_value_info(name, onnx_float, dims) for name, dims in cache],
        [helper.make_tensor_value_info("last_token_hidden_state", TensorProto.FLOAT, ["batch_size", config.hidden_size])]
        + [helper.make_tensor_value_info(name.replace("past", "present"), onnx_float, [*dims[:2], "total_sequence_length", dims[3]]) for name, dims in cache],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(DOMAIN, 1)], producer_name="l2d tools/export/fused_encoder.py")
    model.ir_version = 8
    return model


def plain_attention_parts(g, with_past):
    """What every layer's plain attention shares: the first position of this call (the cached length, for
    RotaryEmbedding) and the additive causal mask of this call's rows over all tokens, [width, cached + width].
    Causal is enough for right-padded rows: a real token's keys all come before the padding."""
    i64 = lambda name, values: g.constant(name, np.array(values, dtype=np.int64))
    cached = g.node("Shape", ["past_key.0"], start=2, end=3) if with_past else i64("no_cache", [0])  # [1] int64
    width = g.node("Shape", ["input_ids"], start=1, end=2)
    total = g.node("Add", [cached, width])
    scalar = lambda t: g.node("Squeeze", [t, i64(g.name("axis0"), [0])])
    rows = g.node("Range", [scalar(cached), scalar(total), i64("one", 1)])  # positions of this call's tokens
    cols = g.node("Range", [i64("zero", 0), scalar(total), i64("one_", 1)])  # positions of every key
    allowed = g.node("LessOrEqual", [g.node("Unsqueeze", [cols, i64("axis_0", [0])]), g.node("Unsqueeze", [rows, i64("axis_1", [1])])])
    mask = g.node("Where", [allowed, g.floats("mask_open", 0.0), g.floats("mask_shut", -1e9)])
    return {"cached": cached, "mask": mask}


def plain_attention(g, parts, qkv, i, heads, kv_heads, head_dim, cos_cache, sin_cache, with_past):
    """Layer i's attention from packed q/k/v [batch, width, (heads + 2 kv_heads) head_dim] with plain ops, the
    query heads grouped per key/value head; with_past: the cache in and out in GroupQueryAttention's layout."""
    i64 = lambda values: g.constant(g.name("shape"), np.array(values, dtype=np.int64))
    group = heads // kv_heads
    q, k, v = g.node("Split", [qkv, i64([heads * head_dim, kv_heads * head_dim, kv_heads * head_dim])], outputs=3, axis=-1)
    q = g.node("RotaryEmbedding", [q, parts["cached"], cos_cache, sin_cache], domain=DOMAIN, num_heads=heads, interleaved=0)
    k = g.node("RotaryEmbedding", [k, parts["cached"], cos_cache, sin_cache], domain=DOMAIN, num_heads=kv_heads, interleaved=0)
    q = g.node("Transpose", [g.node("Reshape", [q, i64([0, 0, kv_heads, group, head_dim])])], perm=[0, 2, 3, 1, 4])  # [b, kv, g, s, d]
    k = g.node("Transpose", [g.node("Reshape", [k, i64([0, 0, kv_heads, head_dim])])], perm=[0, 2, 1, 3])  # [b, kv, s, d]
    v = g.node("Transpose", [g.node("Reshape", [v, i64([0, 0, kv_heads, head_dim])])], perm=[0, 2, 1, 3])
    if with_past:
        k = g.node("Concat", [f"past_key.{i}", k], axis=2, outputs=[f"present_key.{i}"])
        v = g.node("Concat", [f"past_value.{i}", v], axis=2, outputs=[f"present_value.{i}"])
    k_t = g.node("Transpose", [g.node("Unsqueeze", [k, i64([2])])], perm=[0, 1, 2, 4, 3])  # [b, kv, 1, d, t]
    scores = g.node("Add", [g.node("Mul", [g.node("MatMul", [q, k_t]), g.floats(g.name("scale"), 1.0 / np.sqrt(head_dim))]), parts["mask"]])
    attended = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), g.node("Unsqueeze", [v, i64([2])])])  # [b, kv, g, s, d]
    return g.node("Reshape", [g.node("Transpose", [attended], perm=[0, 3, 1, 2, 4]), i64([0, 0, heads * head_dim])])


def save_graph(model, path):
    """Over 2 GB a protobuf cannot hold the weights: they go to one external file beside the graph."""
    if sum(len(i.raw_data) for i in model.graph.initializer) > 1_800_000_000:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=path.split("/")[-1] + "_data", size_threshold=1024)
    else:
        onnx.save(model, path)
