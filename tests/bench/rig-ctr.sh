# bench/rig-ctr.sh - inside the rig: containerd 1.6 runs busybox with
# runc and with husk, side by side in one run.
# - `ctr run --rm IMAGE ID true` latency, several runs each (after one
#   warm-up run, which for husk also builds the cached layer image); husk
#   four times: booting its VM at each start (shared memory with
#   transparent huge pages "advise", README "Host settings"); the
#   same under Debian's default "never" (husk+shmem-never); with
#   "warm_vms": 1 (the warm pool: a spare shim boots the next VM while
#   the last one runs) and runs following each other at once, so a run may wait for the
#   spare's boot and shares the CPUs with it (a burst); and with the pool,
#   each run started once a spare is ready (starts spaced out); runc,
#   husk, runc again and husk+shmem-never measured round by round (runc
#   twice as often);
# - where husk's time goes in those runs: the median of each phase of the
#   shim's start and stop phase lines (debug lines: containerd runs with
#   --log-level debug, for runc as well);
# - host memory of one running sandbox: husk's shim (which is the VMM)
#   as resident set minus the guest RAM it has touched, and the whole
#   resident set; runc's shim resident set for comparison.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/lib.sh"
runs=${HUSK_BENCH_RUNS:-5}
bin=${HUSK_BIN:-$top/build}
export PATH="$bin:$PATH" HUSK_KERNEL="$HUSK_GUEST_KERNEL/vmlinux" HUSK_INIT="$bin/husk-init"
start_containerd --log-level debug
ctr image import --base-name husk.bench/busybox "$HUSK_ASSETS/busybox-oci.tar" >/dev/null ||
	fail "image import"
img=husk.bench/busybox:latest

echo '{"warm_vms": 1}' >/tmp/husk-bench-warm.json
# shmem_thp MODE - Linux's transparent huge pages for shared memory, where
# a sandbox's guest RAM lives (README, "Host settings"): this part runs
# husk under "advise", what README recommends, and RUNTIME
# husk+shmem-never under Debian's default "never", which the rest of the
# rig (and `make test`) keeps.
shmem_thp() {
	echo "$1" >/sys/kernel/mm/transparent_hugepage/shmem_enabled ||
		fail "set transparent_hugepage/shmem_enabled to $1"
}
shmem_thp advise
# ctr_run RUNTIME ID - "<ms> <status>" of one `ctr run --rm ... true`;
# RUNTIME husk+warm is husk with the warm pool's config.
ctr_run() {
	local t0 rc rt=(--runtime "$1")
	case $1 in husk+warm*)
		rt=(--runtime io.containerd.husk.v2 --runtime-config-path /tmp/husk-bench-warm.json) ;;
	esac
	# shellcheck disable=SC2012 # a count of sockets
	[ "$1" = husk+warm-ready ] && for _ in $(seq 120); do
		[ "$(ls /run/husk/warm/*.sock 2>/dev/null | wc -l)" -ge 1 ] && break
		sleep 0.5
	done
	[ "$1" = husk+shmem-never ] && { rt=(--runtime io.containerd.husk.v2); shmem_thp never; }
	t0=${EPOCHREALTIME//[!0-9]/} # lib.sh: no fork around the run
	timeout -k 10 300 ctr run --rm "${rt[@]}" "$img" "$2" true >/dev/null 2>&1
	rc=$?
	[ "$1" = husk+shmem-never ] && shmem_thp advise
	echo "$(( (${EPOCHREALTIME//[!0-9]/} - t0) / 1000 )) $rc"
}

declare -A med mn mx first ms
declare -A prefix=([io.containerd.runc.v2]=r [io.containerd.husk.v2]=b [husk+shmem-never]=n
	[husk+warm]=w [husk+warm-ready]=s)
rts=(io.containerd.runc.v2 io.containerd.husk.v2 husk+shmem-never husk+warm husk+warm-ready)
# measure_rounds RUNTIME... - each RUNTIME's warm-up run, then the runs
# round by round, the RUNTIMEs once each per round in the order given
# (runc may come more than once). The rig's speed drifts over a run
# (level 1's page cache, its memory), and runtimes measured one after the
# other each got a stretch of their own. And a VM started right after
# another pays for writes over the pages the last one ran code from (README,
# "The rig"), which hardware does not charge: runc, which leaves no VM
# behind, goes before each husk runtime, so that none pays it.
measure_rounds() {
	local rt i k m rc id
	local -A warmed=()
	for rt in "$@"; do
		[ -n "${warmed[$rt]:-}" ] && continue
		warmed[$rt]=1
		read -r "first[$rt]" _ < <(ctr_run "$rt" "${prefix[$rt]}0")
	done
	for i in $(seq "$runs"); do
		k=0
		for rt in "$@"; do
			k=$((k + 1)) id=${prefix[$rt]}$i
			[ "$rt" = io.containerd.runc.v2 ] && id+=-$k # husk's IDs stay b1, n1, ...
			read -r m rc < <(ctr_run "$rt" "$id")
			[ "$rc" = 0 ] && ms[$rt]+=" $m" || echo "$rt run $i: status $rc"
		done
	done
}
measure_rounds io.containerd.runc.v2 io.containerd.husk.v2 io.containerd.runc.v2 husk+shmem-never
# The pool's runs keep their own order: husk+warm's runs follow each other
# at once (a burst), husk+warm-ready's each wait for a spare.
measure_rounds husk+warm
measure_rounds husk+warm-ready
for rt in "${rts[@]}"; do
	# shellcheck disable=SC2086 # a list of numbers
	read -r "med[$rt]" "mn[$rt]" "mx[$rt]" < <(stats ${ms[$rt]:-})
done
echo
echo "ctr run --rm busybox true: containerd 1.6 in the rig (nested KVM under TCG; read the ratio)"
printf '%-24s %5s %10s %8s %8s %9s %10s\n' runtime runs median_ms min_ms max_ms first_ms vs_runc
base=${med[io.containerd.runc.v2]}
for rt in "${rts[@]}"; do
	ratio=-
	[ "$base" != - ] && [ "${med[$rt]}" != - ] &&
		ratio=$(awk -v a="${med[$rt]}" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
	# runs: those with status 0 (runc has two in each round)
	printf '%-24s %5s %10s %8s %8s %9s %10s\n' "$rt" "$(wc -w <<<"${ms[$rt]:-}")" "${med[$rt]}" "${mn[$rt]}" \
		"${mx[$rt]}" "${first[$rt]}" "$ratio"
done

pkill -TERM -f 'containerd-shim-husk-v2 .*warm$' # the pool's last spare

# phase_table KIND PREFIX - husk's KIND (start, stop) phases in the runs
# PREFIX1..N: each phase's median, min and max ms, in the order of the line.
phase_table() {
	local i body name m lo hi
	local -a names=()
	declare -A vals=()
	for i in $(seq "$runs"); do
		body=$(phase_line "$1" "$2$i")
		[ -n "$body" ] || { echo "$2$i: no $1 phase line"; continue; }
		while read -r name ms; do
			[ -n "${vals[$name]+x}" ] || names+=("$name")
			vals[$name]+=" $ms"
		done < <(phase_pairs <<<"$body")
	done
	for name in "${names[@]}"; do
		# shellcheck disable=SC2086 # a list of numbers
		read -r m lo hi < <(stats ${vals[$name]})
		printf '%-10s %-12s %10s %8s %8s\n' "$1${3:+ $3}" "$name" "$m" "$lo" "$hi"
	done
}

sleep 3 # the last shim's stop line is written as it exits
echo
echo "Where husk's time goes in those runs: the shim's phase lines, each phase's ms (ARCHITECTURE.md)"
printf '%-10s %-12s %10s %8s %8s\n' line phase median_ms min_ms max_ms
phase_table shim-start b
phase_table start b
phase_table stop b
phase_table start n never
phase_table start w warm
phase_table stop w warm
phase_table start s ready
phase_table stop s ready

# rss_of PATTERN - "<pid> <VmRSS kB>" of the newest process matching PATTERN.
rss_of() {
	local pid
	pid=$(pgrep -n -f "$1") || { echo "- -"; return; }
	echo "$pid $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
}

# guest_rss PID - resident kB of PID's largest mapping: the guest RAM.
guest_rss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { cur = 0 } /^Size:/ { cur = $2 }
		/^Rss:/ && cur > max { max = cur; rss = $2 } END { print rss }' "/proc/$1/smaps"
}

echo
echo "Host memory of one running sandbox (busybox sleep; husk guest RAM 256 MiB)"
printf '%-24s %10s %16s %24s\n' runtime rss_kib guest_resident_kib rss_without_guest_kib
ctr run -d --runtime io.containerd.runc.v2 "$img" mem-runc sleep 600 >/dev/null
ctr run -d --runtime io.containerd.husk.v2 "$img" mem-husk sleep 600 >/dev/null
shmem_thp never
ctr run -d --runtime io.containerd.husk.v2 "$img" mem-never sleep 600 >/dev/null
shmem_thp advise
sleep 3
read -r pid rss < <(rss_of 'containerd-shim-runc-v2.*-id mem-runc')
printf '%-24s %10s %16s %24s\n' io.containerd.runc.v2 "$rss" - "$rss"
for c in mem-husk mem-never; do
	read -r pid rss < <(rss_of "containerd-shim-husk-v2.*-id $c ")
	g=-
	[ "$pid" != - ] && g=$(guest_rss "$pid")
	printf '%-24s %10s %16s %24s\n' "$([ $c = mem-husk ] && echo io.containerd.husk.v2 ||
		echo husk+shmem-never)" "$rss" "${g:--}" \
		"$([ -n "$g" ] && [ "$g" != - ] && echo $((rss - g)) || echo -)"
done
for c in mem-runc mem-husk mem-never; do
	ctr task kill -s KILL "$c" >/dev/null 2>&1
done
sleep 3
for c in mem-runc mem-husk mem-never; do
	ctr task delete "$c" >/dev/null 2>&1
	ctr container delete "$c" >/dev/null 2>&1
done

shmem_thp never # as the other parts measure
