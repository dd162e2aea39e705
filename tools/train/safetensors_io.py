"""Minimal safetensors reader and writer: the `safetensors` package is not
installed on these machines, and the format is a JSON header plus raw
little-endian tensors."""
import json
import struct

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
NAMES = {v: k for k, v in DTYPES.items()}
# Reinterpret as a same-width integer type so numpy can hold bfloat16 bytes.
VIEWS = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}


def read_safetensors(path, fail):
    """Every tensor of the file as float32."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in DTYPES:
            fail(f"{path}: tensor {name} has dtype {meta['dtype']}, not one of {sorted(DTYPES)}")
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[meta["dtype"]]).reshape(meta["shape"])
        out[name] = t.to(torch.float32)
    return out


def write_safetensors(path, tensors, dtype):
    """Writes the tensors converted to dtype (torch.float32, float16 or bfloat16)."""
    converted = {name: t.detach().cpu().to(dtype).contiguous() for name, t in tensors.items()}
    header, offset = {}, 0
    for name, t in converted.items():
        size = t.numel() * t.element_size()
        header[name] = {"dtype": NAMES[dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    blob += b" " * ((8 - len(blob) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for t in converted.values():
            f.write(t.view(VIEWS[dtype]).numpy().tobytes())
