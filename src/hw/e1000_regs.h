/* Intel 82540EM register map and bit definitions.
 *
 * Names follow Intel's "PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual" (8254x SDM, rev. 4.0): chapter 13 registers,
 * chapter 3 descriptors, chapter 5 EEPROM, 13.5 PHY (M88E1011). Offsets are
 * byte offsets into BAR0. Only what the model uses is listed. */
#ifndef SKIFF_HW_E1000_REGS_H
#define SKIFF_HW_E1000_REGS_H

/* --- General (SDM 13.4) --------------------------------------------- */
#define E1000_CTRL      0x00000 /* 13.4.1 Device Control */
#define E1000_STATUS    0x00008 /* 13.4.2 Device Status (RO) */
#define E1000_EECD      0x00010 /* 13.4.3 EEPROM/Flash Control/Data */
#define E1000_EERD      0x00014 /* 13.4.4 EEPROM Read */
#define E1000_CTRL_EXT  0x00018 /* 13.4.6 Extended Device Control */
#define E1000_MDIC      0x00020 /* 13.4.7 MDI Control */
#define E1000_FCAL      0x00028 /* 13.4.8 Flow Control Address Low */
#define E1000_FCAH      0x0002C /* 13.4.8 Flow Control Address High */
#define E1000_FCT       0x00030 /* 13.4.9 Flow Control Type */
#define E1000_VET       0x00038 /* 13.4.10 VLAN Ether Type */
#define E1000_ICR       0x000C0 /* 13.4.17 Interrupt Cause Read */
#define E1000_ITR       0x000C4 /* 13.4.18 Interrupt Throttling */
#define E1000_ICS       0x000C8 /* 13.4.19 Interrupt Cause Set */
#define E1000_IMS       0x000D0 /* 13.4.20 Interrupt Mask Set/Read */
#define E1000_IMC       0x000D8 /* 13.4.21 Interrupt Mask Clear */
#define E1000_RCTL      0x00100 /* 13.4.22 Receive Control */
#define E1000_FCTTV     0x00170 /* 13.4.12 Flow Control Transmit Timer Value */
#define E1000_TXCW      0x00178 /* 13.4.14 Transmit Configuration Word */
#define E1000_RXCW      0x00180 /* 13.4.15 Receive Configuration Word */
#define E1000_TCTL      0x00400 /* 13.4.33 Transmit Control */
#define E1000_TIPG      0x00410 /* 13.4.34 Transmit IPG */
#define E1000_AIT       0x00458 /* 13.4.35 Adaptive IFS Throttle */
#define E1000_LEDCTL    0x00E00 /* 13.4.16 LED Control */
#define E1000_PBA       0x01000 /* 13.4.11 Packet Buffer Allocation */
#define E1000_FCRTL     0x02160 /* 13.4.13 Flow Control Rx Threshold Low */
#define E1000_FCRTH     0x02168 /* 13.4.13 Flow Control Rx Threshold High */
#define E1000_RDBAL     0x02800 /* 13.4.24 RX Descriptor Base Low */
#define E1000_RDBAH     0x02804
#define E1000_RDLEN     0x02808 /* 13.4.26 RX Descriptor Length */
#define E1000_RDH       0x02810 /* 13.4.27 RX Descriptor Head */
#define E1000_RDT       0x02818 /* 13.4.28 RX Descriptor Tail */
#define E1000_RDTR      0x02820 /* 13.4.29 RX Delay Timer */
#define E1000_RXDCTL    0x02828 /* 13.4.31 RX Descriptor Control */
#define E1000_RADV      0x0282C /* 13.4.30 RX Absolute Delay Timer */
#define E1000_RSRPD     0x02C00 /* 13.4.32 RX Small Packet Detect */
#define E1000_TDFH      0x03410
#define E1000_TDFT      0x03418
#define E1000_TDFHS     0x03420
#define E1000_TDFTS     0x03428
#define E1000_TDFPC     0x03430
#define E1000_TDBAL     0x03800 /* 13.4.36 TX Descriptor Base Low */
#define E1000_TDBAH     0x03804
#define E1000_TDLEN     0x03808 /* 13.4.38 TX Descriptor Length */
#define E1000_TDH       0x03810 /* 13.4.39 TX Descriptor Head */
#define E1000_TDT       0x03818 /* 13.4.40 TX Descriptor Tail */
#define E1000_TIDV      0x03820 /* 13.4.41 TX Interrupt Delay Value */
#define E1000_TXDCTL    0x03828 /* 13.4.42 TX Descriptor Control */
#define E1000_TADV      0x0382C /* 13.4.43 TX Absolute Interrupt Delay */
#define E1000_RXCSUM    0x05000 /* 13.4.23 RX Checksum Control */
#define E1000_MTA       0x05200 /* 13.4.53 Multicast Table Array, 128 dwords */
#define E1000_RA        0x05400 /* 13.4.54/55 RAL/RAH pairs, 16 entries */
#define E1000_VFTA      0x05600 /* 13.4.56 VLAN Filter Table Array, 128 dwords */
#define E1000_WUC       0x05800 /* 13.6.1 Wakeup Control */
#define E1000_WUFC      0x05808
#define E1000_WUS       0x05810
#define E1000_MANC      0x05820 /* 13.6.? Management Control */
#define E1000_IPAV      0x05838
#define E1000_IP4AT     0x05840
#define E1000_WUPL      0x05900
#define E1000_WUPM      0x05A00
#define E1000_FFLT      0x05F00
#define E1000_FFMT      0x09000
#define E1000_FFVT      0x09800

#define E1000_MTA_SIZE  128
#define E1000_RA_SIZE   16
#define E1000_VFTA_SIZE 128

/* --- Statistics (SDM 13.7), all clear-on-read --------------------------- */
#define E1000_STATS_FIRST 0x04000
#define E1000_STATS_LAST  0x040FC
#define E1000_CRCERRS   0x04000
#define E1000_MPC       0x04010
#define E1000_GPRC      0x04074
#define E1000_BPRC      0x04078
#define E1000_MPRC      0x0407C
#define E1000_GPTC      0x04080
#define E1000_GORCL     0x04088
#define E1000_GORCH     0x0408C
#define E1000_GOTCL     0x04090
#define E1000_GOTCH     0x04094
#define E1000_RNBC      0x040A0
#define E1000_RUC       0x040A4
#define E1000_ROC       0x040AC
#define E1000_TORL      0x040C0
#define E1000_TORH      0x040C4
#define E1000_TOTL      0x040C8
#define E1000_TOTH      0x040CC
#define E1000_TPR       0x040D0
#define E1000_TPT       0x040D4
#define E1000_PRC64     0x0405C /* PRC64..PRC1522: 6 consecutive bins */
#define E1000_PTC64     0x040D8 /* PTC64..PTC1522: 6 consecutive bins */
#define E1000_MPTC      0x040F0
#define E1000_BPTC      0x040F4
#define E1000_TSCTC     0x040F8
#define E1000_TSCTFC    0x040FC

/* BAR1: I/O-mapped access (SDM 13.3.1) */
#define E1000_IOADDR    0x00
#define E1000_IODATA    0x04

#define E1000_MMIO_SIZE 0x20000
#define E1000_IO_SIZE   0x40

/* --- CTRL bits (13.4.1) ------------------------------------------------ */
#define E1000_CTRL_FD       (1u << 0)
#define E1000_CTRL_LRST     (1u << 3)
#define E1000_CTRL_ASDE     (1u << 5)
#define E1000_CTRL_SLU      (1u << 6)
#define E1000_CTRL_ILOS     (1u << 7)
#define E1000_CTRL_SPD_1000 (2u << 8)
#define E1000_CTRL_FRCSPD   (1u << 11)
#define E1000_CTRL_FRCDPX   (1u << 12)
#define E1000_CTRL_SWDPIN0  (1u << 18)
#define E1000_CTRL_SWDPIN2  (1u << 20)
#define E1000_CTRL_RST      (1u << 26) /* self-clearing global reset */
#define E1000_CTRL_RFCE     (1u << 27)
#define E1000_CTRL_TFCE     (1u << 28)
#define E1000_CTRL_VME      (1u << 30) /* VLAN mode: strip on RX, VLE on TX */
#define E1000_CTRL_PHY_RST  (1u << 31)

/* --- STATUS bits (13.4.2) ---------------------------------------------- */
#define E1000_STATUS_FD         (1u << 0)
#define E1000_STATUS_LU         (1u << 1)
#define E1000_STATUS_TXOFF      (1u << 4)
#define E1000_STATUS_SPEED_1000 (2u << 6)
#define E1000_STATUS_ASDV       (3u << 8) /* auto-speed detect value; QEMU reports 11b */
#define E1000_STATUS_MTXCKOK    (1u << 10)
#define E1000_STATUS_GIO_MASTER (1u << 19)

/* --- EECD bits (13.4.3) ------------------------------------------------ */
#define E1000_EECD_SK   (1u << 0)
#define E1000_EECD_CS   (1u << 1)
#define E1000_EECD_DI   (1u << 2)
#define E1000_EECD_DO   (1u << 3)
#define E1000_EECD_FWE  (3u << 4)
#define E1000_EECD_REQ  (1u << 6)
#define E1000_EECD_GNT  (1u << 7)
#define E1000_EECD_PRES (1u << 8)
#define E1000_EECD_SIZE (1u << 9)  /* 0: 64-word Microwire part */
#define E1000_EECD_WMASK (E1000_EECD_SK | E1000_EECD_CS | E1000_EECD_DI | E1000_EECD_FWE | E1000_EECD_REQ)

/* Microwire opcodes (SDM 5.3 / 93C46 datasheet), 3 bits incl. start bit */
#define E1000_UWIRE_READ  0x6 /* 110b */
#define E1000_UWIRE_WRITE 0x5 /* 101b */
#define E1000_UWIRE_EXT   0x4 /* 100b + 2 address MSBs: 11 = EWEN, 00 = EWDS */
#define E1000_EEPROM_ABITS 6
#define E1000_EEPROM_WORDS 64
#define E1000_EEPROM_SUM  0xBABA   /* SDM 5.6.9: words 0..0x3F sum to this */

/* --- EERD (13.4.4) ----------------------------------------------------- */
#define E1000_EERD_START      (1u << 0)
#define E1000_EERD_DONE       (1u << 4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16

/* --- MDIC (13.4.7) ----------------------------------------------------- */
#define E1000_MDIC_DATA_MASK  0x0000FFFFu
#define E1000_MDIC_REG_SHIFT  16
#define E1000_MDIC_PHY_SHIFT  21
#define E1000_MDIC_OP_SHIFT   26
#define E1000_MDIC_OP_WRITE   1u
#define E1000_MDIC_OP_READ    2u
#define E1000_MDIC_READY      (1u << 28)
#define E1000_MDIC_INT_EN     (1u << 29)
#define E1000_MDIC_ERROR      (1u << 30)
#define E1000_PHY_ADDR        1     /* the integrated PHY answers at address 1 */

/* --- Interrupt causes: ICR/ICS/IMS/IMC (13.4.17) ------------------------ */
#define E1000_ICR_TXDW    (1u << 0)
#define E1000_ICR_TXQE    (1u << 1)
#define E1000_ICR_LSC     (1u << 2)
#define E1000_ICR_RXSEQ   (1u << 3)
#define E1000_ICR_RXDMT0  (1u << 4)
#define E1000_ICR_RXO     (1u << 6)
#define E1000_ICR_RXT0    (1u << 7)
#define E1000_ICR_MDAC    (1u << 9)
#define E1000_ICR_RXCFG   (1u << 10)
#define E1000_ICR_TXD_LOW (1u << 15)
#define E1000_ICR_SRPD    (1u << 16)
#define E1000_ICR_MASK    0x0001FFFFu /* causes that exist on the 82540 */

/* --- RCTL (13.4.22) ----------------------------------------------------- */
#define E1000_RCTL_EN       (1u << 1)
#define E1000_RCTL_SBP      (1u << 2)
#define E1000_RCTL_UPE      (1u << 3)
#define E1000_RCTL_MPE      (1u << 4)
#define E1000_RCTL_LPE      (1u << 5)
#define E1000_RCTL_LBM_MASK (3u << 6)  /* 00 none, 01 MAC, 11 transceiver loopback */
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_RDMTS_MASK  (3u << 8)
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_MO_MASK  (3u << 12)
#define E1000_RCTL_BAM      (1u << 15)
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_BSIZE_MASK  (3u << 16)
#define E1000_RCTL_VFE      (1u << 18)
#define E1000_RCTL_CFIEN    (1u << 19)
#define E1000_RCTL_CFI      (1u << 20)
#define E1000_RCTL_DPF      (1u << 22)
#define E1000_RCTL_PMCF     (1u << 23)
#define E1000_RCTL_BSEX     (1u << 25)
#define E1000_RCTL_SECRC    (1u << 26)
#define E1000_RCTL_WMASK    0x06DFBFFEu /* bits 0, 14, 21, 24, 27-31 reserved */

/* --- TCTL (13.4.33) ----------------------------------------------------- */
#define E1000_TCTL_EN    (1u << 1)
#define E1000_TCTL_PSP   (1u << 3)
#define E1000_TCTL_WMASK 0x01FFFFFAu

/* --- RXCSUM (13.4.23) ----------------------------------------------------- */
#define E1000_RXCSUM_PCSS_MASK 0xFFu
#define E1000_RXCSUM_IPOFL (1u << 8)
#define E1000_RXCSUM_TUOFL (1u << 9)

/* RAH (13.4.55) */
#define E1000_RAH_AV     (1u << 31)
#define E1000_RAH_WMASK  0x8003FFFFu /* bits 30:18 reserved, read 0 */

/* MANC (13.6.?) */
#define E1000_MANC_RESET 0x00222300u

/* --- TX descriptors (SDM 3.3) ------------------------------------------- */
/* Legacy (3.3.3) / data (3.3.7) command byte, bits 31:24 of dword 2 */
#define E1000_TXD_CMD_EOP   (1u << 24)
#define E1000_TXD_CMD_IFCS  (1u << 25)
#define E1000_TXD_CMD_IC    (1u << 26)  /* legacy: insert checksum at CSO */
#define E1000_TXD_CMD_TSE   (1u << 26)  /* data/context: TCP segmentation */
#define E1000_TXD_CMD_RS    (1u << 27)
#define E1000_TXD_CMD_RPS   (1u << 28)
#define E1000_TXD_CMD_DEXT  (1u << 29)
#define E1000_TXD_CMD_VLE   (1u << 30)
#define E1000_TXD_CMD_IDE   (1u << 31)
#define E1000_TXD_DTYP_MASK (0xFu << 20)
#define E1000_TXD_DTYP_C    (0x0u << 20) /* context (3.3.6) */
#define E1000_TXD_DTYP_D    (0x1u << 20) /* data (3.3.7) */
#define E1000_TXD_LEN_LEGACY 0xFFFFu
#define E1000_TXD_LEN_EXT    0xFFFFFu   /* DTALEN / PAYLEN: 20 bits */
/* Context TUCMD (3.3.6), same byte as the command */
#define E1000_TXD_CMD_TCP   (1u << 24)
#define E1000_TXD_CMD_IP    (1u << 25)
/* Status nibble (dword 3 bits 3:0) */
#define E1000_TXD_STAT_DD   (1u << 0)
#define E1000_TXD_STAT_EC   (1u << 1)
#define E1000_TXD_STAT_LC   (1u << 2)
#define E1000_TXD_STAT_TU   (1u << 3)
/* POPTS (dword 3 bits 15:8 of a data descriptor) */
#define E1000_TXD_POPTS_IXSM 0x01
#define E1000_TXD_POPTS_TXSM 0x02

/* --- RX descriptor (SDM 3.2.3) ------------------------------------------- */
#define E1000_RXD_STAT_DD    0x01
#define E1000_RXD_STAT_EOP   0x02
#define E1000_RXD_STAT_IXSM  0x04 /* ignore checksum indication */
#define E1000_RXD_STAT_VP    0x08 /* 802.1Q packet, tag stripped */
#define E1000_RXD_STAT_TCPCS 0x20
#define E1000_RXD_STAT_IPCS  0x40
#define E1000_RXD_ERR_TCPE   0x20
#define E1000_RXD_ERR_IPE    0x40

/* --- PHY (M88E1011, SDM 13.5; IEEE 802.3 clause 22) ----------------------- */
#define PHY_CTRL        0x00
#define PHY_STATUS      0x01
#define PHY_ID1         0x02
#define PHY_ID2         0x03
#define PHY_AUTONEG_ADV 0x04
#define PHY_LP_ABILITY  0x05
#define PHY_AUTONEG_EXP 0x06
#define PHY_NEXT_PAGE   0x07
#define PHY_1000T_CTRL  0x09
#define PHY_1000T_STATUS 0x0A
#define PHY_EXT_STATUS  0x0F
#define M88_PHY_SPEC_CTRL   0x10
#define M88_PHY_SPEC_STATUS 0x11
#define M88_INT_ENABLE      0x12
#define M88_INT_STATUS      0x13
#define M88_EXT_PHY_SPEC_CTRL 0x14
#define M88_RX_ERR_CNTR     0x15
#define M88_LED_CTRL        0x18
#define M88_PAGE_SELECT     0x1D
#define M88_PAGE_DATA       0x1E

#define MII_CR_SPEED_1000   (1u << 6)
#define MII_CR_FULL_DUPLEX  (1u << 8)
#define MII_CR_RESTART_AN   (1u << 9)
#define MII_CR_ISOLATE      (1u << 10)
#define MII_CR_POWER_DOWN   (1u << 11)
#define MII_CR_AN_ENABLE    (1u << 12)
#define MII_CR_LOOPBACK     (1u << 14)
#define MII_CR_RESET        (1u << 15)

#define MII_SR_LINK_STATUS  (1u << 2)
#define MII_SR_AN_COMPLETE  (1u << 5)

#define MII_LPAR_ACK        (1u << 14)
#define M88_PSSR_LINK       (1u << 10)

#endif
