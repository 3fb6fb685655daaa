# containerd-shim-husk-v2 reliability, as containerd's integration suite
# and Firecracker's test it: (1) containerd killed with SIGKILL and started
# again while husk tasks run: they keep running, ctr sees them RUNNING, and
# exec, kill and delete work afterwards; (2) N create-start-delete cycles
# of containers in one pod's shim, then N `ctr run --rm` (each its own VM,
# in a network namespace so each makes a tap): the shim's fds and threads
# and the host's taps, mounts and files under /run/husk do not grow, the
# shim's RSS stays within a small slack; (3) 20 execs at once in one
# container, each output and status checked; (4) a large stream through a
# container's stdout and one through its stdin, sha256-checked (a stream
# still running after 120 s plus a second per MiB of stdin, or per 2 MiB
# of stdout, prints the shim's SIGUSR1 dump: vsock credit, queues,
# relays); nothing is left. Sizes come from the environment (`make soak` sets the full ones):
#   HUSK_SOAK_CYCLES      N of (2)                           (default 10)
#   HUSK_SOAK_STDOUT_MIB  MiB through stdout in (4)          (default 128)
#   HUSK_SOAK_STDIN_MIB   MiB through stdin in (4)           (default 32)
#   HUSK_RELIAB_PARTS     which of restart, execs, streams, runs run
#                         beside the pod cycles (2a, always);
#                         (default "restart execs runs", what `make
#                         test` runs: the 20 execs hung once in three
#                         early rig runs, then passed 6 rounds of 20 in a
#                         row; the runs loop froze level 1 in four rig
#                         runs of 100 out of four, and passed its first
#                         100 once rig/level1-keeper held the static keys
#                         a VM's start flips; the streams are left out:
#                         they hung twice at 128 MiB in an earlier
#                         session, a VM triple-faulted (the rig fault)
#                         during one in a fresh clone's `make test`, and
#                         at 1 GiB level 1 livelocked in KVM's event
#                         injection for the guest, see README);
#                         `make soak` runs all four.
. "$(dirname "$0")/lib.sh"
command -v ip >/dev/null || cannot_run "no ip(8) (iproute2)"
N=${HUSK_SOAK_CYCLES:-10}
OUT_MIB=${HUSK_SOAK_STDOUT_MIB:-128}
IN_MIB=${HUSK_SOAK_STDIN_MIB:-32}
PARTS=${HUSK_RELIAB_PARTS:-restart execs runs}
part_wanted() { [[ " $PARTS " == *" $1 "* ]]; }
shim_test_setup --log-level debug
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2)
SANDBOX=(--annotation io.kubernetes.cri.container-type=sandbox)
MEMBER=(--annotation io.kubernetes.cri.container-type=container)
T="timeout -k 10 300"
NS=reliabnet
DATA=/tmp/reliab-data
cleanup() {
	kill ${events_pid:-} $ctrd_pid 2>/dev/null
	wait $ctrd_pid 2>/dev/null
	ip netns del $NS 2>/dev/null
	rm -rf $DATA
}
trap 'shim_show_debug; cleanup' EXIT
echo "sizes: $N cycles, $OUT_MIB MiB through stdout, $IN_MIB MiB through stdin; parts: $PARTS"

# restart_containerd - containerd again, same root and state folders (the
# defaults), its log appended to the same file.
restart_containerd() {
	containerd --log-level debug >>/tmp/containerd.log 2>&1 &
	ctrd_pid=$!
	for _ in $(seq 120); do
		ctr version >/dev/null 2>&1 && return 0
		kill -0 $ctrd_pid 2>/dev/null || fail "containerd exited on its restart"
		sleep 0.5
	done
	fail "containerd did not answer within 60s of its restart"
}
events_start() {
	ctr events >>/tmp/events.log 2>&1 &
	events_pid=$!
}
exit_status() {
	grep '/tasks/exit' /tmp/events.log | grep "\"container_id\":\"$1\"" |
		grep "\"id\":\"$1\"" | sed -n 's/.*"exit_status":\([0-9]*\).*/\1/p' | tail -1
}
state() { ctr task ls | awk -v id="$1" '$1 == id { print $3 }'; }
# stop ID - SIGKILL ID's init, wait for STOPPED, delete task and container;
# its exit event says 137
stop() {
	$T ctr task kill -s KILL "$1" || fail "$1: kill"
	for _ in $(seq 60); do
		[ "$(state "$1")" = STOPPED ] && break
		sleep 1
	done
	[ "$(state "$1")" = STOPPED ] || fail "$1: '$(state "$1")' after kill, wanted STOPPED"
	$T ctr task delete "$1"
	rc=$?
	[ $rc = 0 ] || [ $rc = 137 ] || fail "$1: task delete: $rc"
	$T ctr container delete "$1" || fail "$1: container delete"
	for _ in $(seq 10); do
		[ -n "$(exit_status "$1")" ] && break
		sleep 1
	done
	[ "$(exit_status "$1")" = 137 ] || fail "$1: exit event status '$(exit_status "$1")', wanted 137"
}
# host_res - what a leak on the host side would grow: taps in the test's
# network namespace, their ingress qdiscs, mounts under /run/husk, files
# and folders in /run/husk's folders (a sandbox's share is
# /run/husk/share/<id>; /run/husk and /run/husk/share stay, empty, once
# the first shim made them)
host_res() {
	echo "taps=$(ip -n $NS -o link | grep -c 'tap[0-9]*_husk')" \
		"ingress=$(tc -n $NS qdisc show dev eth0 | grep -c ingress)" \
		"mounts=$(grep -c ' /run/husk' /proc/mounts)" \
		"files=$(find /run/husk -mindepth 2 2>/dev/null | wc -l)"
}
# shim_res PID - the shim's open fds, threads and resident memory (KiB)
# without the guest's RAM (the memfd libhusk names husk-guest-ram, mapped
# in the shim: it fills as the guest uses its memory, which is no leak)
shim_res() {
	local all guest
	all=$(awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status)
	guest=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { g = ($0 ~ /memfd:husk-guest-ram/) }
		g && /^Rss:/ { s += $2 } END { print s + 0 }' /proc/"$1"/smaps)
	echo "fds=$(find /proc/"$1"/fd -mindepth 1 | wc -l)" \
		"threads=$(awk '/^Threads:/ { print $2 }' /proc/"$1"/status)" \
		"rss_kib=$((all - guest))" "guest_kib=$guest"
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
events_start

# What a CNI plugin leaves (as t-shim-net.sh): a veth end as eth0, so
# each `ctr run --rm` below makes a tap and an ingress qdisc in $NS.
ip netns add $NS || fail "ip netns add"
netns_link $NS hrel0 eth0 10.79.0

# ---- 1. containerd killed and started again while tasks run
if part_wanted restart; then
	SECONDS=0
	PRT=("${RT[@]}" --annotation io.kubernetes.cri.sandbox-id=rs)
	$T ctr run -d "${PRT[@]}" "${SANDBOX[@]}" $IMG rs-sb sleep 2001 || fail "rs-sb: run -d"
	$T ctr run -d "${PRT[@]}" "${MEMBER[@]}" $IMG rs-m sleep 2002 || fail "rs-m: run -d"
	$T ctr run -d "${RT[@]}" $IMG rs-solo sleep 2003 || fail "rs-solo: run -d"
	shims=$(pgrep -f containerd-shim-husk-v2 | sort | paste -sd' ')
	echo "before the restart: shims $shims"
	kill $events_pid 2>/dev/null
	kill -KILL $ctrd_pid
	wait $ctrd_pid 2>/dev/null
	pgrep -x containerd >/dev/null && fail "containerd still runs after SIGKILL"
	[ "$(pgrep -f containerd-shim-husk-v2 | sort | paste -sd' ')" = "$shims" ] ||
		fail "the shims did not outlive containerd: $(pgrep -f containerd-shim-husk-v2 | paste -sd' ')"
	restart_containerd
	events_start
	ctr task ls
	for id in rs-sb rs-m rs-solo; do
		[ "$(state $id)" = RUNNING ] || fail "$id: '$(state $id)' after containerd's restart, wanted RUNNING"
	done
	[ "$(pgrep -f containerd-shim-husk-v2 | sort | paste -sd' ')" = "$shims" ] ||
		fail "the shims changed across the restart"
	for id in rs-sb rs-m rs-solo; do
		out=$($T ctr task exec --exec-id after "$id" sh -c "echo exec-in-$id; exit 6" 2>&1)
		rc=$?
		[ "$out" = "exec-in-$id" ] || fail "$id: exec after the restart printed '$out'"
		[ $rc = 6 ] || fail "$id: exec after the restart: status $rc, wanted 6"
	done
	echo "after the restart: the 3 tasks are RUNNING, exec works in each"
	# the shims publish to the new containerd: exit events arrive
	stop rs-m
	stop rs-sb
	stop rs-solo
	check_nothing_left
	echo "restart: passed (${SECONDS}s)"
fi

# ---- 2a. N create-start-delete cycles in one pod's shim
SECONDS=0
h_idle=$(host_res)
CRT=("${RT[@]}" --annotation io.kubernetes.cri.sandbox-id=cy)
$T ctr run -d "${CRT[@]}" "${SANDBOX[@]}" $IMG cy-sb sleep 3001 || fail "cy-sb: run -d"
shim=$(pgrep -f containerd-shim-husk-v2)
[ "$(wc -w <<<"$shim")" = 1 ] || fail "wanted one shim, found: $shim"
# cycle I - one member created, started, waited for and deleted; its
# output and exit status checked
cycle() {
	local out rc
	out=$($T ctr run --rm "${CRT[@]}" "${MEMBER[@]}" $IMG "cy$1" sh -c "echo cycle-$1; exit $(($1 % 50 + 1))" 2>&1)
	rc=$?
	[ "$out" = "cycle-$1" ] || fail "cycle $1: output '$out'"
	[ $rc = $(($1 % 50 + 1)) ] || fail "cycle $1: status $rc, wanted $(($1 % 50 + 1))"
}
# One cycle before the first count: the shim's first member makes what
# it keeps for later ones (e.g. its first thread's malloc arena).
cycle 0
s_before=$(shim_res "$shim")
h_before=$(host_res)
echo "shim before $N cycles: $s_before; host: $h_before"
for i in $(seq "$N"); do
	cycle "$i"
	[ $((i % 10)) = 0 ] && echo "pod cycles: $i of $N done (${SECONDS}s)"
done
# containerd's delete returns before the shim's threads that served the
# last member ended: wait (up to 10s) for the counts to come back.
for _ in $(seq 10); do
	s_after=$(shim_res "$shim")
	[ "$(field "$s_after" fds) $(field "$s_after" threads)" = \
		"$(field "$s_before" fds) $(field "$s_before" threads)" ] && break
	sleep 1
done
h_after=$(host_res)
echo "shim after $N cycles:  $s_after; host: $h_after"
[ "$(field "$s_after" fds)" = "$(field "$s_before" fds)" ] ||
	{ ls -l /proc/"$shim"/fd; fail "the shim's fds grew over $N cycles"; }
[ "$(field "$s_after" threads)" = "$(field "$s_before" threads)" ] ||
	fail "the shim's threads grew over $N cycles"
# RSS slack: glibc's malloc keeps freed memory in its arenas (one per
# thread that allocated, up to 8 per core) and does not give all of it
# back, so RSS may rise once by a bounded amount; a leak grows with N
# (100 cycles in `make soak`: a leak over 20 KiB a cycle shows).
grow=$(( $(field "$s_after" rss_kib) - $(field "$s_before" rss_kib) ))
echo "shim RSS grew by $grow KiB over $N cycles (slack 2048 KiB)"
[ $grow -le 2048 ] || fail "the shim's RSS grew by $grow KiB over $N cycles"
[ "$h_after" = "$h_before" ] || fail "host resources grew over $N cycles: $h_before -> $h_after"
echo "pod cycles: passed (${SECONDS}s)"

# ---- 3. 20 execs at once in one container
if part_wanted execs; then
	SECONDS=0
	pids=()
	for i in $(seq 20); do
		( out=$(timeout -k 10 150 ctr task exec --exec-id "px$i" cy-sb \
			sh -c "echo token-$i-$$; exit $((100 + i))" 2>&1)
		  echo $? >/tmp/px"$i".rc; printf '%s\n' "$out" >/tmp/px"$i".out ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	bad=0
	for i in $(seq 20); do
		[ "$(cat /tmp/px"$i".out)" = "token-$i-$$" ] && [ "$(cat /tmp/px"$i".rc)" = $((100 + i)) ] && continue
		echo "exec $i: status $(cat /tmp/px"$i".rc), output '$(cat /tmp/px"$i".out)'"
		bad=$((bad + 1))
	done
	if [ $bad != 0 ]; then
		echo "$bad of 20 execs at once went wrong (${SECONDS}s); the shim's lines about them:"
		grep -E 'px[0-9]+' /tmp/containerd.log | tail -40
		ctr task ps cy-sb
	fi
	for i in $(seq 20); do
		[ "$(cat /tmp/px"$i".out)" = "token-$i-$$" ] || fail "exec $i of 20 at once printed '$(cat /tmp/px"$i".out)'"
		[ "$(cat /tmp/px"$i".rc)" = $((100 + i)) ] || fail "exec $i of 20 at once: status $(cat /tmp/px"$i".rc), wanted $((100 + i))"
	done
	echo "20 execs at once: 20 outputs and statuses right (${SECONDS}s)"
fi

# stream_watch SECS WHAT - in the background: a stream still running
# after SECS gets the shim's SIGUSR1 dump printed (each vsock connection's
# bytes and credit, the queues' indices, the stdio relays: where it
# stands), long before the suite's time limit; stream_unwatch ends it.
stream_watch() {
	( sleep "$1"; echo "    --- $2 still running after $1 s: the shim's dump"
	  shim_dump | sed 's/^/    /' ) &
	watch_pid=$!
}
stream_unwatch() { kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; }

# ---- 4. large streams: stdout and stdin, sha256 of what went in and out
if part_wanted streams; then
	SECONDS=0
	mkdir -p $DATA
	head -c "${OUT_MIB}M" /dev/urandom >$DATA/out.bin || fail "make $OUT_MIB MiB of data"
	want=$(sha256sum <$DATA/out.bin | cut -d' ' -f1)
	rm -f /tmp/so.n /tmp/so.rc
	stream_watch $((120 + OUT_MIB / 2)) "the stdout stream"
	got=$( { timeout -k 10 1800 ctr run --rm "${CRT[@]}" "${MEMBER[@]}" \
		--mount type=bind,src=$DATA,dst=/data,options=rbind:ro $IMG so cat /data/out.bin
		echo $? >/tmp/so.rc; } | tee >(wc -c >/tmp/so.n) | sha256sum | cut -d' ' -f1)
	stream_unwatch
	rc=$(cat /tmp/so.rc)
	for _ in $(seq 10); do [ -s /tmp/so.n ] && break; sleep 1; done
	echo "stdout: $(cat /tmp/so.n) bytes out of $((OUT_MIB << 20)), sha256 $got (wanted $want), ${SECONDS}s"
	[ "$rc" = 0 ] || fail "stdout stream: ctr run status $rc"
	[ "$(cat /tmp/so.n)" = $((OUT_MIB << 20)) ] || fail "stdout stream: $(cat /tmp/so.n) bytes"
	[ "$got" = "$want" ] || fail "stdout stream: sha256 differs"
	rm -f $DATA/out.bin
	SECONDS=0
	head -c "${IN_MIB}M" /dev/urandom >$DATA/in.bin || fail "make $IN_MIB MiB of data"
	want=$(sha256sum <$DATA/in.bin | cut -d' ' -f1)
	# ctr 1.6 sends CloseIO only when its stdin ends after the task was
	# created (t-shim-ctr.sh, stdin): the data comes after a pause.
	stream_watch $((120 + IN_MIB)) "the stdin stream"
	out=$( (sleep 5; cat $DATA/in.bin) | timeout -k 10 1800 ctr run --rm "${CRT[@]}" "${MEMBER[@]}" \
		$IMG si sha256sum 2>&1)
	rc=$?
	stream_unwatch
	echo "stdin: the container read sha256 '$out' (wanted $want), status $rc, ${SECONDS}s"
	[ $rc = 0 ] || fail "stdin stream: ctr run status $rc"
	[ "$(head -1 <<<"$out")" = "$want  -" ] || fail "stdin stream: sha256 differs"
	rm -f $DATA/in.bin
fi
stop cy-sb

# ---- 2b. N `ctr run --rm`, each its own shim and VM with a tap
if part_wanted runs; then
	SECONDS=0
	h_before=$(host_res)
	for i in $(seq "$N"); do
		out=$($T ctr run --rm "${RT[@]}" --with-ns network:/var/run/netns/$NS $IMG "rr$i" \
			sh -c "echo run-$i; exit $((i % 50 + 1))" 2>&1)
		rc=$?
		[ "$out" = "run-$i" ] || fail "run $i: output '$out'"
		[ $rc = $((i % 50 + 1)) ] || fail "run $i: status $rc, wanted $((i % 50 + 1))"
		[ $((i % 10)) = 0 ] && echo "runs: $i of $N done (${SECONDS}s)"
	done
	check_nothing_left
	h_after=$(host_res)
	echo "host before $N runs: $h_before; after: $h_after; with nothing running at first: $h_idle"
	[ "$h_after" = "$h_before" ] || fail "host resources grew over $N runs: $h_before -> $h_after"
	[ "$h_after" = "$h_idle" ] || fail "host resources grew over this test: $h_idle -> $h_after"
	echo "runs: passed (${SECONDS}s)"
fi
kill $events_pid
trap 'cleanup' EXIT
echo "all reliability checks passed"
