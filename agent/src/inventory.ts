/**
 * @module Host inventory from systeminformation. Some of its calls fork (lsblk, ip), so this runs
 * at start and on the slow inventory schedule only, never in the sampler loop. Inventory only
 * travels in heartbeats, so the library is imported on first use: an agent without a server
 * never loads it.
 */
import type { Inventory } from './contract.js';

export type InventoryProvider = () => Promise<Inventory>;

export function systemInventory(now: () => number): InventoryProvider {
  return async () => {
    const { default: si } = await import('systeminformation');
    const [osInfo, cpu, mem, disks, interfaces] = await Promise.all([si.osInfo(), si.cpu(), si.mem(), si.diskLayout(), si.networkInterfaces()]);
    const ifaces = Array.isArray(interfaces) ? interfaces : [interfaces];
    return {
      collectedAt: new Date(now()).toISOString(),
      os: { platform: osInfo.platform, distro: osInfo.distro, release: osInfo.release, kernel: osInfo.kernel, arch: osInfo.arch },
      cpu: { model: `${cpu.manufacturer} ${cpu.brand}`.trim(), logicalCores: cpu.cores, physicalCores: cpu.physicalCores },
      memoryBytes: mem.total,
      disks: disks.map((d) => ({ device: d.device, name: d.name, type: d.type, sizeBytes: d.size })),
      interfaces: ifaces.map((i) => ({
        name: i.iface,
        mac: i.mac,
        ipv4: i.ip4 ? [i.ip4] : [],
        ipv6: i.ip6 ? [i.ip6] : [],
        speedMbps: typeof i.speed === 'number' ? i.speed : null,
      })),
    };
  };
}
