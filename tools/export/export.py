"""Exports a model folder (trained by tools/train, or a Hugging Face Llama /
Qwen2 checkpoint folder) to ONNX in the layout @huggingface/transformers
reads, with L2D's output:

    onnx/model.onnx      fp32, the reference
    onnx/model_q4.onnx   4-bit MatMulNBits weights (block 32), float32 activations: runs on every WebGPU adapter

Inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key/value;
outputs logits, last_hidden_state (final-norm hidden states, the LM head's
input), present.{i}.key/value. It also writes fixtures/hidden-states.json:
validation prompts with their token ids and torch's last-token hidden
states, which tools/export/check-onnx.ts (run at the end) and the tests
hold onnxruntime-node and onnxruntime-web against.

    /usr/bin/python3 tools/export/export.py models/movielens-demo [--data data/prepared/movielens-latest-small] [--dtypes fp32,q4]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
from model import Config, LlamaForCausalLM  # noqa: E402
from prompt import load_template, render_prompt  # noqa: E402
from quantize import dequantize, quantize_matmuls_4bit, quantize_weight  # noqa: E402

SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def fail(message):
    raise SystemExit(f"export: {message}")


def read_safetensors(path):
    """Minimal safetensors reader (no `safetensors` package on these machines)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in SAFETENSORS_DTYPES:
            fail(f"{path}: tensor {name} has dtype {meta['dtype']}, not one of {sorted(SAFETENSORS_DTYPES)}")
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=SAFETENSORS_DTYPES[meta["dtype"]]).reshape(meta["shape"])
        out[name] = t.to(torch.float32)
    return out


def load_model(folder):
    for required in ("config.json", "tokenizer.json"):
        if not os.path.exists(os.path.join(folder, required)):
            fail(f"{folder}: {required} is missing; a model folder needs config.json, tokenizer.json and weights")
    try:
        config = Config.from_hf(json.load(open(os.path.join(folder, "config.json"))), os.path.join(folder, "config.json"))
    except ValueError as error:
        fail(str(error))
    tok = json.load(open(os.path.join(folder, "tokenizer.json"), encoding="utf-8"))
    tok_size = max(list(tok["model"]["vocab"].values()) + [t["id"] for t in tok.get("added_tokens", [])]) + 1
    if tok_size > config.vocab_size:
        fail(f"{folder}: tokenizer.json has {tok_size} tokens but config.json's vocab_size is {config.vocab_size}: the tokenizer does not match the model")
    weights = {}
    files = sorted(f for f in os.listdir(folder) if f.endswith(".safetensors"))
    if files:
        for f in files:
            weights.update(read_safetensors(os.path.join(folder, f)))
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
    before = set(os.listdir(folder))
    torch.onnx.export(ExportWrapper(model), (ids, mask, pos, *past_kv), path, input_names=inputs, output_names=outputs,
                      dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    stray = set(os.listdir(folder)) - before - {os.path.basename(path)}
    if stray:
        # Over 2 GB torch writes one file per tensor; gather them into model.onnx_data, the layout
        # @huggingface/transformers and onnxruntime-web expect.
        graph = onnx.load(path)
        onnx.save_model(graph, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + "_data", size_threshold=1024)
        for name in stray:
            os.remove(os.path.join(folder, name))


def fake_quantized(model, block_size):
    """A copy of the model whose Linear weights are what MatMulNBits computes with: the q4 reference."""
    import copy

    q = copy.deepcopy(model)
    with torch.no_grad():
        for module in q.modules():
            if isinstance(module, torch.nn.Linear) and module is not q.lm_head:
                w = module.weight.detach().numpy().T.astype(np.float32)  # ONNX MatMul's B: [K, N]
                packed, scales = quantize_weight(w, block_size)
                module.weight.copy_(torch.from_numpy(np.ascontiguousarray(dequantize(packed, scales, w.shape[0], block_size).T)))
    return q


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
        return [render_prompt([titles[int(i)] for i in rows[j][3].split(" ")], template) for j in range(0, step * count, step)][:count]
    return [render_prompt(["An item"] * (n + 1), template) for n in range(count)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="model folder")
    ap.add_argument("--data", help="prepared data set: fixture prompts come from its validation split")
    ap.add_argument("--dtypes", default="fp32,q4")
    ap.add_argument("--fixtures", type=int, default=8)
    ap.add_argument("--skip-check", action="store_true", help="do not run tools/export/check-onnx.ts afterwards")
    args = ap.parse_args()
    dtypes = args.dtypes.split(",")
    for d in dtypes:
        if d not in ("fp32", "q4"):
            fail(f"unknown dtype {d!r}: fp32 and q4 are supported")
    torch.set_num_threads(os.cpu_count() or 1)
    config, model = load_model(args.model)
    sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
    from tokenizer import Tokenizer  # noqa: E402

    timings = {}
    t0 = time.time()
    fp32_path = os.path.join(args.model, "onnx", "model.onnx")
    export_fp32(config, model, fp32_path)
    timings["fp32_seconds"] = round(time.time() - t0, 1)
    if "q4" in dtypes:
        t0 = time.time()
        quantize_matmuls_4bit(fp32_path, os.path.join(args.model, "onnx", "model_q4.onnx"), block_size=32)
        timings["q4_seconds"] = round(time.time() - t0, 1)

    # Fixture: prompts, their ids (from @huggingface/transformers, the runtime's tokenizer, so any
    # Hugging Face tokenizer.json works) and torch's final-norm hidden state of the last prompt token.
    prompts = fixture_prompts(args.model, args.data, args.fixtures)
    node = subprocess.run(["npx", "tsx", os.path.join(HERE, "tokenize.ts"), args.model], input=json.dumps(prompts), capture_output=True, text=True, cwd=ROOT)
    if node.returncode != 0:
        fail(f"tokenizing the fixture prompts with @huggingface/transformers failed: {node.stderr.strip()[-500:]}")
    token_ids = json.loads(node.stdout)
    try:
        python_ids = [Tokenizer.load(args.model).encode(p) for p in prompts]
    except ValueError:
        python_ids = None  # not a tokenizer of tools/train: nothing to compare
    if python_ids is not None and python_ids != token_ids:
        fail("the Python tokenizer (tools/train/tokenizer.py) and @huggingface/transformers give different ids for the same prompt")
    references = {"fp32": model}
    if "q4" in dtypes:
        references["q4"] = fake_quantized(model, 32)
    cases = []
    with torch.no_grad():
        for p, ids in zip(prompts, token_ids):
            if len(ids) > config.max_position_embeddings:
                fail(f"a fixture prompt has {len(ids)} tokens, more than the model's context ({config.max_position_embeddings})")
            case = {"prompt": p, "input_ids": ids, "hidden": {d: last_hidden(m, ids) for d, m in references.items()}}
            cases.append(case)
    os.makedirs(os.path.join(args.model, "fixtures"), exist_ok=True)
    with open(os.path.join(args.model, "fixtures", "hidden-states.json"), "w", encoding="utf-8") as f:
        json.dump({"source": "torch: fp32 weights, and for q4 the weights MatMulNBits dequantizes to (tools/export/export.py)", "hidden_size": config.hidden_size, "cases": cases}, f, ensure_ascii=False)
    sizes = {f: os.path.getsize(os.path.join(args.model, "onnx", f)) for f in os.listdir(os.path.join(args.model, "onnx")) if f.endswith((".onnx", ".onnx_data"))}
    with open(os.path.join(args.model, "onnx", "export.json"), "w") as f:
        json.dump({"sizes_bytes": sizes, **timings, "torch": torch.__version__, "opset": 17}, f, indent=2)
    print(json.dumps({"sizes_bytes": sizes, **timings}))
    if not args.skip_check:
        subprocess.run(["npx", "tsx", os.path.join(ROOT, "tools", "export", "check-onnx.ts"), args.model], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
