"""Byte-level BPE: trained on a catalog's titles and the prompt template,
saved as a Hugging Face tokenizer.json that @huggingface/transformers reads,
and applied here exactly as that library applies it (the tests compare ids).

Pre-tokenization is a Split on PRE_TOKEN_PATTERN (ASCII classes only, so
Python's re and JavaScript's RegExp agree), then GPT-2's byte-to-unicode
map. Merges never cross pre-token boundaries. Special tokens: <pad> = 0,
<eos> = 1.

Pure Python (no `tokenizers` package): the machines without a GPU have
none, and the same code must run everywhere.
"""
import json
import re
from collections import Counter, defaultdict

PRE_TOKEN_PATTERN = r" ?[A-Za-z]+| ?[0-9]{1,4}| ?[^A-Za-z0-9\s]+|\s+"
SPECIAL_TOKENS = ["<pad>", "<eos>"]
_pre_token = re.compile(PRE_TOKEN_PATTERN)


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def pre_tokenize(text):
    return ["".join(BYTE_ENCODER[b] for b in piece.encode("utf-8")) for piece in _pre_token.findall(text)]


def train_bpe(texts, vocab_size):
    """Learns merges until the vocabulary (specials + 256 bytes + merges) reaches vocab_size."""
    words = Counter()
    for text in texts:
        words.update(pre_tokenize(text))
    vocab = list(SPECIAL_TOKENS) + sorted(set(BYTE_ENCODER.values()), key=lambda c: ord(c))
    word_list = [list(w) for w in words]
    counts = [words[w] for w in words]
    pair_counts = Counter()
    where = defaultdict(set)
    for i, symbols in enumerate(word_list):
        for a, b in zip(symbols, symbols[1:]):
            pair_counts[(a, b)] += counts[i]
            where[(a, b)].add(i)
    merges = []
    while len(vocab) < vocab_size and pair_counts:
        # Most frequent pair; ties by the pair itself so training is deterministic.
        best = max(pair_counts.items(), key=lambda kv: (kv[1], [-ord(c) for c in kv[0][0] + "\0" + kv[0][1]]))[0]
        if pair_counts[best] < 2:
            break
        merged = best[0] + best[1]
        merges.append(best)
        vocab.append(merged)
        for i in list(where[best]):
            symbols = word_list[i]
            for a, b in zip(symbols, symbols[1:]):
                pair_counts[(a, b)] -= counts[i]
                if pair_counts[(a, b)] <= 0:
                    del pair_counts[(a, b)]
                where[(a, b)].discard(i)
            out = []
            j = 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == best[0] and symbols[j + 1] == best[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            word_list[i] = out
            for a, b in zip(out, out[1:]):
                pair_counts[(a, b)] += counts[i]
                where[(a, b)].add(i)
        where.pop(best, None)
    return vocab, merges


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = {token: i for i, token in enumerate(vocab)}
        self.id_to_token = list(vocab)
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.merges = [tuple(m) for m in merges]
        self.pad_id = self.vocab["<pad>"]
        self.eos_id = self.vocab["<eos>"]
        self._cache = {}

    def _bpe(self, word):
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self.ranks.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, k = min(ranked)
            if rank == 1 << 30:
                break
            symbols = symbols[:k] + [symbols[k] + symbols[k + 1]] + symbols[k + 2 :]
        ids = [self.vocab[s] for s in symbols]
        self._cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for word in pre_tokenize(text):
            ids.extend(self._bpe(word))
        return ids

    def decode(self, ids):
        decoder = {c: b for b, c in BYTE_ENCODER.items()}
        text = "".join(self.id_to_token[i] for i in ids if i >= len(SPECIAL_TOKENS))
        return bytes(decoder[c] for c in text).decode("utf-8", errors="replace")

    def to_hf_json(self):
        def special(i, content):
            return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}

        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [special(self.vocab[t], t) for t in SPECIAL_TOKENS],
            "normalizer": None,
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": PRE_TOKEN_PATTERN}, "behavior": "Isolated", "invert": False},
                    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
                ],
            },
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def save(self, folder, model_max_length):
        with open(f"{folder}/tokenizer.json", "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)
        config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "pad_token": "<pad>",
            "eos_token": "<eos>",
            "bos_token": None,
            "unk_token": None,
            "model_max_length": model_max_length,
            "padding_side": "left",
            "add_bos_token": False,
            "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
        }
        with open(f"{folder}/tokenizer_config.json", "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)

    @staticmethod
    def load(folder):
        with open(f"{folder}/tokenizer.json", encoding="utf-8") as f:
            data = json.load(f)
        model = data["model"]
        if model.get("type") != "BPE" or data["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] != PRE_TOKEN_PATTERN:
            raise ValueError(f"{folder}/tokenizer.json: not a tokenizer made by tools/train/tokenizer.py")
        vocab = sorted(model["vocab"], key=model["vocab"].get)
        merges = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
        return Tokenizer(vocab, merges)
