#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# The benchmark runs (a short, small configuration) and its accounting holds:
# every mbuf back in its pool after every round, every configuration measured,
# and what the ports delivered agrees with what the lower read. No timing is
# asserted: speed is the benchmark's business, not the tests'.
# A crash of the Python checker is a FAIL (bench-checker), and each of its
# fixed checks that it did not report is a FAIL of its own (run_checker).
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=test/lib/common.sh
. test/lib/common.sh
test_env
bench=$build/app/dpdk-macvtap-bench
failed=0
tmp=$(mktemp -d "$build/bench_quick.XXXXXX") || { fail bench-runs "mktemp -d in $build failed"; finish; }
# EAL leaves its runtime directory behind: remove ours with the temporary files.
trap 'rm -rf "$tmp" "/var/run/dpdk/mvt_bq_$$"' EXIT

if [ ! -x "$bench" ]; then
	fail bench-built "no $bench"
	finish
fi
timeout 240 "$bench" --no-huge -m 1024 --no-pci -l 0-1 --file-prefix="mvt_bq_$$" -d "$plugin" \
	-- --quick --dir "$tmp" --json "$tmp/r.json" --csv "$tmp/r.csv" > "$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	pass bench-runs
else
	fail bench-runs "exit $rc: $(tail -n 5 "$tmp/out" | tr '\n' '|')"
fi
# The checks the checker always reports; one more per result it finds.
expected="bench-json bench-csv bench-measures-rx bench-measures-tx-wire bench-measures-tx-bridge"
run_checker bench-checker "$expected" python3 - "$tmp/r.json" "$tmp/r.csv" <<'PY'
import csv, json, sys
CHECKS = ("bench-csv", "bench-measures-rx", "bench-measures-tx-wire", "bench-measures-tx-bridge")
try:
    res = json.load(open(sys.argv[1]))["results"]
except Exception as e:
    print("FAIL: bench-json: %s" % e)
    for c in CHECKS:
        print("FAIL: %s: no results to check (bench-json)" % c)
    sys.exit(0)
print("PASS: bench-json" if res else "FAIL: bench-json: no results")
try:
    rows = list(csv.DictReader(open(sys.argv[2])))
    print("PASS: bench-csv" if rows and len(rows) == len(res) else
          "FAIL: bench-csv: %d rows for %d results" % (len(rows), len(res)))
except (OSError, csv.Error) as e:
    print("FAIL: bench-csv: %s" % e)
kinds = {r["kind"] for r in res}
for k in ("rx", "tx-wire", "tx-bridge"):
    print("PASS: bench-measures-%s" % k if k in kinds else "FAIL: bench-measures-%s: missing" % k)
for r in res:
    name = "bench-%s-%d-dests-%d%%-bcast-%d-lcores" % (r["kind"], r["dests"], r["bcast_pct"], r["lcores"])
    bad = []
    if not r["mbufs_ok"]:
        bad.append("mbufs not all back in their pool")
    if not (r["base_mpps"] > 0 and r["macvtap_mpps"] > 0):
        bad.append("a side measured nothing (%s)" % r["rounds"])
    # Without broadcast, the ports deliver what the lower read, minus counted drops.
    if r["kind"] == "rx" and r["bcast_pct"] == 0 and r["dropped"] == 0 and \
       abs(r["delivered_mpps"] - r["macvtap_mpps"]) > 0.05 * r["macvtap_mpps"]:
        bad.append("delivered %.2f Mpps but the lower read %.2f" % (r["delivered_mpps"], r["macvtap_mpps"]))
    if r["kind"] == "rx" and r["bcast_pct"] > 0 and not r["delivered_mpps"] > r["macvtap_mpps"]:
        bad.append("broadcast copies missing: delivered %.2f <= read %.2f" % (r["delivered_mpps"], r["macvtap_mpps"]))
    print("PASS: %s" % name if not bad else "FAIL: %s: %s" % (name, "; ".join(bad)))
PY
if grep -q '^memory: one port' "$tmp/out" && ! grep -q 'costs -1 bytes' "$tmp/out"; then
	pass bench-memory-footprint
else
	fail bench-memory-footprint "not reported"
fi
finish
