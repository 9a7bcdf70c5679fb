#!/usr/bin/env bash
# The Debian package as a user gets it: built by deploy/build-deb.sh, clean
# under lintian, installed with apt, run as its own user on its default
# config, a user's edit of the conffile kept across a reinstall, removed and
# purged. The last stage of tests/run_all.sh (it installs into this machine);
# needs root. A machine without systemd as PID 1 (a container, CI) cannot
# start the unit, so the test starts the binary the way the unit does.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "package test: needs root"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
fail() { echo "FAIL: $*" >&2; exit 1; }
# Waits up to 10 s for a command to succeed.
wait_for() {
  local what=$1; shift
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "timed out waiting for $what"
}

# P1GW_PACKAGE_REUSE=1 tests the .deb a previous run built (while editing this test).
[ "${P1GW_PACKAGE_REUSE:-}" = 1 ] || flock /tmp/p1gw-build.lock bash deploy/build-deb.sh
deb=$(ls "$PWD"/build-deb/p1gateway_*_"$(dpkg --print-architecture)".deb)
echo "built $deb"

lintian_out=$(lintian --pedantic "$deb" 2>&1 | grep -v 'running with root privileges' || true)
echo "$lintian_out"
if grep -Eq '^[EW]: ' <<<"$lintian_out"; then fail "lintian reports errors or warnings"; fi

deps=$(dpkg-deb -f "$deb" Depends)
for lib in libuv1 libssl3 libcurl4 libsystemd0 libmosquitto1 libserialport0 libdate-tz3 tzdata; do
  grep -q "$lib" <<<"$deps" || fail "Depends lacks $lib: $deps"
done

apt-get install -y -qq "$deb" >/dev/null
gw=""
trap '[ -z "$gw" ] || kill "$gw" 2>/dev/null; apt-get purge -y -qq p1gateway >/dev/null 2>&1 || true' EXIT
[ "$(dpkg-query -W -f '${Status}' p1gateway)" = "install ok installed" ] || fail "not installed"
dpkg-query -W -f '${Conffiles}\n' p1gateway | grep -q '/etc/p1gateway/p1gateway.toml' ||
  fail "/etc/p1gateway/p1gateway.toml is not a conffile"
id -nG p1gateway | tr ' ' '\n' | grep -qx dialout || fail "user p1gateway not in dialout: $(id p1gateway)"
[ -L /etc/systemd/system/multi-user.target.wants/p1gateway.service ] || fail "unit not enabled"
/usr/bin/p1gateway --version
for f in /lib/systemd/system/p1gateway.service /usr/share/man/man1/p1gateway.1.gz \
    /usr/share/man/man5/p1gateway.toml.5.gz /usr/share/bash-completion/completions/p1gateway \
    /usr/share/doc/p1gateway/examples/example.toml /usr/share/doc/p1gateway/examples/99-p1gateway.rules \
    /usr/share/doc/p1gateway/examples/p1gateway-dashboard.json \
    /usr/share/doc/p1gateway/examples/prometheus.yml \
    /usr/share/doc/p1gateway/examples/fleet/agent.yml \
    /usr/share/doc/p1gateway/examples/fleet/fleet-dashboard.json; do
  [ -s "$f" ] || fail "missing $f"
done
man_opt=--man=no
command -v man >/dev/null && man_opt=--man=yes
verify=$(systemd-analyze verify "$man_opt" /lib/systemd/system/p1gateway.service 2>&1 | grep p1gateway || true)
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
bash -c 'source /usr/share/bash-completion/bash_completion && _completion_loader p1gateway; complete -p p1gateway' |
  grep -q _p1gateway || fail "bash completion not loaded for p1gateway"

# Started as the unit starts it: its user and groups, its config, after check-config.
/usr/bin/p1gateway check-config /etc/p1gateway/p1gateway.toml >/dev/null
if curl -s -o /dev/null --max-time 2 http://127.0.0.1:9464/; then fail "port 9464 already in use"; fi
setpriv --reuid=p1gateway --regid=p1gateway --init-groups -- /usr/bin/p1gateway --config /etc/p1gateway/p1gateway.toml 2>/tmp/p1gw-package.log &
gw=$!
wait_for "/healthz on the packaged config" curl -sf --max-time 1 http://127.0.0.1:9464/healthz
[ "$(awk '/^Uid:/ {print $2}' /proc/$gw/status)" = "$(id -u p1gateway)" ] || fail "not running as p1gateway"
curl -sf http://127.0.0.1:9464/metrics | grep -q '^p1gateway_build_info' || fail "no build_info in /metrics"
kill -TERM $gw
wait $gw || fail "exit status $? on SIGTERM: $(cat /tmp/p1gw-package.log)"
gw=""

# The user adds a meter; a reinstall (an upgrade) keeps the edit.
cat >>/etc/p1gateway/p1gateway.toml <<'TOML'

[[meters]]
name = "test"
simulate = "dsmr5"
rate = 5
TOML
apt-get install -y -qq --reinstall -o Dpkg::Options::=--force-confold "$deb" >/dev/null
grep -q 'name = "test"' /etc/p1gateway/p1gateway.toml || fail "reinstall replaced the edited conffile"
setpriv --reuid=p1gateway --regid=p1gateway --init-groups -- /usr/bin/p1gateway --config /etc/p1gateway/p1gateway.toml 2>/tmp/p1gw-package.log &
gw=$!
wait_for "the added meter up" sh -c "curl -sf http://127.0.0.1:9464/metrics | grep -q '^dsmr_meter_up{meter=\"test\"} 1'"
kill -TERM $gw
wait $gw || fail "exit status $? on SIGTERM: $(cat /tmp/p1gw-package.log)"
gw=""

apt-get remove -y -qq p1gateway >/dev/null
[ ! -e /usr/bin/p1gateway ] || fail "remove left /usr/bin/p1gateway"
[ -e /etc/p1gateway/p1gateway.toml ] || fail "remove deleted the conffile"
apt-get purge -y -qq p1gateway >/dev/null
[ ! -e /etc/p1gateway ] || fail "purge left /etc/p1gateway: $(ls -la /etc/p1gateway)"
trap - EXIT
echo "package test passed"
