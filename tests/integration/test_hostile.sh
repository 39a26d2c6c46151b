#!/usr/bin/env bash
# Hostile process names: any process can set its COMM (prctl PR_SET_NAME) to any 15 bytes,
# and the tool prints it to a root terminal. For each name in the table, one connect by a
# helper so named, traced at once in text (-L) and JSON (-j): the text row is one line with
# its 8 columns and the COMM escaped as the README says (bytes outside '!'..'~' and the
# backslash as \xHH, "" as "-"); the JSON line parses and its comm holds the same bytes
# (a byte that is not UTF-8 as U+00XX); no raw control byte reaches either output.
. "$(dirname "$0")/common.sh"
require_bpf
command -v jq >/dev/null || { not_ok "jq is installed" "needed to parse -j output"; exit 1; }

# The names, as bash $'...' strings; PR_SET_NAME keeps the first 15 bytes.
NAMES=(
	$'new\nline'
	$'tab\there'
	$'\e[31mred\e[0m'
	$'\e]0;pwned\a'
	$'\e[2J\e[H'
	$'cr\rreturn'
	$'bad\xff\xfeutf8'
	$'cut\xc3'
	$'\xc3\xa9t\xc3\xa9'
	'fifteen-bytes-x'
	'sixteen-bytes-xy'
	'a b  c'
	'back\slash'
	'q"uote'"'"
	$'del\x7f'
	'-'
	''
)

# expect_text NAME: the text column the README promises for NAME (first 15 bytes).
expect_text() {
	local b out=""
	[ -z "$1" ] && { echo -; return; }
	for b in $(printf %s "$1" | head -c 15 | od -An -v -tx1); do
		if [ $((16#$b)) -gt 32 ] && [ $((16#$b)) -lt 127 ] && [ "$b" != 5c ]; then
			out+=$(printf "\\x$b")
		else
			out+="\\x$b"
		fi
	done
	printf '%s\n' "$out"
}

start_tracer text -L || { not_ok "text tracer starts" "$(cat "$WORK/text.err")"; exit 1; }
TEXT_PID=$TRACER_PID
start_quiet_tracer json -j -v || { not_ok "-j tracer starts" "$(cat "$WORK/json.err")"; exit 1; }
JSON_PID=$TRACER_PID

PORT=41170
lports=()
for i in "${!NAMES[@]}"; do
	lports[i]=$(lport_of "$(conn -c "${NAMES[i]}" -l 127.0.0.1 $((PORT + i)))")
done
last=$((${#NAMES[@]} - 1))
wait_line "$WORK/text.out" "\$5 == ${lports[last]} && \$7 == $((PORT + last))"
wait_for 2 grep -qs "\"lport\":${lports[last]},\"daddr\":\"127.0.0.1\",\"dport\":$((PORT + last))," "$WORK/json.out"
stop_tracer "$TEXT_PID"
stop_tracer "$JSON_PID"

# JSON's comm for a byte string: valid UTF-8 unchanged, any other byte as U+00XX. Written
# out here for the two names that hold such bytes (and checked by hand against RFC 8259).
json_hex() {
	case $1 in
	$'bad\xff\xfeutf8') echo 626164c3bfc3be75746638 ;;
	$'cut\xc3') echo 637574c383 ;;
	*) printf %s "$1" | head -c 15 | od -An -v -tx1 | tr -d ' \n' ;;
	esac
}

for i in "${!NAMES[@]}"; do
	name=${NAMES[i]}
	label=$(printf %q "$name")
	lp=${lports[i]}
	if [ -z "$lp" ]; then
		not_ok "COMM $label: the helper connected" "no lport"
		continue
	fi
	# By local and remote port: other processes on the machine reuse local ports.
	row=$(awk -v p="$lp" -v dp=$((PORT + i)) 'NR > 1 && $5 == p && $7 == dp' "$WORK/text.out")
	want=$(expect_text "$name")
	got=$(awk '{ print NF "|" $2 "|" $3 "|" $7 }' <<<"$row")
	expect "COMM $label: one text row, 8 columns, escaped as '$want'" "row: '$row'" \
		test "$(grep -c . <<<"$row")|$got" = "1|8|$want|4|$((PORT + i))"
	obj=$(jq -c --argjson p "$lp" --argjson dp $((PORT + i)) 'select(.lport == $p and .dport == $dp)' \
		"$WORK/json.out")
	expect "COMM $label: one JSON object, its comm byte for byte" "object: $obj" \
		test "$(grep -c . <<<"$obj")|$(jq -j .comm <<<"$obj" | od -An -v -tx1 | tr -d ' \n')" = \
		"1|$(json_hex "$name")"
done

# Nothing below 0x20 but the newline ending each line, and no DEL, in either output.
for f in text json; do
	expect "$f output: no raw control byte" "$(grep -c $'[\x01-\x09\x0b-\x1f\x7f]' "$WORK/$f.out") lines have one" \
		eval "! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' '$WORK/$f.out'"
done
expect "json output: every line parses" "$(jq -c . "$WORK/json.out" 2>&1 | tail -1)" \
	eval "jq -e . '$WORK/json.out' >/dev/null"
