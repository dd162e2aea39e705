"""Trains a small generative LLM recommender from scratch on a prepared data
set: prompt (the user's history titles, src/core/prompt-template.json) ->
target title + <eos>, loss on the target tokens only (the paper's
generative tuning), early stopping on validation loss.

    /usr/bin/python3 tools/train/train.py --data data/prepared/movielens-latest-small --out models/movielens-demo --preset cpu

Writes a model folder: config.json, generation_config.json, model.safetensors
(LlamaForCausalLM names), tokenizer.json, tokenizer_config.json,
prompt-template.json (with the data's history window, maxHistory) and
training.json (settings, losses, timings). Runs on
CUDA when available (preset gpu), else on the CPU (Debian's python3-torch).
"""
import argparse
import json
import os
import platform
import random
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from model import Config, LlamaForCausalLM  # noqa: E402
from prompt import load_template, render_prompt, render_response  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402
from tokenizer import Tokenizer, train_bpe  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATE = os.path.join(ROOT, "src", "core", "prompt-template.json")

SAVE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

PRESETS = {
    # For tests of the pipeline: trains in seconds, learns little.
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1, vocab_size=320,
                 batch_size=16, lr=3e-3, epochs=1),
    # Fits a 2-core CPU in minutes: ~0.7M parameters.
    "cpu": dict(hidden_size=128, intermediate_size=384, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=2048,
                batch_size=64, lr=3e-3, epochs=2),
    # The GPU machine's configuration (../shared/MODEL-NOTES.md): ~5M parameters.
    "gpu": dict(hidden_size=256, intermediate_size=704, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4, vocab_size=8192,
                batch_size=256, lr=1e-3, epochs=4),
}


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    return [line.split("\t") for line in lines[1:] if line]


def load_prepared(folder):
    manifest = json.load(open(os.path.join(folder, "manifest.json"), encoding="utf-8"))
    if manifest.get("format") != "l2d-prepared-dataset":
        raise SystemExit(f"{folder}: not a prepared data set (run npm run prepare-data first)")
    titles = [row[2] for row in read_tsv(os.path.join(folder, "items.tsv"))]

    def split(name):
        return [([int(x) for x in row[3].split(" ")], int(row[1])) for row in read_tsv(os.path.join(folder, f"{name}.tsv"))]

    return manifest, titles, split


class Encoder:
    """Prompt and target token ids, the history truncated (oldest titles first) to fit max_prompt_tokens."""

    def __init__(self, tokenizer, template, titles, max_prompt_tokens):
        self.tokenizer, self.template, self.titles, self.max_prompt_tokens = tokenizer, template, titles, max_prompt_tokens
        self.truncated = 0

    def prompt_ids(self, history):
        # As src/core/fit-prompt.ts: the template's history window first, then the context.
        for start in range(max(0, len(history) - self.template.get("maxHistory", len(history))), len(history)):
            ids = self.tokenizer.encode(render_prompt([self.titles[i] for i in history[start:]], self.template))
            if len(ids) <= self.max_prompt_tokens:
                self.truncated += start > 0
                return ids
        raise ValueError(f"even the newest title alone makes a prompt longer than {self.max_prompt_tokens} tokens")

    def target_ids(self, item):
        return self.tokenizer.encode(render_response(self.titles[item], self.template)) + [self.tokenizer.eos_id]


def batches(encoded, batch_size, shuffle, rng):
    order = list(range(len(encoded)))
    if shuffle:
        rng.shuffle(order)
    # Sort within chunks by length so a batch pads little.
    chunk = batch_size * 50
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(encoded[i][0]) + len(encoded[i][1]))
        groups = [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
        if shuffle:
            rng.shuffle(groups)
        yield from groups


def collate(encoded, idx, pad_id, device):
    seqs = [encoded[i][0] + encoded[i][1] for i in idx]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    rows, cols, labels = [], [], []
    for r, i in enumerate(idx):
        p, t = encoded[i]
        s = p + t
        ids[r, : len(s)] = torch.tensor(s)
        mask[r, : len(s)] = 1
        for j in range(len(t)):  # position len(p)-1+j predicts target token j
            rows.append(r)
            cols.append(len(p) - 1 + j)
            labels.append(t[j])
    positions = torch.arange(width)[None].expand(len(idx), width)
    to = lambda x: x.to(device)  # noqa: E731
    return to(ids), to(mask), to(positions), to(torch.tensor(rows)), to(torch.tensor(cols)), to(torch.tensor(labels))


def loss_on(model, batch):
    ids, mask, positions, rows, cols, labels = batch
    hidden, _ = model.hidden_states(ids, mask, positions)
    logits = model.lm_head(hidden[rows, cols])  # the LM head only where a target token is predicted
    return torch.nn.functional.cross_entropy(logits.float(), labels)


@torch.no_grad()
def evaluate(model, encoded, batch_size, pad_id, device):
    model.eval()
    total, count = 0.0, 0
    for idx in batches(encoded, batch_size, False, None):
        batch = collate(encoded, idx, pad_id, device)
        n = len(batch[5])
        total += loss_on(model, batch).item() * n
        count += n
    model.train()
    return total / max(count, 1)


@torch.no_grad()
def greedy_hit_rate(model, encoder, samples, titles, device, max_new_tokens=40, batch_size=64):
    """Share of samples whose greedily generated title equals the target's title exactly."""
    model.eval()
    tok = encoder.tokenizer
    hits = 0
    for b in range(0, len(samples), batch_size):
        chunk = samples[b:b + batch_size]
        prompts = [encoder.prompt_ids(h) for h, _ in chunk]
        width = max(len(p) for p in prompts)
        ids = torch.full((len(chunk), width), tok.pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, p in enumerate(prompts):  # left padding
            ids[r, width - len(p):] = torch.tensor(p)
            mask[r, width - len(p):] = 1
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        ids, mask, positions = ids.to(device), mask.to(device), positions.to(device)
        out = [[] for _ in chunk]
        done = [False] * len(chunk)
        logits, past, _ = model(ids, mask, positions)
        for _ in range(max_new_tokens):
            nxt = logits[:, -1].argmax(-1)
            for r, t in enumerate(nxt.tolist()):
                if not done[r]:
                    if t == tok.eos_id:
                        done[r] = True
                    else:
                        out[r].append(t)
            if all(done):
                break
            mask = torch.cat([mask, torch.ones((len(chunk), 1), dtype=mask.dtype, device=device)], 1)
            positions = positions[:, -1:] + 1
            logits, past, _ = model(nxt[:, None], mask, positions, past)
        for r, (_, target) in enumerate(chunk):
            text = tok.decode(out[r]).strip()
            if text.startswith('"') and text.endswith('"'):
                text = text[1:-1]
            hits += text == titles[target]
    model.train()
    return hits / max(len(samples), 1)


def at_least_one(kind):
    """An argparse type: a number of `kind` (int, float) above 0, else the option's error naming what was given."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"must be {'a whole number' if kind is int else 'a number'} above 0, got {text!r}")
        return value
    return parse


def check_out_folder(out, overwrite):
    """Refuses, before any training, an --out that already holds files: new weights and a new tokenizer there would
    leave the folder's ONNX files and memories, built from the old ones, looking valid while answering for another model."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise SystemExit(f"train: --out {out} is a file, not a folder")
    held = sorted(os.listdir(out)) if os.path.isdir(out) else []
    if held and not overwrite:
        shown = ", ".join(name + ("/" if os.path.isdir(os.path.join(out, name)) else "") for name in held[:6]) + (", ..." if len(held) > 6 else "")
        raise SystemExit(f"train: --out {out} already holds files ({shown}); training there would leave its ONNX files and "
                         f"memories answering for the old weights. Choose a new folder, or pass --overwrite to replace the "
                         f"whole folder once training has finished")


def write_folder_in_place_of(out, write):
    """Writes the model folder beside `out` and then swaps it in, so that a run stopped while writing, or one that
    replaces a folder (--overwrite), never leaves a mix of old and new files."""
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    fresh = os.path.join(parent, f".{os.path.basename(os.path.abspath(out))}.writing-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    os.makedirs(fresh)
    write(fresh)
    if os.path.isdir(out):
        retired = fresh + ".old"
        os.rename(out, retired)
        os.rename(fresh, out)
        shutil.rmtree(retired)
    else:
        os.rename(fresh, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="prepared data set folder")
    ap.add_argument("--out", required=True, help="model folder to write (a new or empty one, unless --overwrite)")
    ap.add_argument("--overwrite", action="store_true",
                    help="replace --out as a whole when it already holds files (its ONNX files and memories go too: they were built from the old weights)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="gpu" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--epochs", type=at_least_one(int), help="passes over the training split (default: the preset's)")
    ap.add_argument("--vocab-size", type=at_least_one(int), help="the tokenizer's vocabulary (default: the preset's)")
    ap.add_argument("--save-dtype", choices=sorted(SAVE_DTYPES), default="float32",
                    help="dtype of model.safetensors (float16 halves the file; the exporter reads it back as float32)")
    ap.add_argument("--max-minutes", type=at_least_one(float), default=None, help="stop training after this long (the best checkpoint is kept)")
    ap.add_argument("--max-steps", type=at_least_one(int), default=None, help="stop training after this many optimizer steps")
    ap.add_argument("--max-prompt-tokens", type=at_least_one(int), default=384)
    ap.add_argument("--valid-samples", type=at_least_one(int), default=2000, help="validation samples for the loss (and 500 for the greedy hit rate)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    preset = dict(PRESETS[args.preset])
    if args.epochs is not None:
        preset["epochs"] = args.epochs
    if args.vocab_size is not None:
        preset["vocab_size"] = args.vocab_size
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    started = time.time()

    check_out_folder(args.out, args.overwrite)
    if not os.path.exists(os.path.join(args.data, "manifest.json")):
        raise SystemExit(f"train: {args.data} has no manifest.json; prepare it first (npm run prepare-data)")
    manifest, titles, split = load_prepared(args.data)
    # The model is trained on the data's history window (prepare-data --max-history), and queried with it.
    template = {**load_template(TEMPLATE), "maxHistory": manifest["maxHistory"]}
    # The tokenizer learns from the catalog's titles and the template's own text.
    corpus = list(titles) + [render_prompt(["x"], template), render_response("x", template)] * 100
    vocab, merges = train_bpe(corpus, preset["vocab_size"])
    tokenizer = Tokenizer(vocab, merges)
    encoder = Encoder(tokenizer, template, titles, args.max_prompt_tokens)
    t0 = time.time()
    train = [(encoder.prompt_ids(h), encoder.target_ids(t)) for h, t in split("train")]
    valid_samples = split("valid")
    rng_valid = random.Random(1)
    valid_pick = rng_valid.sample(valid_samples, min(args.valid_samples, len(valid_samples)))
    valid = [(encoder.prompt_ids(h), encoder.target_ids(t)) for h, t in valid_pick]
    print(f"tokenized {len(train)} train / {len(valid)} valid samples in {time.time() - t0:.1f}s; "
          f"{encoder.truncated} histories truncated to {args.max_prompt_tokens} tokens", flush=True)

    config = Config(vocab_size=len(vocab), hidden_size=preset["hidden_size"], intermediate_size=preset["intermediate_size"],
                    num_hidden_layers=preset["num_hidden_layers"], num_attention_heads=preset["num_attention_heads"],
                    num_key_value_heads=preset["num_key_value_heads"], max_position_embeddings=args.max_prompt_tokens + 64,
                    pad_token_id=tokenizer.pad_id, eos_token_id=tokenizer.eos_id)
    model = LlamaForCausalLM(config).to(device)
    params = sum(p.numel() for p in model.parameters())
    steps_per_epoch = (len(train) + preset["batch_size"] - 1) // preset["batch_size"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=preset["lr"], weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=preset["lr"], total_steps=steps_per_epoch * preset["epochs"], pct_start=0.1)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)
    print(f"{params / 1e6:.2f}M parameters, {steps_per_epoch} steps/epoch, device {device}", flush=True)

    best, best_state, history, stopped = float("inf"), None, [], None
    for epoch in range(preset["epochs"]):
        running, n = 0.0, 0
        for step, idx in enumerate(batches(train, preset["batch_size"], True, rng)):
            with autocast:
                loss = loss_on(model, collate(train, idx, tokenizer.pad_id, device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            running, n = running + loss.item(), n + 1
            if step % 100 == 0:
                print(f"epoch {epoch} step {step}/{steps_per_epoch} loss {running / n:.4f} ({time.time() - started:.0f}s)", flush=True)
            if args.max_minutes and time.time() - started > args.max_minutes * 60:
                stopped = f"time limit of {args.max_minutes} minutes in epoch {epoch}, step {step}"
                break
            if args.max_steps and epoch * steps_per_epoch + step + 1 >= args.max_steps:
                stopped = f"step limit of {args.max_steps} steps"
                break
        valid_loss = evaluate(model, valid, preset["batch_size"], tokenizer.pad_id, device)
        history.append({"epoch": epoch, "train_loss": running / max(n, 1), "valid_loss": valid_loss, "seconds": time.time() - started})
        print(f"epoch {epoch}: train {running / max(n, 1):.4f} valid {valid_loss:.4f}", flush=True)
        if valid_loss < best:
            best, best_state = valid_loss, {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stopped = f"early stopping: validation loss rose in epoch {epoch}"
        if stopped:
            break
    model.load_state_dict(best_state)
    train_seconds = time.time() - started
    hit_rate = greedy_hit_rate(model, encoder, valid_pick[: min(500, args.valid_samples)], titles, device)
    print(f"best validation loss {best:.4f}; greedy exact-title hit rate on 500 validation samples {hit_rate:.4f}", flush=True)

    state = {k: v for k, v in model.state_dict().items() if not (k == "lm_head.weight" and config.tie_word_embeddings)}
    check_out_folder(args.out, args.overwrite)  # again: another run may have written there while this one trained

    def write(out):
        write_safetensors(os.path.join(out, "model.safetensors"), state, SAVE_DTYPES[args.save_dtype])
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config.to_hf(), f, indent=2)
        with open(os.path.join(out, "generation_config.json"), "w") as f:
            json.dump({"eos_token_id": tokenizer.eos_id, "pad_token_id": tokenizer.pad_id, "max_new_tokens": 48, "do_sample": False}, f, indent=2)
        tokenizer.save(out, args.max_prompt_tokens)
        with open(os.path.join(out, "prompt-template.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(template, indent=2, ensure_ascii=False) + "\n")
        with open(os.path.join(out, "training.json"), "w") as f:
            json.dump({
                "data": manifest["name"], "data_stats": manifest["stats"], "preset": args.preset, "settings": preset,
                "max_prompt_tokens": args.max_prompt_tokens, "parameters": params, "device": device,
                "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores" + (f", {torch.cuda.get_device_name()}" if device == "cuda" else ""),
                "torch": torch.__version__, "train_seconds": round(train_seconds, 1), "epochs": history, "stopped": stopped,
                "best_valid_loss": best, "greedy_hit_rate_valid500": hit_rate, "truncated_histories": encoder.truncated,
                "command": " ".join(["/usr/bin/python3"] + sys.argv),
            }, f, indent=2)

    write_folder_in_place_of(args.out, write)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
