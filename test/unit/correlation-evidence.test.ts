/**
 * The similarity layer's evidence and the incident span, on the engine alone: rows of earlier
 * events (the state), one event, and the decision with its reason.
 */
import { describe, expect, it } from 'vitest';
import { applyEvents, type CorrelationChanges, type CorrelationConfig } from '../../server/src/correlate/engine.js';
import { alertFamily, evidenceKeys } from '../../server/src/correlate/evidence.js';
import { CorrelationState } from '../../server/src/correlate/state.js';
import { ServiceGraph } from '../../server/src/correlate/topology.js';
import type { StoredAlertEvent } from '../../server/src/domain/alert.js';

const T0 = Date.parse('2026-11-21T04:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

const CONFIG: CorrelationConfig = {
  grouping: { groupBy: null, joinWindowMs: 10 * MIN, maxIncidentSpanMs: 24 * HOUR },
  resolveHoldDownMs: 5 * MIN,
  reopenWindowMs: 5 * MIN,
  closeAfterMs: 24 * HOUR,
  topologyHops: 2,
  topologyTiming: { spreadPerHopMs: 5 * MIN, upstreamMs: 2 * MIN },
  rootOnsetWindowMs: 2 * MIN,
  mergeSymptomIncidents: true,
  serviceOnsetWindowMs: 2 * MIN,
  similarity: { sameHost: true, titleThreshold: 0.75 },
  rules: [],
  flap: { windowMs: 30 * MIN, threshold: 4 },
  inhibitRules: [],
};

describe('alert family', () => {
  it.each([
    ['ET-SCAN-2001219', 'et scan'],
    ['ET SCAN Potential SSH Scan', 'et scan'],
    ['5710', '57'],
    ['5715', '57'],
    ['T1059-001', 't1059 0'],
    ['sysmon.proc.create', 'sysmon proc'],
    ['HighErrorRate', 'high error'],
    ['SLOBurnRateHigh', 'slo burn'],
    ['', null],
  ])('%s → %s', (name, family) => {
    expect(alertFamily(name)).toBe(family);
  });

  it('leaves out an identifying label whose value is the alert’s own host', () => {
    expect(evidenceKeys({ alertname: '5715', host: '10.0.1.10', src_ip: '10.0.1.10', user: 'bob' }, ['src_ip', 'user'])).toEqual(['family:57', 'label:user=bob']);
  });
});

let nextId = 1;
/** A firing event `at` minutes after T0 (no lease: it fires until resolved). */
function ev(fingerprint: string, labels: Record<string, string>, at: number, summary = ''): StoredAlertEvent {
  const startsAt = T0 + at * MIN;
  return { id: nextId++, source: 'api', fingerprint, status: 'firing', labels, annotations: summary ? { summary } : {}, startsAt, endsAt: null, generatorUrl: null, receivedAt: startsAt };
}
const resolved = (e: StoredAlertEvent, at: number): StoredAlertEvent => ({ ...e, id: nextId++, status: 'resolved', endsAt: T0 + at * MIN, receivedAt: T0 + at * MIN });

/** Applies each batch in turn; the decision on the last event: its method, reason and whether it joined the first incident. */
function decide(batches: StoredAlertEvent[][], options: { config?: Partial<CorrelationConfig>; catalogue?: ServiceGraph } = {}) {
  const state = new CorrelationState();
  const config = { ...CONFIG, ...options.config };
  let last: CorrelationChanges | null = null;
  for (const events of batches) last = applyEvents(state, events, { config, catalogue: options.catalogue ?? new ServiceGraph([]), silences: [], now: Math.max(...events.map((e) => e.receivedAt)) });
  const entry = [...(last as CorrelationChanges).timeline].reverse().find((t) => t.kind === 'alert_joined' || t.kind === 'opened');
  if (!entry) throw new Error('no decision');
  const data = entry.data as { method: string; evidence?: Record<string, unknown> };
  return { method: data.method, why: entry.message, evidence: data.evidence, incident: entry.incidentId, incidents: state.incidents.size };
}

const H = '10.0.1.10';
const ids = (alertname: string, labels: Record<string, string> = {}) => ({ alertname, host: H, ...labels });

describe('similarity: evidence beyond the host', () => {
  const rows: { name: string; state: () => StoredAlertEvent[][]; event: () => StoredAlertEvent; config?: Partial<CorrelationConfig>; method: string; why: RegExp; joins: boolean }[] = [
    {
      name: 'same host, same family within minutes of the opening: joins',
      state: () => [[ev('a', ids('ET-SCAN-2001219'), 0)]],
      event: () => ev('b', ids('ET-SCAN-2010937'), 2),
      method: 'similarity',
      why: /same host 10\.0\.1\.10 and shared alert family "et scan"/,
      joins: true,
    },
    {
      name: 'same host, two unrelated families in the same minute: apart',
      state: () => [[ev('a', ids('linux.disk.usage'), 0)]],
      event: () => ev('b', ids('av.signature.stale'), 1),
      method: 'new',
      why: /Opened by av\.signature\.stale/,
      joins: false,
    },
    {
      name: 'same host, same family, but another source address: apart',
      state: () => [[ev('a', ids('ET-SCAN-2001219', { src_ip: '45.1.2.3' }), 0)]],
      event: () => ev('b', ids('ET-SCAN-2010937', { src_ip: '61.9.9.9' }), 1),
      method: 'new',
      why: /Opened by ET-SCAN-2010937/,
      joins: false,
    },
    {
      name: 'same host, same family, past minutes of the opening: apart',
      state: () => [[ev('a', ids('linux.disk.usage'), 0), ev('a2', ids('linux.kernel.oom'), 4)]],
      event: () => ev('b', ids('linux.disk.inodes'), 8),
      method: 'new',
      why: /Opened by linux\.disk\.inodes/,
      joins: false,
    },
    {
      name: 'same host, another family sharing a source address: joins',
      state: () => [[ev('a', ids('5712', { src_ip: '45.1.2.3' }), 0)]],
      event: () => ev('b', ids('5715', { src_ip: '45.1.2.3', user: 'bob' }), 3),
      method: 'similarity',
      why: /same host 10\.0\.1\.10 and shared alert family "57", label src_ip=45\.1\.2\.3/,
      joins: true,
    },
    {
      name: 'same host, a user chains the steps of an attack: joins past minutes of the opening',
      state: () => [[ev('a', ids('5715', { src_ip: '45.1.2.3', user: 'bob' }), 0)], [ev('b', ids('5402', { user: 'bob' }), 6)]],
      event: () => ev('c', ids('sysmon.proc.create', { user: 'bob', process: '/tmp/.x/kworkerd' }), 12),
      method: 'similarity',
      why: /same host 10\.0\.1\.10 and shared label user=bob/,
      joins: true,
    },
    {
      name: 'a label equal to the host is no evidence',
      state: () => [[ev('a', ids('ET-TROJAN-2018358', { src_ip: H, dst_ip: '185.1.1.1' }), 0)]],
      event: () => ev('b', ids('ET-POLICY-2013031', { src_ip: H, dst_ip: '140.82.112.3' }), 1),
      method: 'new',
      why: /Opened by ET-POLICY-2013031/,
      joins: false,
    },
    {
      name: 'another host, same family and source address (a scan): joins',
      state: () => [[ev('a', ids('ET-SCAN-2001219', { src_ip: '45.1.2.3', dst_ip: H }), 0)]],
      event: () => ev('b', { alertname: 'ET-SCAN-2001219', host: '10.0.1.11', src_ip: '45.1.2.3', dst_ip: '10.0.1.11' }, 2),
      method: 'similarity',
      why: /shared alert family "et scan", label src_ip=45\.1\.2\.3/,
      joins: true,
    },
    {
      name: 'another host, same words, another source address: apart',
      state: () => [[ev('a', ids('ET-SCAN-2001219', { src_ip: '45.1.2.3' }), 0, 'Potential SSH scan from 45.1.2.3')]],
      event: () => ev('b', { alertname: 'ET-SCAN-2001219', src_ip: '61.9.9.9' }, 2, 'Potential SSH scan from 61.9.9.9'),
      method: 'new',
      why: /Opened by ET-SCAN-2001219/,
      joins: false,
    },
    {
      name: 'another host, same words, nothing else in common: apart',
      state: () => [[ev('a', ids('linux.disk.usage'), 0, 'Filesystem /var at 93%')]],
      event: () => ev('b', { alertname: 'linux.disk.usage', host: '10.0.1.11' }, 1, 'Filesystem /var at 97%'),
      method: 'new',
      why: /Opened by linux\.disk\.usage/,
      joins: false,
    },
    {
      name: 'a shared label joins an incident still firing, its last join hours ago',
      state: () => [[ev('a', ids('zeek.conn.long', { dst_ip: '185.1.1.1' }), 0)]],
      event: () => ev('b', ids('ET-POLICY-2013028', { dst_ip: '185.1.1.1' }), 180),
      method: 'similarity',
      why: /same host 10\.0\.1\.10 and shared label dst_ip=185\.1\.1\.1/,
      joins: true,
    },
    {
      name: 'a shared label does not join an incident with nothing firing past the join window',
      state: () => {
        const a = ev('a', ids('zeek.conn.long', { dst_ip: '185.1.1.1' }), 0);
        return [[a, resolved(a, 30)]];
      },
      event: () => ev('b', ids('ET-POLICY-2013028', { dst_ip: '185.1.1.1' }), 180),
      method: 'new',
      why: /Opened by ET-POLICY-2013028/,
      joins: false,
    },
    {
      name: 'the same-host rule switched off: only the wording decides',
      state: () => [[ev('a', ids('ET-SCAN-2001219'), 0, 'SSH scan')]],
      event: () => ev('b', ids('ET-SCAN-2010937'), 2, 'MySQL scan'),
      config: { similarity: { sameHost: false, titleThreshold: 0.75 } },
      method: 'new',
      why: /Opened by ET-SCAN-2010937/,
      joins: false,
    },
  ];

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const decision = decide([...row.state(), [row.event()]], { config: row.config });
    expect(decision.method).toBe(row.method);
    expect(decision.why).toMatch(row.why);
    expect(decision.incident === 1).toBe(row.joins);
  });

  it('keeps the evidence of an alert that left for another incident out of the first', () => {
    // The scan's alert on host A re-fires hours later into an incident of its own: the first
    // incident no longer carries its source address.
    const state = new CorrelationState();
    const apply = (events: StoredAlertEvent[]) => applyEvents(state, events, { config: CONFIG, catalogue: new ServiceGraph([]), silences: [], now: Math.max(...events.map((e) => e.receivedAt)) });
    const a = ev('a', ids('ET-SCAN-2001219', { src_ip: '45.1.2.3' }), 0);
    const b = ev('b', ids('linux.disk.usage'), 0);
    apply([a, b, resolved(a, 2)]);
    expect(state.evidenceOf(1)?.has('label:src_ip=45.1.2.3')).toBe(true);
    apply([ev('a', ids('ET-SCAN-2001219', { src_ip: '45.1.2.3' }), 300)]);
    expect(state.alert('api', 'a')?.incidentId).not.toBe(1);
    expect(state.evidenceOf(1)?.has('label:src_ip=45.1.2.3') ?? false).toBe(false);
  });
});

describe('incident span', () => {
  const svc = (name: string, maxIncidentSpan?: number) => ({ name, tier: 2, owner: null, dependsOn: [], match: {}, ...(maxIncidentSpan ? { maxIncidentSpan } : {}) });
  /** Alerts of one service every 8 minutes, each resolved a minute later, up to `until` minutes. */
  const trickle = (service: string, until: number, extra: StoredAlertEvent[] = []) => {
    const events: StoredAlertEvent[] = [...extra];
    for (let at = 0; at < until; at += 8) {
      const e = ev(`t${at}`, { alertname: `Trickle${at}`, service }, at);
      events.push(e, resolved(e, at + 1));
    }
    return [events.sort((x, y) => (x.status === 'resolved' ? (x.endsAt as number) : x.startsAt) - (y.status === 'resolved' ? (y.endsAt as number) : y.startsAt))];
  };
  const short = { grouping: { ...CONFIG.grouping, maxIncidentSpanMs: 60 * MIN } };

  const rows: { name: string; state: () => StoredAlertEvent[][]; catalogue?: ServiceGraph; method: string; why: RegExp; joins: boolean }[] = [
    {
      name: 'a trickle with nothing firing is cut at the span',
      state: () => trickle('api', 64),
      method: 'new',
      why: /Opened by Late/,
      joins: false,
    },
    {
      name: 'an incident still firing is not cut at the span',
      state: () => trickle('api', 64, [ev('long', { alertname: 'Beacon', service: 'api' }, 0)]),
      method: 'group',
      why: /same grouping key service=api/,
      joins: true,
    },
    {
      name: 'a service’s own longer span keeps the trickle together',
      state: () => trickle('batch', 64),
      catalogue: new ServiceGraph([svc('batch', 3 * HOUR)]),
      method: 'group',
      why: /same grouping key service=batch/,
      joins: true,
    },
    {
      name: 'a service’s own span elsewhere changes nothing here',
      state: () => trickle('api', 64),
      catalogue: new ServiceGraph([svc('batch', 3 * HOUR), svc('api')]),
      method: 'new',
      why: /Opened by Late/,
      joins: false,
    },
  ];

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const service = row.name.includes('service’s own longer') ? 'batch' : 'api';
    const decision = decide([...row.state(), [ev('late', { alertname: 'Late', service }, 66)]], { config: short, catalogue: row.catalogue });
    expect(decision.method).toBe(row.method);
    expect(decision.why).toMatch(row.why);
    expect(decision.incident === 1).toBe(row.joins);
  });
});
