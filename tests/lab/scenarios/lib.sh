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

now() { local u; read -r u _ </proc/uptime; echo "$u"; }

# vmm_prefix VMM: set VMM_PREFIX to the command that starts VMM (qemu|skiff|/path/to/binary).
# QEMU gets what it needs inside the lab (firmware dir, no VGA, no default NIC); skiff nothing.
vmm_prefix() {
	case "$1" in
	qemu) VMM_PREFIX=(qemu-system-x86_64 -L "$LAB_FW" -vga none -nic none) ;;
	skiff) VMM_PREFIX=(skiff) ;;
	*) VMM_PREFIX=("$1") ;;
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

# l2_run TAG VMM [VMM ARGS...]: run one L2 guest under a timeout; its console goes to
# /tmp/l2-TAG.log (CRs stripped) and to this console prefixed with [TAG]. Sets:
#   L2_RC         the VMM's exit status (124: killed by the timeout, 127: no such VMM)
#   L2_SECS       wall seconds from start to exit
#   L2_INIT_SECS  seconds from start to the guest's L2-INIT-OK line ("" if never seen)
#   L2_LOG        the log file
#   L2_MEM        "rss_kb guest_kb own_kb guest_size_kb" sampled from /proc/PID/smaps right
#                 after L2-INIT-OK when L2_SAMPLE_MEM=1 (else "")
l2_run() {
	local tag=$1 vmm=$2
	shift 2
	vmm_prefix "$vmm"
	L2_LOG=/tmp/l2-$tag.log
	L2_RC=127 L2_SECS=0 L2_INIT_SECS="" L2_MEM=""
	local fifo=/tmp/l2-$tag.fifo mark=/tmp/l2-$tag.mark notify t0 t1 tpid awkpid vpid ev
	rm -f "$fifo" "$mark" "$L2_LOG"
	if ! have_vmm "$vmm"; then
		echo "[$tag] no VMM binary: ${VMM_PREFIX[0]}" | tee "$L2_LOG"
		return 0
	fi
	echo "[$tag] \$ ${VMM_PREFIX[*]} $*"
	mkfifo "$fifo"
	t0=$(now)
	# The awk filter timestamps the init marker; with L2_SAMPLE_MEM=1 it also tells this shell
	# (through the fifo $notify, once: at the marker or at the end) so no polling loop runs.
	notify=""
	if [ "${L2_SAMPLE_MEM:-0}" = 1 ]; then
		notify=/tmp/l2-$tag.notify
		rm -f "$notify"
		mkfifo "$notify"
	fi
	awk -v tag="$tag" -v logf="$L2_LOG" -v mark="$mark" -v t0="$t0" -v notify="$notify" '
	{
		sub(/\r+$/, "")
		print > logf
		fflush(logf)
		print "[" tag "] " $0
		fflush()
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
	timeout -k 5 "$LAB_L2_TIMEOUT" "${VMM_PREFIX[@]}" "$@" </dev/null >"$fifo" 2>&1 &
	tpid=$!
	if [ -n "$notify" ]; then
		read -r ev <"$notify"
		if [ "$ev" = init ] && vpid=$(child_pid "$tpid"); then
			# shellcheck disable=SC2034
			L2_MEM=$(smaps_own "$vpid" 2>/dev/null)
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
	echo "[$tag] exit status $L2_RC after ${L2_SECS}s (init marker after ${L2_INIT_SECS:-never}s)"
	return 0
}

# fact KEY: the value the guest reported as "L2-FACT KEY=VALUE" in the last l2_run.
fact() { sed -n "s/^L2-FACT $1=//p" "$L2_LOG" 2>/dev/null | tail -n1; }

seen() { grep -q -- "$1" "$L2_LOG" 2>/dev/null; }

# why: a short reason for a failed boot, from the exit status and the log's last line.
why() {
	local last
	last=$(grep -v '^\s*$' "$L2_LOG" 2>/dev/null | tail -n1 | cut -c1-100)
	case "$L2_RC" in
	124 | 137) echo "timed out after ${LAB_L2_TIMEOUT}s; last line: ${last:-<no output>}" ;;
	*) echo "exit status $L2_RC; last line: ${last:-<no output>}" ;;
	esac
}
