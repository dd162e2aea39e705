"""A Llama-architecture decoder in plain torch (RMSNorm, rotary positions,
SwiGLU, grouped-query attention) with Hugging Face LlamaForCausalLM parameter
names, so `transformers` loads the saved weights as a LlamaForCausalLM.

forward() returns logits, the present key/values and last_hidden_state (the
final-norm hidden states: the LM head's input, L2D's h_t), and is written to
export to ONNX with the torchscript exporter.
"""
import math

import torch
from torch import nn


class Config:
    FIELDS = (
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
        "pad_token_id", "eos_token_id", "bos_token_id", "attention_bias", "rope_scaling",
    )

    def __init__(self, **kw):
        self.vocab_size = kw["vocab_size"]
        self.hidden_size = kw["hidden_size"]
        self.intermediate_size = kw["intermediate_size"]
        self.num_hidden_layers = kw["num_hidden_layers"]
        self.num_attention_heads = kw["num_attention_heads"]
        self.num_key_value_heads = kw.get("num_key_value_heads", self.num_attention_heads)
        self.max_position_embeddings = kw.get("max_position_embeddings", 1024)
        self.rms_norm_eps = kw.get("rms_norm_eps", 1e-5)
        self.rope_theta = kw.get("rope_theta", 10000.0)
        self.tie_word_embeddings = kw.get("tie_word_embeddings", True)
        self.pad_token_id = kw.get("pad_token_id", 0)
        self.eos_token_id = kw.get("eos_token_id", 1)
        self.bos_token_id = kw.get("bos_token_id", None)
        # Qwen2 has biases on q/k/v; Llama has none.
        self.attention_bias = kw.get("attention_bias", False)
        # Llama 3.x checkpoints rescale rotary frequencies ("llama3"); nothing else is supported.
        self.rope_scaling = kw.get("rope_scaling")
        kind = (self.rope_scaling or {}).get("rope_type", (self.rope_scaling or {}).get("type"))
        if self.rope_scaling and kind not in ("llama3", "default"):
            raise ValueError(f"rope_scaling of type {kind!r} is not supported (llama3 or none)")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        self.head_dim = self.hidden_size // self.num_attention_heads

    def to_hf(self):
        d = {k: getattr(self, k) for k in self.FIELDS}
        d.update({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
            "mlp_bias": False, "head_dim": self.head_dim, "torch_dtype": "float32",
            "initializer_range": 0.02, "use_cache": True, "attention_dropout": 0.0,
        })
        return d

    @staticmethod
    def from_hf(d, where="config.json"):
        arch = (d.get("architectures") or [d.get("model_type")])[0]
        if d.get("model_type") not in ("llama", "qwen2") or arch not in ("LlamaForCausalLM", "Qwen2ForCausalLM"):
            raise ValueError(f"{where}: unsupported architecture {arch!r} (model_type {d.get('model_type')!r}); LlamaForCausalLM or Qwen2ForCausalLM expected")
        kw = {k: d[k] for k in Config.FIELDS if k in d}
        if d.get("model_type") == "qwen2":
            kw["attention_bias"] = True
        if isinstance(kw.get("eos_token_id"), list):
            kw["eos_token_id"] = kw["eos_token_id"][0]
        return Config(**kw)


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def llama3_inv_freq(inv_freq, scaling):
    """Hugging Face's llama3 rotary rescaling (Llama 3.1 / 3.2 checkpoints)."""
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    old = scaling["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / low, old / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, scaled)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        self.q_proj = nn.Linear(c.hidden_size, self.heads * self.head_dim, bias=c.attention_bias)
        self.k_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=c.attention_bias)
        self.v_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=c.attention_bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present = (k, v)
        group = self.heads // self.kv_heads
        if group > 1:  # Hugging Face's repeat_kv; expand + reshape exports with dynamic shapes
            total = k.shape[2]
            k = k[:, :, None].expand(b, self.kv_heads, group, total, self.head_dim).reshape(b, self.heads, total, self.head_dim)
            v = v[:, :, None].expand(b, self.kv_heads, group, total, self.head_dim).reshape(b, self.heads, total, self.head_dim)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
        attn = torch.softmax(scores, dim=-1)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
        return self.o_proj(out), present


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        h, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + h
        return x + self.mlp(self.post_attention_layernorm(x)), present


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(c) for _ in range(c.num_hidden_layers)])
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        if c.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        inv_freq = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float32) / c.head_dim))
        if c.rope_scaling and c.rope_scaling.get("rope_type", c.rope_scaling.get("type")) == "llama3":
            inv_freq = llama3_inv_freq(inv_freq, c.rope_scaling)
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def hidden_states(self, input_ids, attention_mask, position_ids, past=None, last_only=False):
        """Final-norm hidden states for every input position (with last_only: of the last one, batch x d), and the present key/values."""
        x = self.model.embed_tokens(input_ids)
        freqs = position_ids.to(torch.float32)[:, :, None] * self.inv_freq[None, None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        t = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - t
        # Query i (absolute position past_len + i) sees key j when j <= past_len + i and j is not padding.
        q_pos = torch.arange(t, device=input_ids.device)[:, None] + past_len
        k_pos = torch.arange(total, device=input_ids.device)[None, :]
        allowed = (k_pos <= q_pos)[None, None] & (attention_mask[:, None, None, :] > 0)
        mask = torch.where(allowed, torch.zeros((), dtype=x.dtype), torch.full((), torch.finfo(x.dtype).min, dtype=x.dtype))
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, present = layer(x, cos, sin, mask, pk, pv)
            presents.append(present)
        if last_only:
            x = x[:, -1]  # left padding: the last column is every row's last real token
        return self.model.norm(x), presents

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        hidden, presents = self.hidden_states(input_ids, attention_mask, position_ids, past)
        return self.lm_head(hidden), presents, hidden
