#!/usr/bin/env python3
"""Write structured seeds for every harness into tests/fuzz/seeds/NAME/:
  e1000: rings set up, TX of legacy / checksum / TSO packets, RX of frames, loopback;
  virtio_net, stream, legacy_io, cli: see the seeds_* functions.
Regression inputs for fixed bugs are committed beside them (not written here)."""
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


def seeds_e1000():
    _, plen = image([])
    return {
        "legacy": seed([legacy(TXB, 60, 0x0B), legacy(TXB, 20, 0), legacy(TXB + 20, 40, 0x09)], program(3)),
        "csum": seed([ctx(False, 0, 0, 0), data(TXB, plen, 0x09, 3)], program(2)),
        "tso": seed([ctx(True, 54, 64, plen - 54), data(TXB, 54, 0x04, 3), data(TXB + 54, plen - 54, 0x0D, 3)], program(3)),
        "loopback": seed([legacy(TXB, 60, 0x19)] * 4, program(4, 0x8002 | 3 << 16 | 0x40)),
    }


# ---- virtio_net -------------------------------------------------------------
# Op bytes as fuzz_virtio_net.c reads them.
VN_BUF = 0x30000


def vn_sel(addr):
    return (addr - VN_BUF) // 8


def vn_init_legacy(feat):
    return bytes([0x0C]) + struct.pack("<I", feat)


def vn_init_modern(feat, qsz=0x88, version1=True):
    return bytes([0x1C if version1 else 0x3C]) + struct.pack("<I", feat) + bytes([qsz])


def vn_post(q, bufs, kick=True, indirect=False):
    """bufs: [(addr, len)], device-writable on RX, readable on TX."""
    op = 0x06 | (q << 4) | (0x80 if kick else 0) | (0x40 if indirect else 0)
    p = bytes([op, len(bufs) - 1])
    for a, l in bufs:
        p += struct.pack("<HHB", vn_sel(a), l, 0)
    return p


def vn_poke(addr, data):
    p = b""
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        p += bytes([0x05]) + struct.pack("<I", addr + i)[:3] + bytes([len(chunk) - 1]) + chunk
    return p


def vn_frame(n, vnet=False, hdr=b""):
    f = hdr if vnet else b""
    f += b"\x52\x54\x00\x12\x34\x56\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(i & 0xFF for i in range(n - 14))
    return bytes([0x04]) + struct.pack("<H", len(f)) + f


def ipv4_udp(n):
    ip = bytes([0x45, 0, 0, 28 + n, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2])
    return ip + struct.pack(">HHHH", 1234, 53, 8 + n, 0) + bytes(range(n))


def vn_tx_packet(ghl, csum=False):
    eth = b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x56\x08\x00" + ipv4_udp(100)
    hdr = bytes([1 if csum else 0, 0]) + struct.pack("<HHHH", 0, 0, 34 if csum else 0, 6 if csum else 0)
    return hdr + bytes(ghl - 10), eth


F_CSUM, F_GUEST_CSUM, F_MAC, F_TSO4, F_MRG, F_STATUS, F_INDIRECT = 1, 2, 1 << 5, 1 << 11, 1 << 15, 1 << 16, 1 << 28


def seeds_virtio_net():
    rx = [(VN_BUF + 0x1000 * i, 0x800) for i in range(8)]
    txb = VN_BUF + 0x20000
    out = {}
    # Legacy driver, mergeable RX buffers: RX of small and large frames, TX.
    hdr, eth = vn_tx_packet(12)
    p = vn_init_legacy(F_MAC | F_STATUS | F_MRG | F_INDIRECT)
    for b in rx:
        p += vn_post(0, [b])
    p += vn_frame(60) + vn_frame(1514) + vn_frame(3000)
    p += vn_poke(txb, hdr) + vn_poke(txb + 0x100, eth)
    p += vn_post(1, [(txb, 12), (txb + 0x100, len(eth))])
    p += bytes([0x0B | 0x10]) + vn_post(1, [(txb, 12 + 0), (txb + 0x100, len(eth))])   # echo
    p += bytes([0x01, 0x13, 0x01, 0x14])   # read ISR, config
    out["legacy_mrg"] = bytes([0x01]) + p
    # Legacy, no MRG: 10-byte header, a frame bigger than a buffer is dropped; checksum offload in software.
    hdr, eth = vn_tx_packet(10, csum=True)
    p = vn_init_legacy(F_MAC | F_STATUS | F_CSUM)
    for b in rx[:4]:
        p += vn_post(0, [b])
    p += vn_frame(64) + vn_frame(2100) + vn_frame(1000)
    p += vn_poke(txb, hdr + eth) + vn_post(1, [(txb, 10 + len(eth))])
    out["legacy_nomrg"] = bytes([0x00]) + p
    # Modern driver, vnet backend: offloads, indirect descriptors both ways.
    hdr, eth = vn_tx_packet(12, csum=True)
    p = vn_init_modern(F_MAC | F_STATUS | F_MRG | F_INDIRECT | F_CSUM | F_GUEST_CSUM | F_TSO4)
    for b in rx[:4]:
        p += vn_post(0, [(b[0], 12), (b[0] + 12, 0x7f4)], indirect=True)
    vh = bytes([1, 0]) + struct.pack("<HHHH", 0, 0, 34, 6)
    p += vn_frame(60, vnet=True, hdr=vh) + vn_frame(1514, vnet=True, hdr=bytes(10))
    p += vn_poke(txb, hdr) + vn_poke(txb + 0x100, eth)
    p += vn_post(1, [(txb, 12), (txb + 0x100, len(eth))], indirect=True)
    p += bytes([0x13, 0x00, 0x10, 0x13, 0x14, 0x10]) + bytes([0x23, 0x00, 0x10])   # modern reads
    out["modern_vnet"] = bytes([0x03]) + p
    # Modern with small queues, back-pressure, link flips, reset and re-init.
    hdr, eth = vn_tx_packet(12)
    p = vn_init_modern(F_MAC | F_STATUS, qsz=0x22)
    p += vn_poke(txb, hdr + eth)
    p += bytes([0x0B | 0x20])                         # backend blocks
    for _ in range(3):
        p += vn_post(1, [(txb, 12 + len(eth))])
    p += bytes([0x0B | 0x20 | 0x40])                  # unblock + flush: on_drained -> TX
    p += bytes([0x08, 0x18, 0x28, 0x38])              # link flips
    p += bytes([0x09 | 0x10]) + vn_init_legacy(F_MAC | F_MRG)
    p += vn_post(0, [rx[0]]) + vn_frame(100)
    out["modern_backpressure"] = bytes([0x01]) + p
    return out


WRITERS = {
    "e1000": seeds_e1000,
    "virtio_net": seeds_virtio_net,
}


def main():
    for harness, fn in WRITERS.items():
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", harness)
        os.makedirs(out, exist_ok=True)
        for name, s in fn().items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(s)


if __name__ == "__main__":
    main()
