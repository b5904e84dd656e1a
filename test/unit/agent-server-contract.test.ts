/**
 * Contract: what the agent sends parses with the server's own schemas. The two sides never
 * import each other; only this test sees both.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertsPayload, Heartbeat } from '../../agent/src/contract.js';
import { exportRequest, observe, unixNano } from '../../agent/src/outputs/otlp.js';
import type { HostSnapshot } from '../../agent/src/snapshot.js';
import { extractCapacityObservations } from '../../server/src/capacity/observations.js';
import { OtlpMetricsRequest } from '../../server/src/ingest/otlp-metrics.js';
import { parseNative } from '../../server/src/ingest/native.js';
import { HeartbeatBody } from '../../server/src/http/routes/agents.js';

const iso = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);

const check = fc.record({
  name,
  type: fc.constantFrom('http' as const, 'tcp' as const, 'process' as const),
  target: fc.string({ maxLength: 60 }),
  success: fc.boolean(),
  since: iso,
  lastRunAt: iso,
  durationSeconds: fc.double({ min: 0, max: 30, noNaN: true }),
  error: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
  httpStatus: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
});

const heartbeat = fc.record({
  agentId: fc.uuid(),
  host: name,
  version: fc.constantFrom('0.1.0', '1.2.3'),
  sentAt: iso,
  intervalSeconds: fc.integer({ min: 1, max: 3600 }),
  sampleIntervalSeconds: fc.integer({ min: 1, max: 3600 }),
  inventory: fc.constant(null),
  checks: fc.array(check, { maxLength: 5 }),
  firingAlerts: fc.nat(20),
});

describe('agent → server contract', () => {
  it('every heartbeat the agent may send is accepted by the server', () => {
    fc.assert(
      fc.property(heartbeat, (hb) => {
        const sent = Heartbeat.parse(hb); // valid by the agent's own contract
        const received = HeartbeatBody.safeParse(JSON.parse(JSON.stringify(sent)));
        expect(received.success, JSON.stringify(received.error?.issues)).toBe(true);
        expect(received.data?.agentId).toBe(hb.agentId);
      }),
      { numRuns: 300 },
    );
  });

  it("alerts from the agent's rules parse with the server's native format", () => {
    const payload = AlertsPayload.parse({
      alerts: [
        {
          labels: { alertname: 'FilesystemAlmostFull', host: 'web-7', service: 'host', severity: 'warning', mountpoint: '/var' },
          annotations: { summary: 'Filesystem /var on web-7 is 93% full' },
          status: 'firing',
          startsAt: '2026-11-21T04:00:00.000Z',
        },
        {
          labels: { alertname: 'CheckFailing', host: 'web-7', service: 'api', severity: 'critical', check: 'api' },
          annotations: { summary: 'Check api failing' },
          status: 'resolved',
          startsAt: '2026-11-21T04:00:00.000Z',
          endsAt: '2026-11-21T04:05:00.000Z',
        },
      ],
    });
    const batch = parseNative(JSON.parse(JSON.stringify(payload)), Date.parse('2026-11-21T04:06:00.000Z'));
    expect(batch.issues).toEqual([]);
    expect(batch.events.map((e) => [e.labels.alertname, e.status])).toEqual([
      ['FilesystemAlmostFull', 'firing'],
      ['CheckFailing', 'resolved'],
    ]);
  });
});

describe('OTLP push contract', () => {
  it('the request the agent builds parses with the server schema and yields capacity samples for its host', () => {
    const snapshot: HostSnapshot = {
      takenAtMs: 1_800_000_000_000,
      durations: {},
      failed: [],
      stat: { cpus: [{ cpu: '0', user: 10, nice: 0, system: 5, idle: 80, iowait: 1, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 }], bootTime: 1_799_990_000, contextSwitches: 1, forks: 1, interrupts: 1, procsRunning: 1, procsBlocked: 0 },
      meminfo: [
        { name: 'MemTotal', value: 8e9, bytes: true },
        { name: 'MemFree', value: 2e9, bytes: true },
      ],
      filesystems: [{ device: '/dev/vda1', fstype: 'ext4', mountpoint: '/', sizeBytes: 100e9, freeBytes: 40e9, availBytes: 35e9, files: 1, filesFree: 1, readonly: 0, deviceError: 0 }],
      netdev: [{ device: 'eth0', receive: { bytes: 1e6, packets: 10, errs: 0, drop: 0 }, transmit: { bytes: 2e6, packets: 20, errs: 0, drop: 0 } }],
    };
    const resource = { hostName: 'web-01', hostArch: 'amd64', osType: 'linux', osVersion: '6.1', agentId: 'a1', version: '0.1.0' };
    const request = exportRequest(resource, observe(snapshot, []), 1_799_999_000_000, 1_800_000_000_000);
    const parsed = OtlpMetricsRequest.parse(JSON.parse(JSON.stringify(request)));
    const observed = extractCapacityObservations(parsed);
    expect(observed.rejected).toBe(0);
    expect(new Set([...observed.samples, ...observed.counters].map((s) => s.host))).toEqual(new Set(['web-01']));
    expect(observed.samples.find((s) => s.resource === 'filesystem' && s.mountpoint === '/')?.value).toBeCloseTo(60 / 95, 5);
    expect(observed.counters.length).toBeGreaterThan(0);
    expect(unixNano(1_800_000_000_000)).toBe('1800000000000000000');
  });
});
