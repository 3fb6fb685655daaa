# containerd-shim-husk-v2 end to end: ctr runs busybox containers in husk
# VMs (runtime io.containerd.husk.v2) and sees what runc gives it: output,
# exit statuses, stdin, exec, kill, metrics, pause/resume, a terminal with
# its size, a binary:// logger; and nothing is left behind. The shim logs
# where the time of a start and a teardown goes (at debug level, so
# containerd runs with --log-level debug).
. "$(dirname "$0")/lib.sh"
# No /etc/husk/config.json (the rig's /etc is read-only): built-in
# defaults, 256 MiB and 1 vCPU, roots on the virtio-fs share.
shim_test_setup --log-level debug
RT=(--runtime io.containerd.husk.v2)
T="timeout -k 10 300"
trap 'shim_show_debug; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT

# 1. output
out=$($T ctr run --rm "${RT[@]}" husk.test/busybox:latest c1 echo hello-from-husk 2>&1)
echo "c1: $out"
[ "$out" = hello-from-husk ] || fail "c1: unexpected output"

# 1b. its phase lines: the start as Start answers, the teardown as the
# shim exits (containerd may return before that: wait for it)
STOP_VM="release shutdown vm-stop vm-destroy net virtiofsd hooks shim-exit"
check_phases start c1 "spec share vm-create virtiofsd devices vm-start kernel marker agent \
net rootfs create stdio hooks containerd start"
for _ in $(seq 20); do
	[ -n "$(phase_line stop c1)" ] && break
	sleep 1
done
check_phases stop c1 "exit drain delete $STOP_VM"
# ... and where the time before Create went: `start` up to the daemon's
# run, the daemon's setup up to its ready report, containerd's time to Create
check_phases shim-start c1 "start daemon containerd"

# 2. exit status; and the guest kernel took the options that cut its
# boot (README, "Guest kernel options"): it knows both, and it kept the
# initramfs (no "Freeing initrd memory" line, while the other Freeing
# lines show that its log was read)
out=$($T ctr run --rm "${RT[@]}" husk.test/busybox:latest c2 sh -c 'cat /proc/cmdline; dmesg; exit 3' 2>&1)
rc=$?
[ $rc = 3 ] || fail "c2: exit status $rc, wanted 3"
echo "c2: exit status 3 passed through"
grep -q 'noreplace-smp retain_initrd' <<<"$out" || fail "c2: guest cmdline without the boot options: $(head -1 <<<"$out")"
grep -q 'Freeing unused kernel image' <<<"$out" || fail "c2: no guest kernel log read: $(head -5 <<<"$out")"
expect_known_options "$out" 'noreplace-smp|retain_initrd' c2
! grep -q 'Freeing initrd memory' <<<"$out" || fail "c2: the guest freed its initramfs despite retain_initrd"
echo "c2: guest kernel took noreplace-smp and retain_initrd"
# By now a sandbox has learnt virtiofsd's flavour and c2's took it from
# there (no `virtiofsd --version` run); each VM's teardown split in the log.
grep -q 'virtiofsd /[^ ]*: C daemon (remembered in /run/husk/virtiofsd-flavour)' /tmp/containerd.log ||
	fail "c2: virtiofsd's flavour was not taken from /run/husk/virtiofsd-flavour"
destroyed=$(grep -o 'vmm: VM destroyed in [0-9.]* ms: stop [0-9.]*, devices [0-9.]*, vCPUs [0-9.]*, KVM VM [0-9.]*, guest RAM [0-9.]*' \
	/tmp/containerd.log | head -1)
[ -n "$destroyed" ] || fail "no 'VM destroyed in' line of libhusk in the shim log"
echo "c1: $destroyed"

# 3. a detached container: exec, metrics, kill, delete
$T ctr run -d "${RT[@]}" husk.test/busybox:latest c4 sleep 1000 || fail "c4: run -d"
out=$($T ctr task exec --exec-id e1 c4 sh -c 'echo written >/tmp/f; cat /tmp/f; exit 5' 2>&1)
rc=$?
echo "c4 exec: $out (status $rc)"
[ "$out" = written ] || fail "c4: exec output"
[ $rc = 5 ] || fail "c4: exec status $rc, wanted 5"
out=$($T ctr task exec --exec-id e2 c4 cat /tmp/f 2>&1)
[ "$out" = written ] || fail "c4: a write is not visible to the next exec: $out"
$T ctr task ls
$T ctr task metrics c4 || fail "c4: metrics"
$T ctr task ps c4 || fail "c4: ps"
# Update, as CRI's UpdateContainerResources sends it (ctr 1.6 cannot):
# the limits reach the container's cgroup in the guest; Metrics shows them.
addr=$(cat /run/containerd/io.containerd.runtime.v2.task/default/c4/address)
out=$($T "$top/build/tests/shim-update" "$addr" default c4 \
	'{"memory":{"limit":67108864},"pids":{"limit":50}}' 2>&1) || fail "c4: update: $out"
m=$($T ctr task metrics c4)
echo "$m" | grep -E 'memory.usage_limit|pids.limit'
echo "$m" | grep -Eq 'memory\.usage_limit +67108864' || fail "c4: Update's memory limit is not in the metrics"
echo "$m" | grep -Eq 'pids\.limit +50' || fail "c4: Update's pids limit is not in the metrics"
out=$("$top/build/tests/shim-update" "$addr" default c4 '[1,2]' 2>&1) &&
	fail "c4: an Update with an array for resources succeeded"
echo "c4 update with [1,2]: $out"
# An exec that runs on while c4 is paused below: its ctr waits for it
# (a Wait in progress in the shim, for the dump below).
ctr task exec --exec-id e5 c4 sleep 1000 </dev/null >/dev/null 2>&1 &
waiter=$!
for _ in $(seq 60); do
	[ "$(ctr task ps c4 | wc -l)" -ge 3 ] && break # a header, init and e5
	sleep 0.5
done
[ "$(ctr task ps c4 | wc -l)" -ge 3 ] || { ctr task ps c4; fail "c4: exec e5 did not start"; }
# pause and resume: the state follows, an exec is refused while paused
# (husk-init's agent suite checks that the cgroup really stops running)
$T ctr task pause c4 || fail "c4: pause"
ctr task ls | grep -q 'c4.*PAUSED' || { ctr task ls; fail "c4: not PAUSED after pause"; }
out=$($T ctr task exec --exec-id e3 c4 true 2>&1) && fail "c4: exec while paused succeeded"
echo "c4 exec while paused: $out"
# SIGUSR1 to c4's shim while c4 is paused and e5's Wait is in progress:
# the dump in the shim log names the ttrpc request, the agent requests
# waiting, each vCPU's state and husk-init's stdio relays (a paused
# container freezes its cgroup in the guest, not the VM: the vCPU idles in
# the guest). README: diagnosing a stuck call.
for _ in $(seq 20); do
	dump=$(shim_dump c4) || fail "c4: no shim daemon found for SIGUSR1"
	grep -q 'msg="dump: ttrpc Wait (stream [0-9]*) running for [0-9.]* s"' <<<"$dump" && break
	sleep 0.5
done
echo "c4 dump:"; grep -o 'dump: [^"]*' <<<"$dump"
grep -Eq 'msg="dump: [0-9]+ task\(s\) in this shim, [1-9][0-9]* ttrpc request\(s\) in progress"' <<<"$dump" ||
	fail "c4: the dump has no task/request count line"
grep -q 'msg="dump: ttrpc Wait (stream [0-9]*) running for [0-9.]* s"' <<<"$dump" ||
	fail "c4: the dump does not show the Wait in progress"
grep -q 'msg="dump: 0 agent request(s) waiting for husk-init"' <<<"$dump" ||
	fail "c4: the dump does not say that no agent request waits"
grep -Eq 'msg="dump: vcpu 0 (in guest|in exit [a-z-]+[^"]*|paused) for [0-9.]+ s' <<<"$dump" ||
	fail "c4: the dump has no state of vCPU 0"
grep -q 'msg="dump: end"' <<<"$dump" || fail "c4: the dump has no end line"
# husk-init's side of e5's output, asked of the guest by the dump and
# logged when it answered (shim_dump waits for that)
grep -Eq 'msg="dump: husk-init relay: c4 exec e5 pid [0-9]+ stdout: moved [0-9]+ bytes, buffered [0-9]+, [^"]+, last progress [0-9]+ ms ago"' <<<"$dump" ||
	fail "c4: the dump has no husk-init relay line for e5's stdout"
grep -q 'msg="dump: husk-init relay: end"' <<<"$dump" || fail "c4: the relay query did not end"
$T ctr task resume c4 || fail "c4: resume"
ctr task ls | grep -q 'c4.*RUNNING' || { ctr task ls; fail "c4: not RUNNING after resume"; }
out=$($T ctr task exec --exec-id e4 c4 cat /tmp/f 2>&1)
[ "$out" = written ] || fail "c4: exec after resume: $out"
echo "c4: paused and resumed"
$T ctr task kill --exec-id e5 -s KILL c4 || fail "c4: kill e5"
wait $waiter # e5's ctr returns once e5 is gone
$T ctr task kill -s KILL c4 || fail "c4: kill"
for _ in $(seq 60); do
	ctr task ls | grep -q 'c4.*STOPPED' && break
	sleep 1
done
ctr task ls | grep c4
ctr task ls | grep -q 'c4.*STOPPED' || fail "c4: not STOPPED after kill"
$T ctr task delete c4 || fail "c4: task delete"
$T ctr container delete c4 || fail "c4: container delete"

# 4. SIGKILL of a foreground container: 137
($T ctr run --rm "${RT[@]}" husk.test/busybox:latest c5 sleep 1000; echo $? >/tmp/c5.rc) &
c5_pid=$!
for _ in $(seq 120); do
	ctr task ls | grep -q 'c5.*RUNNING' && break
	sleep 1
done
ctr task kill -s KILL c5
wait $c5_pid
rc=$(cat /tmp/c5.rc)
[ "$rc" = 137 ] || fail "c5: status $rc after SIGKILL, wanted 137"
echo "c5: SIGKILL gave 137"
# its teardown began with the Kill
for _ in $(seq 20); do
	[ -n "$(phase_line stop c5)" ] && break
	sleep 1
done
check_phases stop c5 "kill exit drain delete $STOP_VM"

# 5. stdin (ctr 1.6 always attaches its stdin: no -i flag). ctr 1.6 sends
# CloseIO only when its stdin ends after the task was created: with an
# immediate EOF (`echo data | ctr run ... cat`) cat never ends with runc
# either (seen in the rig). So the data arrives after the task started.
out=$( (sleep 8; echo data-through-stdin) |
	timeout -k 10 120 ctr run --rm "${RT[@]}" husk.test/busybox:latest c3 cat 2>&1)
echo "c3: $out"
if [ "$out" != data-through-stdin ] || ctr task ls -q | grep c3 >/dev/null; then
	ctr task kill -s KILL c3; sleep 5; ctr task delete c3; ctr container delete c3
	fail "c3: stdin not piped through, or its EOF did not end cat"
fi

# 6. -t: a terminal. ctr takes its own stdin as the console, so it runs
# under script(1) on a pty sized 37x111; ctr passes that size on with
# ResizePty, and the container sees a pty of that size.
out=$(timeout -k 10 180 script -qec "stty rows 37 cols 111; ctr run --rm -t ${RT[*]} \
	husk.test/busybox:latest c7 sh -c 'tty; stty size; exit 4'" /dev/null </dev/null 2>&1)
rc=$?
out=$(printf '%s' "$out" | tr -d '\r')
echo "c7 (-t): $out (status $rc)"
# (script's pty echoes what it forwards, so a line may carry a ^@ first)
printf '%s\n' "$out" | grep -Eq '(^|\^@)/dev/pts/[0-9]+$' || fail "c7: no pty inside the container"
printf '%s\n' "$out" | grep -qx '37 111' || fail "c7: the terminal size did not reach the container"
[ $rc = 4 ] || fail "c7: status $rc through the terminal, wanted 4"

# 7. binary:// logging: a logger program (started by the shim with the
# query words as arguments) gets stdout on fd 3 and stderr on fd 4.
cat >/tmp/c8-logger <<'LOGGER'
#!/bin/sh
mkdir -p "$2" && cd "$2" || exit 1
echo "$CONTAINER_ID $CONTAINER_NAMESPACE $*" >env
exec 5>&-
cat <&3 >out & cat <&4 >err
wait
LOGGER
chmod 755 /tmp/c8-logger
$T ctr run --rm "${RT[@]}" --log-uri "binary:///tmp/c8-logger?dir=/tmp/c8-log" \
	husk.test/busybox:latest c8 sh -c 'echo out-line; echo err-line >&2; exit 6'
rc=$?
sleep 1
echo "c8: status $rc, logger saw: $(cat /tmp/c8-log/env 2>&1) | out: $(cat /tmp/c8-log/out 2>&1) | err: $(cat /tmp/c8-log/err 2>&1)"
[ $rc = 6 ] || fail "c8: status $rc with a binary logger, wanted 6"
[ "$(cat /tmp/c8-log/env)" = "c8 default dir /tmp/c8-log" ] || fail "c8: logger arguments/environment"
[ "$(cat /tmp/c8-log/out)" = out-line ] || fail "c8: stdout did not reach the logger"
[ "$(cat /tmp/c8-log/err)" = err-line ] || fail "c8: stderr did not reach the logger"

# 8. a shim killed with SIGKILL (and its VM with it, being one process):
# containerd 1.6 notices, runs the shim's delete command ("cleaning up
# dead shim") and drops the task; check_nothing_left below looks for what
# would remain.
$T ctr run -d "${RT[@]}" husk.test/busybox:latest c9 sleep 1000 || fail "c9: run -d"
pkill -KILL -f 'containerd-shim-husk-v2.*-id c9' || fail "c9: no shim process to kill"
for _ in $(seq 60); do
	ctr task ls | grep -q 'c9.*RUNNING' || break
	sleep 1
done
ctr task ls | grep -q 'c9.*RUNNING' && fail "c9: still RUNNING after its shim was killed"
grep -q 'cleaning up dead shim' /tmp/containerd.log || fail "c9: containerd did not clean up the dead shim"
ctr task delete c9 >/dev/null 2>&1	# gone already, as with runc
$T ctr container delete c9 || fail "c9: container delete"
echo "c9: killed shim cleaned up"

# 9. --privileged: the spec lists every device of level 1's /dev, some in
# folders the container's fresh /dev lacks (/dev/net/tun, /dev/input/...);
# they are made as runc makes them, with the mode the spec gives.
nested=$(find /dev -mindepth 2 -type c ! -path '/dev/pts/*' ! -path '/dev/shm/*' 2>/dev/null | sort | head -1)
[ -n "$nested" ] || fail "cp1: level 1 has no device in a folder of /dev to look for"
out=$($T ctr run --rm --privileged "${RT[@]}" husk.test/busybox:latest cp1 \
	stat -c "%n %t:%T %a" /dev/kvm "$nested" 2>&1)
echo "cp1 (--privileged): $(echo "$out" | tr '\n' ' ')"
want=$(stat -c "%n %t:%T %a" /dev/kvm "$nested")
[ "$out" = "$want" ] || fail "cp1: wanted level 1's nodes: $(echo "$want" | tr '\n' ' ')"

# 9b. a chatty guest: the console log is capped at "console_log_max_bytes"
# (4096 here) with one older husk-console.log.1, neither ever larger, the
# newest lines kept in order across the two, the oldest gone. The container writes to the
# guest's COM1 itself (its /dev/ttyS0, there with --privileged).
echo '{"console_log_max_bytes": 4096}' >/tmp/husk-console.json
# shellcheck disable=SC2016 # the container's shell expands $i
$T ctr run -d --privileged "${RT[@]}" --runtime-config-path /tmp/husk-console.json \
	husk.test/busybox:latest cc1 sh -c 'i=0; { while [ $i -lt 1000 ]; do
		echo "husk-chatty-line-$i"; i=$((i+1)); done; echo done-writing; } >/dev/ttyS0
		sleep 1000' || fail "cc1: run -d"
con=/run/containerd/io.containerd.runtime.v2.task/default/cc1/husk-console.log
t0=$(date +%s)
for _ in $(seq 150); do
	grep -q done-writing "$con" 2>/dev/null && break
	sleep 1
done
grep -q done-writing "$con" || fail "cc1: the console log has no done-writing line"
echo "cc1: 1000 lines through the guest's COM1 in about $(($(date +%s) - t0))s"
ls -l "$con" "$con.1"
[ "$(stat -c %s "$con.1")" = 4096 ] || fail "cc1: husk-console.log.1 is not 4096 bytes"
[ "$(stat -c %s "$con")" -le 4096 ] || fail "cc1: husk-console.log is over 4096 bytes"
# The chatty lines kept: consecutive, ending with the last one written.
nums=$(cat "$con.1" "$con" | tr -d '\r' | grep -o '^husk-chatty-line-[0-9]*$' | sed 's/.*-//')
echo "cc1: lines $(echo "$nums" | head -1)..$(echo "$nums" | tail -1) kept"
[ "$(echo "$nums" | tail -1)" = 999 ] || fail "cc1: the last line kept is not 999"
[ "$(echo "$nums" | head -1)" -gt 0 ] || fail "cc1: 22 KB of lines, and the oldest were kept"
echo "$nums" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }' ||
	fail "cc1: the kept lines are not consecutive"
# About 23 bytes a line: at least 4096 bytes are kept, so at least 178 lines.
[ "$(echo "$nums" | wc -l)" -ge 150 ] || fail "cc1: fewer than 150 lines kept"
$T ctr task kill -s KILL cc1
for _ in $(seq 60); do
	ctr task ls | grep -q 'cc1.*RUNNING' || break
	sleep 1
done
$T ctr task delete cc1 || fail "cc1: task delete"
$T ctr container delete cc1 || fail "cc1: container delete"
echo "cc1: console log capped at 4096 bytes, one rotated file"

# 10. nothing left: no shim, no per-container disks, no sockets, no mounts
check_nothing_left
echo "cached layer images: $(ls /var/lib/husk/images)"
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all shim checks passed"
