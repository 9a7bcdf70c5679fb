#!/usr/bin/env bash
# Installs everything p1gateway needs to build, run and test on Debian 12. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build pkg-config git ca-certificates \
  libuv1-dev libserialport-dev libtomlplusplus-dev prometheus-cpp-dev \
  libspdlog-dev libfmt-dev catch2 libssl-dev nlohmann-json3-dev libcli11-dev \
  libtelnet-dev libhttp-parser-dev libsystemd-dev libbenchmark-dev zlib1g-dev \
  libhowardhinnant-date-dev tzdata \
  clang libclang-rt-14-dev \
  socat python3 python3-serial prometheus curl netcat-openbsd \
  libmosquitto-dev mosquitto mosquitto-clients openssl \
  libcurl4-openssl-dev libsnappy-dev liburing-dev libprotobuf-dev protobuf-compiler victoria-metrics \
  libavahi-client-dev avahi-daemon avahi-utils dbus iproute2 util-linux \
  scdoc bash-completion >/dev/null
# Building and checking the Debian package (deploy/build-deb.sh, the package
# test): debhelper, lintian, and man to check the unit's Documentation= pages.
$SUDO apt-get install -y -qq --no-install-recommends \
  dpkg-dev debhelper fakeroot lintian man-db >/dev/null
# The tests that drive a browser (Chromium, through playwright-core fetched
# from npm at test time) and published JavaScript clients need node and npm.
# A Node.js already installed (NodeSource's ships its own npm and conflicts
# with Debian's) is kept.
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
