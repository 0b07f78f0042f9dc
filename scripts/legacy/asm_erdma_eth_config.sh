#!/bin/bash
# The legacy script asm-erdma replaces, reconstructed from its description (issue #2), weaknesses included
# (eth0 assumed, "no device" never detected, 3 sequential requests per NIC, no validation). It is kept only
# to prove that asm-erdma leaves the same kernel state (test/e2e) and to benchmark against (scripts/bench).
# Never run it outside the node simulator.

META=http://100.100.100.200/latest/meta-data/network/interfaces/macs

usage() {
  echo "usage: $0 -s | -r | -h"
}

setup() {
  eths=$(rdma link show | awk '{print $NF}')
  if [ ${#eths[@]} -eq 0 ]; then
    echo "no eRDMA device found"
    exit 1
  fi
  for eth in ${eths[@]}; do
    if [ "$eth" == "eth0" ]; then
      continue
    fi
    mac=$(ip a show dev $eth | grep link/ether | awk '{print $2}')
    ip=$(curl -s --connect-timeout 5 $META/$mac/primary-ip-address)
    mask=$(curl -s --connect-timeout 5 $META/$mac/netmask)
    gw=$(curl -s --connect-timeout 5 $META/$mac/gateway)
    if [ -z "$gw" ]; then
      echo "failed to get gateway of $eth: $mask"
      exit 1
    fi
    if ip link show $eth | grep -q "state DOWN"; then
      ip link set $eth up
    fi
    if ! ip -4 addr show dev $eth | grep -q inet; then
      metric=$(ip route | grep "dev eth0 proto kernel scope link" | awk '{print $NF}')
      ip addr add $ip/$mask dev $eth metric $((metric + 1))
    fi
  done
}

reset() {
  eths=$(rdma link show | awk '{print $NF}')
  for eth in ${eths[@]}; do
    if [ "$eth" == "eth0" ]; then
      continue
    fi
    ip addr flush dev $eth scope global
    ip link set $eth down
  done
}

case "$1" in
  -s) setup ;;
  -r) reset ;;
  *) usage ;;
esac
