#!/bin/sh
# whoami.sh - test program for the exec plugin's user = key: the user and
# group ids it runs with, as values.
echo "uid $(id -u)"
echo "gid $(id -g)"
