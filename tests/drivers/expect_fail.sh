#!/usr/bin/env bash
# expect_fail.sh CODE REGEX OUTDIR -- COMMAND...
# Runs COMMAND and passes when it exits with CODE, its stderr ends with one "hydroscale: error:"
# line matching REGEX (extended regex), and OUTDIR was not created (no partial outputs).
set -u
code="$1"; regex="$2"; outdir="$3"; shift 4
rm -rf "$outdir"
err=$("$@" 2>&1 >/dev/null)
rc=$?
status=0
if [ "$rc" -ne "$code" ]; then echo "FAIL: exit code $rc, expected $code"; status=1; fi
last=$(printf '%s\n' "$err" | grep 'hydroscale: error:' | tail -n 1)
nerr=$(printf '%s\n' "$err" | grep -c 'hydroscale: error:')
if [ "$nerr" -ne 1 ]; then echo "FAIL: $nerr error lines, expected 1"; status=1; fi
if ! printf '%s\n' "$last" | grep -Eq -- "$regex"; then
  echo "FAIL: error line does not match /$regex/"; status=1
fi
if [ -e "$outdir" ]; then echo "FAIL: $outdir exists (partial outputs)"; find "$outdir"; status=1; fi
echo "stderr was:"; printf '%s\n' "$err"
exit $status
