#!/usr/bin/env bash
# The module graph of src/: module X uses module Y when X.c or X.h has #include "Y.h" (only
# headers of src/ itself; generated ones such as the skeleton are left out). Prints one line
# per module, "X: Y Z" (what it uses), leaves first, and exits 1 naming the modules of a
# cycle if there is one: each module must be buildable and testable on top of those it uses.
#   tests/helpers/modgraph.sh [SRC_DIR]            (default: src/ of this tree)
#   tests/helpers/modgraph.sh --mermaid [SRC_DIR]  the same graph as a mermaid flowchart
set -u
mermaid=""
if [ "${1:-}" = --mermaid ]; then
	mermaid=1
	shift
fi
src=${1:-$(cd "$(dirname "$0")/../../src" && pwd)}
[ -d "$src" ] || {
	echo "modgraph: $src is not a directory" >&2
	exit 2
}

# "X Y" for each use, and "X X" for each module so that one using nothing is listed too.
edges() {
	local f m h
	for f in "$src"/*.c "$src"/*.h; do
		[ -f "$f" ] || continue
		m=${f##*/}
		m=${m%.[ch]}
		echo "$m $m"
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)\.h".*/\1/p' "$f" |
			while read -r h; do
				[ -f "$src/$h.h" ] && echo "$m $h"
			done
	done | sort -u
}

e=$(edges)
# tsort lists a module after those pointing to it: the reversed pairs list leaves first.
if ! order=$(awk '{ print $2, $1 }' <<<"$e" | tsort 2>"${TMPDIR:-/tmp}/modgraph.$$"); then
	echo "modgraph: include cycle between modules in $src:" >&2
	sed -n 's/^tsort: //p' "${TMPDIR:-/tmp}/modgraph.$$" | grep -v 'input contains a loop' >&2
	rm -f "${TMPDIR:-/tmp}/modgraph.$$"
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/modgraph.$$"

if [ -n "$mermaid" ]; then
	echo "flowchart BT"
	awk '$1 != $2 { print "  " $1 " --> " $2 }' <<<"$e"
	exit 0
fi
for m in $order; do
	uses=$(awk -v m="$m" '$1 == m && $2 != m { printf "%s%s", sep, $2; sep = " " }' <<<"$e")
	echo "$m:${uses:+ $uses}"
done
