#!/bin/sh
# values.sh - test program for the exec plugin's plain format: values
# computed from the time, so a test knows what must be stored, one comment,
# two bad lines, and its arguments on stderr (one [word] each).  Each time
# it stamps is added to the file "stamped" in its working directory (the
# instance's state directory), so a test can tell them from gap fillers.
t=$(date +%s)
echo "$t" >>stamped
echo "# values.sh output"
echo "wave $((t % 1000)) $t"
echo "visits $((t * 3)) $t"
echo "fixed 42.5"
echo "argc $#"
echo "Bad-Name 1"
echo "missing_value"
printf 'args:' >&2
for a in "$@"; do
	printf ' [%s]' "$a" >&2
done
echo >&2
