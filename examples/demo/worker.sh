#!/bin/sh
# A worker that prints a line a second; WARDEN_INSTANCE tells the copies apart.
n=0
while :; do
  n=$((n + 1))
  echo "worker ${WARDEN_INSTANCE}: job $n done"
  sleep 1
done
