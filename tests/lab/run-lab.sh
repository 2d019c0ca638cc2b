#!/bin/bash
# Boot the lab host (L1) once under QEMU's software CPU and run lab scenarios in it.
#
#   run-lab.sh [options] SCENARIO[:ARG...]...   e.g.  run-lab.sh boot:qemu boot:skiff cli:skiff
#   run-lab.sh --shell                           interactive shell in the lab host
#
# A scenario is tests/lab/scenarios/NAME.sh, run inside the lab host as "bash NAME.sh ARG...".
# A spec "tty:NAME[:ARG...]" runs it on the console with the terminal (interactive).
# Options:
#   --shell          end the plan with an interactive lab host shell
#   --timeout S      hard limit for the whole lab run (default $LAB_TIMEOUT or 900; 0: none)
#   --idle S         declare the lab host hung after S seconds without console output other
#                    than its kernel's messages (default 240)
#   --log FILE       console log (default tests/lab/out/lab-<time>.log; out/lab-last.log links it)
#   --mem SIZE       lab host memory (default 3G)
#   --results FILE   where to write the LAB-RESULT lines (default tests/lab/out/results.txt)
# Environment passed into the lab host: LAB_L2_TIMEOUT (per L2 run, default 60), LAB_VERBOSE,
# and any LAB_X_* variable.
#
# Prints the console's LAB- lines as they come, then writes the LAB-RESULT lines to
# out/results.txt (or --results FILE). A lab host that stops before LAB-DONE is reported as
# "lab host hung after N s" (plus a LAB-RESULT lab-host FAIL line) and exits with status 3.
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

timeout_s=${LAB_TIMEOUT:-900}
idle_s=${LAB_IDLE:-240}
mem=${LAB_MEM:-3G}
log=""
results=""
interactive=0
plan=()
while [ $# -gt 0 ]; do
	case "$1" in
	--shell) plan+=(shell); interactive=1 ;;
	--timeout) timeout_s=$2; shift ;;
	--idle) idle_s=$2; shift ;;
	--log) log=$2; shift ;;
	--results) results=$2; shift ;;
	--mem) mem=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) lab_die "unknown option $1 (see --help)" ;;
	*)
		spec=$1
		[[ $spec == tty:* ]] && interactive=1
		name=${spec#tty:}
		name=${name%%:*}
		[ -f "$LAB_DIR/scenarios/$name.sh" ] || lab_die "no scenario $name (tests/lab/scenarios/$name.sh)"
		plan+=("$spec")
		;;
	esac
	shift
done
[ ${#plan[@]} -gt 0 ] || lab_die "nothing to run (see --help)"

mkdir -p "$LAB_OUT"
[ -n "$log" ] || log=$LAB_OUT/lab-$(date +%Y%m%d-%H%M%S).log
[ -n "$results" ] || results=$LAB_OUT/results.txt
for f in "$LAB_CACHE/kernel/bzImage" "$LAB_OUT/l1-base.cpio" "$LAB_OUT/l2-initrd.cpio"; do
	[ -s "$f" ] || lab_die "missing $f: run 'make lab' (or 'make -C tests/lab images') first"
done

# The overlay: skiff with its libraries, the scenarios, the L2 initramfs and the plan.
# Per-run files live in their own directory: several lab runs may go on at once.
run=$(mktemp -d "$LAB_OUT/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
ov=$run/overlay
mkdir -p "$ov/lab/scenarios" "$ov/lab/l2" "$ov/usr/bin"
skiff=${SKIFF:-$REPO_DIR/build/skiff}
if [ -x "$skiff" ]; then
	copy_bin "$ov" "$skiff" /usr/bin/skiff
else
	lab_log "warning: no skiff binary at $skiff ('make' at the repo root builds it)"
fi
# bench/pktcost (make unit builds it): the e1000 data path without a guest, timed on the lab
# host's CPU by the pktcost scenario.
pktcost=${PKTCOST:-$REPO_DIR/build/bench/pktcost}
[ ! -x "$pktcost" ] || copy_bin "$ov" "$pktcost" /usr/bin/pktcost
# bench/streamtap (make lab builds it): the bench's stream row's peer, a unix socket to a tap.
streamtap=$REPO_DIR/build/bench/streamtap
[ ! -x "$streamtap" ] || copy_bin "$ov" "$streamtap" /usr/bin/streamtap
# bench/memscrub (make lab builds it): the boots' scrub of the lab host's freed memory (lib.sh lab_scrub).
memscrub=$REPO_DIR/build/bench/memscrub
[ ! -x "$memscrub" ] || copy_bin "$ov" "$memscrub" /usr/bin/memscrub
# LAB_X_PERF=1: the host's perf (Debian's linux-perf, ~20 MB with its libraries) too, for the
# profile scenario's per-function samples of each VMM's threads.
if [ "${LAB_X_PERF:-0}" = 1 ]; then
	if perf=$(command -v perf); then copy_bin "$ov" "$perf" /usr/bin/perf
	else lab_log "warning: LAB_X_PERF=1 but no perf here (apt-get install linux-perf)"; fi
fi
cp "$LAB_DIR"/scenarios/*.sh "$ov/lab/scenarios/"
cp "$LAB_OUT/l2-initrd.cpio" "$ov/lab/l2/initrd.cpio"
for spec in "${plan[@]}"; do
	if [ "$spec" = shell ]; then
		echo shell
	elif [[ $spec == tty:* ]]; then
		echo "tty:${spec#tty:}" | tr ':' ' ' | sed 's/^tty /tty:/'
	else
		echo "$spec" | tr ':' ' '
	fi
done >"$ov/lab/plan"
{
	echo "export LAB_L2_TIMEOUT=${LAB_L2_TIMEOUT:-60}"
	echo "export LAB_VERBOSE=${LAB_VERBOSE:-0}"
	echo "export LAB_TF_TRACE=${LAB_TF_TRACE:-0}"
	while IFS='=' read -r k v; do
		[[ $k == LAB_X_* ]] && printf 'export %s=%q\n' "$k" "$v"
	done < <(env)
} >"$ov/lab/env"
pack_cpio "$ov" "$run/l1-overlay.cpio"
rm -rf "$ov"
# Linux unpacks concatenated cpio archives in order: the overlay adds to (and overrides) the base.
cat "$LAB_OUT/l1-base.cpio" "$run/l1-overlay.cpio" >"$run/l1-initrd.cpio"

# The lab host's emulator: bookworm-backports' QEMU 10 when fetch-outer-qemu.sh got it, else the
# system's QEMU 7.2 (LAB_QEMU overrides, e.g. LAB_QEMU=qemu-system-x86_64; it may carry options,
# e.g. "... -accel tcg,thread=single"). LAB_L1_APPEND: more lab host kernel parameters.
outer_default=qemu-system-x86_64
[ ! -x "$LAB_CACHE/outer-qemu/qemu" ] || outer_default=$LAB_CACHE/outer-qemu/qemu
read -r -a outer <<<"${LAB_QEMU:-$outer_default}"
qemu=("${outer[@]}" -cpu max -m "$mem" -smp 2 -nic none -no-reboot -vga none
	-kernel "$LAB_CACHE/kernel/bzImage" -initrd "$run/l1-initrd.cpio"
	-append "console=ttyS0 quiet panic=1 mitigations=off${LAB_L1_APPEND:+ $LAB_L1_APPEND}")
ln -sf "$(realpath "$log")" "$LAB_OUT/lab-last.log"
lab_log "lab host: $mem, $("${outer[@]}" --version | sed -n '1s/ (.*//p'), plan: ${plan[*]}; console log: $log"

if [ "$interactive" = 1 ]; then
	# The terminal goes straight to the lab host's console: no QEMU mux, so Ctrl-A and Ctrl-C
	# reach the lab (and skiff inside it). The lab powers off when the plan ends.
	rc=0
	"${qemu[@]}" -display none -monitor none -parallel none \
		-chardev "stdio,id=c0,mux=off,signal=off,logfile=$log" -serial chardev:c0 || rc=$?
	tr -d '\r' <"$log" | grep '^LAB-RESULT ' >"$results" || true
	exit "$rc"
fi

start=$(date +%s)
: >"$log"
"${qemu[@]}" -display none -monitor none -parallel none -serial "file:$log" </dev/null &
qpid=$!
# Show the lab's own LAB- lines (and the L2 lines when LAB_VERBOSE=1) as they come.
if [ "${LAB_VERBOSE:-0}" = 1 ]; then pat='.'; else pat='^(LAB-|\[[^]]*\] (\$|exit status))'; fi
tail -n +1 -F --pid="$qpid" "$log" 2>/dev/null | tr -d '\r' | grep --line-buffered -E "$pat" >&2 &
tailpid=$!

why=""
last_size=-1 last_change=$start
while kill -0 "$qpid" 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	# Progress = console lines other than the lab host kernel's own messages ("[  12.3] ..."),
	# so a soft-lockup watchdog repeating itself does not count as the lab being alive.
	size=$(grep -acvE '^\[ *[0-9]+\.[0-9]+\]' "$log" || true)
	if [ "$size" != "$last_size" ]; then last_size=$size last_change=$now; fi
	if [ "$timeout_s" != 0 ] && [ $((now - start)) -ge "$timeout_s" ]; then
		why="the whole run reached its ${timeout_s}s limit"
	elif [ $((now - last_change)) -ge "$idle_s" ]; then
		why="no console output for ${idle_s}s"
	fi
	if [ -n "$why" ]; then
		kill "$qpid" 2>/dev/null || true
		sleep 2
		kill -9 "$qpid" 2>/dev/null || true
		break
	fi
done
qrc=0
wait "$qpid" || qrc=$?
wait "$tailpid" 2>/dev/null || true
elapsed=$(($(date +%s) - start))

tr -d '\r' <"$log" | grep '^LAB-RESULT ' >"$results" || true
if tr -d '\r' <"$log" | grep -q '^LAB-DONE'; then
	lab_log "lab host done in ${elapsed}s"
	if grep -q 'soft lockup' "$log"; then
		lab_log "warning: the lab host reported a soft lockup (see $log)"
	fi
	exit 0
fi
[ -n "$why" ] || why="QEMU exited with status $qrc before LAB-DONE"
if grep -q 'soft lockup' "$log"; then why="$why; the console shows a soft lockup"; fi
{
	echo "lab: lab host hung after ${elapsed}s ($why): last lines of $log:"
	tr -d '\r' <"$log" | grep -v '^\s*$' | tail -n 15 | sed 's/^/lab:   | /'
} >&2
echo "LAB-RESULT lab-host FAIL hung after ${elapsed}s ($why)" >>"$results"
exit 3
