#!/bin/sh
# fail.sh - test program for the exec plugin: prints a value, complains on
# stderr and exits 3; nothing it printed may be stored.
echo "should_not 1"
echo "fail.sh: cannot reach the database" >&2
exit 3
