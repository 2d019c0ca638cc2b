#!/bin/sh
# Extra Debian packages for the lab's network scenarios, on top of scripts/install-deps.sh lab:
# dnsmasq-base (a DNS answerer in the lab host behind the user network's 10.0.2.3 proxy) and
# passt (a -netdev stream peer). Cheap when installed. Scenarios skip what is missing, saying so.
set -eu
want="dnsmasq-base passt"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "lab: missing Debian packages:$missing (apt-get install$missing)" >&2
	exit 0
fi
echo "lab: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends $missing >&2 ||
	{ apt-get update -qq >&2 || true; apt-get install -y -qq --no-install-recommends $missing >&2; } ||
	echo "lab: warning: could not install$missing; the scenarios that need them skip" >&2
