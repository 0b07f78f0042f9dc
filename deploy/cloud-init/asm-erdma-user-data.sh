#!/bin/bash
# asm-erdma for nodes a node pool creates later: paste this file into the ACK node pool's "custom data"
# (instance user data; cloud-init runs it once, as root, at the node's first boot). It
#   1. installs the asm-erdma RPM (skipped when ASM_ERDMA_RPM is empty, e.g. baked into the image), checked first
#      against ASM_ERDMA_RPM_SHA256 (its line in the release's SHA256SUMS) and/or signed by the key
#      ASM_ERDMA_RPM_GPG_KEY (docs/verify.md); a mismatch is refused and logged, and nothing is installed,
#   2. applies the 5.10.134-16.3 hotfix when this kernel needs it (ASM_ERDMA_HOTFIX=1),
#   3. runs `asm-erdma install-service --now`: the boot unit is written, enabled and started, so the eRDMA NICs
#      are configured now (setup --wait waits for the driver and the metadata server) and at every boot
#      (with ASM_ERDMA_METRICS also the metrics timer, for node_exporter's textfile collector),
#   4. prints `asm-erdma status` into the cloud-init log (/var/log/cloud-init-output.log); it does not fail the
#      boot for a check that is not ok.
# A failed hotfix (e.g. exit 12: not in any enabled repository) or install-service does not stop the steps after
# it: the NICs and the boot unit are configured regardless. Each failure is logged to stderr (cloud-init puts it
# in /var/log/cloud-init-output.log) and to syslog (logger), and the script ends with the first failure's exit
# code, so cloud-init reports the run as failed.
# Settings (edit here, or export them before running by hand):
ASM_ERDMA_RPM=${ASM_ERDMA_RPM-https://example.com/asm-erdma/asm-erdma-0.1.0-1.al8.x86_64.rpm} # URL, path or ""
ASM_ERDMA_RPM_SHA256=${ASM_ERDMA_RPM_SHA256:-}    # the RPM's sha256 (SHA256SUMS); "" = not checked
ASM_ERDMA_RPM_GPG_KEY=${ASM_ERDMA_RPM_GPG_KEY:-}  # the release key (URL or path): dnf then needs its signature
ASM_ERDMA_CMD=${ASM_ERDMA_CMD:-asm-erdma}          # the installed command (the RPM puts it in /usr/bin)
ASM_ERDMA_HOTFIX=${ASM_ERDMA_HOTFIX:-1}            # 1: asm-erdma hotfix --yes; 0: leave the kernel alone
ASM_ERDMA_BOOT_TIMEOUT=${ASM_ERDMA_BOOT_TIMEOUT:-120}
ASM_ERDMA_INTERFACES=${ASM_ERDMA_INTERFACES:-}     # "" = every eRDMA NIC; else e.g. "eth1 eth2"
ASM_ERDMA_METADATA_URL=${ASM_ERDMA_METADATA_URL:-} # "" = http://100.100.100.200
ASM_ERDMA_METRICS=${ASM_ERDMA_METRICS:-}           # "" = no metrics timer; 1 = node_exporter's default textfile
                                                   # directory; /some/dir = that one (docs/metrics.md)
ASM_ERDMA_INSTALL_TRIES=${ASM_ERDMA_INSTALL_TRIES:-5}
ASM_ERDMA_SYSLOG=${ASM_ERDMA_SYSLOG:-1}             # 1: failures also go to syslog through logger
set -euo pipefail
export NO_COLOR=1

log() { echo "asm-erdma user-data: $*" >&2; }

# The RPM as a local file whose sha256 is ASM_ERDMA_RPM_SHA256 (downloaded first if it is a URL), printed on stdout;
# exit 3 (no retry) when it has another sha256.
fetch_checked() {
  local file=$ASM_ERDMA_RPM sum
  if [[ $ASM_ERDMA_RPM =~ ^https?:// ]]; then
    file=$(mktemp /var/tmp/asm-erdma-XXXXXX.rpm)
    curl -fsSL --retry 3 -o "$file" "$ASM_ERDMA_RPM" || { rm -f "$file"; return 1; }
  fi
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$sum" != "${ASM_ERDMA_RPM_SHA256,,}" ]; then
    log "refusing $ASM_ERDMA_RPM: its sha256 is $sum, not ASM_ERDMA_RPM_SHA256=$ASM_ERDMA_RPM_SHA256"
    [ "$file" = "$ASM_ERDMA_RPM" ] || rm -f "$file"
    return 3
  fi
  echo "$file"
}

# A step that failed: logged now, and the script's exit code at the end (the first failure's).
failures=()
first_failure=0
failed() {
  local code=$1
  shift
  log "FAILED (exit $code): $*"
  if [ "$ASM_ERDMA_SYSLOG" = 1 ] && command -v logger >/dev/null; then
    logger -t asm-erdma-user-data -p user.err -- "FAILED (exit $code): $*" || true
  fi
  failures+=("$*")
  [ "$first_failure" != 0 ] || first_failure=$code
}

install_rpm() {
  [ -n "$ASM_ERDMA_RPM" ] || { log "ASM_ERDMA_RPM is empty: not installing (using $ASM_ERDMA_CMD)"; return 0; }
  local try rpm=$ASM_ERDMA_RPM rc=0 check=() out dnf_status
  if [ -n "$ASM_ERDMA_RPM_GPG_KEY" ]; then
    # dnf checks a local file's or URL's signature only with localpkg_gpgcheck.
    rpm --import "$ASM_ERDMA_RPM_GPG_KEY" || { log "cannot import the key $ASM_ERDMA_RPM_GPG_KEY"; return 1; }
    check=(--setopt=localpkg_gpgcheck=1)
  elif [ -z "$ASM_ERDMA_RPM_SHA256" ]; then
    # Nothing to verify against (an unsigned RPM): the same as before keys and checksums.
    log "not verifying $ASM_ERDMA_RPM: set ASM_ERDMA_RPM_SHA256 and/or ASM_ERDMA_RPM_GPG_KEY (docs/verify.md)"
    check=(--nogpgcheck)
  fi
  # The network (and the repositories) may still be settling at first boot: a few bounded retries.
  for ((try = 1; try <= ASM_ERDMA_INSTALL_TRIES; try++)); do
    if [ -n "$ASM_ERDMA_RPM_SHA256" ]; then
      rpm=$(fetch_checked) || rc=$?
      [ "$rc" -eq 3 ] && return 1
    fi
    if [ "$rc" -eq 0 ]; then
      dnf_status=0
      out=$(dnf install -y "${check[@]}" "$rpm" 2>&1) || dnf_status=$?
      printf '%s\n' "$out" >&2
      if [ "$dnf_status" -eq 0 ]; then
        [ "$rpm" = "$ASM_ERDMA_RPM" ] || rm -f "$rpm"
        return 0
      fi
      # A signature dnf refuses stays refused: retrying would only hold the node back (dnf 4's words).
      if grep -qE 'GPG check FAILED|is not signed|Public key for .* is not installed' <<<"$out"; then
        log "refusing $ASM_ERDMA_RPM: dnf rejected its signature (is ASM_ERDMA_RPM_GPG_KEY the key it was signed with?)"
        [ "$rpm" = "$ASM_ERDMA_RPM" ] || rm -f "$rpm"
        return 1
      fi
    fi
    log "fetching or installing $ASM_ERDMA_RPM failed (try $try of $ASM_ERDMA_INSTALL_TRIES)"
    rc=0
    sleep $((try * 5))
  done
  log "giving up: cannot install $ASM_ERDMA_RPM"
  return 1
}

install_rpm
command -v "$ASM_ERDMA_CMD" >/dev/null || { log "$ASM_ERDMA_CMD is not installed"; exit 1; }

if [ "$ASM_ERDMA_HOTFIX" = 1 ]; then
  "$ASM_ERDMA_CMD" hotfix --yes ||
    failed $? "$ASM_ERDMA_CMD hotfix --yes; the NICs and the boot unit are configured regardless"
fi

args=(install-service --now --timeout "$ASM_ERDMA_BOOT_TIMEOUT")
[ -n "$ASM_ERDMA_METADATA_URL" ] && args+=(--metadata-url "$ASM_ERDMA_METADATA_URL")
for i in $ASM_ERDMA_INTERFACES; do args+=(--interface "$i"); done
case "$ASM_ERDMA_METRICS" in
  "") ;;
  1) args+=(--metrics) ;;
  *) args+=("--metrics=$ASM_ERDMA_METRICS") ;;
esac
"$ASM_ERDMA_CMD" "${args[@]}" || failed $? "$ASM_ERDMA_CMD ${args[*]}"

# For the log only: the node's readiness (exit 14 when a check fails, e.g. smc not loaded yet).
"$ASM_ERDMA_CMD" status || log "status reports the node is not ready yet (see above)"

if [ ${#failures[@]} -gt 0 ]; then
  log "finished with ${#failures[@]} failed step(s): $(printf '%s; ' "${failures[@]}")exit $first_failure"
  exit "$first_failure"
fi
