#!/bin/sh
# A full disk: tallyd's state and data on a 3 MB tmpfs, filled.  Values
# keep coming; each is either acknowledged or refused, never acknowledged
# and then lost: files that cannot be made keep their values pending, the
# journal that cannot be written refuses new ones ("disk").  tallyd is
# killed -9 while the disk is full, space is freed, tallyd restarts and
# every acknowledged value is in its file.  Mounting needs root, or a
# user namespace (unshare -rm) where the test is root of its own mounts.
if [ "$(id -u)" != 0 ] && [ -z "${TALLY_UNSHARED:-}" ]; then
	if command -v unshare >/dev/null 2>&1 &&
	    unshare -rm true 2>/dev/null; then
		TALLY_UNSHARED=1 exec unshare -rm sh "$0" "$@"
	fi
	echo "1..0 # SKIP needs root or user namespaces to mount a tmpfs"
	exit 0
fi
. "${top_srcdir:-.}/tests/integration/lib.sh"

S=$T/small
mkdir -p "$S"
mount -t tmpfs -o size=3m tmpfs "$S" || bail_out "cannot mount a tmpfs on $S"
umount_small() { umount "$S" 2>/dev/null; }
trap 'umount_small; cleanup' EXIT
write_config "$T/t.conf" <<EOT
EOT
sed -i -e "s|^statedir = .*|statedir = $S/state|" \
    -e "s|^datadir = .*|datadir = $S/rrd\\nretention = test|" "$T/t.conf"
start_tallyd "$T/t.conf"
check "tallyd up, state and data on the small disk" wait_until 10 test -S "$SOCK"

# Leave about 250 kB: room for a few RRD files (60 kB each), no more.
free_kb() { df -k "$S" | awk 'NR == 2 { print $4 }'; }
dd if=/dev/zero of="$S/filler" bs=1k count=$(($(free_kb) - 250)) 2>/dev/null
ok $([ "$(free_kb)" -le 300 ]; echo $?) "the disk filled ($(free_kb) kB free)"

t0=$(($(date +%s) - 600))
: >"$T/acked"
: >"$T/refused"
put() {	# put NAME TIME VALUE: one PUT; the value noted as acked or refused
	r=$(printf 'PUT %s %s:%s\n' "$1" "$2" "$3" | "$NC" -U "$SOCK" -w 10000)
	case $r in
	OK*accepted=1*) echo "$1 $2 $3" >>"$T/acked" ;;
	*) echo "$1 $2 $3 $r" >>"$T/refused" ;;
	esac
}
# 40 series (too many files for the disk), then values for them until
# the journal itself cannot be written; a bounded number of rounds.
i=0
while [ $i -lt 40 ]; do
	put "full.s.v$i" "$t0" "$i"
	i=$((i + 1))
done
k=1
while [ $k -le 60 ] && ! grep -q ' disk' "$T/refused"; do
	dd if=/dev/zero of="$S/filler2.$k" bs=1k count=8 2>/dev/null
	i=0
	while [ $i -lt 40 ]; do
		put "full.s.v$i" $((t0 + k)) $((i * 1000 + k))
		i=$((i + 1))
	done
	k=$((k + 1))
done
na=$(wc -l <"$T/acked")
nr=$(wc -l <"$T/refused")
ok $([ "$na" -ge 40 ]; echo $?) "values acknowledged while the disk filled ($na)"
ok $(grep -q ' disk' "$T/refused"; echo $?) \
    "then refused with 'disk' ($nr refused: $(grep -m1 ' disk' "$T/refused" | cut -c1-120))"
check "the store says why files are missing (kB free, full?)" \
    wait_until 20 log_has "create .*: librrd could not write it, with [0-9]+ kB free"
check "the journal says why values are refused (No space left)" \
    log_has "journal: .*No space left on device"
ok $(alive; echo $?) "tallyd still running on a full disk"
r=$(ask FLUSH | head -1)
ok $(echo "$r" | grep -q '^ERR'; echo $?) \
    "FLUSH is not OK while values wait for the disk ($r)"

kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
rm -f "$S"/filler*
ok $([ "$(free_kb)" -ge 2000 ]; echo $?) "space freed ($(free_kb) kB)"
start_tallyd "$T/t.conf"
check "restarted; the journal replayed" wait_until 20 sh -c \
    "grep -Eq 'journal: replayed [1-9]' '$T/tallyd.log' && test -S '$SOCK'"
check "FLUSH answers OK once everything is in the files" wait_until 60 sh -c \
    "printf 'FLUSH\n' | '$NC' -U '$SOCK' -w 20000 | sed -n 2p | grep -q '^OK'"
lost=0
while read -r name t v; do
	f=$S/rrd/$(echo "$name" | sed 's|\.|/|; s|\.|/|').rrd
	got=$("$RRDTOOL" fetch "$f" LAST -r 1 -s $((t - 1)) -e "$t" 2>/dev/null |
	    awk -F': ' -v t="$t" '$1 + 0 == t { printf "%.0f", $2 }')
	if [ "$got" != "$v" ]; then
		lost=$((lost + 1))
		[ $lost -le 5 ] && echo "# lost: $name $t $v (file has '$got')"
	fi
done <"$T/acked"
ok $lost "every acknowledged value is in its file ($lost of $na lost)"
stop_tallyd TERM
ok $daemon_rc "tallyd exit 0"
done_testing
