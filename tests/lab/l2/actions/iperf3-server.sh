#!/bin/sh
# One iperf3 server session on port 5201 (needs the net action first).
echo "L2-IPERF3-UP"
iperf3 -s -1
