/* virtio-net device (virtio 1.1, 5.1) on the transitional PCI transport.
 *
 * Guest header: 12 bytes (with num_buffers) when VERSION_1 or MRG_RXBUF is
 * negotiated, else 10. Backend header: 10 bytes when nc->using_vnet_hdr.
 * Offloads are offered only with such a backend, which then does the work;
 * without one the guest sends and gets plain frames (a checksum request that
 * gets through anyway is completed in software). */
#include "cli/keyval.h"
#include "hw/nic.h"
#include "hw/virtio_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio.h"
#include "hw/virtio_pci.h"
#include "net/checksum.h"
#include "util/log.h"

#define BE_HDR_LEN  ((unsigned)sizeof(struct virtio_net_hdr))   /* 10 */
#define MAX_PAYLOAD (NET_MAX_FRAME - BE_HDR_LEN)                /* Ethernet bytes */
#define BUF_SIZE    (12 + NET_MAX_FRAME)

struct virtio_net {
	struct virtio_pci vp;         /* first */
	struct net_client *nc;
	uint8_t mac[6];
	bool mrg_rxbuf;               /* offered */
	unsigned vectors;             /* MSI-X vectors (vectors=), 0 = INTx only */
	bool rx_busy, tx_busy, tx_again, tx_blocked;
	struct vq_elem *rx_first, *elem, *tx_elem;
	uint16_t *rx_heads;
	uint32_t *rx_lens;
	uint8_t *rx_buf, *tx_buf;
};

static struct virtqueue *rxq(struct virtio_net *s) { return &s->vp.vq[VIRTIO_NET_RXQ]; }
static struct virtqueue *txq(struct virtio_net *s) { return &s->vp.vq[VIRTIO_NET_TXQ]; }

static unsigned guest_hdr_len(const struct virtio_net *s)
{
	return virtio_pci_has_feature(&s->vp, VIRTIO_F_VERSION_1) ||
	       virtio_pci_has_feature(&s->vp, VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10;
}

static bool link_up(const struct virtio_net *s)
{
	return s->nc && !s->nc->link_down;
}

/* ------------------------------------------------------------------ */
/* Receive (backend -> guest)                                            */

static void rx_error(struct virtio_net *s)
{
	vq_set_broken(rxq(s));
	virtio_pci_set_needs_reset(&s->vp);
}

/* Frames we would drop anyway are taken (not queued). */
static bool rx_would_drop(struct virtio_net *s)
{
	return !virtio_pci_driver_ok(&s->vp) || !link_up(s) || !rxq(s)->ready || rxq(s)->broken;
}

static bool vn_can_receive(struct net_client *nc)
{
	struct virtio_net *s = nc->opaque;
	int n;

	if (!s || rx_would_drop(s))
		return true;
	if (s->rx_busy)
		return false;
	n = vq_avail_count(rxq(s));
	if (n < 0) {
		rx_error(s);
		return true;   /* dropped from now on */
	}
	return n > 0;
}

/* Pour s->rx_buf[0..size) into RX buffers: 1 done, 0 no room (nothing
 * consumed), -1 dropped. */
static int rx_deliver(struct virtio_net *s, size_t size, unsigned ghl)
{
	struct virtqueue *vq = rxq(s);
	bool mrg = virtio_pci_has_feature(&s->vp, VIRTIO_NET_F_MRG_RXBUF);
	unsigned count = 0;
	size_t off = 0;

	while (off < size) {
		struct vq_elem *e = count == 0 ? s->rx_first : s->elem;
		size_t n;
		int r;

		if (count >= vq->num) {          /* the whole ring cannot hold it */
			vq_unpop(vq, count);
			return -1;
		}
		r = vq_pop(vq, e);
		if (r < 0) {
			rx_error(s);
			return -1;
		}
		if (r == 0) {
			vq_unpop(vq, count);
			return 0;
		}
		if (e->out_num || (count == 0 && e->in_len < ghl)) {
			/* Readable buffers on the RX queue, or no room for the header. */
			rx_error(s);
			return -1;
		}
		n = size - off < e->in_len ? size - off : e->in_len;
		if (!mrg && n < size) {
			/* Without mergeable buffers it must fit one chain. */
			debug_report("virtio-net: %zu-byte frame does not fit a %zu-byte RX buffer",
				     size, e->in_len);
			vq_unpop(vq, count + 1);
			return -1;
		}
		if (vq_elem_write(vq, e, 0, s->rx_buf + off, n) != (long)n) {
			rx_error(s);
			return -1;
		}
		s->rx_heads[count] = e->head;
		s->rx_lens[count] = (uint32_t)n;
		count++;
		off += n;
	}
	if (ghl == 12) {
		uint8_t nb[2] = { (uint8_t)count, (uint8_t)(count >> 8) };
		if (vq_elem_write(vq, s->rx_first, 10, nb, 2) != 2) {
			rx_error(s);
			return -1;
		}
	}
	for (unsigned i = 0; i < count; i++)
		if (vq_fill(vq, s->rx_heads[i], s->rx_lens[i]) < 0)
			break;
	if (vq_flush(vq) < 0 || vq->broken) {
		rx_error(s);
		return -1;
	}
	virtio_pci_notify(&s->vp, VIRTIO_NET_RXQ);
	return 1;
}

static ssize_t vn_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct virtio_net *s = nc->opaque;
	struct virtio_net_hdr vh = { 0 };
	size_t total = 0, bhl, len, off = 0;
	unsigned ghl;
	int r;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!s || rx_would_drop(s))
		return (ssize_t)(total ? total : 1);
	if (s->rx_busy)
		return 0;
	bhl = nc->using_vnet_hdr ? BE_HDR_LEN : 0;
	if (total <= bhl || total - bhl > MAX_PAYLOAD)
		return (ssize_t)(total ? total : 1);
	len = total - bhl;
	ghl = guest_hdr_len(s);
	/* Flatten: backend header into vh, frame after the guest header. */
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		for (size_t k = 0; k < iov[i].iov_len;) {
			size_t n;
			if (off < bhl) {
				n = bhl - off < iov[i].iov_len - k ? bhl - off : iov[i].iov_len - k;
				memcpy((uint8_t *)&vh + off, p + k, n);
			} else {
				n = iov[i].iov_len - k;
				memcpy(s->rx_buf + ghl + (off - bhl), p + k, n);
			}
			off += n;
			k += n;
		}
	}
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* We never offer GUEST_TSO*: the backend must not send GSO. */
		debug_report("virtio-net: dropping GSO frame from backend");
		return (ssize_t)total;
	}
	if (!virtio_pci_has_feature(&s->vp, VIRTIO_NET_F_GUEST_CSUM)) {
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			csum_complete(s->rx_buf + ghl, len, vh.csum_start, vh.csum_offset);
		memset(&vh, 0, sizeof(vh));
	}
	memset(s->rx_buf, 0, ghl);
	memcpy(s->rx_buf, &vh, sizeof(vh));
	s->rx_busy = true;
	r = rx_deliver(s, ghl + len, ghl);
	s->rx_busy = false;
	return r == 0 ? 0 : (ssize_t)total;
}

static void rx_kick(struct virtio_net *s)
{
	if (s->nc && !s->rx_busy)
		net_client_flush(s->nc);
}

/* ------------------------------------------------------------------ */
/* Transmit (guest -> backend)                                           */

static void tx_error(struct virtio_net *s)
{
	vq_set_broken(txq(s));
	virtio_pci_set_needs_reset(&s->vp);
}

/* Send one popped chain; false on a protocol error. */
static bool tx_one(struct virtio_net *s, const struct vq_elem *e)
{
	unsigned ghl = guest_hdr_len(s);
	struct virtio_net_hdr vh;
	struct iovec iov[2];
	size_t len;
	ssize_t sent;

	if (e->in_num)
		return false;   /* writable buffers on the TX queue */
	if (e->out_len < ghl || e->out_len - ghl > MAX_PAYLOAD || e->out_len == ghl) {
		debug_report("virtio-net: dropping TX chain of %zu bytes", e->out_len);
		return true;
	}
	len = e->out_len - ghl;
	if (vq_elem_read(txq(s), e, 0, s->tx_buf, e->out_len) != (long)e->out_len)
		return false;
	memcpy(&vh, s->tx_buf, sizeof(vh));
	if (s->nc->using_vnet_hdr) {
		iov[0] = (struct iovec){ &vh, sizeof(vh) };
		iov[1] = (struct iovec){ s->tx_buf + ghl, len };
		sent = net_send(s->nc, iov, 2);
	} else {
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			debug_report("virtio-net: dropping GSO frame (not negotiated)");
			return true;
		}
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			csum_complete(s->tx_buf + ghl, len, vh.csum_start, vh.csum_offset);
		iov[0] = (struct iovec){ s->tx_buf + ghl, len };
		sent = net_send(s->nc, iov, 1);
	}
	if (sent == 0)
		s->tx_blocked = true;   /* queued by net core; wait for on_drained */
	return true;
}

static void tx_run(struct virtio_net *s)
{
	struct virtqueue *vq = txq(s);

	if (s->tx_busy) {
		s->tx_again = true;
		return;
	}
	s->tx_busy = true;
	do {
		unsigned budget = vq->num;   /* a kick is bounded; the driver kicks again */
		bool done = false, sent = false;

		s->tx_again = false;
		while (budget-- && !s->tx_blocked && virtio_pci_driver_ok(&s->vp) && vq->ready &&
		       !vq->broken && s->nc) {
			int r = vq_pop(vq, s->tx_elem);
			if (r < 0) {
				tx_error(s);
				break;
			}
			if (r == 0)
				break;
			if (!tx_one(s, s->tx_elem)) {
				tx_error(s);
				break;
			}
			sent = true;
			if (vq_fill(vq, s->tx_elem->head, 0) < 0 || vq_flush(vq) < 0) {
				tx_error(s);
				break;
			}
			done = true;
		}
		if (done)
			virtio_pci_notify(&s->vp, VIRTIO_NET_TXQ);
		/* The batch ends (net.h ops->poll): answers already there come in, a stream backend
		 * writes what it queued, even when the used ring then failed. */
		if (sent)
			net_client_poll_peer(s->nc);
	} while (s->tx_again);
	s->tx_busy = false;
}

static void vn_on_drained(struct net_client *nc)
{
	struct virtio_net *s = nc->opaque;

	if (!s)
		return;
	s->tx_blocked = false;
	tx_run(s);
}

static void vn_link_status_changed(struct net_client *nc)
{
	struct virtio_net *s = nc->opaque;

	if (s)
		virtio_pci_config_changed(&s->vp);
}

static void vn_cleanup(struct net_client *nc)
{
	struct virtio_net *s = nc->opaque;
	if (s)
		s->nc = NULL;
}

static void vn_report(struct net_client *nc, char *buf, size_t len)
{
	struct virtio_net *s = nc->opaque;
	struct virtqueue *r, *t;

	if (!s)
		return;
	r = rxq(s);
	t = txq(s);
	snprintf(buf, len, "rx %s popped %u used %u, tx %s popped %u used %u pending %u, line %d%s%s%s",
		 r->broken ? "broken" : r->ready ? "ready" : "off", r->last_avail_idx, r->used_idx,
		 t->broken ? "broken" : t->ready ? "ready" : "off", t->last_avail_idx, t->used_idx,
		 t->pending, s->vp.pci.irq_level, s->rx_busy ? ", receiving" : "",
		 s->tx_busy ? ", transmitting" : "", s->tx_blocked ? ", transmit blocked" : "");
}

static const struct net_client_ops vn_net_ops = {
	.type = "virtio-net-pci",
	.is_nic = true,
	.receive = vn_receive,
	.can_receive = vn_can_receive,
	.on_drained = vn_on_drained,
	.link_status_changed = vn_link_status_changed,
	.report = vn_report,
	.cleanup = vn_cleanup,
};

/* ------------------------------------------------------------------ */
/* Transport hooks                                                       */

static void vn_config_read(void *opaque, unsigned off, uint8_t *data, unsigned len)
{
	struct virtio_net *s = opaque;
	uint8_t c[VIRTIO_NET_CONFIG_LEN];
	uint16_t st = link_up(s) ? VIRTIO_NET_S_LINK_UP : 0;

	memcpy(c, s->mac, 6);
	c[6] = (uint8_t)st;
	c[7] = (uint8_t)(st >> 8);
	for (unsigned i = 0; i < len; i++)
		data[i] = off + i < sizeof(c) ? c[off + i] : 0;
}

static void vn_queue_notify(void *opaque, unsigned q)
{
	struct virtio_net *s = opaque;

	if (q == VIRTIO_NET_RXQ)
		rx_kick(s);
	else if (q == VIRTIO_NET_TXQ)
		tx_run(s);
}

static void vn_status_changed(void *opaque, uint8_t status)
{
	struct virtio_net *s = opaque;

	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(s->vp.status_seen & VIRTIO_STATUS_DRIVER_OK)) {
		struct virtio_pci *vp = &s->vp;
		if (vp->nvectors && pci_msix_enabled(&vp->pci))
			debug_report("virtio-net: driver ready (%s interface), features 0x%llx, MSI-X "
				     "vectors config %d rx %d tx %d",
				     vp->modern ? "modern" : "legacy", (unsigned long long)vp->guest_features,
				     vp->config_vector == VIRTIO_MSI_NO_VECTOR ? -1 : vp->config_vector,
				     vp->queue_vector[VIRTIO_NET_RXQ] == VIRTIO_MSI_NO_VECTOR ? -1 :
				     vp->queue_vector[VIRTIO_NET_RXQ],
				     vp->queue_vector[VIRTIO_NET_TXQ] == VIRTIO_MSI_NO_VECTOR ? -1 :
				     vp->queue_vector[VIRTIO_NET_TXQ]);
		else
			debug_report("virtio-net: driver ready (%s interface), features 0x%llx, INTx",
				     vp->modern ? "modern" : "legacy", (unsigned long long)vp->guest_features);
	}
	s->vp.status_seen = status;
	if (status & VIRTIO_STATUS_DRIVER_OK) {
		rx_kick(s);
		tx_run(s);
	}
}

static void vn_dma_enabled(void *opaque)
{
	vn_status_changed(opaque, ((struct virtio_net *)opaque)->vp.status);
}

static const struct virtio_dev_ops vn_dev_ops = {
	.config_read = vn_config_read,
	.config_write = NULL,   /* MAC is read-only (no CTRL_MAC_ADDR) */
	.queue_notify = vn_queue_notify,
	.status_changed = vn_status_changed,
	.dma_enabled = vn_dma_enabled,
};

/* ------------------------------------------------------------------ */
/* Life cycle                                                            */

struct pci_dev *virtio_net_pci_dev(struct virtio_net *s) { return &s->vp.pci; }
struct net_client *virtio_net_client(struct virtio_net *s) { return s->nc; }
struct virtio_pci *virtio_net_transport(struct virtio_net *s) { return &s->vp; }
void virtio_net_get_mac(const struct virtio_net *s, uint8_t mac[6]) { memcpy(mac, s->mac, 6); }

void virtio_net_reset(struct virtio_net *s)
{
	virtio_pci_reset(&s->vp);
	pci_msix_reset(&s->vp.pci);
}

/* A bare "key" means key=on, as QEMU's device properties. */
static int vn_parse_bool(const char *key, const char *v, bool *out)
{
	if (!v) {
		*out = true;
		return 0;
	}
	if (parse_bool(v, out) < 0) {
		error_report("Parameter '%s' expects 'on' or 'off'", key);
		return -1;
	}
	return 0;
}

static int parse_opts(struct virtio_net *s, const struct nic_config *cfg)
{
	s->mrg_rxbuf = true;
	s->vectors = VIRTIO_NET_DEFAULT_VECTORS;
	for (size_t i = 0; i < cfg->opts.n; i++) {
		struct kv *kv = &cfg->opts.items[i];
		if (!strcmp(kv->key, "mrg_rxbuf")) {
			kv->used = true;
			if (vn_parse_bool(kv->key, kv->value, &s->mrg_rxbuf) < 0)
				return -1;
		} else if (!strcmp(kv->key, "vectors")) {
			/* MSI-X vectors; 0 = no MSI-X capability (INTx). */
			char *end;
			unsigned long n;
			kv->used = true;
			if (!kv->value || (n = strtoul(kv->value, &end, 0)) > 0xffff || *end ||
			    end == kv->value || kv->value[0] == '-') {
				error_report("Property 'virtio-net-pci.vectors' expects a number");
				return -1;
			}
			if (n > PCI_MSIX_MAX_VECTORS) {
				error_report("virtio-net-pci: vectors=%lu: at most %d MSI-X vectors are "
					     "supported", n, PCI_MSIX_MAX_VECTORS);
				return -1;
			}
			s->vectors = (unsigned)n;
		} else if (!kv->used) {
			error_report("Property 'virtio-net-pci.%s' not found", kv->key);
			return -1;
		}
	}
	return 0;
}

struct virtio_net *virtio_net_create(struct pci_bus *pbus, const struct nic_config *cfg,
				     struct net_client *peer)
{
	struct virtio_net *s = calloc(1, sizeof(*s));
	uint64_t f;

	if (!s) {
		error_report("virtio-net: out of memory");
		return NULL;
	}
	s->rx_first = malloc(sizeof(struct vq_elem));
	s->elem = malloc(sizeof(struct vq_elem));
	s->tx_elem = malloc(sizeof(struct vq_elem));
	s->rx_heads = calloc(VQ_MAX_SIZE, sizeof(*s->rx_heads));
	s->rx_lens = calloc(VQ_MAX_SIZE, sizeof(*s->rx_lens));
	s->rx_buf = malloc(BUF_SIZE);
	s->tx_buf = malloc(BUF_SIZE);
	if (!s->rx_first || !s->elem || !s->tx_elem || !s->rx_heads || !s->rx_lens || !s->rx_buf ||
	    !s->tx_buf) {
		error_report("virtio-net: out of memory");
		goto fail;
	}
	if (parse_opts(s, cfg) < 0)
		goto fail;
	if (nic_pick_mac(cfg, "virtio-net-pci", s->mac) < 0)
		goto fail;
	s->nc = nic_client_new(&vn_net_ops, cfg, "virtio-net-pci", s, peer);
	if (!s->nc)
		goto fail;
	if (peer)
		net_client_set_vnet_hdr(s->nc, true);

	f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS;
	if (s->mrg_rxbuf)
		f |= 1ull << VIRTIO_NET_F_MRG_RXBUF;
	if (s->nc->using_vnet_hdr)
		f |= 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
		     1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_HOST_TSO6;
	if (virtio_pci_init(&s->vp, "virtio-net-pci", VIRTIO_NET_PCI_DEVICE_ID, VIRTIO_ID_NET,
			    0x020000, f, VIRTIO_NET_CONFIG_LEN, 2, VIRTIO_NET_QUEUE_SIZE,
			    &vn_dev_ops, s) < 0) {
		error_report("virtio-net: cannot set up the PCI transport");
		goto fail;
	}
	/* MSI-X only where the bus can deliver messages (KVM_SIGNAL_MSI). */
	if (s->vectors && !pbus->signal_msi)
		debug_report("virtio-net: no MSI delivery on this machine, using INTx");
	else if (virtio_pci_init_msix(&s->vp, s->vectors) < 0) {
		error_report("virtio-net: cannot set up MSI-X");
		goto fail;
	}
	if (pci_bus_add(pbus, &s->vp.pci, cfg->slot) < 0)
		goto fail;
	return s;
fail:
	virtio_net_destroy(s);
	return NULL;
}

void virtio_net_destroy(struct virtio_net *s)
{
	if (!s)
		return;
	nic_client_free(&s->nc);
	free(s->rx_first);
	free(s->elem);
	free(s->tx_elem);
	free(s->rx_heads);
	free(s->rx_lens);
	free(s->rx_buf);
	free(s->tx_buf);
	free(s);
}
