#!/usr/bin/env bash
# The man page renders without a warning and lists exactly the options --help lists; the
# bash completion loads in bash and completes options and the values of --backend and --by.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
T=${TCPCONNLAT:?TCPCONNLAT is not set: run through make test}
man=$top/docs/tcpconnlat.8
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1 # $2"; }

warn=$(groff -ww -z -man -t "$man" 2>&1)
if [ $? = 0 ] && [ -z "$warn" ]; then
	ok "the man page renders with groff -ww, no warning"
else
	not_ok "the man page renders with groff -ww, no warning" "$warn"
fi
warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null)
if [ -z "$warn" ]; then
	ok "man --warnings shows it without a warning"
else
	not_ok "man --warnings shows it without a warning" "$warn"
fi

# Long option names: --help's "  -x, --name=VALUE" lines; the man page's option tags
# (".BR \-x ", " \-\-name", ".BI \-\-name= VALUE").
from_help=$("$T" --help | grep -oE '^ +(-[a-zA-Z0-9], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort)
# The tag lines: each line after .TP in the OPTIONS section.
tags=$(awk '$1 == ".SH" { sect = $2 } sect == "OPTIONS" && prev == ".TP" { print } { prev = $1 }' "$man" |
	sed 's/\\-/-/g')
from_man=$(echo "$tags" |
	grep -oE -- '--[a-z0-9-]+' | sort)
if [ -n "$from_help" ] && [ "$from_help" = "$from_man" ]; then
	ok "the man page lists exactly the options of --help ($(wc -l <<<"$from_help"))"
else
	not_ok "the man page lists exactly the options of --help" \
		"only in --help: $(comm -23 <(echo "$from_help") <(echo "$from_man") | tr '\n' ' '); only in the man page: $(comm -13 <(echo "$from_help") <(echo "$from_man") | tr '\n' ' ')"
fi
short_help=$("$T" --help | grep -oE '^ +-[a-zA-Z0-9],' | tr -d ' ,' | sort)
short_man=$(echo "$tags" | grep -oE -- '(^| )-[a-zA-Z0-9]( |$)' | tr -d ' ' | sort)
if [ "$short_help" = "$short_man" ]; then
	ok "the man page lists the same short options"
else
	not_ok "the man page lists the same short options" "help: $(echo $short_help); man: $(echo $short_man)"
fi

# complete WORD...: what the completion offers for the last word, as bash would call it.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tcpconnlat
		printf "%s\n" "${COMPREPLY[@]}"' _ "$top/completion/tcpconnlat" "$T" "$@" | sort | tr '\n' ' '
}
check() { # NAME WANT WORDS...
	local name=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name" "got '$got', want '$want'"; fi
}
got=$(bash -c 'source "$1" && complete -p tcpconnlat' _ "$top/completion/tcpconnlat")
if [ "$got" = "complete -F _tcpconnlat tcpconnlat" ]; then
	ok "the completion loads in bash and registers for tcpconnlat"
else
	not_ok "the completion loads in bash and registers for tcpconnlat" "$got"
fi
check "completion: --ba completes to --backend" "--backend " --ba
check "completion: --backend k completes to kprobe" "kprobe " --backend k
check "completion: --backend=t (as bash splits it) completes to tracepoint" "tracepoint " --backend = t
check "completion: --by c offers comm, cgroup and container" "cgroup comm container " --by c
check "completion: -x --hi completes to --histogram" "--histogram " -x --hi
n=$(complete_words -- | wc -w)
want=$("$T" --help | grep -oE -- '--[a-z0-9-]+' | sort -u | wc -l)
if [ "$n" -ge "$want" ] && [ "$want" -gt 20 ]; then
	ok "completion: every long option of --help is offered for -- ($n)"
else
	not_ok "completion: every long option of --help is offered for --" "$n offered, $want in --help"
fi

# The performance figures the README and the goals table quote are those of the report in
# docs/performance.md (bench/report.sh's tables): our backends' median ratios to the
# untraced rate in the QEMU guests (IPv4 load), and the host's lossless rate at full speed
# with the default buffer.
perf=$top/docs/performance.md
guest=$(awk '/^### QEMU guest: / { g = 1 }
	g && /^\| (fentry|kprobe|tracepoint) \| v4 \| [0-9]+ \| [0-9.]+ \|/ {
		split($0, f, "|"); r = f[5] + 0
		if (min == "" || r < min) min = r
		if (r > max) max = r
	}
	END { if (min != "") printf "%.2f-%.2f", min, max }' "$perf")
rate=$(awk -F'|' '$2 ~ /pages-default/ && $3 ~ /max/ { printf "%.0fk", $4 / 1000 }' "$perf")
if [ -n "$guest" ] && grep -qF "ours $guest." "$top/README.md" && grep -qF "ours ${guest/-/..} " "$perf"; then
	ok "README and the goals give the guests' ratios of the report ($guest)"
else
	not_ok "README and the goals give the guests' ratios of the report ($guest)" \
		"$(grep -ho 'ours [0-9.]*[-.][0-9.]*' "$top/README.md" "$perf" | tr '\n' ' ')"
fi
if [ -n "$rate" ] && grep -qF "($rate connects/s" "$top/README.md" && grep -qF "($rate connects/s" "$perf"; then
	ok "README and docs/performance.md give the report's full lossless rate ($rate connects/s)"
else
	not_ok "README and docs/performance.md give the report's full lossless rate ($rate connects/s)" \
		"$(grep -ho '([0-9]*k connects/s' "$top/README.md" "$perf" | tr '\n' ' ')"
fi
