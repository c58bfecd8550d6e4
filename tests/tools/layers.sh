#!/bin/sh
# layers.sh [DIR] - the #include graph of the modules in DIR (default
# daemon/; foo.c and foo.h are module foo).  Prints each dependency cycle
# as "a -> b -> a" and each header config.c includes beyond the leaves it
# may use; exits 1 if there is either, 0 if the graph has levels.
#
#	sh tests/tools/layers.sh daemon
#	sh tests/tools/layers.sh -l daemon	# the levels, lowest first
set -u
levels=0
if [ "${1:-}" = -l ]; then
	levels=1
	shift
fi
dir=${1:-daemon}
# config.c reads the file; the sections' owners register with it, so it
# may include only these leaves (and system headers).
config_may="config log xmalloc util names compat"

[ -d "$dir" ] || { echo "layers.sh: no directory $dir" >&2; exit 2; }
# "from to" for each #include "to.h" in from.c or from.h naming a module.
for f in "$dir"/*.c "$dir"/*.h; do
	[ -f "$f" ] || continue
	m=$(basename "$f"); m=${m%.*}
	inc='s/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)\.h".*/\1/p'
	sed -n "$inc" "$f" | while read -r to; do
		[ "$to" = "$m" ] && continue
		[ -f "$dir/$to.h" ] || [ -f "$dir/$to.c" ] || continue
		echo "$m $to"
	done
done | sort -u | awk -v levels="$levels" -v may="$config_may" '
{
	edge[$1, ++n[$1]] = $2
	node[$1] = node[$2] = 1
}
# Tarjan: every strongly connected component of two or more is a knot.
function visit(v,    i, w) {
	index_[v] = low[v] = ++ix
	stack[++sp] = v
	on[v] = 1
	for (i = 1; i <= n[v]; i++) {
		w = edge[v, i]
		if (!(w in index_)) {
			visit(w)
			if (low[w] < low[v])
				low[v] = low[w]
		} else if (on[w] && index_[w] < low[v])
			low[v] = index_[w]
	}
	if (low[v] == index_[v]) {
		ncomp++
		size = 0
		do {
			w = stack[sp--]
			on[w] = 0
			comp[w] = ncomp
			size++
		} while (w != v)
		csize[ncomp] = size
	}
}
# A shortest path from a back to a inside its component: the cycle shown.
function cycle(a,    q, h, t, i, v, w, prev, path) {
	delete prev
	h = t = 1
	q[1] = a
	while (h <= t) {
		v = q[h++]
		for (i = 1; i <= n[v]; i++) {
			w = edge[v, i]
			if (comp[w] != comp[a])
				continue
			if (w == a) {
				path = a
				for (; v != a; v = prev[v])
					path = v " -> " path
				return a " -> " path
			}
			if (!(w in prev)) {
				prev[w] = v
				q[++t] = w
			}
		}
	}
}
# Level of a module: 0 for a leaf, else one more than its highest need.
function level(v,    i, l, m) {
	if (v in lvl)
		return lvl[v]
	lvl[v] = 0
	for (i = 1; i <= n[v]; i++) {
		l = level(edge[v, i]) + 1
		if (l > lvl[v])
			lvl[v] = l
	}
	return lvl[v]
}
END {
	for (v in node)
		if (!(v in index_))
			visit(v)
	bad = 0
	for (v in node) {
		c = comp[v]
		if (csize[c] > 1 && !(c in shown)) {
			shown[c] = 1
			members = ""
			for (w in node)
				if (comp[w] == c)
					members = members " " w
			print "cycle: " cycle(v) " (knot of " csize[c] ":" \
			    members ")"
			bad = 1
		}
	}
	split(may, list, " ")
	for (i in list)
		ok[list[i]] = 1
	for (i = 1; i <= n["config"]; i++) {
		if (!(edge["config", i] in ok)) {
			print "config includes " edge["config", i] ".h, " \
			    "a subsystem header"
			bad = 1
		}
	}
	if (levels && !bad) {
		for (v in node)
			at[level(v)] = at[level(v)] " " v
		for (l = 0; l in at; l++)
			print l ":" at[l]
	}
	exit bad
}'
