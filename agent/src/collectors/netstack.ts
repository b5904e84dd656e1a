/**
 * @module The network stack as node_exporter's netstat, sockstat, softnet, udp_queues, arp and
 * conntrack collectors export it, from /proc/net and /proc/sys/net (no netlink, no child processes).
 */
import type { Conntrack, NetStack, Softnet } from '../snapshot.js';
import { readOptional } from './read.js';

/** node_exporter 1.5's --collector.netstat.fields default. */
export const NETSTAT_FIELDS =
  /^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$/;

/** /proc/net/netstat and /proc/net/snmp: pairs of lines, "Proto: names…" then "Proto: values…". */
export function parseNetstatPairs(text: string, into: Record<string, number>, keep: RegExp = NETSTAT_FIELDS): void {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = (lines[i] as string).trim().split(/\s+/);
    const values = (lines[i + 1] as string).trim().split(/\s+/);
    const protocol = names[0]?.replace(/:$/, '');
    if (!protocol || values[0] !== names[0]) continue;
    for (let j = 1; j < names.length; j++) {
      const key = `${protocol}_${names[j]}`;
      const v = Number(values[j]);
      if (keep.test(key) && Number.isFinite(v)) into[key] = v;
    }
  }
}

/** /proc/net/snmp6: "Ip6InOctets  123" lines; the protocol ends at its first "6", as node_exporter splits it. */
export function parseSnmp6(text: string, into: Record<string, number>, keep: RegExp = NETSTAT_FIELDS): void {
  for (const line of text.split('\n')) {
    const [name, raw] = line.trim().split(/\s+/);
    if (!name || raw === undefined) continue;
    const six = name.indexOf('6');
    if (six < 0) continue;
    const key = `${name.slice(0, six + 1)}_${name.slice(six + 1)}`;
    const v = Number(raw);
    if (keep.test(key) && Number.isFinite(v)) into[key] = v;
  }
}

/**
 * /proc/net/sockstat(6): "TCP: inuse 17 orphan 0 tw 1 alloc 17 mem 107". TCP and UDP `mem` is in
 * pages, so node_exporter adds `mem_bytes`; FRAG `memory` is already bytes.
 */
export function parseSockstat(text: string, pageSize: number, into: Record<string, number>): void {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const protocol = line.slice(0, colon).trim();
    const parts = line.slice(colon + 1).trim().split(/\s+/);
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const field = parts[i] as string;
      const v = Number(parts[i + 1]);
      if (!Number.isFinite(v)) continue;
      if (protocol === 'sockets') {
        if (field === 'used') into.sockets_used = v;
        continue;
      }
      into[`${protocol}_${field}`] = v;
      if (field === 'mem') into[`${protocol}_mem_bytes`] = v * pageSize;
    }
  }
}

/** /proc/net/softnet_stat: one hex line per CPU; processed, dropped, time_squeeze are the first three. */
export function parseSoftnet(text: string): Softnet[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const f = line.trim().split(/\s+/);
      const hex = (k: number) => parseInt(f[k] ?? '0', 16);
      return { cpu: String(i), processed: hex(0), dropped: hex(1), timesSqueezed: hex(2) };
    });
}

/** /proc/net/udp(6): the sum of every socket's tx_queue and rx_queue (hex "tx:rx", 5th column). */
export function parseUdpQueues(text: string): { tx: number; rx: number } {
  let tx = 0;
  let rx = 0;
  for (const line of text.split('\n').slice(1)) {
    const queues = line.trim().split(/\s+/)[4];
    if (!queues) continue;
    const [t, r] = queues.split(':');
    tx += parseInt(t ?? '0', 16) || 0;
    rx += parseInt(r ?? '0', 16) || 0;
  }
  return { tx, rx };
}

/** /proc/net/arp: entries counted by device (the last column). */
export function parseArp(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const device = f[5] as string;
    out[device] = (out[device] ?? 0) + 1;
  }
  return out;
}

const CONNTRACK_STATS = ['found', 'invalid', 'ignore', 'insert', 'insert_failed', 'drop', 'early_drop', 'search_restart'];

/** /proc/net/stat/nf_conntrack: a header of names, then one hex line per CPU, summed. */
export function parseConntrackStat(text: string): Record<string, number> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const names = (lines[0] ?? '').trim().split(/\s+/);
  const out: Record<string, number> = Object.fromEntries(CONNTRACK_STATS.map((n) => [n, 0]));
  for (const line of lines.slice(1)) {
    const values = line.trim().split(/\s+/);
    names.forEach((name, i) => {
      if (name in out) out[name] = (out[name] as number) + (parseInt(values[i] ?? '0', 16) || 0);
    });
  }
  return out;
}

/** Each source is optional: a kernel without IPv6, netfilter or ARP just leaves its part out. */
export async function collectNetStack(procRoot: string, pageSize: number): Promise<NetStack> {
  const read = (...parts: string[]) => readOptional(procRoot, ...parts);
  const out: NetStack = {};
  const [netstat, snmp, snmp6] = await Promise.all([read('net', 'netstat'), read('net', 'snmp'), read('net', 'snmp6')]);
  if (netstat !== undefined || snmp !== undefined) {
    const fields: Record<string, number> = {};
    if (netstat !== undefined) parseNetstatPairs(netstat, fields);
    if (snmp !== undefined) parseNetstatPairs(snmp, fields);
    if (snmp6 !== undefined) parseSnmp6(snmp6, fields);
    out.netstat = fields;
  }
  const sockstat = await read('net', 'sockstat');
  if (sockstat !== undefined) {
    const fields: Record<string, number> = {};
    parseSockstat(sockstat, pageSize, fields);
    const sockstat6 = await read('net', 'sockstat6');
    if (sockstat6 !== undefined) parseSockstat(sockstat6, pageSize, fields);
    out.sockstat = fields;
  }
  const softnet = await read('net', 'softnet_stat');
  if (softnet !== undefined) out.softnet = parseSoftnet(softnet);
  const udp = await read('net', 'udp');
  if (udp !== undefined) {
    const v4 = parseUdpQueues(udp);
    out.udpQueues = [
      { ip: 'v4', queue: 'rx', value: v4.rx },
      { ip: 'v4', queue: 'tx', value: v4.tx },
    ];
    const udp6 = await read('net', 'udp6');
    if (udp6 !== undefined) {
      const v6 = parseUdpQueues(udp6);
      out.udpQueues.push({ ip: 'v6', queue: 'rx', value: v6.rx }, { ip: 'v6', queue: 'tx', value: v6.tx });
    }
  }
  const arp = await read('net', 'arp');
  if (arp !== undefined) out.arp = parseArp(arp);
  const [count, max] = await Promise.all([read('sys', 'net', 'netfilter', 'nf_conntrack_count'), read('sys', 'net', 'netfilter', 'nf_conntrack_max')]);
  if (count !== undefined && max !== undefined) {
    const conntrack: Conntrack = { entries: Number(count), entriesLimit: Number(max) };
    const stat = await read('net', 'stat', 'nf_conntrack');
    if (stat !== undefined) conntrack.stat = parseConntrackStat(stat);
    out.conntrack = conntrack;
  }
  return out;
}
