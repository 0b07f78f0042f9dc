/** Where the ECS metadata server keeps each NIC's keys (what setup, reset and status ask for). */
export const NIC_KEYS = ['primary-ip-address', 'netmask', 'gateway'] as const;

export function nicPath(mac: string, key: string): string {
  return `/latest/meta-data/network/interfaces/macs/${mac.toLowerCase()}/${key}`;
}
