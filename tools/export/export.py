"""Exports a model folder (trained by tools/train, or a Hugging Face Llama /
Qwen2 checkpoint folder) to ONNX in the layout @huggingface/transformers
reads, with L2D's output:

    onnx/model.onnx      fp32, the reference
    onnx/model_q4.onnx   4-bit MatMulNBits weights (block 32), float32 activations: runs on every WebGPU adapter
    onnx/model_q4f16.onnx the same with float16 activations, for adapters with shader-f16 (--dtypes fp32,q4,q4f16;
                          needs onnxruntime's Python float16 converter, which the GPU machine has and Debian lacks)

With --embedding q4 (or q8) the q4 and q4f16 graphs (generation and encoder
alike, so memories and encoders still agree) hold the token embedding table
in 4 (8) bits too: for a large vocabulary most of the download.

Inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key/value;
outputs logits, last_hidden_state (final-norm hidden states, the LM head's
input), present.{i}.key/value. It also writes fixtures/hidden-states.json:
a few validation prompts with their token ids and torch's last-token hidden
states, which the tests hold onnxruntime-node and onnxruntime-web against,
and fixtures/check-prompts.json (100 prompts, not committed) on which the
numeric check at the end runs: tools/export/check-onnx.ts in onnxruntime-node,
and onnxruntime's Python package where installed (the GPU machine).

    /usr/bin/python3 tools/export/export.py models/movielens-demo [--data data/prepared/movielens-latest-small] [--dtypes fp32,q4]
"""
import argparse
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
from model import Config, LlamaForCausalLM  # noqa: E402
from prompt import load_template, render_prompt  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from quantize import dequantize, dequantize_embedding, quantize_embedding, quantize_matmuls_4bit, quantize_weight  # noqa: E402
from fused_encoder import build_fused_encoder, save_graph  # noqa: E402

def fail(message):
    raise SystemExit(f"export: {message}")


def read_json(path):
    """A JSON file of the model folder; one that is not JSON fails naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as error:
        fail(f"{path} could not be read as JSON: {error}")


def remove_onnx(path):
    """onnx appends external data to an existing file: a re-export must start from no file at all."""
    for f in (path, path + "_data"):
        if os.path.exists(f):
            os.remove(f)


def load_model(folder):
    for required in ("config.json", "tokenizer.json"):
        if not os.path.exists(os.path.join(folder, required)):
            fail(f"{folder}: {required} is missing; a model folder needs config.json, tokenizer.json and weights")
    try:
        config = Config.from_hf(read_json(os.path.join(folder, "config.json")), os.path.join(folder, "config.json"))
    except ValueError as error:
        fail(str(error))
    tok = read_json(os.path.join(folder, "tokenizer.json"))
    tok_size = max(list(tok["model"]["vocab"].values()) + [t["id"] for t in tok.get("added_tokens", [])]) + 1
    if tok_size > config.vocab_size:
        fail(f"{folder}: tokenizer.json has {tok_size} tokens but config.json's vocab_size is {config.vocab_size}: the tokenizer does not match the model")
    weights = {}
    files = sorted(f for f in os.listdir(folder) if f.endswith(".safetensors"))
    if files:
        for f in files:
            weights.update(read_safetensors(os.path.join(folder, f), fail))
    elif os.path.exists(os.path.join(folder, "pytorch_model.bin")):
        weights = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu")
    else:
        fail(f"{folder}: no weights (model.safetensors or pytorch_model.bin)")
    model = LlamaForCausalLM(config)
    if config.tie_word_embeddings:
        weights.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [m for m in missing if not (m == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        fail(f"{folder}: weights do not match the config (missing {missing[:5]}, unexpected {unexpected[:5]})")
    return config, model.eval()


class ExportWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents, hidden = self.model(input_ids, attention_mask, position_ids, past)
        flat = []
        for k, v in presents:
            flat += [k, v]
        return (logits, hidden, *flat)


class EncoderWrapper(torch.nn.Module):
    """L2D's encoder graph: no LM head, no logits, no cache; only the last token's final-norm hidden state (batch x d)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids):
        hidden, _ = self.model.hidden_states(input_ids, attention_mask, position_ids, None, last_only=True)
        return hidden


def export_encoder(model, path):
    b, t = 2, 3
    ids = torch.randint(0, model.config.vocab_size, (b, t))
    mask = torch.ones((b, t), dtype=torch.long)
    pos = torch.arange(t)[None].expand(b, t).contiguous()
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"}, "last_token_hidden_state": {0: "batch_size"}}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    remove_onnx(path)
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(EncoderWrapper(model), (ids, mask, pos), path, input_names=["input_ids", "attention_mask", "position_ids"],
                      output_names=["last_token_hidden_state"], dynamic_axes=axes, opset_version=17, do_constant_folding=True, **legacy)


def export_fp32(config, model, path):
    layers = config.num_hidden_layers
    b, t, past = 2, 3, 2  # trace with a non-empty past so no dimension is specialised to 0
    ids = torch.randint(0, config.vocab_size, (b, t))
    mask = torch.ones((b, past + t), dtype=torch.long)
    pos = torch.arange(past, past + t)[None].expand(b, t).contiguous()
    past_kv = [torch.zeros(b, config.num_key_value_heads, past, config.head_dim) for _ in range(2 * layers)]
    inputs = ["input_ids", "attention_mask", "position_ids"]
    outputs = ["logits", "last_hidden_state"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}
    for i in range(layers):
        for kind in ("key", "value"):
            inputs.append(f"past_key_values.{i}.{kind}")
            outputs.append(f"present.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    remove_onnx(path)
    before = set(os.listdir(folder))
    # The TorchScript exporter: newer torch defaults to dynamo, whose graphs onnxruntime-web runs less well.
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(ExportWrapper(model), (ids, mask, pos, *past_kv), path, input_names=inputs, output_names=outputs,
                      dynamic_axes=axes, opset_version=17, do_constant_folding=True, **legacy)
    stray = set(os.listdir(folder)) - before - {os.path.basename(path)}
    if stray:
        # Over 2 GB torch writes one file per tensor; gather them into model.onnx_data, the layout
        # @huggingface/transformers and onnxruntime-web expect.
        graph = onnx.load(path)
        onnx.save_model(graph, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + "_data", size_threshold=1024)
        for name in stray:
            os.remove(os.path.join(folder, name))


def export_q4f16(fp32_path, dst, embedding="float"):
    """fp32 graph -> float16 activations and weights (inputs and outputs stay float32) -> 4-bit MatMulNBits."""
    try:
        from onnxruntime.transformers.float16 import convert_float_to_float16
    except ImportError:
        fail("q4f16 needs onnxruntime's Python package (its float16 converter), which these CPU machines lack; "
             "export q4f16 on the GPU machine (docs/MODELS.md) or leave it out of --dtypes")
    tmp = dst + ".fp16-tmp.onnx"
    remove_onnx(tmp)
    if os.path.exists(fp32_path + "_data"):
        # Over 2 GB a graph cannot be serialized in memory for shape inference: infer from the files instead.
        inferred = dst + ".shapes-tmp.onnx"
        onnx.shape_inference.infer_shapes_path(fp32_path, inferred)
        model = onnx.load(inferred)
        os.remove(inferred)
        half = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=True)
    else:
        half = convert_float_to_float16(onnx.load(fp32_path), keep_io_types=True)
    big = sum(len(i.raw_data) for i in half.graph.initializer) > 1_800_000_000
    onnx.save_model(half, tmp, save_as_external_data=big, all_tensors_to_one_file=True, location=os.path.basename(tmp) + "_data")
    try:
        quantize_matmuls_4bit(tmp, dst, block_size=32, embedding=embedding)
    finally:
        remove_onnx(tmp)


def max_prompt_tokens(folder, config):
    """The longest prompt the runtime sends: the smaller of the context and the tokenizer's model_max_length."""
    path = os.path.join(folder, "tokenizer_config.json")
    limit = read_json(path).get("model_max_length") if os.path.exists(path) else None
    return min(config.max_position_embeddings, int(limit)) if isinstance(limit, (int, float)) else config.max_position_embeddings


def export_encoder_graphs(folder, config, model, q4_reference, dtypes, timings, kinds=("traced", "fused"), embedding="float"):
    """The encoder graphs beside each generation graph: traced (encoder_<dtype>.onnx) and, for the 4-bit
    dtypes, fused (encoder_<dtype>_fused.onnx, and encoder_q4_fused_plain.onnx with plain attention ops for
    wasm; tools/export/fused_encoder.py); encoder.json binds each to
    the generation graph a memory is built with. q4_reference() gives the q4 torch reference (QuantizedReference);
    embedding: the 4-bit graphs' table, "float", "q4" or "q8" (the generation graphs' own)."""
    t0 = time.time()
    onnx_dir = os.path.join(folder, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    pairs = {}
    if "traced" in kinds:
        encoder_fp32 = os.path.join(onnx_dir, "encoder.onnx")
        export_encoder(model, encoder_fp32)
        pairs["encoder.onnx"] = "model.onnx"
        if "q4" in dtypes:
            quantize_matmuls_4bit(encoder_fp32, os.path.join(onnx_dir, "encoder_q4.onnx"), block_size=32, embedding=embedding)
            pairs["encoder_q4.onnx"] = "model_q4.onnx"
        if "q4f16" in dtypes:
            try:
                export_q4f16(encoder_fp32, os.path.join(onnx_dir, "encoder_q4f16.onnx"), embedding)
                pairs["encoder_q4f16.onnx"] = "model_q4f16.onnx"
            except SystemExit as skipped:  # no float16 converter here: the fused q4f16 graph needs none
                print(f"{skipped}; the traced encoder_q4f16.onnx is left out", flush=True)
    fused = {}
    if "fused" in kinds:
        weights = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
        # GroupQueryAttention for WebGPU (q4, q4f16); plain attention ops for onnxruntime's wasm build (q4), where
        # its GroupQueryAttention kernel is slow (docs/MODELS.md).
        for dtype, attention, name in (("q4", "gqa", "encoder_q4_fused.onnx"), ("q4f16", "gqa", "encoder_q4f16_fused.onnx"), ("q4", "plain", "encoder_q4_fused_plain.onnx")):
            if dtype in dtypes:
                graph = build_fused_encoder(config, weights, model.inv_freq.numpy(), dtype, max_prompt_tokens(folder, config), attention=attention, embedding=embedding)
                remove_onnx(os.path.join(onnx_dir, name))
                save_graph(graph, os.path.join(onnx_dir, name))
                pairs[name] = f"model_{dtype}.onnx"
                fused[name] = {"by": "tools/export/fused_encoder.py", "attention": attention, "ops": fused_op_counts(graph)}
    # Probes only where a generation graph binds the encoder graphs (a speed-only folder has none).
    bound = any(os.path.exists(os.path.join(onnx_dir, full)) for full in pairs.values())
    write_encoder_manifest(onnx_dir, pairs, fused, encoder_probes(config, model, q4_reference, dtypes) if bound else {})
    # onnxruntime's graph optimizer (fused RMSNorm/SiLU, folded constants) over the traced graphs, run from
    # Node since these machines have onnxruntime-node but not onnxruntime's Python package
    # (tools/export/optimize-encoder.ts; it leaves the fused graphs alone).
    if "traced" in kinds:
        try:
            subprocess.run(["npx", "tsx", os.path.join(ROOT, "tools", "export", "optimize-encoder.ts"), folder], check=True, cwd=ROOT)
        except (FileNotFoundError, subprocess.CalledProcessError):
            print(f"export: Node.js or the npm packages are missing here; run `npm run optimize-encoder -- {folder}` on a machine with them", flush=True)
    timings["encoder_seconds"] = round(time.time() - t0, 1)


PROBE_TOKENS = 96
# The probe's second row (its first tokens, padded to the first row's width in one batch): still past the
# 32 tokens where that GroupQueryAttention fault starts, and short enough that padding is most of the row.
PROBE_SHORTER_TOKENS = 40


def encoder_probes(config, model, q4_reference, dtypes):
    """One probe per dtype: token ids and torch's last-token hidden state (q4: the weights MatMulNBits computes
    with). The browser runs it as the warm-up at load and falls back to the next graph when the hidden state
    differs: a kernel that computes wrong on some adapter is caught before it ranks anything. 96 tokens, so
    attention runs its long-sequence path (on SwiftShader with the subgroups feature onnxruntime-web 1.30's
    GroupQueryAttention goes wrong from 32 tokens on)."""
    length = min(PROBE_TOKENS, config.max_position_embeddings)
    ids = [2 + (i * 7919) % (config.vocab_size - 2) for i in range(length)]
    shorter = min(PROBE_SHORTER_TOKENS, length - 1)

    def probe(reference):
        return {"input_ids": ids, "hidden": last_hidden(reference, ids), "shorter": {"tokens": shorter, "hidden": last_hidden(reference, ids[:shorter])}}

    probes = {}
    with torch.no_grad():
        if "fp32" in dtypes:
            probes["fp32"] = probe(model)
        if "q4" in dtypes or "q4f16" in dtypes:
            probes["q4"] = probes["q4f16"] = probe(q4_reference())
    return probes


def fused_op_counts(graph):
    """Node count per domain:op_type, most frequent first (encoder.json's record of what runs)."""
    counts = {}
    for node in graph.graph.node:
        key = f"{node.domain or 'ai.onnx'}:{node.op_type}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_encoder_manifest(onnx_dir, pairs, fused, probes):
    """onnx/encoder.json: each encoder graph's SHA-256, the generation graph (and its SHA-256) whose memories it
    reads, the probe its warm-up is checked on, and for fused graphs their op counts (src/core/encoder-manifest.ts)."""
    path = os.path.join(onnx_dir, "encoder.json")
    # Graphs of another kind exported earlier (--encoder-kinds) stay listed while their files are there.
    kept = read_json(path).get("graphs", {}) if os.path.exists(path) else {}
    entries = {name: entry for name, entry in kept.items() if name not in pairs and os.path.exists(os.path.join(onnx_dir, name))}
    # A probe depends on the weights and the dtype, not on the graph's kind: graphs kept from an earlier export get today's.
    for entry in entries.values():
        dtype = "fp32" if entry["memoriesOf"] == "model.onnx" else entry["memoriesOf"][len("model_"):-len(".onnx")]
        if dtype in probes:
            entry["probe"] = probes[dtype]
    for encoder, full in pairs.items():
        if os.path.exists(os.path.join(onnx_dir, full)):
            entries[encoder] = {"sha256": sha256_file(os.path.join(onnx_dir, encoder)), "memoriesOf": full, "memoriesOfSha256": sha256_file(os.path.join(onnx_dir, full))}
            dtype = "fp32" if full == "model.onnx" else full[len("model_"):-len(".onnx")]
            if dtype in probes:
                entries[encoder]["probe"] = probes[dtype]
            if encoder in fused:
                entries[encoder]["fused"] = fused[encoder]
    with open(path, "w") as f:
        json.dump({"note": "L2D encoder graphs (no LM head, last token only); a memory built with memoriesOf is read with the encoder", "graphs": entries}, f, indent=2)
        f.write("\n")


def reference_dtype(dtype):
    """q4f16 has q4's weights (only its activations are float16): q4's torch reference serves both."""
    return "q4" if dtype == "q4f16" else dtype


def python_ort_check(folder, dtypes, cases, config):
    """Where onnxruntime's Python package is installed: each dtype's file against the torch references."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    rows = []
    for dtype in dtypes:
        path = os.path.join(folder, "onnx", "model.onnx" if dtype == "fp32" else f"model_{dtype}.onnx")
        session = ort.InferenceSession(path, providers=providers)
        past = {i.name: np.zeros((1, config.num_key_value_heads, 0, config.head_dim), dtype=np.float16 if "16" in i.type else np.float32)
                for i in session.get_inputs() if i.name.startswith("past_key_values")}
        cosines, times = [], []
        for case in cases:
            ids = np.array([case["input_ids"]], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None], **past}
            t0 = time.time()
            hidden = session.run(["last_hidden_state"], feeds)[0][0, -1].astype(np.float64)
            times.append(time.time() - t0)
            ref = np.array(case["hidden"][reference_dtype(dtype)], dtype=np.float64)
            cosines.append(float(hidden @ ref / (np.linalg.norm(hidden) * np.linalg.norm(ref))))
        rows.append({"dtype": dtype, "provider": session.get_providers()[0], "min_cosine": min(cosines),
                     "first_run_ms": round(times[0] * 1000, 1), "median_ms": round(float(np.median(times)) * 1000, 2)})
        del session
    return rows


def fake_quantized(model, block_size, embedding="float"):
    """A copy of the model whose Linear weights (and with embedding "q4" or "q8" its token embedding table) are
    what MatMulNBits (and the graphs' gather) computes with: the q4 reference. Only hidden states are compared, so a
    tied LM head changing with the table does not matter."""
    import copy

    q = copy.deepcopy(model)
    with torch.no_grad():
        if embedding != "float":
            table = q.model.embed_tokens.weight
            data, scales = quantize_embedding(table.detach().numpy(), block_size, embedding)
            table.copy_(torch.from_numpy(np.ascontiguousarray(dequantize_embedding(data, scales, block_size, embedding))))
        for module in q.modules():
            if isinstance(module, torch.nn.Linear) and module is not q.lm_head:
                w = module.weight.detach().numpy().T.astype(np.float32)  # ONNX MatMul's B: [K, N]
                packed, scales = quantize_weight(w, block_size)
                module.weight.copy_(torch.from_numpy(np.ascontiguousarray(dequantize(packed, scales, w.shape[0], block_size).T)))
    return q


class QuantizedReference:
    """fake_quantized(model, 32, embedding), made on first use and kept: the encoder probes and the fixtures share
    it (a deep copy of the model with every weight quantized: worth doing once at Llama-1B's size)."""

    def __init__(self, model, embedding="float"):
        self.model, self.embedding, self.quantized = model, embedding, None

    def __call__(self):
        if self.quantized is None:
            self.quantized = fake_quantized(self.model, 32, self.embedding)
        return self.quantized


def embedding_hint(config, embedding, q4_bytes):
    """A note when the float embedding table is most of the q4 file (a large vocabulary): --embedding says how to shrink it."""
    table = config.vocab_size * config.hidden_size * 4
    if embedding != "float" or q4_bytes == 0 or table < q4_bytes / 2:
        return None
    return (f"export: the float embedding table ({config.vocab_size} x {config.hidden_size}, {table / 1e6:.0f} MB) is {100 * table / q4_bytes:.0f}% of "
            "model_q4.onnx; --embedding q8 holds it in 8 bits (no measurable recall cost on the demo model), --embedding q4 in 4 (docs/MODELS.md)")


def graph_embedding(path):
    """How a 4-bit graph holds the token embedding table: "q4" (GatherBlockQuantized, or a Gather from a uint8
    table named *q4), "q8" (*q8) or "float". Read without external data: only nodes, names and types matter."""
    graph = onnx.load(path, load_external_data=False).graph
    tables = {i.name for i in graph.initializer if i.data_type == onnx.TensorProto.UINT8}
    for n in graph.node:
        if n.op_type == "GatherBlockQuantized" or (n.op_type == "Gather" and n.input[0] in tables and n.input[0].endswith("q4")):
            return "q4"
        if n.op_type == "Gather" and n.input[0] in tables and n.input[0].endswith("q8"):
            return "q8"
    return "float"


def folder_embedding(onnx_dir, prefixes=("model_q4", "encoder_q4")):
    """The embedding table of a folder's 4-bit graphs (those whose names start with `prefixes`): "q4", "q8", "float",
    or None where there are none; a folder whose graphs disagree is an error (their hidden states would too)."""
    found = {name: graph_embedding(os.path.join(onnx_dir, name)) for name in sorted(os.listdir(onnx_dir)) if name.endswith(".onnx") and name.startswith(prefixes)} \
        if os.path.isdir(onnx_dir) else {}
    if len(set(found.values())) > 1:
        fail(f"{onnx_dir}: the 4-bit graphs hold the embedding table differently ({', '.join(f'{n}: {e}' for n, e in found.items())}); re-export the model")
    return next(iter(found.values()), None)


def last_hidden(model, ids):
    x = torch.tensor([ids])
    hidden, _ = model.hidden_states(x, torch.ones_like(x), torch.arange(len(ids))[None])
    return [round(float(v), 7) for v in hidden[0, -1]]


def fixture_prompts(folder, data, count):
    template = load_template(os.path.join(folder, "prompt-template.json") if os.path.exists(os.path.join(folder, "prompt-template.json"))
                             else os.path.join(ROOT, "src", "core", "prompt-template.json"))
    if data:
        titles = [line.split("\t")[2] for line in open(os.path.join(data, "items.tsv"), encoding="utf-8").read().split("\n")[1:] if line]
        rows = [line.split("\t") for line in open(os.path.join(data, "valid.tsv"), encoding="utf-8").read().split("\n")[1:] if line]
        step = max(1, len(rows) // count)
        return [render_prompt([titles[int(i)] for i in rows[j][3].split(" ")], template) for j in range(0, min(len(rows), step * count), step)][:count]
    return [render_prompt(["An item"] * (n + 1), template) for n in range(count)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="model folder")
    ap.add_argument("--data", help="prepared data set: fixture prompts come from its validation split")
    ap.add_argument("--dtypes", default="fp32,q4")
    ap.add_argument("--fixtures", type=int, default=8, help="prompts in the committed fixture (fixtures/hidden-states.json)")
    ap.add_argument("--check-prompts", type=int, default=100, help="validation prompts of the numeric check (fixtures/check-prompts.json)")
    ap.add_argument("--skip-check", action="store_true", help="do not run tools/export/check-onnx.ts afterwards")
    ap.add_argument("--no-encoder", dest="encoder", action="store_false", help="skip the encoder graphs (onnx/encoder_<dtype>.onnx)")
    ap.add_argument("--encoder-only", action="store_true", help="export only the encoder graphs, next to existing generation graphs")
    ap.add_argument("--encoder-kinds", default="traced,fused", help="which encoder graphs: traced (torch.onnx), fused (tools/export/fused_encoder.py), or both")
    ap.add_argument("--embedding", choices=("float", "q4", "q8"), help="the q4/q4f16 graphs' token embedding table: float (default), q4 or q8 "
                    "(4 or 8 bits: most of a large vocabulary's download); with --encoder-only the generation graphs' own")
    args = ap.parse_args()
    dtypes = args.dtypes.split(",")
    for kind in args.encoder_kinds.split(","):
        if kind not in ("traced", "fused"):
            fail(f"unknown encoder kind {kind!r}: traced and fused are supported")
    for d in dtypes:
        if d not in ("fp32", "q4", "q4f16"):
            fail(f"unknown dtype {d!r}: fp32, q4 and q4f16 are supported")
    torch.set_num_threads(os.cpu_count() or 1)
    config, model = load_model(args.model)
    sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
    from tokenizer import Tokenizer  # noqa: E402

    timings = {}
    embedding = args.embedding or "float"
    if args.encoder_only:
        # The encoder graphs must hold the table as the generation graphs do, or they would not read their memories.
        existing = folder_embedding(os.path.join(args.model, "onnx"), prefixes=("model_q4",))
        if existing and args.embedding and args.embedding != existing:
            fail(f"--embedding {args.embedding}: the generation graphs in {args.model}/onnx hold the embedding table as {existing}, "
                 "and encoder graphs must match them to read their memories; re-export the whole model (without --encoder-only) to change it")
        embedding = existing or embedding
    q4_reference = QuantizedReference(model, embedding)
    if args.encoder_only:
        export_encoder_graphs(args.model, config, model, q4_reference, dtypes, timings, args.encoder_kinds.split(","), embedding)
        print(json.dumps(timings))
        return
    t0 = time.time()
    fp32_path = os.path.join(args.model, "onnx", "model.onnx")
    export_fp32(config, model, fp32_path)
    timings["fp32_seconds"] = round(time.time() - t0, 1)
    if "q4" in dtypes:
        t0 = time.time()
        quantize_matmuls_4bit(fp32_path, os.path.join(args.model, "onnx", "model_q4.onnx"), block_size=32, embedding=embedding)
        timings["q4_seconds"] = round(time.time() - t0, 1)
    if "q4f16" in dtypes:
        t0 = time.time()
        export_q4f16(fp32_path, os.path.join(args.model, "onnx", "model_q4f16.onnx"), embedding)
        timings["q4f16_seconds"] = round(time.time() - t0, 1)
    if args.encoder:
        export_encoder_graphs(args.model, config, model, q4_reference, dtypes, timings, args.encoder_kinds.split(","), embedding)

    # Fixture: prompts, their ids (from @huggingface/transformers, the runtime's tokenizer, so any
    # Hugging Face tokenizer.json works) and torch's final-norm hidden state of the last prompt token.
    prompts = fixture_prompts(args.model, args.data, max(args.fixtures, args.check_prompts))
    try:
        python_ids = [Tokenizer.load(args.model).encode(p) for p in prompts]
    except ValueError:
        python_ids = None  # not a tokenizer of tools/train: nothing to compare
    if shutil.which("npx"):
        node = subprocess.run(["npx", "tsx", os.path.join(HERE, "tokenize.ts"), args.model], input=json.dumps(prompts), capture_output=True, text=True, cwd=ROOT)
        if node.returncode != 0:
            fail(f"tokenizing the fixture prompts with @huggingface/transformers failed: {node.stderr.strip()[-500:]}")
        token_ids = json.loads(node.stdout)
        if python_ids is not None and python_ids != token_ids:
            fail("the Python tokenizer (tools/train/tokenizer.py) and @huggingface/transformers give different ids for the same prompt")
    elif python_ids is not None:
        print("export: no Node.js here; fixture ids come from the Python tokenizer (the Node check compares them later)", flush=True)
        token_ids = python_ids
    else:
        fail("tokenizing the fixture prompts needs Node.js (npx tsx tools/export/tokenize.ts) for a tokenizer not made by tools/train")
    references = {"fp32": model}
    if "q4" in dtypes or "q4f16" in dtypes:
        references["q4"] = q4_reference()
    cases = []
    with torch.no_grad():
        for p, ids in zip(prompts, token_ids):
            if len(ids) > config.max_position_embeddings:
                fail(f"a fixture prompt has {len(ids)} tokens, more than the model's context ({config.max_position_embeddings})")
            case = {"prompt": p, "input_ids": ids, "hidden": {d: last_hidden(m, ids) for d, m in references.items()}}
            cases.append(case)
    os.makedirs(os.path.join(args.model, "fixtures"), exist_ok=True)
    source = "torch: fp32 weights, and for q4 (which q4f16 shares) the weights MatMulNBits dequantizes to" + (f" and the {embedding} embedding table" if embedding != "float" else "") + " (tools/export/export.py)"
    for name, chosen in (("hidden-states.json", cases[: args.fixtures]), ("check-prompts.json", cases[: args.check_prompts])):
        with open(os.path.join(args.model, "fixtures", name), "w", encoding="utf-8") as f:
            json.dump({"source": source, "hidden_size": config.hidden_size, "cases": chosen}, f, ensure_ascii=False)
    sizes = {f: os.path.getsize(os.path.join(args.model, "onnx", f)) for f in os.listdir(os.path.join(args.model, "onnx")) if f.endswith((".onnx", ".onnx_data"))}
    with open(os.path.join(args.model, "onnx", "export.json"), "w") as f:
        json.dump({"sizes_bytes": sizes, **timings, "embedding": embedding, "torch": torch.__version__, "opset": 17}, f, indent=2)
    print(json.dumps({"sizes_bytes": sizes, **timings}))
    table_hint = embedding_hint(config, embedding, sizes.get("model_q4.onnx", 0) + sizes.get("model_q4.onnx_data", 0))
    if table_hint:
        print(table_hint, flush=True)
    if args.skip_check:
        return
    python_rows = python_ort_check(args.model, dtypes, cases[: args.check_prompts], config)
    if python_rows is not None:
        print(f"onnxruntime (Python) on {len(cases[: args.check_prompts])} validation prompts vs torch:")
        for row in python_rows:
            print(f"  {row['dtype']}: min cosine {row['min_cosine']:.6f} ({row['provider']}; first run {row['first_run_ms']} ms, median {row['median_ms']} ms)")
        with open(os.path.join(args.model, "onnx", "check-python.json"), "w") as f:
            json.dump(python_rows, f, indent=2)
    if shutil.which("npx"):
        subprocess.run(["npx", "tsx", os.path.join(ROOT, "tools", "export", "check-onnx.ts"), args.model, "check-prompts.json"], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
