#!/usr/bin/env bash
# The kernel's verifier rejecting one of our programs is said as such (the program and the
# verifier's last line), never read as a kernel limit, and never skipped over silently by
# auto. A real rejection, without any test hook in the binary: a copy of this kernel's BTF
# with one field renamed, given with --btf. libbpf cannot relocate the programs' reads of that
# field, marks them invalid, and the verifier refuses the program ("invalid CO-RE relocation").
#  - skc_family (read by every backend's programs): every backend is rejected;
#  - snd_una (read only by the fentry and kprobe programs' SYN-ACK check): auto falls back to
#    the tracepoint backend after the rejection, and says so.
#  - tcp_mstamp (read only by the tracepoint backend's BTF tracepoint programs): the backend
#    falls back to its raw tracepoint programs after the rejection, and says so.
. "$(dirname "$0")/common.sh"
require_bpf
PORT=41820

# renamed_btf FIELD NEW: a copy of the kernel's BTF with FIELD's name changed (same length).
renamed_btf() {
	cp /sys/kernel/btf/vmlinux "$WORK/$1.btf" &&
		LC_ALL=C sed -i "s/$1/$2/g" "$WORK/$1.btf" &&
		! cmp -s /sys/kernel/btf/vmlinux "$WORK/$1.btf"
}
renamed_btf skc_family skc_fXmily || { not_ok "BTF copy with skc_family renamed" "sed failed"; exit 1; }
renamed_btf snd_una snd_uXa || { not_ok "BTF copy with snd_una renamed" "sed failed"; exit 1; }
renamed_btf tcp_mstamp tcp_mstXmp || { not_ok "BTF copy with tcp_mstamp renamed" "sed failed"; exit 1; }

# What a verifier rejection must not be reported as.
misread='lockdown|needs Linux|cannot run fentry|Invalid argument|Permission denied'

# 1. One backend, rejected: one line naming the program and the verifier's last line.
"$T" --btf "$WORK/skc_family.btf" --backend=tracepoint -d 1 >/dev/null 2>"$WORK/tp.err"
rc=$?
expect "tracepoint rejected by the verifier: exit 1, one line naming the program and the verifier's last line" \
	"status $rc: $(cat "$WORK/tp.err")" eval "test $rc = 1 -a \"\$(wc -l <'$WORK/tp.err')\" = 1 &&
	grep -Eq \"verifier rejected program 'tp_[a-z_]+': .*skc_family\" '$WORK/tp.err' &&
	! grep -Eq '$misread' '$WORK/tp.err'"

# 2. auto, every backend rejected (fentry may be refused before the verifier, with EPERM on
#    this host: that line may say lockdown).
"$T" --btf "$WORK/skc_family.btf" -d 1 >/dev/null 2>"$WORK/auto.err"
rc=$?
expect "auto, all rejected: exit 1, kprobe and tracepoint named as verifier rejections" \
	"status $rc: $(cat "$WORK/auto.err")" eval "test $rc = 1 &&
	grep -Eq \"^  kprobe +.*verifier rejected program 'kprobe_[a-z0-9_]+': .*skc_family\" '$WORK/auto.err' &&
	grep -Eq \"^  tracepoint +.*verifier rejected program 'tp_[a-z_]+': .*skc_family\" '$WORK/auto.err' &&
	! grep -E '^  (kprobe|tracepoint)' '$WORK/auto.err' | grep -Eq '$misread'"

# 3. -v: the verifier's log itself (its instructions and its count of them).
"$T" -v --btf "$WORK/skc_family.btf" --backend=tracepoint -d 1 >/dev/null 2>"$WORK/v.err"
expect "-v: the verifier's log is shown" "$(grep -v '^libbpf: prog' "$WORK/v.err" | tail -5)" \
	eval "grep -Eq '^[0-9]+: \\([0-9a-f]{2}\\)' '$WORK/v.err' && grep -q '^processed [0-9]* insns' '$WORK/v.err'"

# 4. auto falls back after a rejection, and says so: the fentry/kprobe programs are rejected,
#    the tracepoint backend runs (and traces).
if start_tracer fall -L -P $PORT --btf "$WORK/snd_una.btf"; then
	lport=$(lport_of "$(conn -l 127.0.0.1 $PORT)")
	wait_line "$WORK/fall.out" "\$5 == ${lport:-x}"
	stop_tracer "$TRACER_PID"
	expect "auto after a rejection: a warning naming the program and the verifier's last line, then tracing" \
		"$(cat "$WORK/fall.err"); row: $(row_for "$WORK/fall.out" 5 "${lport:-x}")" \
		eval "grep -Eq \"verifier rejected program '(kprobe|fentry)_rcv_state': .*snd_una\" '$WORK/fall.err' &&
		test -n \"\$(row_for '$WORK/fall.out' 5 '${lport:-x}')\""
else
	not_ok "auto after a rejection: the tool starts" "$(cat "$WORK/fall.err")"
fi

# 5. The tracepoint backend's BTF tracepoint programs rejected: its raw ones run (and trace),
#    after one line naming the rejected program and the verifier's last line.
if start_tracer raw -L -P $((PORT + 1)) --backend=tracepoint --btf "$WORK/tcp_mstamp.btf"; then
	progs=$(for f in /proc/"$TRACER_PID"/fdinfo/*; do sed -n 's/^prog_id:[[:space:]]*//p' "$f"; done |
		while read -r id; do bpftool prog show id "$id" | sed -n 's/.* name \([^ ]*\) .*/\1/p'; done |
		sort -u | tr '\n' ' ')
	lport=$(lport_of "$(conn -l 127.0.0.1 $((PORT + 1)))")
	wait_line "$WORK/raw.out" "\$5 == ${lport:-x}"
	stop_tracer "$TRACER_PID"
	expect "BTF tracepoints rejected: one line naming the program and the verifier's last line, then raw tracepoints trace" \
		"$(cat "$WORK/raw.err"); programs: $progs; row: $(row_for "$WORK/raw.out" 5 "${lport:-x}")" \
		eval "test \"\$(wc -l <'$WORK/raw.err')\" = 1 &&
		grep -Eq \"BTF tracepoints failed: the kernel's verifier rejected program 'btf_set_state': .*tcp_mstamp.*using raw tracepoints\" '$WORK/raw.err' &&
		[[ ' $progs ' == *' tp_set_state '* && ' $progs ' != *' btf_set_state '* ]] &&
		test -n \"\$(row_for '$WORK/raw.out' 5 '${lport:-x}')\""
else
	not_ok "BTF tracepoints rejected: the tool starts with raw tracepoints" "$(cat "$WORK/raw.err")"
fi
