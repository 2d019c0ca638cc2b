#!/usr/bin/env python3
"""Write a few structured seeds for fuzz_e1000 into tests/fuzz/seeds/:
rings set up, TX of legacy / checksum / TSO packets, RX of frames, loopback."""
import os
import struct

HOT = ["CTRL", "STATUS", "EECD", "EERD", "MDIC", "ICR", "ITR", "ICS", "IMS", "IMC",
       "RCTL", "TCTL", "RDBAL", "RDBAH", "RDLEN", "RDH", "RDT", "RDTR", "RADV",
       "TDBAL", "TDBAH", "TDLEN", "TDH", "TDT"]
TXR, RXR, TXB, RXB = 0x100, 0x200, 0x400, 0x800


def wr(name, val):
    return bytes([0x00, HOT.index(name)]) + struct.pack("<II", val & 0xFFFFFFFF, 0)


def frame(n, dst=b"\x52\x54\x00\x12\x34\x56"):
    f = dst + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + bytes(i & 0xFF for i in range(n - 14))
    return bytes([0x08]) + struct.pack("<H", len(f)) + f


def image(tx_descs):
    m = bytearray(0x600)
    for i, d in enumerate(tx_descs):
        m[TXR + 16 * i:TXR + 16 * i + 16] = d
    for i in range(16):
        struct.pack_into("<Q", m, RXR + 16 * i, RXB + 0x100 * i if i < 8 else 0)
    pkt = bytearray(b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01\x08\x00")
    pkt += bytes([0x45, 0, 0, 0, 0x12, 0x34, 0, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2])
    pkt += bytes([0x12, 0x34, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x19, 0xff, 0xff, 0, 0, 0, 0])
    pkt += bytes(range(200))
    m[TXB:TXB + len(pkt)] = pkt
    return m, len(pkt)


def legacy(addr, length, cmd):
    return struct.pack("<QII", addr, length | cmd << 24, 0)


def ctx(tse, hdr, mss, paylen):
    cmd = 0x20 | 0x01 | 0x02 | (0x04 if tse else 0)
    return bytes([14, 24, 33, 0, 34, 50, 0, 0]) + struct.pack("<I", paylen | cmd << 24) + bytes([0, hdr]) + struct.pack("<H", mss)


def data(addr, length, cmd, popts):
    return struct.pack("<QII", addr, length | 1 << 20 | (cmd | 0x20) << 24, popts << 8)


def program(ntx, rctl=0x8002 | 3 << 16 | 0x18):
    p = b""
    p += wr("TDBAL", TXR) + wr("TDLEN", 256) + wr("TCTL", 0x2)
    p += wr("RDBAL", RXR) + wr("RDLEN", 256) + wr("RCTL", rctl) + wr("RDT", 15)
    p += wr("IMS", 0x9D)
    p += wr("TDT", ntx)
    p += frame(60) + frame(300) + frame(1514)
    p += wr("ICR", 0) + bytes([0x04, HOT.index("ICR")])
    return p


def seed(tx, prog):
    m, _ = image(tx)
    return struct.pack("<H", len(m)) + bytes(m) + b"\x00\x00" + prog


def main():
    out = os.path.join(os.path.dirname(__file__), "seeds")
    os.makedirs(out, exist_ok=True)
    _, plen = image([])
    seeds = {
        "legacy": seed([legacy(TXB, 60, 0x0B), legacy(TXB, 20, 0), legacy(TXB + 20, 40, 0x09)], program(3)),
        "csum": seed([ctx(False, 0, 0, 0), data(TXB, plen, 0x09, 3)], program(2)),
        "tso": seed([ctx(True, 54, 64, plen - 54), data(TXB, 54, 0x04, 3), data(TXB + 54, plen - 54, 0x0D, 3)], program(3)),
        "loopback": seed([legacy(TXB, 60, 0x19)] * 4, program(4, 0x8002 | 3 << 16 | 0x40)),
    }
    for name, s in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(s)


if __name__ == "__main__":
    main()
