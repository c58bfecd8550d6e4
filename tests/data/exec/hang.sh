#!/bin/sh
# hang.sh - test program for the exec plugin: prints a value, then never
# ends and ignores SIGTERM, so only the SIGKILL after kill_grace stops it.
# Its pid goes to the file "hang.pid" in its working directory.
trap '' TERM
echo $$ >hang.pid
echo "hung 1"
echo "hang.sh: going to sleep for good" >&2
while :; do
	sleep 1
done
