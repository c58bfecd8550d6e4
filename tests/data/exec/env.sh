#!/bin/sh
# env.sh - test program for the exec plugin: reports the environment
# exactly as execve gave it (from /proc, before the shell adds anything):
# the number of variables as a value, their names and two values on
# stderr.  Speaks the plain format, or Munin's when MUNIN_PLUGSTATE is set.
if [ "${1:-}" = config ]; then
	echo "graph_title Environment"
	echo "count.label variables"
	exit 0
fi
names=$(tr '\0' '\n' </proc/$$/environ | cut -d= -f1 | sort | tr '\n' ' ')
set -- $names
if [ -n "${MUNIN_PLUGSTATE:-}" ]; then
	echo "count.value $#"
else
	echo "env_count $#"
fi
echo "env names: ${names% }" >&2
echo "GREETING=[${GREETING:-}] MUNIN_PLUGSTATE=[${MUNIN_PLUGSTATE:-}]" >&2
