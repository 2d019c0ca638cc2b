#!/usr/bin/env python3
"""Write structured seeds for every harness into tests/fuzz/seeds/NAME/:
  e1000: rings set up, TX of legacy / checksum / TSO packets, RX of frames, loopback;
  virtio_net, stream, legacy_io, cli, kernel, gso: see the seeds_* functions.
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
    # MSI-X: enable, program the table (3 vectors), assign vectors, traffic; legacy too.
    msix = bytes([0x7D]) + struct.pack("<HH", 0, 0x8000)
    for v in range(3):
        msix += bytes([0xAD]) + struct.pack("<HI", 16 * v, 0xFEE00000)
        msix += bytes([0xAD]) + struct.pack("<HI", 16 * v + 8, 0x30 + v)
        msix += bytes([0xAD]) + struct.pack("<HI", 16 * v + 12, 0)
    hdr, eth = vn_tx_packet(12)
    p = msix + vn_init_modern(F_MAC | F_STATUS | F_MRG)
    p += bytes([0x52, 0x10]) + struct.pack("<H", 0)
    for q in range(2):
        p += bytes([0x52, 0x16]) + struct.pack("<H", q) + bytes([0x52, 0x1a]) + struct.pack("<H", q + 1)
    for b in rx[:4]:
        p += vn_post(0, [b])
    p += vn_frame(60) + vn_frame(1514)
    p += vn_poke(txb, hdr + eth) + vn_post(1, [(txb, 12 + len(eth))])
    p += bytes([0x08, 0x18])                          # link flip: config vector
    out["modern_msix"] = bytes([0x01]) + p
    p = msix + vn_init_legacy(F_MAC | F_STATUS | F_MRG)
    p += bytes([0x40, 0x14]) + struct.pack("<H", 0)
    for q in range(2):
        p += bytes([0x40, 0x0e]) + struct.pack("<H", q) + bytes([0x40, 0x16]) + struct.pack("<H", q + 1)
    for b in rx[:2]:
        p += vn_post(0, [b])
    p += vn_frame(200) + bytes([0x01, 0x18, 0x81, 0x14])
    out["legacy_msix"] = bytes([0x01]) + p
    return out


# ---- stream -------------------------------------------------------------------
def st_record(payload, header_only=False):
    op = 0x02 | (0x08 if len(payload) > 0xFFFF else 0) | (0x20 if header_only else 0)
    p = bytes([op]) + struct.pack("<H", len(payload) & 0xFFFF)
    if len(payload) > 0xFFFF:
        p += bytes([len(payload) >> 16])
    return p + (b"" if header_only else payload)


def st_raw(data):
    p = b""
    for i in range(0, len(data), 31):
        chunk = data[i:i + 31]
        p += bytes([0x00 | (len(chunk) << 3)]) + chunk
    return p


def eth(n):
    return b"\x52\x54\x00\x12\x34\x56\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(i & 0xFF for i in range(n - 14))


IDLE = bytes([0x07])


def seeds_stream():
    out = {}
    # Whole records, an empty one, and records split across writes at odd places.
    f = eth(100)
    split = struct.pack(">I", len(f)) + f
    p = st_record(eth(60)) + st_record(eth(1514)) + st_record(b"") + IDLE
    p += st_raw(split[:1]) + IDLE + st_raw(split[1:3]) + IDLE + st_raw(split[3:50]) + IDLE + st_raw(split[50:]) + IDLE
    p += st_raw(struct.pack(">I", 20) + eth(20) + struct.pack(">I", 30) + eth(30)[:10]) + IDLE + st_raw(eth(30)[10:]) + IDLE
    out["records"] = bytes([0x00]) + p
    # The largest record, then an oversized header (connection dropped), then more bytes.
    p = st_record(eth(65536 + 64)) + IDLE + IDLE
    p += bytes([0x02 | 0x08, 0x41, 0x00, 0x01, 0x20]) + IDLE + st_record(eth(60)) + IDLE
    out["oversized"] = bytes([0x00]) + p
    p = bytes([0x12, 0x00]) + IDLE + st_record(eth(60)) + IDLE
    out["huge_len"] = bytes([0x00]) + p
    # Back-pressure: the NIC refuses, records pile up (reading pauses), then drains.
    p = bytes([0x0B]) + b"".join(st_record(eth(200 + i)) for i in range(6)) + IDLE * 3
    p += bytes([0x1B]) + IDLE * 3 + bytes([0x13]) + IDLE
    out["backpressure"] = bytes([0x00]) + p
    # TX: big frames toward a small socket buffer (partial writes, queue, limit), drains, EOF.
    p = bytes([0x04 | 0x08 | 0xE0, 0xFF, 0xFF, 0x00]) + IDLE + bytes([0x05, 0x00, 0x10]) + IDLE
    p += bytes([0x04 | 0xE0, 0xDC, 0x05]) + bytes([0x0D]) + IDLE + bytes([0x0D]) + IDLE
    p += bytes([0x04, 60, 0]) + bytes([0x06]) + IDLE + bytes([0x04, 60, 0]) + IDLE
    out["tx_queue"] = bytes([0x01]) + p
    # Peer goes away mid-record; and closes completely.
    p = st_raw(struct.pack(">I", 500) + eth(100)) + IDLE + bytes([0x06]) + IDLE * 2
    out["eof_mid_record"] = bytes([0x00]) + p
    p = st_record(eth(60)) + bytes([0x04, 60, 0, 0x0E]) + IDLE + bytes([0x04, 60, 0]) + IDLE
    out["close"] = bytes([0x00]) + p
    # The NIC answers every frame from inside receive(), then the peer closes mid-stream.
    p = bytes([0x83]) + st_record(eth(60)) + IDLE + st_record(eth(1514)) + bytes([0x0E]) + st_record(eth(60)) + IDLE
    out["echo"] = bytes([0x01]) + p
    # Server mode: accept, records both ways, hang up, the next client is accepted.
    p = IDLE + st_record(eth(60)) + bytes([0x04, 60, 0]) + IDLE + bytes([0x0D]) + bytes([0x26]) + IDLE * 2
    p += st_record(eth(100)) + IDLE + bytes([0x06]) + IDLE + bytes([0x26]) + IDLE + st_record(eth(70)) + IDLE
    out["server"] = bytes([0x04]) + p
    return out


# ---- legacy_io ----------------------------------------------------------------
HOT_PORTS = [0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x60, 0x64, 0x70, 0x71,
             0x600, 0x601, 0x602, 0xcf8, 0xcf9, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff]
LEN = {1: 0, 2: 1, 4: 2, 8: 3}


def io_w(port, val, n=1):
    return bytes([0x20 | LEN[n] << 6, HOT_PORTS.index(port)]) + val.to_bytes(n, "little")


def io_r(port, n=1):
    return bytes([0x00 | LEN[n] << 6, HOT_PORTS.index(port)])


def cfg_r(dev, reg, n=4):
    return bytes([0x03 | LEN[n] << 6, dev, reg])


def cfg_w(dev, reg, val, n=4):
    return bytes([0x23 | LEN[n] << 6, dev, reg]) + val.to_bytes(n, "little")


def cfg_raw_r(addr, n=4):
    return bytes([0x03 | LEN[n] << 6, 0x80, addr & 3]) + struct.pack("<I", addr & ~3)


def bar_move(dev, bar, addr, size_first=True, decode_off=False):
    op = 0x04 | (0x08 if dev else 0) | (0x10 if size_first else 0) | (0x20 if decode_off else 0)
    p = bytes([op, bar]) + struct.pack("<I", addr)
    if decode_off:
        p += struct.pack("<H", 0x7)
    return p


def mmio_at(dev, bar, off, val=None, n=4):
    op = 0x05 | (0x08 if dev else 0) | (0x20 if val is not None else 0) | LEN[n] << 6
    p = bytes([op, bar]) + struct.pack("<H", off)
    return p + (val.to_bytes(n, "little") if val is not None else b"")


def seeds_legacy_io():
    out = {}
    # Linux's PCI probe: type-1 check, scan slots, size every BAR of both NICs, move them.
    p = io_w(0xcfb, 0x01) + io_w(0xcf8, 0x80000000, 4) + io_r(0xcf8, 4)
    for slot in range(4):
        p += cfg_raw_r(0x80000000 | slot << 11) + cfg_raw_r(0x80000000 | slot << 11 | 0x08)
    for dev in range(2):
        p += cfg_r(dev, 0x04, 2) + cfg_r(dev, 0x06, 2) + cfg_r(dev, 0x34, 1) + cfg_r(dev, 0x3c, 2)
        for bar in range(7):
            p += bar_move(dev, bar, 0xffffffff)
    p += bar_move(0, 0, 0xC1000000, decode_off=True) + bar_move(0, 1, 0xD001, decode_off=True)
    p += bar_move(1, 4, 0xC2000000, decode_off=True) + bar_move(1, 1, 0xC2100000) + bar_move(1, 0, 0xD101)
    p += mmio_at(0, 0, 0x8) + mmio_at(1, 4, 0x14, 1, 1) + mmio_at(1, 1, 0x0, 0xfee00000)
    p += bar_move(1, 4, 0xC1000000)          # onto the e1000's BAR: must stay unmapped
    p += bar_move(1, 4, 0)                   # address 0: unmapped
    p += bar_move(0, 0, 0xC0000000) + cfg_w(0, 0x04, 0x0407, 2)
    p += bytes([0x1F]) + struct.pack("<H", 0x8000) + bytes([0x1F]) + struct.pack("<H", 0xC000)   # MSI-X enable/mask
    p += cfg_r(1, 0x84, 4) + cfg_r(1, 0x88, 4)
    out["pci_probe"] = p
    # UART: divisor latch, line control, FIFO, interrupts, loopback, input, overrun.
    p = io_w(0x3fb, 0x80) + io_w(0x3f8, 0x01) + io_w(0x3f9, 0x00) + io_w(0x3fb, 0x03)
    p += io_w(0x3fa, 0xc7) + io_w(0x3f9, 0x0f) + io_w(0x3fc, 0x0b)
    p += io_w(0x3f8, 0x41) + io_r(0x3fa) + io_r(0x3fd) + io_r(0x3fe)
    p += bytes([0x06, 5]) + b"hello" + io_r(0x3fa) + io_r(0x3f8) + io_r(0x3f8) + io_r(0x3fd)
    p += bytes([0x16, 31]) + bytes(range(31)) + bytes([0x16, 31]) + bytes(range(31)) + io_r(0x3fd)
    p += io_w(0x3fc, 0x1b) + io_w(0x3f8, 0x55) + io_r(0x3f8) + io_w(0x3ff, 0xaa) + io_r(0x3ff)
    p += bytes([0x20 | 2 << 6, 0, 0x41, 0x42, 0x43, 0x44])   # 4-byte write at THR
    out["uart"] = p
    # i8042: config byte, self tests, keyboard reset/identify, mouse, output port, reset pulse.
    p = io_w(0x64, 0x20) + io_r(0x60) + io_w(0x64, 0x60) + io_w(0x60, 0x47)
    p += io_w(0x64, 0xaa) + io_r(0x60) + io_w(0x64, 0xab) + io_r(0x60) + io_w(0x64, 0xad) + io_w(0x64, 0xae)
    p += io_w(0x60, 0xff) + io_r(0x60) + io_r(0x60) + io_w(0x60, 0xf2) + io_r(0x64) + io_r(0x60) + io_r(0x60)
    p += io_w(0x60, 0xed) + io_w(0x60, 0x07) + io_w(0x60, 0xf3) + io_w(0x60, 0x00)
    p += io_w(0x64, 0xd4) + io_w(0x60, 0xf4) + io_r(0x60) + io_w(0x64, 0xa7) + io_w(0x64, 0xa8)
    p += io_w(0x64, 0xd0) + io_r(0x60) + io_w(0x64, 0xd1) + io_w(0x60, 0xdf) + io_w(0x64, 0xd2) + io_w(0x60, 0x1c)
    p += io_w(0x64, 0xfe) + io_r(0x64)
    out["i8042"] = p
    # RTC: every register, update-in-progress, binary/12h modes, NMI mask bit; ACPI power off/reset.
    p = b""
    for reg in list(range(0x0e)) + [0x32, 0x7f, 0x80, 0x8a, 0xff]:
        p += io_w(0x70, reg) + io_r(0x71)
    p += io_w(0x70, 0x0b) + io_w(0x71, 0x86) + io_w(0x70, 0x00) + io_r(0x71) + io_w(0x70, 0x04) + io_r(0x71)
    p += io_w(0x70, 0x0b) + io_w(0x71, 0x02) + io_w(0x70, 0x04) + io_r(0x71) + io_w(0x70, 0x0a) + io_w(0x71, 0x26)
    p += io_w(0x70, 0x40) + io_w(0x71, 0x12) + io_r(0x71, 2)
    p += io_r(0x600) + io_r(0x601) + io_w(0x600, 0x34) + io_w(0x602, 0x01) + io_w(0x601, 0xff)
    out["rtc_acpi"] = p
    return out


# ---- cli ----------------------------------------------------------------------
def seeds_cli():
    lines = {
        "user_hostfwd": ["-m", "512M", "-smp", "4,sockets=2,cores=2", "-netdev",
                         "user,id=n0,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53,"
                         "guestfwd=tcp:10.0.2.100:1234-cmd:cat,dnssearch=example.com,net=10.1.0.0/16,"
                         "dhcpstart=10.1.0.20,ipv6-prefix=fec0::,ipv6-prefixlen=64,mtu=1400,restrict=off",
                         "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,mrg_rxbuf=off,vectors=3,addr=3"],
        "nic": ["-nic", "user,model=e1000,hostfwd=tcp:[::1]:8080-:80,ipv6=on,ipv4=off",
                "-nic", "user,model=virtio-net-pci,mac=52:54:00:aa:bb:cc"],
        "legacy_net": ["-net", "nic,model=virtio,macaddr=52:54:00:12:34:60", "-net", "user,hostname=vm",
                       "-net", "nic,vlan=1", "-net", "socket,connect=127.0.0.1:1234"],
        "stream": ["-netdev", "stream,id=s0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=1234,reconnect-ms=100",
                   "-device", "e1000,netdev=s0,id=nic0,romfile=,bus=pci.0",
                   "-netdev", "stream,id=s1,addr.type=unix,addr.path=/tmp/sock,addr.abstract=on,addr.tight=off",
                   "-device", "e1000-82540em,netdev=s1"],
        "socket_dgram": ["-netdev", "socket,id=k0,listen=:1234", "-netdev", "socket,id=k1,mcast=230.0.0.1:1234,localaddr=127.0.0.1",
                         "-netdev", "dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=1,remote.type=unix,remote.path=/tmp/x",
                         "-netdev", "hubport,id=h0,hubid=0,netdev=k0", "-nodefaults"],
        "tap": ["-netdev", "tap,id=t0,ifname=tap0,script=no,downscript=no,vhost=off,vnet_hdr=on",
                "-netdev", "bridge,id=b0,br=br0", "-device", "virtio-net-pci,netdev=t0", "-device", "e1000,netdev=b0,addr=0x5"],
        "machine": ["-enable-kvm", "-machine", "q35,accel=kvm", "-accel", "kvm,kernel-irqchip=on", "-cpu", "host,+x2apic,-vmx,model-id=x",
                    "-m", "size=1G,maxmem=2G", "-serial", "mon:stdio", "-nographic", "-kernel", "bzImage", "-initrd", "i",
                    "-append", "console=ttyS0", "-name", "guest=g,process=p,debug-threads=on", "-display", "none",
                    "-no-reboot", "-no-shutdown", "-pidfile", "/tmp/p", "-daemonize"],
        "serial_unix": ["-serial", "unix:/tmp/s,server,nowait", "-smp", "cpus=2,maxcpus=8,threads=2", "-m", "0.5G"],
        "help": ["-netdev", "help", "-device", "help"],
        "errors": ["-m", "9Z", "-netdev", "user,id=,hostfwd=tcp:1:2-", "-device", "virtio-net-pci,netdev=zz", "bare"],
    }
    return {k: b"\0".join(a.encode() for a in v) for k, v in lines.items()}


def seeds_kernel():
    """fuzz_kernel: flags, alignment exponent, init_size MiB, 16 random bytes, phdr count,
    8 bytes per phdr (flags, page offset, memsz pages, filesz), entry offset, then the
    relocation table after the ELF: 0, 64-bit list, 0, inverse list, 0, 32-bit list."""
    def phdr(pages_off, mem_pages, filesz, fl=0):
        return bytes([fl]) + struct.pack("<HHH", pages_off, mem_pages, filesz) + b"\0"
    relocs = struct.pack("<IIIIII", 0, 0x81000100, 0, 0x81000300, 0, 0x81000200)
    head = lambda fl, n: bytes([fl, 21, 20]) + bytes(range(1, 17)) + bytes([n])
    return {
        "kaslr": head(0x02, 0) + phdr(0, 64, 0x400) + struct.pack("<H", 0x40) + relocs,
        "two_segments": head(0x02, 1) + phdr(0, 16, 0x800) + phdr(32, 8, 0x100) + b"\0\0" + relocs,
        "nokaslr_initrd": head(0x07, 0) + phdr(0, 8, 0x10) + b"\0\0" + relocs,
        "bad_relocs": head(0x02, 0) + phdr(0, 4, 0x10) + b"\0\0" + struct.pack("<III", 0, 0x7fffffff, 0),
        "raw": bytes([0x0a, 21, 20]) + bytes(16) + b"\x7fELF\x02\x01" + bytes(58),
    }


def gso_packet(v6=False, tags=0, payload=3000, mss=1448, flags=0x18, opt=12):
    """A host TSO packet as a tap with TUN_F_TSO4/6 hands it over: virtio-net header + frame."""
    eth = b"\x52\x54\x00\x12\x34\x56\x52\x54\x00\xab\xcd\xef"
    for t in range(tags):
        eth += struct.pack(">HH", 0x88A8 if (tags == 2 and t == 0) else 0x8100, 100 + t)
    tcp = struct.pack(">HHIIBBHHH", 5201, 40000, 0xFFFFF000, 1, (20 + opt) // 4 << 4, flags, 502, 0, 0)
    tcp += b"\x01\x01\x08\x0a" + bytes(opt - 4)
    data = bytes((i * 7) & 0xFF for i in range(payload))
    if v6:
        ip = struct.pack(">IHBB", 6 << 28, len(tcp) + payload, 6, 64) + bytes(range(32))
        eth += b"\x86\xdd"
    else:
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(tcp) + payload, 0xFFFE, 0x4000, 64, 6, 0)
        ip += b"\xc0\xa8\x0b\x21\xc0\xa8\x0b\x02"
        eth += b"\x08\x00"
    l4 = len(eth) + len(ip)
    vh = struct.pack("<BBHHHH", 1, 4 if v6 else 1, l4 + len(tcp), mss, l4, 16)
    return vh + eth + ip + tcp + data


def seeds_gso():
    return {
        "tcpv4": gso_packet(),
        "tcpv4_64k": gso_packet(payload=44 * 1448 + 1),
        "tcpv6": gso_packet(v6=True, payload=2 * 1428, mss=1428),
        "vlan": gso_packet(tags=1, payload=5 * 536, mss=536),
        "qinq_v6_ecn": gso_packet(v6=True, tags=2, flags=0x98),
        "headers_only": gso_packet(payload=0, flags=0x11),
    }


WRITERS = {
    "e1000": seeds_e1000,
    "virtio_net": seeds_virtio_net,
    "stream": seeds_stream,
    "legacy_io": seeds_legacy_io,
    "cli": seeds_cli,
    "kernel": seeds_kernel,
    "gso": seeds_gso,
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
