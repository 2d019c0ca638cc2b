# shellcheck shell=bash
# Helpers for lab scenarios. Scenarios run inside the lab host (L1) as root, under bash, and
# report with result(): "LAB-RESULT <test> PASS|FAIL <detail>" lines that run-lab.sh collects.
set -uo pipefail

LAB_KERNEL=${LAB_KERNEL:-/lab/l2/bzImage}
LAB_INITRD=${LAB_INITRD:-/lab/l2/initrd.cpio}
LAB_L2_TIMEOUT=${LAB_L2_TIMEOUT:-60}
LAB_FW=/usr/share/qemu-lab
# Kernel command line every L2 boot starts with.
# shellcheck disable=SC2034
L2_APPEND="console=ttyS0 quiet panic=-1"

result() { # result TEST PASS|FAIL DETAIL...
	local t=$1 s=$2
	shift 2
	echo "LAB-RESULT $t $s $*"
}

# irq_result TEST IRQ GLOB: the guest's "L2-IRQ ethN" value (chip, pin-type, name, from
# /proc/interrupts) against GLOB: the trigger mode the guest took from the VMM's ACPI tables.
irq_result() {
	# shellcheck disable=SC2053 # GLOB is a pattern
	if [[ $2 == $3 ]]; then
		result "$1" PASS "interrupt: $2"
	else
		result "$1" FAIL "interrupt '${2:-none}', want $3"
	fi
}

# spec_env SPEC: a scenario's "VMM[@VAR=VALUE...]" argument (several joined by "@"): sets vmm,
# exports the variables for the runs that follow; spec_env_clear unsets them again. A spec's
# LAB_CPU=MODEL becomes spec_cpu=(-cpu MODEL), for the scenarios that pass "${spec_cpu[@]}".
spec_env() {
	vmm=${1%%@*} spec_envs=() spec_cpu=()
	[ "$1" = "$vmm" ] || IFS=@ read -ra spec_envs <<<"${1#*@}"
	[ ${#spec_envs[@]} -eq 0 ] || export "${spec_envs[@]}"
	[ -z "${LAB_CPU:-}" ] || spec_cpu=(-cpu "$LAB_CPU")
}
spec_env_clear() {
	local e
	for e in "${spec_envs[@]}"; do unset "${e%%=*}"; done
	spec_envs=() spec_cpu=()
}
# median_of FORMAT: the median of the numbers on stdin (separated by spaces, commas or lines)
# printed with FORMAT (printf); nothing when there are none.
median_of() {
	tr ', ' '\n\n' | sed '/^$/d' | sort -g | awk -v f="$1" '{ v[NR] = $1 } END {
		if (NR) printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

now() { local u; read -r u _ </proc/uptime; echo "$u"; }

# vmm_prefix VMM: set VMM_PREFIX to the command that starts VMM (qemu|skiff|/path/to/binary).
# QEMU gets what it needs inside the lab (firmware dir, no VGA, no NIC option ROMs: the lab has
# no iPXE, and no default NIC unless L2_DEFAULT_NIC=1); skiff nothing.
vmm_prefix() {
	case "$1" in
	qemu)
		VMM_PREFIX=(qemu-system-x86_64 -L "$LAB_FW" -vga none -global e1000.romfile=
			-global virtio-net-pci.romfile=)
		[ "${L2_DEFAULT_NIC:-0}" = 1 ] || VMM_PREFIX+=(-nic none)
		;;
	skiff) VMM_PREFIX=(skiff) ;;
	*) VMM_PREFIX=("$1") ;;
	esac
}

# vmm_quit_signal VMM: the signal that stops a VMM whose run is given up on (a timeout, a
# failed measurement): skiff's SIGQUIT reports the guest's vCPUs, interrupt controller, UART
# and NICs before it exits; QEMU has no such report (SIGTERM).
vmm_quit_signal() {
	case "$1" in
	skiff | */skiff) echo QUIT ;;
	*) echo TERM ;;
	esac
}

# vmm_name VMM: the program name a VMM uses in its error messages.
vmm_name() {
	case "$1" in
	qemu) echo qemu-system-x86_64 ;;
	*) basename "$1" ;;
	esac
}

have_vmm() { # have_vmm VMM: is the VMM's binary in this lab?
	vmm_prefix "$1"
	command -v "${VMM_PREFIX[0]}" >/dev/null 2>&1
}

# child_pid PID: the first child process of PID (the VMM under `timeout`).
child_pid() {
	local f stat fields
	for f in /proc/[0-9]*/stat; do
		read -r stat <"$f" 2>/dev/null || continue
		read -r -a fields <<<"${stat##*) }"
		if [ "${fields[1]:-}" = "$1" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
			return 0
		fi
	done
	return 1
}

# smaps_own PID: print "rss_kb guest_kb own_kb": total RSS, RSS of the guest-RAM mapping (the
# largest anonymous mapping) and the VMM's own memory (the difference).
smaps_own() {
	awk '
	/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF < 6 || $6 ~ /^\[anon/); cur = NR; next }
	/^Size:/ { size = $2; next }
	/^Rss:/ {
		total += $2
		if (anon && size > gsize) { gsize = size; grss = $2 }
		next
	}
	END { printf "%d %d %d %d\n", total, grss, total - grss, gsize }
	' "/proc/$1/smaps"
}

# smaps_thp PID: "guest RAM rss N kB thp N kB": how much of the guest-RAM mapping (the
# largest anonymous one, as smaps_own picks it) is resident and how much in huge pages.
smaps_thp() {
	awk '
	/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF < 6 || $6 ~ /^\[anon/); next }
	/^Size:/ { size = $2; next }
	/^Rss:/ { rss = $2; next }
	/^AnonHugePages:/ { if (anon && size > gsize) { gsize = size; grss = rss; gthp = $2 } }
	END { printf "guest RAM rss %d kB thp %d kB\n", grss, gthp }
	' "/proc/$1/smaps"
}

# cpu_since CPULINE PID: the lab host's busy and idle CPU seconds since CPULINE (the "cpu" line
# of /proc/stat; user to steal: guest time is counted in user already), and PID's threads' CPU
# seconds (utime + stime): see L2_CPU.
cpu_since() {
	local now_line
	read -r now_line </proc/stat
	awk -v a="$1" -v b="$now_line" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
		for (i = 2; i <= n && i <= 9; i++) { d = y[i] - x[i]; if (i == 5 || i == 6) idle += d; else busy += d }
		printf "l1 busy=%.2f idle=%.2f threads", busy / 100, idle / 100 }'
	# one awk for all threads (comm may hold spaces: split after its closing parenthesis)
	awk '{ s = $0; sub(/^[^(]*\(/, "", s); c = s; sub(/\).*/, "", c); sub(/^[^)]*\) /, "", s)
		split(s, f, " "); gsub(/ /, "_", c); printf " %s:%.2f", c, (f[12] + f[13]) / 100 }
		END { print "" }' /proc/"$2"/task/*/stat 2>/dev/null
}

# l2_run TAG VMM [VMM ARGS...]: run one L2 guest under a timeout; its console goes to
# /tmp/l2-TAG.log (CRs stripped) and to this console prefixed with [TAG]. Sets:
#   L2_RC         the VMM's exit status (124: killed by the timeout, 127: no such VMM)
#   L2_SECS       wall seconds from start to exit
#   L2_INIT_SECS  seconds from start to the guest's L2-INIT-OK line ("" if never seen)
#   L2_LOG        the log file
# and records when each kind of "L2-..." line first appeared (l2_time KEY after the run; the
# timeout process's pid is in /tmp/l2-TAG.pid while it runs: l2_stop TAG ends the VMM).
#   L2_MEM        "rss_kb guest_kb own_kb guest_size_kb" sampled from /proc/PID/smaps right
#                 after L2-INIT-OK when L2_SAMPLE_MEM=1 (else "")
#   L2_CPU        with L2_SAMPLE_MEM=1 too: the lab host's CPU time from the VMM's start to
#                 L2-INIT-OK (busy/idle seconds over all its CPUs) and the VMM's threads' CPU
#                 seconds ("l1 busy=.. idle=.. threads name:s,...")
l2_run() {
	local tag=$1 vmm=$2
	shift 2
	vmm_prefix "$vmm"
	L2_LOG=/tmp/l2-$tag.log
	L2_RC=127 L2_SECS=0 L2_INIT_SECS="" L2_MEM="" L2_CPU=""
	local fifo=/tmp/l2-$tag.fifo mark=/tmp/l2-$tag.mark notify t0 t1 tpid awkpid vpid ev cpu0
	rm -f "$fifo" "$mark" "$L2_LOG" "/tmp/l2-$tag.times" "/tmp/l2-$tag.pid" "/tmp/l2-$tag.mem"
	if ! have_vmm "$vmm"; then
		echo "[$tag] no VMM binary: ${VMM_PREFIX[0]}" | tee "$L2_LOG"
		return 0
	fi
	echo "[$tag] \$ ${VMM_PREFIX[*]} $*"
	mkfifo "$fifo"
	read -r cpu0 </proc/stat
	t0=$(now)
	# The awk filter timestamps the init marker; with L2_SAMPLE_MEM=1 it also tells this shell
	# (through the fifo $notify, once: at the marker or at the end) so no polling loop runs.
	notify=""
	if [ "${L2_SAMPLE_MEM:-0}" = 1 ]; then
		notify=/tmp/l2-$tag.notify
		rm -f "$notify"
		mkfifo "$notify"
	fi
	awk -v tag="$tag" -v logf="$L2_LOG" -v mark="$mark" -v t0="$t0" -v notify="$notify" \
		-v times="/tmp/l2-$tag.times" '
	{
		sub(/\r+$/, "")
		print > logf
		fflush(logf)
		print "[" tag "] " $0
		fflush()
		# (anywhere in the line: the QEMU console puts terminal escapes before the first one)
		if (match($0, /L2-[A-Z0-9-]+( [A-Z]+)?/)) {
			k = substr($0, RSTART, RLENGTH)
			gsub(/ /, "_", k)
			if (!(k in when)) {
				getline up < "/proc/uptime"
				close("/proc/uptime")
				split(up, a, " ")
				when[k] = 1
				printf "%s %.2f\n", k, a[1] - t0 >> times
				fflush(times)
			}
		}
		if (!seen && /L2-INIT-OK/) {
			seen = 1
			getline up < "/proc/uptime"
			split(up, a, " ")
			printf "%.2f\n", a[1] - t0 > mark
			close(mark)
			if (notify != "") { print "init" > notify; close(notify) }
		}
	}
	END { if (notify != "" && !seen) { print "end" > notify; close(notify) } }' <"$fifo" &
	awkpid=$!
	echo "$vmm" >"/tmp/l2-$tag.vmm"
	timeout -k 5 -s "$(vmm_quit_signal "$vmm")" "${L2_TIMEOUT:-$LAB_L2_TIMEOUT}" "${VMM_PREFIX[@]}" "$@" </dev/null >"$fifo" 2>&1 &
	tpid=$!
	echo "$tpid" >"/tmp/l2-$tag.pid"
	if [ -n "$notify" ]; then
		read -r ev <"$notify"
		if [ "$ev" = init ] && vpid=$(child_pid "$tpid"); then
			# shellcheck disable=SC2034
			L2_MEM=$(smaps_own "$vpid" 2>/dev/null)
			echo "$L2_MEM" >"/tmp/l2-$tag.mem"
			L2_CPU="$(cpu_since "$cpu0" "$vpid"), $(smaps_thp "$vpid" 2>/dev/null)"
		fi
		rm -f "$notify"
	fi
	wait "$tpid"
	L2_RC=$?
	t1=$(now)
	wait "$awkpid"
	rm -f "$fifo"
	L2_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	[ -e "$mark" ] && L2_INIT_SECS=$(cat "$mark")
	rm -f "/tmp/l2-$tag.pid"
	echo "[$tag] exit status $L2_RC after ${L2_SECS}s (init marker after ${L2_INIT_SECS:-never}s)"
	return 0
}

# l2_time TAG KEY: seconds from the VMM's start to the first "KEY" line of run TAG, where KEY
# is a line's first word plus its second when that is upper case, spaces as _ ("L2-NET_OK").
l2_time() { awk -v k="$2" '$1 == k { print $2; exit }' "/tmp/l2-$1.times" 2>/dev/null; }

# l2_bg TAG VMM ARGS...: l2_run in the background; its exit status goes to /tmp/l2-TAG.rc.
# Then: l2_wait TAG REGEX SECS (until the log has a line matching REGEX: status 0, or the run
# ended / SECS passed: 1), l2_stop TAG (SIGTERM to the VMM), l2_join TAG (wait; sets L2_LOG, L2_RC).
declare -A L2_BG=()
l2_bg() {
	local tag=$1
	rm -f "/tmp/l2-$tag.rc" "/tmp/l2-$tag.log"
	(
		l2_run "$@"
		echo "$L2_RC" >"/tmp/l2-$tag.rc"
	) &
	L2_BG[$tag]=$!
}
l2_wait() {
	local tag=$1 re=$2 secs=$3 i
	for ((i = 0; i < secs * 4; i++)); do
		grep -qE -- "$re" "/tmp/l2-$tag.log" 2>/dev/null && return 0
		[ -e "/tmp/l2-$tag.rc" ] && { grep -qE -- "$re" "/tmp/l2-$tag.log" 2>/dev/null; return; }
		sleep 0.25
	done
	return 1
}
# l2_stop TAG [quit]: with "quit", the run is being given up on (its guest went silent or a
# measurement failed): skiff then gets SIGQUIT and prints its guest's state as it stops.
# With the lab's L1 KVM trace on (LAB_TF_TRACE=1), "quit" also prints the trace's last events
# of the VMM's threads first (LAB-STUCK lines): what L1 KVM did with a guest that went silent.
l2_stop() {
	local p sig=TERM
	p=$(cat "/tmp/l2-$1.pid" 2>/dev/null) || return 0
	if [ "${2:-}" = quit ]; then
		sig=$(vmm_quit_signal "$(cat "/tmp/l2-$1.vmm" 2>/dev/null)")
		l2_trace_tail "$1"
	fi
	kill -s "$sig" "$p" 2>/dev/null || true
}
l2_trace_tail() {
	local tr=/sys/kernel/tracing/trace pid tids
	[ "${LAB_TF_TRACE:-0}" = 1 ] && [ -r "$tr" ] || return 0
	pid=$(l2_vmm_pid "$1") || return 0
	tids=$(ls "/proc/$pid/task" 2>/dev/null | paste -sd'|') || return 0
	[ -n "$tids" ] || return 0
	echo "LAB-STUCK $1 L1 KVM trace before the stop (the last 80 events of the VMM's threads):"
	grep -v '^#' "$tr" | grep -E -- "-($tids) +\[" | tail -n 80 | sed "s/^/LAB-STUCK $1 /" || true
}
l2_join() {
	local tag=$1
	[ -n "${L2_BG[$tag]:-}" ] && wait "${L2_BG[$tag]}" 2>/dev/null
	L2_LOG=/tmp/l2-$tag.log
	L2_RC=$(cat "/tmp/l2-$tag.rc" 2>/dev/null || echo '?')
}

# logline TAG REGEX: the first line of run TAG's log matching REGEX (extended), or "".
logline() { grep -m1 -E -- "$2" "/tmp/l2-$1.log" 2>/dev/null || true; }

# l2_boots TAG: how many times TAG's guest reached its init (more than 1: it was reset).
l2_boots() { grep -c 'L2-INIT-OK' "/tmp/l2-$1.log" 2>/dev/null || true; }

# vmm_stat_cpu PID: utime+stime of PID in seconds (from /proc/PID/stat).
vmm_stat_cpu() {
	local stat f hz
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	read -r -a f <<<"${stat##*) }"
	hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
	awk -v u="${f[11]}" -v s="${f[12]}" -v hz="$hz" 'BEGIN { printf "%.2f\n", (u + s) / hz }'
}

# l2_vmm_pid TAG: the VMM's pid of a running l2_run (the child of its timeout process).
l2_vmm_pid() {
	local p
	p=$(cat "/tmp/l2-$1.pid" 2>/dev/null) || return 1
	child_pid "$p"
}

# fact KEY: the value the guest reported as "L2-FACT KEY=VALUE" in the last l2_run.
# A kernel message can land inside a fact's line (the guest's tty still held the line's end when
# it powered off: "L2-FACT hres_active=1[    8.607886] reboot: Power down"): cut it off.
fact() { sed -n "/^L2-FACT $1=/{s/^L2-FACT $1=//;s/\[ *[0-9]*\.[0-9]*\].*//;p}" "$L2_LOG" 2>/dev/null | tail -n1; }

seen() { grep -q -- "$1" "$L2_LOG" 2>/dev/null; }

# flags_minus A B: the words of A that B lacks (the lab host has no comm).
flags_minus() { awk -v a="$1" -v b="$2" 'BEGIN { n = split(b, w, " "); for (i = 1; i <= n; i++) in_b[w[i]] = 1
	n = split(a, w, " "); for (i = 1; i <= n; i++) if (!(w[i] in in_b)) printf "%s%s", s++ ? " " : "", w[i] }'; }

# cpuflags_vs_qemu VMM TEST REF VMM-ARGS...: after a QEMU run, keep the CPU flags its guest
# listed (L2-FACT cpu_flags) in REF; after a skiff run, compare its guest's with them (REF from
# this lab host's QEMU run of the same arguments, or QEMU boots here to get them).
cpuflags_vs_qemu() {
	local vmm=$1 t=$2 ref=$3 flags want only_skiff only_qemu
	shift 3
	if [ "$vmm" = qemu ]; then
		fact cpu_flags >"$ref"
		return 0
	fi
	flags=$(fact cpu_flags | tr -d '\r')
	if [ ! -s "$ref" ]; then
		l2_run "$t-ref-qemu" qemu "$@"
		fact cpu_flags >"$ref"
	fi
	want=$(tr -d '\r' <"$ref")
	if [ -z "$flags" ] || [ -z "$want" ]; then
		result "$t" FAIL "no flags line (skiff: '${flags:0:40}', QEMU: '${want:0:40}')"
	elif [ "$flags" = "$want" ]; then
		result "$t" PASS "the guest's $(wc -w <<<"$flags") CPU flags are QEMU's"
	else
		only_skiff=$(flags_minus "$flags" "$want")
		only_qemu=$(flags_minus "$want" "$flags")
		# skiff adds ARAT to every model: its machine has no HPET to broadcast the tick from,
		# so without it the guest's LAPIC timer stays periodic (src/vm/cpuid.c).
		if [ -z "$only_qemu" ] && [ "$(echo $only_skiff)" = arat ]; then
			result "$t" PASS "the guest's $(wc -w <<<"$want") CPU flags are QEMU's, plus arat (no HPET here)"
		else
			result "$t" FAIL "only under skiff: ${only_skiff:-none}; only under QEMU: ${only_qemu:-none}"
		fi
	fi
}

# why: a short reason for a failed boot, from the exit status and the log's last line.
why() {
	local last
	last=$(grep -v '^\s*$' "$L2_LOG" 2>/dev/null | tail -n1 | cut -c1-100)
	case "$L2_RC" in
	124 | 137) echo "timed out after ${LAB_L2_TIMEOUT}s; last line: ${last:-<no output>}" ;;
	*) echo "exit status $L2_RC; last line: ${last:-<no output>}" ;;
	esac
}

# lab_bridge: the seed notes' network in the lab host: bridge br1 192.168.11.33/24 (no STP,
# no forward delay) with the persistent taps tap0 and tap1 enslaved and up. Idempotent.
lab_bridge() {
	local t
	if ! /bin/ip link show br1 >/dev/null 2>&1; then
		/bin/ip link add br1 type bridge forward_delay 0
		/bin/ip addr add 192.168.11.33/24 dev br1
		/bin/ip link set br1 up
	fi
	for t in tap0 tap1; do
		/bin/ip link show "$t" >/dev/null 2>&1 && continue
		/bin/ip tuntap add dev "$t" mode tap
		/bin/ip link set "$t" master br1
		/bin/ip link set "$t" up
	done
}

# passt_start SOCK LOG [PASST_ARG...]: passt (the Debian package) serving one guest on the unix
# socket SOCK (MTU 1500: the e1000 takes no 65520), its output in LOG, its pid in PASST_PID.
# Returns 1 with the reason in PASST_WHY when passt cannot run here (not installed, or it
# failed to sandbox itself). passt copies the addresses of the interface with the default
# route: a veth pair, vpa 192.168.12.1/24 (idempotent). passt sandboxes itself
# unconditionally: pivot_root fails (EINVAL) while the lab host's root is the initramfs'
# rootfs, and in a plain chroot it may not create its user namespace (EPERM). So it runs in a
# mount namespace whose root is a bind mount of / moved over rootfs (what switch_root does,
# without copying): there both work.
passt_start() {
	local sock=$1 log=$2
	shift 2
	PASST_PID="" PASST_WHY=""
	if ! command -v passt >/dev/null; then
		PASST_WHY="no passt in the lab (Debian package passt; tests/lab/deps.sh installs it)"
		return 1
	fi
	if ! /bin/ip link show vpa >/dev/null 2>&1; then
		/bin/ip link add vpa type veth peer name vpb
		/bin/ip addr add 192.168.12.1/24 dev vpa
		/bin/ip link set vpa up
		/bin/ip link set vpb up
		/bin/ip route add default via 192.168.12.254 dev vpa 2>/dev/null
	fi
	rm -f "$sock" "$log"
	unshare -m sh -c 'mkdir -p /.passt-root && mount -o rbind / /.passt-root &&
		cd /.passt-root && mount -o move . / && exec chroot . "$@"' sh \
		passt -f -e -1 -s "$sock" -m 1500 -i vpa "$@" >"$log" 2>&1 &
	PASST_PID=$!
	sleep 2
	if ! kill -0 "$PASST_PID" 2>/dev/null && grep -q 'Failed to sandbox\|user namespace' "$log"; then
		PASST_WHY="passt cannot run in the lab host: $(grep -v syslog "$log" | tail -n 2 | tr '\n' ' ' | head -c 160)"
		return 1
	fi
	wait_file "$sock" 15 && return 0
	PASST_WHY="passt made no socket in 15 s: $(grep -v syslog "$log" | tail -n 2 | tr '\n' ' ' | head -c 160)"
	return 1
}

# bg_stop VAR: end the background helper whose pid is in variable VAR (if any) and clear VAR.
bg_stop() {
	local n=$1
	[ -n "${!n:-}" ] || return 0
	kill "${!n}" 2>/dev/null
	wait "${!n}" 2>/dev/null
	printf -v "$n" '%s' ""
}

# passt_stop: end passt_start's passt (it also ends itself when its guest goes: -1).
passt_stop() { bg_stop PASST_PID; }

# for_rounds ROUNDS FN SPEC...: "FN ROUND K SPEC" for each round and spec, interleaved, with
# the spec's variables set (spec_env: vmm is its VMM); K numbers the specs of a round (two specs
# of one VMM must not share a log).
for_rounds() {
	local rounds=$1 fn=$2 i k spec
	shift 2
	for ((i = 1; i <= rounds; i++)); do
		k=0
		for spec in "$@"; do
			k=$((k + 1))
			spec_env "$spec"
			"$fn" "$i" "$k" "$spec"
			spec_env_clear
		done
	done
}

# tap_ping_guest [APPEND...]: the VMM arguments of the tap ping guest (the bench's tap ping
# without its iperf3: e1000 on tap1, 192.168.11.2 pings the lab host) in TAP_PING_GUEST.
# ping_rtts TAG: its round-trip times, comma-separated.
tap_ping_guest() {
	# shellcheck disable=SC2034,SC2054 # (used by the scenarios; the commas are QEMU's)
	TAP_PING_GUEST=(-enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic
		-append "$L2_APPEND lab.action=static,pingtest lab.ip=192.168.11.2/24 lab.ping_target=192.168.11.33${1:+ $*}"
		-netdev tap,id=n0,ifname=tap1,script=no,downscript=no -device e1000,netdev=n0,mac=52:55:00:d1:55:02)
}
ping_rtts() { sed -n 's/^L2-PINGTEST target=[^ ]* rtts=//p' "/tmp/l2-$1.log" | head -n1; }

# wait_tcp_listen PORT SECS: until something listens on TCP PORT (from /proc/net/tcp{,6}).
wait_tcp_listen() {
	local hex i
	hex=$(printf ':%04X ' "$1")
	for ((i = 0; i < $2 * 4; i++)); do
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h="$hex" '$2 ~ h"$" || index($2 " ", h) { if ($4 == "0A") f = 1 } END { exit !f }' && return 0
		sleep 0.25
	done
	return 1
}

# wait_file PATH SECS: until PATH exists.
wait_file() {
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.25
	done
	return 1
}

# streamtap_start SOCK LOG: bench/streamtap relaying a stream peer on unix socket SOCK to tap0
# (br1), its stderr to LOG; waits for the socket. STREAMTAP_PID. 1 when the lab has no streamtap.
streamtap_start() {
	STREAMTAP_PID=""
	command -v streamtap >/dev/null || return 1
	rm -f "$1"
	streamtap "$1" tap0 2>"$2" &
	STREAMTAP_PID=$!
	wait_file "$1" 10 || true   # a late socket: the VMM's connect retries or fails visibly
}

# streamtap_stop: end streamtap_start's relay (it also ends when its VMM goes).
streamtap_stop() { bg_stop STREAMTAP_PID; }

# lab_scrub [MIB]: before a boot, outside its timing, fault in and give back MIB (default
# $LAB_SCRUB; unset or 0: nothing) of the lab host's free memory with bench/memscrub. In this
# lab the memory the previous guest freed clears 4-5x slower the first time it is reused (likely
# the outer QEMU's software CPU dropping what it translated of code there), and the next VMM's
# guest RAM gets exactly those pages: the scrub takes that cost outside the boot, the same for
# every VMM (bench/README.md session 19). Prints "[lab] memscrub: N MiB in S s"; LAB_SCRUB_PASSES=N (or, from the
# run-lab.sh command line, LAB_X_SCRUB_PASSES) scrubs N times over: what the same pages cost
# once cleared.
lab_scrub() {
	local mib=${1:-${LAB_SCRUB:-}}
	[ -n "$mib" ] && [ "$mib" != 0 ] || return 0
	if ! command -v memscrub >/dev/null; then
		echo "[lab] no memscrub here ('make lab' builds build/bench/memscrub): boot not scrubbed"
		return 0
	fi
	memscrub "$mib" "${LAB_SCRUB_PASSES:-${LAB_X_SCRUB_PASSES:-1}}" 2>&1 | sed 's/^/[lab] /'
}
