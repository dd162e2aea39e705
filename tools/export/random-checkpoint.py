"""Writes a randomly initialised Hugging Face checkpoint folder with
Llama-3.2-1B's exact configuration (hidden 2048, 16 layers, 32 heads, 8 KV
heads, MLP 8192, vocabulary 128,256, llama3 rotary scaling, tied
embeddings) as model.safetensors, plus a tokenizer. It stands in for the
real checkpoints users bring (no model hub is reachable here) to prove the
exporter at that size; random weights are fine for sizes and speed.

    /usr/bin/python3 tools/export/random-checkpoint.py OUT_FOLDER --tokenizer-from models/movielens-demo
    /usr/bin/python3 tools/export/export.py OUT_FOLDER
"""
import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from safetensors_io import write_safetensors  # noqa: E402

LLAMA_3_2_1B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
    "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
    "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256, "max_position_embeddings": 131072,
    "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "bos_token_id": 128000, "eos_token_id": 128001, "pad_token_id": 0, "attention_bias": False, "mlp_bias": False,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--tokenizer-from", required=True, help="a model folder whose tokenizer files to copy")
    args = ap.parse_args()
    c = LLAMA_3_2_1B
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    h, i, kv = c["hidden_size"], c["intermediate_size"], c["num_key_value_heads"] * c["head_dim"]
    rand = lambda *shape: (torch.randn(*shape) * 0.02).to(torch.bfloat16)  # noqa: E731
    tensors = {"model.embed_tokens.weight": rand(c["vocab_size"], h), "model.norm.weight": torch.ones(h, dtype=torch.bfloat16)}
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        tensors.update({
            p + "self_attn.q_proj.weight": rand(h, h), p + "self_attn.k_proj.weight": rand(kv, h),
            p + "self_attn.v_proj.weight": rand(kv, h), p + "self_attn.o_proj.weight": rand(h, h),
            p + "mlp.gate_proj.weight": rand(i, h), p + "mlp.up_proj.weight": rand(i, h), p + "mlp.down_proj.weight": rand(h, i),
            p + "input_layernorm.weight": torch.ones(h, dtype=torch.bfloat16), p + "post_attention_layernorm.weight": torch.ones(h, dtype=torch.bfloat16),
        })
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, torch.bfloat16)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json", "prompt-template.json"):
        shutil.copy(os.path.join(args.tokenizer_from, name), os.path.join(args.out, name))
    params = sum(t.numel() for t in tensors.values())
    print(f"{args.out}: {params / 1e9:.3f}B parameters, model.safetensors {os.path.getsize(os.path.join(args.out, 'model.safetensors')) / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
