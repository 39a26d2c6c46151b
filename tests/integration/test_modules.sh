#!/usr/bin/env bash
# No include cycle between the modules of src/ (tests/helpers/modgraph.sh), the check finds
# one where there is one, and docs/design.md shows the graph as it is.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
graph=$top/tests/helpers/modgraph.sh
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1 # $2"; }

if out=$("$graph" 2>&1); then
	ok "no include cycle between the modules of src/ ($(wc -l <<<"$out") modules)"
else
	not_ok "no include cycle between the modules of src/" "$(tr '\n' ' ' <<<"$out")"
fi

# Two modules using each other through their .c files, and a third one leaning on them.
mkdir "$WORK/two"
printf '#include "b.h"\n' >"$WORK/two/a.c"
printf '#include "a.h"\n' >"$WORK/two/b.c"
printf '#include "a.h"\n#include <stdio.h>\n' >"$WORK/two/c.c"
touch "$WORK/two/a.h" "$WORK/two/b.h" "$WORK/two/c.h"
out=$("$graph" "$WORK/two" 2>&1)
rc=$?
if [ "$rc" = 1 ] && grep -qx a <<<"$out" && grep -qx b <<<"$out" && ! grep -qx c <<<"$out"; then
	ok "a cycle between two modules fails the check, naming both"
else
	not_ok "a cycle between two modules fails the check, naming both" "rc=$rc: $(tr '\n' ' ' <<<"$out")"
fi
# Three modules in a ring through their headers only.
mkdir "$WORK/ring"
printf '#include "y.h"\n' >"$WORK/ring/x.h"
printf '#include "z.h"\n' >"$WORK/ring/y.h"
printf '  #  include "x.h" /* back */\n' >"$WORK/ring/z.h"
out=$("$graph" "$WORK/ring" 2>&1)
rc=$?
if [ "$rc" = 1 ] && [ "$(grep -cx '[xyz]' <<<"$out")" = 3 ]; then
	ok "a ring of three headers fails the check"
else
	not_ok "a ring of three headers fails the check" "rc=$rc: $(tr '\n' ' ' <<<"$out")"
fi
# Without the ring's last edge: a chain, listed leaves first.
printf '/* none */\n' >"$WORK/ring/z.h"
out=$("$graph" "$WORK/ring" 2>&1)
if [ "$out" = $'z:\ny: z\nx: y' ]; then
	ok "a chain passes and is listed leaves first"
else
	not_ok "a chain passes and is listed leaves first" "$(tr '\n' '|' <<<"$out")"
fi

# docs/design.md's "Modules" section holds the graph between ``` lines.
shown=$(awk '/^## / { sect = $0 } sect == "## Modules" && /^```/ { inside = !inside; next }
	sect == "## Modules" && inside' "$top/docs/design.md")
if [ -n "$shown" ] && [ "$shown" = "$("$graph" 2>/dev/null)" ]; then
	ok "docs/design.md shows the module graph as tests/helpers/modgraph.sh makes it"
else
	not_ok "docs/design.md shows the module graph as tests/helpers/modgraph.sh makes it" \
		"$(diff <(echo "$shown") <("$graph" 2>&1) | tr '\n' '|')"
fi
