#!/bin/sh
# Serve a page on port 80 (needs the net action first) and wait lab.httpd_secs seconds (default
# 30; 0: return at once and leave the server running in the background).
secs=30
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in lab.httpd_secs=*) secs=${arg#lab.httpd_secs=} ;; esac
done
mkdir -p /www
echo "hello from the skiff L2 guest ($(uname -r), $(nproc) CPUs)" >/www/index.html
httpd -p 80 -h /www
echo "L2-HTTPD-UP port=80 secs=$secs"
[ "$secs" = 0 ] || sleep "$secs"
