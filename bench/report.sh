#!/usr/bin/env bash
# Turns the benchmark rows (results-host.csv, results-vm.csv in DIR) into DIR/report.md and
# prints it. Medians, and ratios to the untraced rate of the same round.
#   report.sh DIR
set -u
dir=${1:?usage: report.sh DIR}
host=$dir/results-host.csv
vm=$dir/results-vm.csv
[ -f "$host" ] || { echo "report: no $host: run bench/bench.sh first" >&2 && exit 1; }
files=("$host")
[ -f "$vm" ] && files+=("$vm")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)

awk -F, -v date="$(date -u +%Y-%m-%d)" -v cpu="$cpu" -v ncpu="$(nproc)" -v mem="$mem" '
function sort(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}
# The median of the numbers in the space-separated list s.
function median(s,   a, n, i) {
	n = split(s, a, " ")
	if (!n) return ""
	for (i in a) a[i] += 0
	sort(a, n)
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(s,   a, n, i) { n = split(s, a, " "); for (i in a) a[i] += 0; sort(a, n); return a[1] }
function hi(s,   a, n, i) { n = split(s, a, " "); for (i in a) a[i] += 0; sort(a, n); return a[n] }
function add(arr, k, v) { arr[k] = (k in arr) ? arr[k] " " v : v }
function first(k, list, n) { if (!((list, k) in seenk)) { seenk[list, k] = 1; n = ++count[list]; order[list, n] = k } }
FNR == 1 { next }
{
	k = $1; sec = $2; v = $3; load = $4; key = $5; m = $6; val = $7
	kern[k] = 1
	first(k, "kernels")
	if (sec == "info") { info[k] = info[k] "- " v ": " val "\n"; next }
	if (sec == "overhead") {
		first(k SUBSEP v, "variants")
		if (m == "rate") { rate[k, v, load, key] = val; add(rates, k SUBSEP v SUBSEP load, val); first(load, "loads") }
		else if (m == "lines") { lines[k, v] += val }
		else if (m == "connects") { conns[k, v] += val }
		else if (m == "lost") { lost[k, v] += val }
		rounds[k, key] = 1
	}
	if (sec == "rss") add(rss, k SUBSEP v, val)
	# bpf_stats rows repeat once per round: medians at the end (medians()).
	if (sec == "bpf") {
		if (key == "all") { first(k SUBSEP v SUBSEP load, "costs"); add(bpfalll, k SUBSEP v SUBSEP load, val) }
		else if (key == "syscalls") add(bpfsysl, k SUBSEP v SUBSEP load, val)
		else { first(k SUBSEP v SUBSEP load SUBSEP key, "progs"); add(bpfl, k SUBSEP v SUBSEP load SUBSEP key SUBSEP m, val) }
	}
	if (sec == "lossless") { first(load SUBSEP v, "lossless"); ll[load, v, m] = val }
	if (sec == "stall") stall[m] = val
	if (sec == "names") names[v, m] = val
	if (sec == "pair") { first(v, "pairs"); pairbase[v] = val }
	if (sec == "userspace") { first(v, "umodes"); us[v, load] = val }
	if (sec == "scrape") { first(load, "ssets"); first(v, "sfmts"); sc[v, load, m] = val }
	if (sec == "startup") { add(st, k SUBSEP v SUBSEP m, val) }
	if (sec == "syscall") { first(v, "sysv"); add(sysl, v, val); sysr[v, key] = val }
	if (sec == "inflight") {
		first(load, "inflight"); infv[v] = 1
		if (m == "rate") add(infr, load SUBSEP v, val); else inf[load, v, m] += val
		if (m == "held") inf[load, v, "held"] = val
	}
}
function fmtrate(x) { return sprintf("%.0f", x) }
# The medians of the bpf_stats rows (bpf[], bpfall[]), and the part of each round outside the
# syscall tracepoints (all - syscalls, pairwise: the rows come in that order per round).
function medians(   x, a, b, n, i, rest) {
	for (x in bpfl) bpf[x] = median(bpfl[x])
	for (x in bpfalll) {
		bpfall[x] = median(bpfalll[x])
		n = split(bpfalll[x], a, " ")
		nrounds[x] = n
		if (!(x in bpfsysl)) continue
		split(bpfsysl[x], b, " ")
		rest = ""
		for (i = 1; i <= n; i++) rest = rest " " (a[i] - b[i])
		bpfsys[x] = median(bpfsysl[x])
		bpfrest[x] = median(rest)
	}
}
function mode(v) {
	if (v == "hist") return "-H (in-kernel histograms)"
	if (v == "exporter") return "--metrics --by dport (exporter)"
	if (v == "hist-container") return "-H --by container"
	if (v == "containers") return "per-line, -G -C"
	if (v == "rawtp") return "per-line, raw tracepoints"
	if (v == "names") return "per-line, -N"
	if (v == "bpftrace" || v == "bcc") return v
	return "per-line"
}
# ns per connect of each variant (all its programs), the medians of the rounds, and the split:
# the syscall tracepoints (sys_enter/exit_connect: the exporter and -x) and the rest.
function costsum(k, filter,   i, c, x) {
	print "| variant | mode | load | rounds | ns per connect (median) | min..max | syscall tracepoints | the rest |"
	print "|---|---|---|---:|---:|---:|---:|---:|"
	for (i = 1; i <= count["costs"]; i++) {
		split(order["costs", i], c, SUBSEP)
		if (c[1] != k || (filter != "" && c[2] !~ filter) || c[2] == "parts") continue
		x = k SUBSEP c[2] SUBSEP c[3]
		printf "| %s | %s | %s | %d | %s | %s..%s | %s | %s |\n", c[2], mode(c[2]), c[3], nrounds[x],
			bpfall[x], lo(bpfalll[x]), hi(bpfalll[x]), (x in bpfsys) ? bpfsys[x] : "-",
			(x in bpfrest) ? bpfrest[x] : "-"
	}
}
# The median of a variant rate over the untraced rate of the same round, or "-".
function ratio(k, v, l,   r, ratios) {
	ratios = ""
	for (r = 1; r <= 100; r++)
		if (((k, v, l, r) in rate) && ((k, "none", l, r) in rate) && rate[k, "none", l, r] > 0)
			ratios = ratios " " rate[k, v, l, r] / rate[k, "none", l, r]
	return ratios == "" ? "-" : sprintf("%.3f", median(ratios))
}
# Each mode side by side: its ratio to the untraced rate (medians of the rounds) and its
# programs ns per connect (bpf_stats, medians), resets (v4) and FINs (v4fin) where run.
function sidebyside(k,   i, v, kv, x4, xf) {
	print "| variant | mode | ratio, v4 (resets) | ratio, v4fin (FINs) | ratio, v6 | ns per connect, v4 | ns per connect, v4fin |"
	print "|---|---|---:|---:|---:|---:|---:|"
	for (i = 1; i <= count["variants"]; i++) {
		split(order["variants", i], kv, SUBSEP)
		if (kv[1] != k || kv[2] == "none") continue
		v = kv[2]; x4 = k SUBSEP v SUBSEP "v4"; xf = k SUBSEP v SUBSEP "v4fin"
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", v, mode(v), ratio(k, v, "v4"), ratio(k, v, "v4fin"),
			ratio(k, v, "v6"), (x4 in bpfall) ? bpfall[x4] : "-", (xf in bpfall) ? bpfall[xf] : "-"
	}
}
function overhead(k,   i, j, v, l, r, ratios, tag, kv) {
	print "| variant | load | median connects/s | ratio to untraced (median) | ratio min..max | lines / connects | lost (reported) |"
	print "|---|---|---:|---:|---:|---:|---:|"
	for (i = 1; i <= count["variants"]; i++) {
		split(order["variants", i], kv, SUBSEP)
		if (kv[1] != k) continue
		v = kv[2]
		for (j = 1; j <= count["loads"]; j++) {
			l = order["loads", j]
			if (!((k SUBSEP v SUBSEP l) in rates)) continue
			ratios = ""
			for (r = 1; r <= 100; r++)
				if (((k, v, l, r) in rate) && ((k, "none", l, r) in rate) && rate[k, "none", l, r] > 0)
					ratios = ratios " " rate[k, v, l, r] / rate[k, "none", l, r]
			tag = v == "none" ? "-" : lines[k, v] " / " conns[k, v]
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", v, l, fmtrate(median(rates[k, v, l])),
				v == "none" ? "1" : sprintf("%.3f", median(ratios)),
				v == "none" ? "-" : sprintf("%.3f..%.3f", lo(ratios), hi(ratios)),
				j == 1 ? tag : "", (j == 1 && v != "none" && v != "bpftrace" && v != "bcc") ? lost[k, v] + 0 : ""
		}
	}
}
function bpfcost(k, filter,   i, p, last) {
	print "| variant | load | program | runs per connect | ns per run | ns per connect (all programs) |"
	print "|---|---|---|---:|---:|---:|"
	for (i = 1; i <= count["progs"]; i++) {
		split(order["progs", i], p, SUBSEP)
		if (p[1] != k || (filter != "" && p[2] !~ filter) || p[2] == "parts") continue
		printf "| %s | %s | %s | %s | %s | %s |\n", p[2], p[3], p[4],
			bpf[k, p[2], p[3], p[4], "runs_per_connect"], bpf[k, p[2], p[3], p[4], "ns_per_run"],
			(p[2] SUBSEP p[3]) == last ? "" : bpfall[k, p[2], p[3]]
		last = p[2] SUBSEP p[3]
	}
}
# bench/parts.bpf.c: each piece of work, as ns per connect above an empty program on the same
# tracepoint (which is what bpf_stats itself, and running a program at all, cost).
function parts(k,   i, p, n, base, dbase, e) {
	base = bpf[k, "parts", "v4", "p_empty", "ns_per_run"]
	dbase = bpf[k, "parts", "v4", "p_destroy_empty", "ns_per_run"]
	if (base == "") return
	print "| program | what it does | runs per connect | ns per run | ns per connect | above the empty program (p_states_late: above p_states), per connect |"
	print "|---|---|---:|---:|---:|---:|"
	for (i = 1; i <= count["progs"]; i++) {
		split(order["progs", i], p, SUBSEP)
		if (p[1] != k || p[2] != "parts") continue
		n = p[4]
		e = n ~ /destroy/ ? dbase : n == "p_probe10" ? bpf[k, "parts", "v4", "p_empty_raw", "ns_per_run"] : base
		if (n == "p_states_late") e = bpf[k, "parts", "v4", "p_states", "ns_per_run"]
		printf "| %s | %s | %s | %s | %.0f | %s |\n", n, what[n], bpf[k, "parts", "v4", n, "runs_per_connect"],
			bpf[k, "parts", "v4", n, "ns_per_run"],
			bpf[k, "parts", "v4", n, "ns_per_run"] * bpf[k, "parts", "v4", n, "runs_per_connect"],
			(n ~ /empty|sys_exit/) ? "-" : sprintf("%.0f", (bpf[k, "parts", "v4", n, "ns_per_run"] - e) * bpf[k, "parts", "v4", n, "runs_per_connect"])
	}
}
function startup(k,   i, v, n, kv, tmp) {
	print "| variant | start-up ms (median) | min..max | runs | VmHWM at start (KiB) | VmHWM after the load rounds (KiB) |"
	print "|---|---:|---:|---:|---:|---:|"
	for (i = 1; i <= count["variants"]; i++) {
		split(order["variants", i], kv, SUBSEP)
		if (kv[1] != k || kv[2] == "none") continue
		v = kv[2]
		n = split(st[k, v, "ms"], tmp, " ")
		printf "| %s | %s | %s..%s | %d | %s | %s |\n", v, median(st[k, v, "ms"]), lo(st[k, v, "ms"]),
			hi(st[k, v, "ms"]), n, median(st[k, v, "hwm_kb"]), hi(rss[k, v])
	}
}
BEGIN {
	what["p_empty_raw"] = "nothing (raw tracepoint)"
	what["p_empty"] = "nothing (BTF tracepoint)"
	what["p_states"] = "the state test alone (ends 4 of the 6 runs)"
	what["p_states_late"] = "the state test after reading the socket (protocol, family)"
	what["p_sys_exit"] = "nothing, at each connect() return (syscall trace event)"
	what["p_ktime"] = "bpf_ktime_get_ns() at the start and at the end"
	what["p_task"] = "process id and comm at the start"
	what["p_cgroup"] = "the cgroup id at the start (-G, -C, cgroup-based --by keys)"
	what["p_probe10"] = "10 bpf_probe_read_kernel() at the end (raw tracepoint)"
	what["p_direct"] = "the same fields as plain loads, via bpf_skc_to_tcp_sock()"
	what["p_hash"] = "in-flight hash: insert, then lookup and delete"
	what["p_sk_storage"] = "socket storage: create, then lookup and clear"
	what["p_output"] = "one event to the perf buffer"
	what["p_ringbuf"] = "the same event through a BPF ring buffer (reserve, submit)"
	what["p_hist"] = "-H and the exporter: the histogram entry, four atomic adds"
	what["p_hist_pcpu"] = "the same in a per-CPU hash, plain adds"
	what["p_destroy"] = "hash lookup (a miss) at each socket destruction"
	what["p_destroy_empty"] = "nothing, at each socket destruction"
}
END {
	medians()
	# The host rows come first.
	hostk = order["kernels", 1]
	print "# tcpconnlat benchmarks"
	print ""
	printf "%s, host kernel %s, %d CPUs (%s), %s. Loopback connects by `bench/loadgen`; ", date, hostk, ncpu, cpu, mem
	print "variants run in interleaved rounds; ratios are to the untraced rate of the same round."
	print ""
	print "## Each mode side by side (host)"
	print ""
	sidebyside(hostk)
	print ""
	print "## Connect-path overhead (host)"
	print ""
	overhead(hostk)
	if (info[hostk] != "") { print ""; print "Not run on this kernel:"; printf "%s", info[hostk] }
	print ""
	print "## In-kernel cost per connect (host, bpf_stats, own network namespace)"
	print ""
	costsum(hostk, "^[a-z]+(-container)?$")
	print ""
	print "Per program (medians of the same rounds):"
	print ""
	bpfcost(hostk, "^[a-z]+(-container)?$")
	print ""
	print "## Every system call of the machine (host, bench/syscalls: ns per getppid(), medians of the rounds)"
	print ""
	print "| variant | mode | ns per syscall | min..max | added to every syscall (median of the rounds) |"
	print "|---|---|---:|---:|---:|"
	for (i = 1; i <= count["sysv"]; i++) {
		v = order["sysv", i]
		d = ""
		for (r = 1; r <= 100; r++)
			if (((v, r) in sysr) && (("none", r) in sysr)) d = d " " (sysr[v, r] - sysr["none", r])
		printf "| %s | %s | %s | %s..%s | %s |\n", v, v == "none" ? "untraced" : mode(v), median(sysl[v]),
			lo(sysl[v]), hi(sysl[v]), v == "none" ? "-" : sprintf("%.1f", median(d))
	}
	print ""
	print "## Where the nanoseconds go (host, bench/parts.bpf.c, IPv4 load with resets)"
	print ""
	parts(hostk)
	print ""
	print "## Lossless rate (host; 2 threads, paced; rate 0 = as fast as possible)"
	print ""
	print "| buffer | target/s | achieved/s | connects | lines | lost (reported) | accounted | ns per connect (BPF) |"
	print "|---|---:|---:|---:|---:|---:|---|---:|"
	for (i = 1; i <= count["lossless"]; i++) {
		split(order["lossless", i], p, SUBSEP)
		c = ll[p[1], p[2], "connects"]; l = ll[p[1], p[2], "lines"]; x = ll[p[1], p[2], "lost"]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", p[1], p[2] == 0 ? "max" : p[2],
			ll[p[1], p[2], "rate"], c, l, x, (l + x == c) ? "yes" : "NO", bpfall[hostk, "rate-" p[2], p[1]]
	}
	printf "\nReader stalled (one-page buffer, output pipe not read for a while): %s connects, %s lines, %s reported lost (%s); still running afterwards: %s, and printed %s of 10 later connects.\n",
		stall["connects"], stall["lines"], stall["lost"],
		stall["lines"] + stall["lost"] == stall["connects"] ? "all accounted for" : "NOT all accounted for",
		stall["alive_after"] ? "yes" : "no", stall["lines_after"]
	print ""
	print "## Names (-N)"
	print ""
	for (i = 1; i <= count["progs"]; i++) {
		split(order["progs", i], p, SUBSEP)
		if (p[1] == hostk && p[2] == "names" && p[4] == "dns_ingress")
			nd[p[3]] = bpf[hostk, "names", p[3], "dns_ingress", "ns_per_run"]
	}
	printf "Idle (no DNS): the connect storm rate with -N is in the overhead table (variant names, against %s); dns_ingress costs %s ns per packet delivered (v4 load, resets), %s ns (FINs), none of them DNS.\n", \
		"the same backend without -N", nd["v4"], nd["v4fin"]
	printf "\nA DNS storm of %s s: %s answers sent, %s read and parsed, %s counted lost (%s); dns_ingress %s ns per answer.\n", \
		names["storm", "secs"], names["storm", "sent"], names["storm", "read"], names["storm", "lost"], \
		(names["storm", "read"] + names["storm", "lost"] >= names["storm", "sent"] ? "all accounted for" : "NOT all accounted for"), names["storm", "ns_per_answer"]
	printf "\nThe other hook candidate, a socket filter on a packet socket (bench/sockdns.bpf.c), on the same loads: %s ns per run, %s runs per connect (idle); %s ns per run, %s runs per answer (storm; %s packets read). It sees one network namespace only.\n", \
		names["idle", "sock_ns_per_run"], names["idle", "sock_runs_per"], names["storm", "sock_ns_per_run"], names["storm", "sock_runs_per"], names["storm", "sock_read"]
	print ""
	print "## Containers (-G -C, -H --by container)"
	print ""
	print "Each mode against the same mode without the container features, in the same rounds: the ratio of their rates per round (median, and the spread), and bpf_stats per connect (own network namespace, v4 and v4fin loads)."
	print ""
	print "| variant | against | load | rate ratio (median) | ratio min..max | ns per connect in BPF, with / without |"
	print "|---|---|---|---:|---:|---:|"
	for (i = 1; i <= count["pairs"]; i++) {
		v = order["pairs", i]; b = pairbase[v]
		for (j = 1; j <= count["loads"]; j++) {
			l = order["loads", j]
			ratios = ""
			for (r = 1; r <= 100; r++)
				if (((hostk, v, l, r) in rate) && ((hostk, b, l, r) in rate) && rate[hostk, b, l, r] > 0)
					ratios = ratios " " rate[hostk, v, l, r] / rate[hostk, b, l, r]
			if (ratios == "") continue
			printf "| %s | %s | %s | %.3f | %.3f..%.3f | %s |\n", v, b, l, median(ratios), lo(ratios), hi(ratios),
				((hostk, v, l) in bpfall) ? bpfall[hostk, v, l] " / " bpfall[hostk, b, l] : "-"
		}
	}
	pc = bpf[hostk, "parts", "v4", "p_cgroup", "ns_per_run"]; pe = bpf[hostk, "parts", "v4", "p_empty", "ns_per_run"]
	if (pc != "" && pe != "")
		printf "\nWhat they add in the kernel per connect is one bpf_get_current_cgroup_id() at its start: %.0f ns (p_cgroup above p_empty, \"Where the nanoseconds go\").\n", \
			(pc - pe) * bpf[hostk, "parts", "v4", "p_cgroup", "runs_per_connect"]
	mk = bpf[hostk, "cgroup-mkdir", "mkdir", "tp_cgroup_mkdir", "ns_per_run"]
	printf "\nThe cgroup tracepoints run per cgroup made or renamed, never per connect: tp_cgroup_mkdir %s ns per run, %s runs per cgroup made (mkdir and rmdir under -G -C).\n", \
		mk == "" ? "(not measured)" : mk, bpf[hostk, "cgroup-mkdir", "mkdir", "tp_cgroup_mkdir", "runs_per_connect"]
	if (count["pairs"] && (hostk SUBSEP "containers" SUBSEP "ms") in st)
		printf "\nStart-up with -G -C (the cgroup tree scanned before the header): %s ms median, against %s ms without.\n", \
			median(st[hostk, "containers", "ms"]), median(st[hostk, pairbase["containers"], "ms"])
	print ""
	print "## User-space throughput (synthetic events through the real formatting and output code)"
	print ""
	print "| output | to /dev/null, lines/s | to a pipe, lines/s |"
	print "|---|---:|---:|"
	for (i = 1; i <= count["umodes"]; i++) { u = order["umodes", i]; printf "| %s | %s | %s |\n", u, us[u, "devnull"], us[u, "pipe"] }
	print ""
	print "## Exporter scrape (expo_render, no kernel): time and size per format"
	print ""
	print "| label sets | format | ms per scrape (median) | bytes | time / text | bytes / text |"
	print "|---:|---|---:|---:|---:|---:|"
	for (i = 1; i <= count["ssets"]; i++) {
		n = order["ssets", i]
		for (j = 1; j <= count["sfmts"]; j++) {
			f = order["sfmts", j]
			printf "| %s | %s | %s | %s | %s | %s |\n", n, f, sc[f, n, "ms"], sc[f, n, "bytes"],
				(sc["text", n, "ms"] > 0 ? sprintf("%.2f", sc[f, n, "ms"] / sc["text", n, "ms"]) : "-"),
				(sc["text", n, "bytes"] > 0 ? sprintf("%.3f", sc[f, n, "bytes"] / sc["text", n, "bytes"]) : "-")
		}
	}
	print ""
	print "## Start-up and footprint (host)"
	print ""
	startup(hostk)
	print ""
	print "## Scaling with handshakes in flight (host, own network namespace, SYNs dropped)"
	print ""
	print "| in flight | untraced/s (median) | traced/s (median) | ratio | lines / connects | ns per connect (BPF, median) |"
	print "|---:|---:|---:|---:|---:|---:|"
	for (v in infv) if (v != "none") tv = v
	for (i = 1; i <= count["inflight"]; i++) {
		f = order["inflight", i]
		a = median(infr[f, "none"]); b = median(infr[f, tv])
		printf "| %s | %s | %s | %.3f | %s / %s | %s |\n", inf[f, "none", "held"], fmtrate(a), fmtrate(b),
			a ? b / a : 0, inf[f, tv, "lines"], inf[f, tv, "connects"], bpfall[hostk, "inflight-" f, tv]
	}
	for (i = 1; i <= count["kernels"]; i++) {
		k = order["kernels", i]
		if (k == hostk) continue
		print ""
		print "## QEMU guest: Linux " k " (software emulation, 1 vCPU)"
		print ""
		sidebyside(k)
		print ""
		overhead(k)
		if (info[k] != "") { print ""; print "Not run on this kernel:"; printf "%s", info[k] }
		print ""
		costsum(k, "")
		print ""
		bpfcost(k, "")
		print ""
		startup(k)
	}
}' "${files[@]}" >"$dir/report.md" || { echo "report: awk failed on the rows" >&2 && exit 1; }
cat "$dir/report.md"
