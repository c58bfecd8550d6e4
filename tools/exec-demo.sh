#!/bin/sh
# exec-demo.sh - a tiny program for tallyd's exec plugin (etc/demo.conf):
# the disk usage of a directory, in the plain "metric value" format.
#
#	exec-demo.sh [DIR]	(default: the working directory)
#
# It prints
#	disk.used_kb	kilobytes under DIR (du -sk)
#	disk.files	regular files under DIR
#	disk.rrd_files	RRD files among them
#	fs.avail_kb	free kilobytes on DIR's file system (df -Pk)
#	fs.used_pct	how full that file system is, in per cent
# and complains on stderr (which tallyd logs) and exits 1 if DIR is not a
# directory.  Only POSIX tools, found through the PATH tallyd gives it.
set -u
dir=${1:-.}
if [ ! -d "$dir" ]; then
	echo "exec-demo.sh: $dir: not a directory" >&2
	exit 1
fi
used=$(du -sk "$dir" 2>/dev/null | cut -f1)
echo "disk.used_kb ${used:-U}"
echo "disk.files $(find "$dir" -type f | wc -l)"
echo "disk.rrd_files $(find "$dir" -type f -name '*.rrd' | wc -l)"
df -Pk "$dir" | awk 'NR == 2 {
	sub(/%$/, "", $5)
	print "fs.avail_kb", $4
	print "fs.used_pct", $5
}'
