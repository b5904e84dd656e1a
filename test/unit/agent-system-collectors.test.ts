/** Parsers of the network-stack and system collectors on captured kernel text: node_exporter's names and values. */
import { describe, expect, it } from 'vitest';
import { parseUdevData } from '../../agent/src/collectors/diskstats.js';
import { parseArp, parseConntrackStat, parseNetstatPairs, parseSnmp6, parseSockstat, parseSoftnet, parseUdpQueues } from '../../agent/src/collectors/netstack.js';
import { osVersionNumber, parseOsRelease, parseVmstat, zoneAbbreviation } from '../../agent/src/collectors/system.js';

describe('network stack parsers', () => {
  it('keeps node_exporter 1.5 default netstat fields, named Protocol_Name', () => {
    const fields: Record<string, number> = {};
    parseNetstatPairs(
      'Tcp: RtoAlgorithm RtoMin ActiveOpens PassiveOpens InSegs CurrEstab InErrs MaxConn\nTcp: 1 200 17 4 9000 3 1 -1\nUdp: InDatagrams NoPorts InErrors IgnoredMulti\nUdp: 5 6 7 8\nIp: Forwarding DefaultTTL InHdrErrors\nIp: 1 64 0\n',
      fields,
    );
    parseNetstatPairs('TcpExt: SyncookiesSent ListenDrops TCPTimeouts DelayedACKs\nTcpExt: 1 2 3 4\n', fields);
    parseSnmp6('Ip6InOctets                     1234\nIcmp6InMsgs 3\nUdpLite6InErrors 0\nIp6InReceives 99\n', fields);
    expect(fields).toEqual({
      Tcp_ActiveOpens: 17,
      Tcp_PassiveOpens: 4,
      Tcp_InSegs: 9000,
      Tcp_CurrEstab: 3,
      Tcp_InErrs: 1,
      Udp_InDatagrams: 5,
      Udp_NoPorts: 6,
      Udp_InErrors: 7,
      Ip_Forwarding: 1,
      TcpExt_SyncookiesSent: 1,
      TcpExt_ListenDrops: 2,
      TcpExt_TCPTimeouts: 3,
      Ip6_InOctets: 1234,
      Icmp6_InMsgs: 3,
      UdpLite6_InErrors: 0,
    });
  });

  it('turns TCP and UDP memory pages into mem_bytes, leaves FRAG memory as it is', () => {
    const fields: Record<string, number> = {};
    parseSockstat('sockets: used 41\nTCP: inuse 17 orphan 0 tw 1 alloc 17 mem 107\nUDP: inuse 2 mem 3\nFRAG: inuse 0 memory 512\n', 16384, fields);
    parseSockstat('TCP6: inuse 5\nUDP6: inuse 1\n', 16384, fields);
    expect(fields).toEqual({
      sockets_used: 41,
      TCP_inuse: 17,
      TCP_orphan: 0,
      TCP_tw: 1,
      TCP_alloc: 17,
      TCP_mem: 107,
      TCP_mem_bytes: 107 * 16384,
      UDP_inuse: 2,
      UDP_mem: 3,
      UDP_mem_bytes: 3 * 16384,
      FRAG_inuse: 0,
      FRAG_memory: 512,
      TCP6_inuse: 5,
      UDP6_inuse: 1,
    });
  });

  it('reads softnet, UDP queues, ARP and conntrack counters (hex where the kernel writes hex)', () => {
    expect(parseSoftnet('003f1fef 00000002 00000006 00000000\n0000000a 00000000 00000015 00000000\n')).toEqual([
      { cpu: '0', processed: 0x3f1fef, dropped: 2, timesSqueezed: 6 },
      { cpu: '1', processed: 10, dropped: 0, timesSqueezed: 0x15 },
    ]);
    const udp = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 00000000:0044 00000000:0000 07 00000010:00000200 00:00000000 00000000     0        0 1 2 0000000000000000 0
  124: 0100007F:0035 00000000:0000 07 00000001:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0`;
    expect(parseUdpQueues(udp)).toEqual({ tx: 0x11, rx: 0x200 });
    const arp = `IP address       HW type     Flags       HW address            Mask     Device
192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0
192.0.2.2        0x1         0x2         02:fc:00:00:00:06     *        eth0
198.51.100.1     0x1         0x0         00:00:00:00:00:00     *        eth1`;
    expect(parseArp(arp)).toEqual({ eth0: 2, eth1: 1 });
    const stat = `entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
00000001  00000000 00000010 00000000 00000001 00000002 00000000 00000000 00000003 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000001
00000001  00000000 00000001 00000000 00000000 00000002 00000000 00000000 00000003 00000001 00000004 00000000 00000000  00000000 00000000 00000000 0000000f`;
    expect(parseConntrackStat(stat)).toEqual({ found: 17, invalid: 1, ignore: 4, insert: 6, insert_failed: 1, drop: 4, early_drop: 0, search_restart: 16 });
  });
});

describe('system parsers', () => {
  it('keeps the default vmstat fields', () => {
    expect(parseVmstat('nr_free_pages 100\npgpgin 5\npgpgout 6\npswpin 0\npswpout 0\npgfault 77\npgmajfault 8\npgfree 9\noom_kill 1\n')).toEqual({
      pgpgin: 5,
      pgpgout: 6,
      pswpin: 0,
      pswpout: 0,
      pgfault: 77,
      pgmajfault: 8,
      oom_kill: 1,
    });
  });

  it('reads os-release quoting and the major.minor version', () => {
    const r = parseOsRelease('PRETTY_NAME="Ubuntu 24.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.4 LTS (Noble \\"Numbat\\")"\nID=ubuntu\n# comment\n');
    expect(r).toMatchObject({ pretty_name: 'Ubuntu 24.04.4 LTS', name: 'Ubuntu', version_id: '24.04', version: '24.04.4 LTS (Noble "Numbat")', id: 'ubuntu' });
    expect(osVersionNumber(r.version_id)).toBe(24.04);
    expect(osVersionNumber('42')).toBe(42);
    expect(osVersionNumber('rolling')).toBe(0);
    expect(osVersionNumber(undefined)).toBe(0);
  });

  it('names the zone as Go does, from the TZif footer', () => {
    const footer = (tz: string) => Buffer.concat([Buffer.from('TZif2\0\0\0binary'), Buffer.from(`\n${tz}\n`)]);
    expect(zoneAbbreviation(footer('CET-1CEST,M3.5.0,M10.5.0/3'), 3600)).toBe('CET');
    expect(zoneAbbreviation(footer('CET-1CEST,M3.5.0,M10.5.0/3'), 7200)).toBe('CEST');
    expect(zoneAbbreviation(footer('EST5EDT,M3.2.0,M11.1.0'), -4 * 3600)).toBe('EDT');
    expect(zoneAbbreviation(footer('<+0530>-5:30'), 19800)).toBe('+0530');
    expect(zoneAbbreviation(footer('UTC0'), 0)).toBe('UTC');
  });

  it('reads udev properties only from E: lines', () => {
    expect(parseUdevData('S:disk/by-id/x\nE:ID_MODEL=Samsung_SSD\nE:ID_SERIAL_SHORT=S1=2\nG:systemd\n')).toEqual({ ID_MODEL: 'Samsung_SSD', ID_SERIAL_SHORT: 'S1=2' });
  });
});
