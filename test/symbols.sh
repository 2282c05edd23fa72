#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# What the plugin shows the processes that load it, and how its files depend
# on each other:
#   exports       the dynamic symbol table holds rte_pmd_macvtap_* alone
#   no_circles    no two source files of drivers/ call each other, directly or
#                 through others (from the objects' defined and undefined symbols)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env

so=$plugin
objdir=$(dirname "$so")/librte_net_macvtap.so.p
if [ ! -f "$so" ] || [ ! -d "$objdir" ]; then
	fail "built" "no plugin or objects under $(dirname "$so")"
	finish
fi

foreign=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ && $2 != "A" {print $3}' |
	sed 's/@.*//' | grep -v '^rte_pmd_macvtap_' | tr '\n' ' ')
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ && $2 != "A"' | wc -l)
if [ -z "$foreign" ] && [ "$exported" -gt 0 ]; then
	pass "exports"
else
	fail "exports" "exported beyond the public API: ${foreign:-nothing exported at all}"
fi

# File A calls file B when A's object leaves undefined a function that B defines
# (shared data, such as the log type, is no call).
cycle=$(for o in "$objdir"/*.o; do
		f=$(basename "$o" .o)
		nm --defined-only "$o" | awk -v f="$f" '$2 == "T" {print "D", f, $3}'
		nm --undefined-only "$o" | awk -v f="$f" '{print "U", f, $2}'
	done | python3 -c '
import sys
defs, uses = {}, []
for line in sys.stdin:
    kind, f, sym = line.split()
    if kind == "D":
        defs[sym] = f
    else:
        uses.append((f, sym))
edges = {}
for f, sym in uses:
    g = defs.get(sym)
    if g is not None and g != f:
        edges.setdefault(f, set()).add(g)
# Depth-first search for a back edge: print the first circle found.
state, stack = {}, []
def visit(f):
    state[f] = 1
    stack.append(f)
    for g in sorted(edges.get(f, ())):
        if state.get(g) == 1:
            return stack[stack.index(g):] + [g]
        if g not in state:
            c = visit(g)
            if c:
                return c
    stack.pop()
    state[f] = 2
    return None
for f in sorted(edges):
    if f not in state:
        c = visit(f)
        if c:
            print(" -> ".join(x.replace(".c", "") for x in c))
            break
')
rc=$?
if [ $rc -ne 0 ]; then
	fail "no_circles" "the dependency check itself failed (exit $rc)"
elif [ -z "$cycle" ]; then
	pass "no_circles"
else
	fail "no_circles" "call circle: $cycle"
fi
finish
