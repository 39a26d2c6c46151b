#!/usr/bin/env bash
# One bounded libFuzzer run, for make fuzz and tests/integration/test_memsafety.sh:
#   tests/fuzz/run.sh FUZZER SEED_DIR CORPUS_DIR SECONDS
# Copies the seeds into CORPUS_DIR (the fuzzer adds what it finds there, the repository's
# seeds stay as they are), fuzzes for SECONDS with tests/fuzz/NAME.dict if there is one, and
# prints one line:
#   fuzz_NAME: N executions in S s, cov C, ft F, corpus K inputs, no crash
#   fuzz_NAME: CRASH after N executions: <sanitizer or libFuzzer summary>; input FILE: <hex>
# The whole log is kept in CORPUS_DIR.log, a crashing input in CORPUS_DIR.crashes/.
# Exit status: 0, or 1 if it crashed (or found a leak or a timeout).
set -u
fuzzer=$1 seeds=$2 corpus=$3 secs=$4
name=$(basename "$fuzzer")
dict=$(dirname "$0")/${name#fuzz_}.dict
log=$corpus.log
crashes=$corpus.crashes

mkdir -p "$corpus" "$crashes"
cp -n "$seeds"/* "$corpus"/
opts=(-max_total_time="$secs" -print_final_stats=1 -timeout=10 -artifact_prefix="$crashes/")
[ -f "$dict" ] && opts+=(-dict="$dict")
"$fuzzer" "${opts[@]}" "$corpus" >"$log" 2>&1
rc=$?

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
execs=$(stat number_of_executed_units)
last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
input=$(ls -t "$crashes" 2>/dev/null | head -1)
if [ "$rc" -eq 0 ] && [ -z "$input" ]; then
	echo "$name: ${execs:-?} executions in $secs s, cov ${cov:-?}, ft ${ft:-?}," \
		"corpus $(ls "$corpus" | wc -l) inputs, no crash"
	exit 0
fi
summary=$(grep -m1 -E '^(SUMMARY|==[0-9]+== ERROR|fuzz_[a-z]+: violated)' "$log")
hex=""
[ -n "$input" ] && hex="; input $crashes/$input: $(od -An -tx1 -N48 "$crashes/$input" | tr -s ' \n' ' ')"
echo "$name: CRASH after ${execs:-?} executions (status $rc): ${summary:-see $log}$hex"
exit 1
