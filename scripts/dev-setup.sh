#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine (run as root): the real tools the tests drive
# (iproute2 for namespaces, curl for the legacy script, dnf/rpm/rpmbuild/createrepo_c for the package repo,
# systemd for systemctl --root and systemd-analyze verify; binutils, the aarch64 binutils, qemu-user and the
# arm64 libraries to strip and run the standalone binaries; ansible-core + openssh for the fleet test, ansible-lint
# for the role; man-db to render the man page; gnupg to sign the RPMs; mmdebstrap and systemd-container (systemd-nspawn) to build and boot
# the node image of test/e2e/real-boot.test.ts, cached under /var/cache/asm-erdma-test), then the npm packages from
# the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(iproute2 curl util-linux procps time systemd dnf rpm gnupg createrepo-c binutils binutils-aarch64-linux-gnu
  qemu-user libc6-arm64-cross libstdc++6-arm64-cross ansible-core ansible-lint openssh-server openssh-client man-db
  prometheus prometheus-node-exporter mmdebstrap systemd-container)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "dev-setup: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Installing openssh-server, prometheus or prometheus-node-exporter must not start their daemons on this machine
  # (the tests start their own, inside network namespaces): a policy-rc.d that forbids service starts (exit 101)
  # during the install only.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
