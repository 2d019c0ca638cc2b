#!/bin/bash
# sleep SECS: do nothing, silently, for SECS seconds (to check the lab's hang detection:
# run-lab.sh --idle 20 sleep:60 must report "lab host hung").
sleep "${1:-60}"
echo "LAB-RESULT sleep PASS slept ${1:-60}s"
