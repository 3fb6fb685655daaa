# bench/rig-scale.sh - inside the rig: containerd 1.6 starts N busybox
# containers at once (HUSK_BENCH_SCALE_N, 10), each a `ctr run --rm` in the
# background whose container prints one line and then sleeps, with runc
# and then with husk (one sandbox, so one VM of the default size and
# 1 vCPU, per container):
# - the time from the launch of all N until each has printed its line
#   (read from each ctr's stdout file), first, median and last, and the
#   ratio husk/runc of the last;
# - with all of them still running, the host memory of each sandbox: the
#   husk shim (which is the VMM) as resident set minus the resident guest
#   RAM (its memfd "husk-guest-ram" mapping, from /proc/PID/smaps), the
#   resident guest RAM, and everything the sandbox costs: the proportional
#   set size (Pss, so pages shared between them count once) of the shim
#   and its helper processes (virtiofsd and its children). runc's shim
#   for comparison (its container's own processes not counted: for husk
#   they live in the guest RAM).
# Printed, never asserted: absolute times under TCG say nothing about
# hardware; read the ratios.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/lib.sh"
set +e
n=${HUSK_BENCH_SCALE_N:-10}
bin=${HUSK_BIN:-$top/build}
export PATH="$bin:$PATH" HUSK_KERNEL="$HUSK_GUEST_KERNEL/vmlinux" HUSK_INIT="$bin/husk-init"
out=$(mktemp -d /tmp/bench-scale.XXXXXX)
start_containerd
img=husk.bench/busybox:latest
ctr image import --base-name husk.bench/busybox "$HUSK_ASSETS/busybox-oci.tar" >/dev/null ||
	fail "image import"

ids=() ctr_pids=()
# cleanup - kill every container of the bench; each `ctr run --rm` then
# deletes its task and container and ends.
cleanup() {
	local id pid _
	for id in "${ids[@]}"; do ctr task kill -s KILL "$id" >/dev/null 2>&1; done
	for pid in "${ctr_pids[@]}"; do
		for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		kill "$pid" 2>/dev/null
	done
	for id in "${ids[@]}"; do
		ctr task delete -f "$id" >/dev/null 2>&1
		ctr container delete "$id" >/dev/null 2>&1
	done
	ids=() ctr_pids=()
}
trap 'cleanup; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null; rm -rf "$out"' EXIT

# One warm-up run per runtime, so that neither pays for first-use work
# (image unpacking into the snapshotter, the first shim binary load) in the
# figures.
for rt in io.containerd.runc.v2 io.containerd.husk.v2; do
	timeout -k 10 300 ctr run --rm --runtime "$rt" "$img" "warm-${rt//./-}" true >/dev/null 2>&1 ||
		echo "warm-up run with $rt failed (status $?)"
done

# start_all RUNTIME PREFIX - launch N containers PREFIX1..PREFIXN at once;
# sets res[RUNTIME] to "<started> <median_ms> <first_ms> <last_ms>" once
# every one has printed its line, or after 300s (the missing ones not
# counted). Each ctr's stdout goes to a reader that stamps the arrival of
# the first line itself, so the figures do not depend on how fast the
# loop below gets round (forks are slow under TCG). Runs in this shell, not
# a subshell: cleanup needs the ids and pids.
declare -A res
start_all() {
	local rt=$1 p=$2 t0 i id us ms=() waited=0 got lost=
	t0=${EPOCHREALTIME//[!0-9]/} # microseconds (lib.sh)
	for i in $(seq "$n"); do
		id=$p$i
		ids+=("$id")
		ctr run --rm --runtime "$rt" "$img" "$id" sh -c "echo up $id; exec sleep 3600" </dev/null 2>&1 |
			{ IFS= read -r line; echo "${EPOCHREALTIME//[!0-9]/} $line" >"$out/$id.tmp"; mv "$out/$id.tmp" "$out/$id"; cat >/dev/null; } &
		ctr_pids+=($!)
	done
	while [ "$waited" -lt 3000 ]; do
		got=0
		for i in $(seq "$n"); do [ -e "$out/$p$i" ] && got=$((got + 1)); done
		[ "$got" -lt "$n" ] || break
		sleep 0.1; waited=$((waited + 1))
	done
	for i in $(seq "$n"); do
		id=$p$i
		if [ -e "$out/$id" ] && read -r us line <"$out/$id" && [ "$line" = "up $id" ]; then
			ms+=("$(( (us - t0) / 1000 ))")
		else
			echo "$id ($rt): no line \"up $id\" within 300s; got: $(cut -c1-300 "$out/$id" 2>/dev/null)"
			lost=1
		fi
	done
	# How husk's VMs ended, from the shims' log lines in containerd's log:
	# a triple fault there, without a guest panic, is a rig fault
	# (tests/bench/rig-parts reruns the part in a new rig).
	if [ -n "${lost:-}" ] && [ "$rt" = io.containerd.husk.v2 ]; then
		grep -E 'the VM ended|guest kernel panic' /tmp/containerd.log | grep -v 'level=info' | tail -5
	fi
	res[$rt]="${#ms[@]} $(stats "${ms[@]}")"
}

declare -A first med last started
rts=(io.containerd.runc.v2 io.containerd.husk.v2)
declare -A prefix=([io.containerd.runc.v2]=r [io.containerd.husk.v2]=h)
# runc first; its containers keep running (idle sleeps) while husk's start,
# so that both sets are there for the memory table.
for rt in "${rts[@]}"; do
	start_all "$rt" "${prefix[$rt]}"
	read -r "started[$rt]" "med[$rt]" "first[$rt]" "last[$rt]" <<<"${res[$rt]}"
done
echo
echo "Scale: $n busybox containers started at once (ctr run --rm in the background, containerd 1.6),"
echo "launch to each container's first output line, in the rig (nested KVM under TCG; read the ratio)"
printf '%-24s %8s %9s %10s %8s %8s\n' runtime started first_ms median_ms all_ms vs_runc
for rt in "${rts[@]}"; do
	ratio=-
	[ "${last[io.containerd.runc.v2]}" != - ] && [ "${last[$rt]}" != - ] &&
		ratio=$(awk -v a="${last[$rt]}" -v b="${last[io.containerd.runc.v2]}" 'BEGIN { printf "%.2f", a / b }')
	printf '%-24s %8s %9s %10s %8s %8s\n' "$rt" "${started[$rt]}/$n" "${first[$rt]}" "${med[$rt]}" \
		"${last[$rt]}" "$ratio"
done

# descendants PID - every process below PID.
descendants() {
	local c
	for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}
# pss PID - Pss in KiB from /proc/PID/smaps_rollup (0 if gone).
pss() { awk '/^Pss:/ { print $2; exit }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# guest_ram PID - resident KiB of PID's guest RAM mappings (the memfd
# libhusk names husk-guest-ram; vmm/base/guest_mem.c).
guest_ram() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { g = ($0 ~ /memfd:husk-guest-ram/) }
		g && /^Rss:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}

# mem_row RUNTIME ID - one sandbox's row: "shim_rss guest no_guest
# helpers helpers_pss total_pss" printed with its name; appended to the
# sums for the mean.
declare -A sum cnt
mem_row() {
	local rt=$1 id=$2 shim rss g=- nog=- h=0 hp=0 tot kids k
	shim=$(pgrep -f "containerd-shim-${rt#io.containerd.}.*-id $id( |\$)" | head -1)
	if [ -z "$shim" ]; then
		printf '%-6s %-4s %s\n' "${rt#io.containerd.}" "$id" "no shim process found"
		return
	fi
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$shim/status")
	tot=$(pss "$shim")
	if [ "$rt" = io.containerd.husk.v2 ]; then
		g=$(guest_ram "$shim") nog=$((rss - g))
		kids=$(descendants "$shim")
		for k in $kids; do h=$((h + 1)); hp=$((hp + $(pss "$k"))); done
		tot=$((tot + hp))
	fi
	printf '%-6s %-4s %10s %12s %14s %8s %12s %10s\n' "${rt#io.containerd.}" "$id" "$rss" "$g" "$nog" "$h" "$hp" "$tot"
	sum[$rt,rss]=$(( ${sum[$rt,rss]:-0} + rss )); sum[$rt,tot]=$(( ${sum[$rt,tot]:-0} + tot ))
	if [ "$g" != - ]; then
		sum[$rt,g]=$(( ${sum[$rt,g]:-0} + g )); sum[$rt,nog]=$(( ${sum[$rt,nog]:-0} + nog ))
		sum[$rt,h]=$(( ${sum[$rt,h]:-0} + h )); sum[$rt,hp]=$(( ${sum[$rt,hp]:-0} + hp ))
	fi
	cnt[$rt]=$(( ${cnt[$rt]:-0} + 1 ))
}

sleep 3	# let the last guests settle after their line
echo
echo "Host memory per sandbox, $n husk sandboxes (1 vCPU, default guest RAM) and $n runc containers running (KiB)"
echo "(shim_rss: VmRSS; no_guest: shim_rss minus the resident guest RAM; total_pss: Pss of shim + helpers)"
printf '%-6s %-4s %10s %12s %14s %8s %12s %10s\n' runtime id shim_rss guest_ram no_guest helpers helpers_pss total_pss
for rt in "${rts[@]}"; do
	for i in $(seq "$n"); do mem_row "$rt" "${prefix[$rt]}$i"; done
done
# mean RT KEY - the mean of a column over RT's rows ("-" when none).
mean() {
	if [ -n "${sum[$1,$2]:-}" ] && [ "${cnt[$1]:-0}" -gt 0 ]; then
		echo $(( sum[$1,$2] / cnt[$1] ))
	else
		echo -
	fi
}
for rt in "${rts[@]}"; do
	printf '%-6s %-4s %10s %12s %14s %8s %12s %10s\n' "${rt#io.containerd.}" mean "$(mean "$rt" rss)" \
		"$(mean "$rt" g)" "$(mean "$rt" nog)" "$(mean "$rt" h)" "$(mean "$rt" hp)" "$(mean "$rt" tot)"
done
a=$(mean io.containerd.husk.v2 tot) b=$(mean io.containerd.runc.v2 tot)
if [ "$a" != - ] && [ "$b" != - ] && [ "$b" -gt 0 ]; then
	echo "total_pss per sandbox, husk/runc: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", a / b }')"
fi
a=$(mean io.containerd.husk.v2 nog) b=$(mean io.containerd.runc.v2 rss)
if [ "$a" != - ] && [ "$b" != - ] && [ "$b" -gt 0 ]; then
	echo "shim without guest RAM, husk/runc shim_rss: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", a / b }')"
fi
echo "level 1: $(free -m | awk '/^Mem:/ { print $3 " MiB used, " $7 " MiB available" }')"

cleanup
left=$(ctr container ls -q | grep -Ev '^$' | tr '\n' ' ')
[ -z "$left" ] || echo "containers left after the cleanup: $left"
