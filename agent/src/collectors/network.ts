/** @module /proc/net/dev counters and /sys/class/net/<iface> properties. */
import type { Pattern } from '../regex.js';
import type { NetClassInfo, NetDevStats } from '../snapshot.js';
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

export async function collectNetDev(procRoot: string, deviceExclude: Pattern): Promise<NetDevStats[]> {
  return parseNetDev(await readText(procRoot, 'net', 'dev'), deviceExclude);
}

export async function collectNetClass(sysRoot: string, deviceExclude: Pattern): Promise<NetClassInfo[]> {
  const devices = (await listDir(sysRoot, 'class', 'net')).filter((d) => !deviceExclude.test(d));
  return Promise.all(
    devices.map(async (device) => {
      const read = (file: string) => readOptional(sysRoot, 'class', 'net', device, file);
      const [operstate, address, broadcast, duplex, ifalias, mtu, speed, carrier] = await Promise.all(
        ['operstate', 'address', 'broadcast', 'duplex', 'ifalias', 'mtu', 'speed', 'carrier'].map(read),
      );
      const info: NetClassInfo = { device };
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
