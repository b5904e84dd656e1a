/** @module /proc/net/dev counters and /sys/class/net/<iface> properties. */
import type { Pattern } from '../regex.js';
import type { NetClassInfo, NetClassProperty, NetDevStats } from '../snapshot.js';
import { listDir, readOptional, readText } from './read.js';

const RECEIVE_FIELDS = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'];
const TRANSMIT_FIELDS = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'];

export function parseNetDev(text: string, deviceExclude: Pattern): NetDevStats[] {
  const out: NetDevStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    if (deviceExclude.test(device)) continue;
    const values = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    const receive: Record<string, number> = {};
    const transmit: Record<string, number> = {};
    RECEIVE_FIELDS.forEach((f, i) => (receive[f] = values[i] ?? 0));
    TRANSMIT_FIELDS.forEach((f, i) => (transmit[f] = values[i + 8] ?? 0));
    out.push({ device, receive, transmit });
  }
  return out;
}

/** /proc/net/dev, plus receive nohandler from sysfs where the kernel has it (node_exporter reads it over netlink). */
export async function collectNetDev(procRoot: string, sysRoot: string, deviceExclude: Pattern): Promise<NetDevStats[]> {
  const devices = parseNetDev(await readText(procRoot, 'net', 'dev'), deviceExclude);
  for (const d of devices) {
    const nohandler = await readOptional(sysRoot, 'class', 'net', d.device, 'statistics', 'rx_nohandler');
    if (nohandler !== undefined && nohandler !== '') d.receive.nohandler = Number(nohandler);
  }
  return devices;
}

/** sysfs attribute → node_exporter property; flags and dev_id are hex in sysfs. */
const NETCLASS_PROPERTIES: [string, NetClassProperty][] = [
  ['addr_assign_type', 'address_assign_type'],
  ['carrier_changes', 'carrier_changes_total'],
  ['carrier_up_count', 'carrier_up_changes_total'],
  ['carrier_down_count', 'carrier_down_changes_total'],
  ['dev_id', 'device_id'],
  ['dormant', 'dormant'],
  ['flags', 'flags'],
  ['ifindex', 'iface_id'],
  ['iflink', 'iface_link'],
  ['link_mode', 'iface_link_mode'],
  ['name_assign_type', 'name_assign_type'],
  ['netdev_group', 'net_dev_group'],
  ['tx_queue_len', 'transmit_queue_length'],
  ['type', 'protocol_type'],
];

export async function collectNetClass(sysRoot: string, deviceExclude: Pattern): Promise<NetClassInfo[]> {
  const devices = (await listDir(sysRoot, 'class', 'net')).filter((d) => !deviceExclude.test(d));
  return Promise.all(
    devices.map(async (device) => {
      const read = (file: string) => readOptional(sysRoot, 'class', 'net', device, file);
      const [operstate, address, broadcast, duplex, ifalias, mtu, speed, carrier] = await Promise.all(
        ['operstate', 'address', 'broadcast', 'duplex', 'ifalias', 'mtu', 'speed', 'carrier'].map(read),
      );
      const info: NetClassInfo = { device, properties: {} };
      for (const [file, property] of NETCLASS_PROPERTIES) {
        const raw = await read(file);
        if (raw === undefined || raw === '') continue;
        const v = raw.startsWith('0x') ? parseInt(raw, 16) : Number(raw);
        if (Number.isFinite(v)) info.properties[property] = v;
      }
      if (operstate !== undefined) info.operstate = operstate;
      if (address !== undefined) info.address = address;
      if (broadcast !== undefined) info.broadcast = broadcast;
      if (duplex !== undefined) info.duplex = duplex;
      if (ifalias !== undefined) info.ifalias = ifalias;
      if (mtu !== undefined && mtu !== '') info.mtu = Number(mtu);
      if (speed !== undefined && speed !== '') info.speedMbps = Number(speed);
      if (carrier !== undefined && carrier !== '') info.carrier = Number(carrier);
      return info;
    }),
  );
}
