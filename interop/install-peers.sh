#!/usr/bin/env bash
# Installs the independent SIP peers the interop tests run against (Debian packages):
# kamailio (registrar + record-routing proxy), sip-tester (sipp), baresip-core (UA with SRTP),
# tshark (dumpcap for `--capture`, tshark for the capture tests: docs/capture.md) and chromium
# (the browser the web UI tests drive with Playwright: tests/browser, never a downloaded one),
# net-snmp's tools and snmptrapd (SNMP agents and traps) and socat (a PTY pair for ESPA's
# serial path).
# As root, missing ones are installed with apt-get (its index refreshed only when the first
# attempt fails); otherwise a missing package is an error that names the command to run.
set -euo pipefail

PACKAGES=(kamailio sip-tester baresip-core tshark chromium snmp snmptrapd socat)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" != 0 ]]; then
    echo "make peers: the interop tests need ${missing[*]}; run as root:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "make peers: no apt-get here; install ${missing[*]} (Debian package names) by hand" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture (a setuid dumpcap): no; the
# captures run as root in CI, and a user who wants otherwise runs dpkg-reconfigure.
if command -v debconf-set-selections >/dev/null; then
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
        | debconf-set-selections
fi
apt_install() {
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/sipdect-peers-apt.log 2>&1
}
echo "make peers: installing ${missing[*]}" >&2
if ! apt_install; then
    apt-get update -q >/tmp/sipdect-peers-apt.log 2>&1 || true
    if ! apt_install; then
        cat /tmp/sipdect-peers-apt.log >&2
        echo "make peers: apt-get install ${missing[*]} failed (log above)" >&2
        exit 1
    fi
fi
# Should a package have started its system daemon, stop it: the tests run their own
# kamailio and snmptrapd on free loopback ports and need no other one.
for daemon in kamailio snmptrapd; do
    if command -v service >/dev/null && service "$daemon" status >/dev/null 2>&1; then
        service "$daemon" stop >/dev/null 2>&1 || true
    fi
done
