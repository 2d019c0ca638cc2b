#!/bin/sh
# The plot's dependency: Debian's python3-matplotlib (for /usr/bin/python3). Cheap when there.
# Without it (or not root) bench/run.sh prints the table and CSV and skips the PNG.
set -eu
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "bench: no matplotlib: apt-get install python3-matplotlib for the plot" >&2
	exit 1
fi
echo "bench: installing python3-matplotlib (for the plot)" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-matplotlib >&2
