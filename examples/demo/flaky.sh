#!/bin/sh
# Runs for a few seconds, then crashes, so warden's backoff and restart counter are visible.
echo "flaky: working"
sleep 3
echo "flaky: something went wrong, exiting 1" >&2
exit 1
