#!/usr/bin/env python3
"""Independent encoder of docs/log-format.md (version 1), written from the document alone.

Writes the golden files that tests/log/test_format.c compares the library against:
  segment-v1.log, segment-v1.index, segment-v1.timeindex
(one sealed segment, base offset 0, index.interval.bytes 64, of the 40 records that
golden_records() and the C test both describe), and, with --corpus DIR, seed inputs for the
fuzz/log target. Run: python3 tests/log/golden/format.py [--corpus fuzz/log/corpus]
"""
import os
import struct
import sys

CREATED_MS = 1700000000000
INTERVAL = 64


def crc32c(data, crc=0):
    """Bitwise CRC-32C (reflected 0x82F63B78), no tables."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def golden_records():
    """Records i = 0..39: (key, value, headers, timestamp). None is null."""
    out = []
    for i in range(40):
        key = None if i % 5 == 0 else ("tenant-%d" % (i % 3)).encode()
        value = None if i % 7 == 3 else ('{"n":%d,"pad":"%s"}' % (i, "x" * (i * 3 % 50))).encode()
        headers = [] if i % 4 else [(b"ce_type", b"eventzr.llm.usage.v1"), (b"ce_id", b"evt-%d" % i)]
        ts = 1700000000000 + i * 1000 + (-1500 if i % 6 == 5 else 0)
        out.append((key, value, headers, ts))
    return out


def segment_header(base, created_ms):
    h = b"CRLG" + struct.pack("<HHqqI", 1, 0, base, created_ms, 0)
    return h + struct.pack("<I", crc32c(h))


def record(offset, key, value, headers, ts):
    attrs = (1 if key is None else 0) | (2 if value is None else 0)
    body = struct.pack("<HHqq", attrs, len(headers), offset, ts)
    body += struct.pack("<I", len(key or b"")) + (key or b"")
    body += struct.pack("<I", len(value or b"")) + (value or b"")
    for name, val in headers:
        body += struct.pack("<H", len(name)) + name + struct.pack("<I", len(val)) + val
    return struct.pack("<II", len(body) + 4, crc32c(body)) + body


def index_header(magic, esize, base, flags):
    h = magic + struct.pack("<HHqI", 1, esize, base, flags)
    return h + struct.pack("<I", crc32c(h))


def build_segment(recs, base=0):
    """Segment bytes and its sealed offset and time index files, per 'When entries are added'."""
    seg = segment_header(base, CREATED_MS)
    oidx, tidx = [], []
    last_entry_pos = 32
    newest = None  # (ts, rel, pos)
    for i, (key, value, headers, ts) in enumerate(recs):
        pos = len(seg)
        rel = i
        if newest is None or ts > newest[0]:
            newest = (ts, rel, pos)
        if pos - last_entry_pos >= INTERVAL:
            oidx.append((rel, pos))
            last_entry_pos = pos
            if not tidx or newest[0] > tidx[-1][0]:
                tidx.append(newest)
        seg += record(base + i, key, value, headers, ts)
    if newest is not None and (not tidx or newest[0] > tidx[-1][0]):
        tidx.append(newest)  # sealing
    oi = index_header(b"CRLI", 8, base, 1) + b"".join(struct.pack("<II", r, p) for r, p in oidx)
    ti = index_header(b"CRLT", 16, base, 1) + b"".join(
        struct.pack("<qII", t, r, p) for t, r, p in tidx)
    return seg, oi, ti


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    seg, oi, ti = build_segment(golden_records())
    for ext, data in (("log", seg), ("index", oi), ("timeindex", ti)):
        with open(os.path.join(here, "segment-v1." + ext), "wb") as f:
            f.write(data)
    # the example in the document
    ex = record(5, b"k", b"{}", [], 1700000000000)
    assert len(ex) == 39 and ex[0:4] == bytes.fromhex("23000000")
    assert ex[12:28] == bytes.fromhex("0500000000000000" "0068e5cf8b010000")
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        out = sys.argv[2]
        os.makedirs(out, exist_ok=True)
        body = seg[32:]
        flipped = bytearray(seg)
        flipped[len(seg) // 2] ^= 0x08
        seeds = {
            "raw-golden": b"\x01" + seg,                 # mode bit0: input is the whole file
            "raw-golden-sealed": b"\x05" + seg,          # bit2: a newer segment follows it
            "body": b"\x00" + body[:600],                # header supplied by the target
            "body-fixcrc": b"\x02" + body[:300] + b"\xff" * 40,  # bit1: CRCs recomputed
            "raw-torn": b"\x01" + seg[: len(seg) - 17],
            "raw-flipped": b"\x01" + bytes(flipped),
            "raw-flipped-sealed": b"\x05" + bytes(flipped),
            "raw-empty": b"\x01" + segment_header(0, CREATED_MS),
        }
        for name, data in seeds.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
