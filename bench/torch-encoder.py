"""PyTorch eager reference for the encoder benchmark, on the same GPU as the page:
the same model (model.safetensors), the same 64 histories (the GPU bench's inputs.json),
the same work as the encoder graph (final-norm hidden state of the last token, no LM head).

    python3 bench/torch-encoder.py models/movielens-demo .gpu-bench/dist/bench/inputs.json > torch.json

With --synthetic TOKENS it times the issue-9 shapes instead: batch 1 and batch 64 of TOKENS
deterministic token ids (the ids bench/forward-timing.ts sends), the same in the page:

    python3 bench/torch-encoder.py models/movielens-demo --synthetic 128

With --reference TOKENS it prints, for those ids at batch 1, the last-token hidden state of the weights
MatMulNBits computes with (the q4 reference the graphs are held to) and torch fp32's time per forward on
this machine (bench/node-graphs.ts reads it).
"""
import json
import os
import statistics
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
from export import load_model  # noqa: E402
from prompt import load_template, render_prompt  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


def batch_feeds(rows, pad, device):
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    pos = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):  # left padding, as the browser encoder does
        ids[i, width - len(r):] = torch.tensor(r)
        mask[i, width - len(r):] = 1
        pos[i, width - len(r):] = torch.arange(len(r))
    return ids.to(device), mask.to(device), pos.to(device)


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(model, feeds, repeats):
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            sync()
            t0 = time.perf_counter()
            model.hidden_states(*feeds, None, last_only=True)
            sync()
            times.append((time.perf_counter() - t0) * 1000)
    return times


def synthetic_ids(vocab_size, tokens):
    """bench/forward-timing.ts's ids: 2 + (i * 7919) mod (vocab - 2)."""
    return [2 + (i * 7919) % (vocab_size - 2) for i in range(tokens)]


def synthetic(folder, tokens, model, config, device):
    row = synthetic_ids(config.vocab_size, tokens)
    out = {"model": folder, "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "torch": torch.__version__, "dtype": "float32 eager", "tokens": tokens}
    for batch in (1, 64):
        feeds = batch_feeds([row] * batch, 0, device)
        timed(model, feeds, 3)  # warm-up
        out[f"batch{batch}_ms_median"] = statistics.median(timed(model, feeds, 10))
    print(json.dumps(out))


def reference(folder, tokens, model, config):
    from export import QuantizedReference, folder_embedding, last_hidden

    row = synthetic_ids(config.vocab_size, tokens)
    feeds = batch_feeds([row], 0, "cpu")
    timed(model, feeds, 1)  # warm-up
    fp32_ms = statistics.median(timed(model, feeds, 5))
    with torch.no_grad():
        # The table as the folder's 4-bit graphs hold it (export --embedding).
        hidden = last_hidden(QuantizedReference(model, folder_embedding(os.path.join(folder, "onnx")) or "float")(), row)
    print(json.dumps({"model": folder, "tokens": tokens, "torch": torch.__version__, "fp32_cpu_ms_median": fp32_ms, "input_ids": row, "hidden_q4": hidden}))


def main():
    folder = sys.argv[1]
    config, model = load_model(folder)
    if sys.argv[2] == "--reference":
        reference(folder, int(sys.argv[3]), model.eval(), config)
        return
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(device).eval()
    if sys.argv[2] == "--synthetic":
        synthetic(folder, int(sys.argv[3]), model, config, device)
        return
    inputs_path = sys.argv[2]
    template = load_template(os.path.join(folder, "prompt-template.json"))
    tok = Tokenizer.load(folder)
    histories = [h["titles"] for h in json.load(open(inputs_path))["histories"]]
    rows = [tok.encode(render_prompt(t, template)) for t in histories]
    pad = config.pad_token_id if getattr(config, "pad_token_id", None) is not None else 0
    singles = [batch_feeds([r], pad, device) for r in rows]
    for f in singles[:3]:
        timed(model, f, 3)  # warm-up
    per_query = [timed(model, f, 1)[0] for f in singles]
    batch64 = batch_feeds(rows, pad, device)
    timed(model, batch64, 3)
    b64 = timed(model, batch64, 10)
    print(json.dumps({
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__, "dtype": "float32 eager",
        "tokens_per_prompt_mean": statistics.mean(len(r) for r in rows),
        "per_query_ms_median": statistics.median(per_query),
        "batch64_ms_median": statistics.median(b64),
        "batch64_rows_per_second": 64 / (statistics.median(b64) / 1000),
    }))


if __name__ == "__main__":
    main()
