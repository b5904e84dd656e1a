/**
 * The correlation engine on its own: state in memory, events in, decisions and reasons out.
 * One table per layer (fingerprint, rule, grouping key, topology, similarity) and for noise
 * control, plus a property: applying a stream in one call or split at any points gives the
 * same state and the same timeline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvents, EventBudgetExceeded, runHousekeeping, type ChangeStart, type CorrelationChanges, type CorrelationConfig } from '../../server/src/correlate/engine.js';
import { CorrelationState } from '../../server/src/correlate/state.js';
import { ServiceGraph } from '../../server/src/correlate/topology.js';
import type { StoredAlertEvent } from '../../server/src/domain/alert.js';
import type { ServiceDefinition } from '../../server/src/domain/service.js';
import type { Silence } from '../../server/src/domain/silence.js';

const T0 = Date.parse('2026-11-21T04:00:00.000Z');
const MIN = 60_000;

const CONFIG: CorrelationConfig = {
  grouping: { groupBy: null, joinWindowMs: 10 * MIN, maxIncidentSpanMs: 24 * 60 * MIN },
  resolveHoldDownMs: 5 * MIN,
  reopenWindowMs: 5 * MIN,
  closeAfterMs: 24 * 60 * MIN,
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

const svc = (name: string, dependsOn: string[] = []): ServiceDefinition => ({ name, tier: 2, owner: null, dependsOn, match: {} });
// web → checkout → payments → postgres
const CATALOGUE = new ServiceGraph([svc('web', ['checkout']), svc('checkout', ['payments']), svc('payments', ['postgres']), svc('postgres')]);

let nextId = 1;
/** A stored event: `at` minutes after T0, firing with a 30-minute lease unless resolved. */
function ev(fingerprint: string, labels: Record<string, string>, at: number, status: StoredAlertEvent['status'] = 'firing', extra: Partial<StoredAlertEvent> = {}): StoredAlertEvent {
  const startsAt = T0 + at * MIN;
  return {
    id: nextId++,
    source: 'prometheus',
    fingerprint,
    status,
    labels,
    annotations: {},
    startsAt,
    endsAt: status === 'resolved' ? startsAt + MIN : startsAt + 30 * MIN,
    generatorUrl: null,
    receivedAt: startsAt,
    ...extra,
  };
}
const resolved = (e: StoredAlertEvent, at: number): StoredAlertEvent => ({ ...e, id: nextId++, status: 'resolved', endsAt: T0 + at * MIN, receivedAt: T0 + at * MIN });

interface Run {
  state: CorrelationState;
  changes: CorrelationChanges[];
}

function fold(batches: StoredAlertEvent[][], options: { config?: Partial<CorrelationConfig>; silences?: Silence[]; catalogue?: ServiceGraph; changes?: ChangeStart[] } = {}): Run {
  const state = new CorrelationState();
  const config = { ...CONFIG, ...options.config };
  const changes = batches.map((events) =>
    applyEvents(state, events, {
      config,
      catalogue: options.catalogue ?? CATALOGUE,
      silences: options.silences ?? [],
      changes: options.changes,
      now: Math.max(T0, ...events.map((e) => e.receivedAt)),
    }),
  );
  return { state, changes };
}

/** How the last event was placed: the method and reason of its join, or "new". */
function decisionOf(run: Run): { method: string; why: string; incident: number } {
  const last = run.changes[run.changes.length - 1] as CorrelationChanges;
  const entry = [...last.timeline].reverse().find((t) => t.kind === 'alert_joined' || t.kind === 'opened');
  if (!entry) return { method: 'none', why: '', incident: 0 };
  const data = entry.data as { method: string };
  return { method: data.method, why: entry.message, incident: entry.incidentId };
}

describe('correlation engine: one table per layer', () => {
  const web = (name: string, at: number, extra: Record<string, string> = {}) => ev(`${name}@web`, { alertname: name, service: 'web', ...extra }, at);

  const rows: { layer: string; name: string; batches: () => StoredAlertEvent[][]; config?: Partial<CorrelationConfig>; method: string; why: RegExp; sameIncident: boolean }[] = [
    {
      layer: 'fingerprint',
      name: 'a re-fire within the reopen window rejoins its incident',
      batches: () => {
        const first = ev('a', { alertname: 'Down', service: 'web' }, 0);
        return [[first, resolved(first, 2)], [ev('a', { alertname: 'Down', service: 'web' }, 4)]];
      },
      method: 'fingerprint',
      why: /same fingerprint re-fired/,
      sameIncident: true,
    },
    {
      layer: 'fingerprint',
      name: 'a re-fire long after opens a new incident',
      batches: () => {
        const first = ev('a', { alertname: 'Down', service: 'web' }, 0);
        return [[first, resolved(first, 2)], [ev('a', { alertname: 'Down', service: 'web' }, 120)]];
      },
      method: 'new',
      why: /Opened by Down/,
      sameIncident: false,
    },
    {
      layer: 'rule',
      name: 'an explicit rule groups by its own labels',
      batches: () => [[ev('a', { alertname: 'X', cluster: 'eu' }, 0)], [ev('b', { alertname: 'Y', cluster: 'eu' }, 1)]],
      config: { rules: [{ name: 'by-cluster', matchers: [{ name: 'cluster', value: 'eu', isRegex: false, isEqual: true }], groupBy: ['cluster'], joinWindowMs: null }] },
      method: 'rule',
      why: /grouping rule by-cluster/,
      sameIncident: true,
    },
    {
      layer: 'group',
      name: 'same service within the join window',
      batches: () => [[web('HighLatency', 0)], [web('ErrorRate', 3)]],
      method: 'group',
      why: /same grouping key service=web/,
      sameIncident: true,
    },
    {
      layer: 'group',
      name: 'same service past the join window opens a new incident',
      batches: () => [[web('HighLatency', 0)], [web('ErrorRate', 30)]],
      method: 'new',
      why: /Opened by ErrorRate/,
      sameIncident: false,
    },
    {
      layer: 'topology',
      name: 'a dependant of the root within the spread time',
      batches: () => [[ev('p', { alertname: 'DbDown', service: 'payments' }, 0)], [ev('c', { alertname: 'Errors', service: 'checkout' }, 2)]],
      method: 'topology',
      why: /checkout depends on payments, the incident's root-cause candidate \(1 hop/,
      sameIncident: true,
    },
    {
      layer: 'topology',
      name: 'two hops away after the spread time of two hops: a fault of its own',
      batches: () => [[ev('p', { alertname: 'DbDown', service: 'payments' }, 0)], [ev('w', { alertname: 'Slow', service: 'web' }, 11)]],
      method: 'new',
      why: /Opened by Slow/,
      sameIncident: false,
    },
    {
      layer: 'similarity',
      name: 'same host without a service, same alert family',
      batches: () => [[ev('a', { alertname: 'HostDiskFull', instance: 'db-7:9100' }, 0)], [ev('b', { alertname: 'HostDiskReadOnly', instance: 'db-7:9100' }, 2)]],
      method: 'similarity',
      why: /same host db-7 and shared alert family "host disk"/,
      sameIncident: true,
    },
    {
      layer: 'similarity',
      name: 'same host without a service, unrelated families: apart',
      batches: () => [[ev('a', { alertname: 'DiskFull', instance: 'db-7:9100' }, 0)], [ev('b', { alertname: 'HighLoad', instance: 'db-7:9100' }, 2)]],
      method: 'new',
      why: /Opened by HighLoad/,
      sameIncident: false,
    },
    {
      layer: 'similarity',
      name: 'similar masked titles without service or host',
      batches: () => {
        const summary = { summary: 'consumer lag on the orders queue keeps growing past its limit' };
        return [[ev('a', { alertname: 'KafkaLag' }, 0, 'firing', { annotations: summary })], [ev('b', { alertname: 'ConsumerLag' }, 2, 'firing', { annotations: summary })]];
      },
      method: 'similarity',
      why: /title similar to "KafkaLag: consumer lag/,
      sameIncident: true,
    },
  ];

  it.each(rows.map((r) => [r.layer, r.name, r] as const))('%s: %s', (_layer, _name, row) => {
    const run = fold(row.batches(), { config: row.config });
    const decision = decisionOf(run);
    expect(decision.method).toBe(row.method);
    expect(decision.why).toMatch(row.why);
    const first = (run.changes[0] as CorrelationChanges).timeline.find((t) => t.kind === 'opened');
    expect(decision.incident === first?.incidentId).toBe(row.sameIncident);
  });
});

describe('correlation engine: a fault right after a change on its service', () => {
  const changeOnset = { fromMs: 4 * MIN, toMs: 15 * MIN, minHops: 2 };
  // A database fault at 0; web, two hops up from payments, is deployed at 1 and fails at 6.
  const batches = () => [[ev('p', { alertname: 'DbDown', service: 'payments' }, 0)], [ev('w', { alertname: 'Errors', service: 'web' }, 6)]];
  const deploy: ChangeStart = { service: 'web', startedAt: T0 + 1 * MIN };

  it('is kept apart from a concurrent fault it would join through the topology', () => {
    const run = fold(batches(), { config: { changeOnset }, changes: [deploy] });
    expect(decisionOf(run)).toMatchObject({ method: 'new', why: expect.stringMatching(/Opened by Errors/) });
  });

  it('joins as before without the change, with the setting off, or with the change too close before the alert', () => {
    for (const options of [{ config: { changeOnset } }, { config: { changeOnset: null }, changes: [deploy] }, { config: { changeOnset }, changes: [{ service: 'web', startedAt: T0 + 3 * MIN }] }]) {
      const run = fold(batches(), options);
      expect(decisionOf(run)).toMatchObject({ method: 'topology', why: expect.stringMatching(/web depends on payments/) });
    }
  });

  it('still joins one hop away, and when the change came before the incident opened', () => {
    const near = fold([[ev('p', { alertname: 'DbDown', service: 'payments' }, 0)], [ev('c', { alertname: 'Errors', service: 'checkout' }, 4.5)]], {
      config: { changeOnset },
      changes: [{ service: 'checkout', startedAt: T0 + 0.5 * MIN }],
    });
    expect(decisionOf(near).method).toBe('topology');
    const before = fold(batches(), { config: { changeOnset }, changes: [{ service: 'web', startedAt: T0 - MIN }] });
    expect(decisionOf(before).method).toBe('topology');
  });
});

describe('correlation engine: noise control and idempotency', () => {
  it('suppresses an alert a silence covers: stored, in no incident, counted', () => {
    const silence: Silence = { id: 's1', kind: 'silence', matchers: [{ name: 'alertname', value: 'Noisy', isRegex: false, isEqual: true }], startsAt: T0, endsAt: T0 + 60 * MIN, createdBy: 'ann', comment: '', createdAt: T0 };
    const run = fold([[ev('n', { alertname: 'Noisy', service: 'web' }, 1)]], { silences: [silence] });
    const alert = run.state.alert('prometheus', 'n');
    expect(alert?.suppressedBy).toBe('s1');
    expect(alert?.incidentId).toBeNull();
    expect(run.state.incidents.size).toBe(0);
    expect(run.changes[0]?.suppressed).toEqual(['silence']);
  });

  it('inhibits a warning while the critical alert on the same host fires, also when the critical comes last', () => {
    const inhibitRules = [
      { sourceMatchers: [{ name: 'severity', value: 'critical', isRegex: false, isEqual: true }], targetMatchers: [{ name: 'severity', value: 'warning', isRegex: false, isEqual: true }], equal: ['instance'] },
    ];
    const run = fold([[ev('w', { alertname: 'Slow', severity: 'warning', instance: 'h1:9100' }, 0)], [ev('c', { alertname: 'HostDown', severity: 'critical', instance: 'h1:9100' }, 1)]], { config: { inhibitRules } });
    expect(run.state.alert('prometheus', 'w')?.suppressedBy).toBe('inhibited:prometheus/c');
    expect(run.changes[1]?.timeline.some((t) => t.kind === 'inhibited')).toBe(true);
  });

  it('marks an alert flapping at the fourth state change', () => {
    const e = (at: number) => ev('f', { alertname: 'Flappy', service: 'web' }, at);
    const a = e(0);
    const b = e(2);
    const run = fold([[a, resolved(a, 1)], [b, resolved(b, 3)]]);
    expect(run.state.alert('prometheus', 'f')?.flapping).toBe(true);
    expect(run.changes[1]?.timeline.map((t) => t.kind)).toContain('flapping');
  });

  it('ignores a late firing event older than the episode it holds', () => {
    const now = ev('a', { alertname: 'Down', service: 'web' }, 10);
    const run = fold([[now, resolved(now, 12)], [ev('a', { alertname: 'Down', service: 'web' }, 5)]]);
    const late = run.changes[1] as CorrelationChanges;
    expect(late.timeline).toEqual([]);
    expect(late.alerts.size + late.newAlerts.length + late.incidents.size + late.newIncidents.length).toBe(0);
  });

  it('changes no incident, timeline or count when an event is applied again', () => {
    const e = ev('a', { alertname: 'Down', service: 'web' }, 0);
    const run = fold([[e], [e], [{ ...e, id: nextId++ }]]);
    const incident = [...run.state.incidents.values()][0];
    expect(incident?.alertCount).toBe(1);
    expect(incident?.firingCount).toBe(1);
    for (const again of run.changes.slice(1)) {
      expect(again.alerts.size + again.newAlerts.length).toBe(0);
      expect(again.timeline).toEqual([]);
      expect(again.newIncidents).toEqual([]);
      expect(again.incidents.size).toBe(0);
      expect(again.opened).toEqual([]);
    }
  });

  it('changes nothing when a copy of an earlier episode arrives while a later one fires', () => {
    const first = ev('a', { alertname: 'Down', service: 'web' }, 0);
    const second = ev('a', { alertname: 'Down', service: 'web' }, 20);
    const run = fold([[first, resolved(first, 2)], [second], [{ ...first, id: nextId++ }]]);
    const alert = run.state.alert('prometheus', 'a');
    expect(alert).toMatchObject({ status: 'firing', startsAt: second.startsAt, endsAt: second.endsAt });
    const late = run.changes[2] as CorrelationChanges;
    expect(late.alerts.size + late.timeline.length + late.incidents.size).toBe(0);
  });

  it('expires a lease, then auto-resolves after the hold-down, then closes', () => {
    const e = ev('a', { alertname: 'Down', service: 'web' }, 0);
    const run = fold([[e]]);
    const input = (now: number) => ({ config: CONFIG, catalogue: CATALOGUE, silences: [], now });
    const expired = runHousekeeping(run.state, input(T0 + 31 * MIN));
    expect(expired.timeline.map((t) => t.kind)).toEqual(['alert_resolved']);
    const auto = runHousekeeping(run.state, input(T0 + 36 * MIN));
    expect(auto.timeline.map((t) => t.kind)).toEqual(['resolved']);
    const closed = runHousekeeping(run.state, input(T0 + 30 * MIN + 25 * 60 * MIN));
    expect(closed.timeline.map((t) => t.kind)).toEqual(['closed']);
    expect([...run.state.incidents.values()][0]?.status).toBe('closed');
  });
});

describe('correlation engine: Sightline fast-burn pages stand alone', () => {
  const page = (service: string, at: number) =>
    ev(`sla-burn:${service}:fast`, { alertname: 'SlaErrorBudgetBurn', sla_service: service, sla_page: 'fast-burn', severity: 'critical' }, at, 'firing', {
      source: 'sightline',
      annotations: { summary: `Fast burn of ${service}'s error budget` },
    });
  const incidentsOf = (run: Run) => [...run.state.alerts.values()].map((a) => [a.fingerprint, a.incidentId] as const).sort();

  it('gives each page an incident of its own: pages of two services and a look-alike alert are not joined by their similar titles', () => {
    const run = fold([[page('web', 0)], [page('checkout', 1)], [ev('x', { alertname: 'SlaErrorBudgetBurn', severity: 'critical' }, 2, 'firing', { annotations: { summary: "Fast burn of web's error budget" } })]]);
    const ids = incidentsOf(run).map(([, id]) => id);
    expect(new Set(ids).size).toBe(3);
  });

  it('rejoins its own incident on a re-fire within the reopen window', () => {
    const first = page('web', 0);
    const run = fold([[first, resolved(first, 2)], [page('web', 4)]]);
    expect(decisionOf(run)).toMatchObject({ method: 'fingerprint' });
  });
});

describe('correlation engine: the work of one event is bounded', () => {
  it('throws after an event that took longer than the budget, naming it; reads no clock without one', () => {
    const events = [ev('b1', { alertname: 'A', host: 'h1' }, 0), ev('b2', { alertname: 'B', host: 'h2' }, 1), ev('b3', { alertname: 'C', host: 'h3' }, 2)];
    // The clock: each event takes 1 ms, the second 50 ms.
    const ticks = [0, 1, 1, 51, 51, 52];
    let read = 0;
    const clock = () => ticks[read++] as number;
    const input = { config: CONFIG, catalogue: CATALOGUE, silences: [], now: T0 };
    let thrown: unknown = null;
    try {
      applyEvents(new CorrelationState(), events, { ...input, eventBudget: { ms: 20, clock } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventBudgetExceeded);
    expect(thrown).toMatchObject({ eventId: events[1]?.id, tookMs: 50, budgetMs: 20 });
    expect(read).toBe(4);
    // Within the budget: no throw, the same changes as without one.
    read = 0;
    const withBudget = applyEvents(new CorrelationState(), events, { ...input, eventBudget: { ms: 60, clock } });
    expect(withBudget.newIncidents.length).toBe(applyEvents(new CorrelationState(), events, input).newIncidents.length);
  });
});

describe('correlation engine: batching does not change the result', () => {
  const names = ['Down', 'Slow', 'Errors', 'DiskFull'];
  const services = ['web', 'checkout', 'payments', 'postgres', ''];
  const arbitraryEvent = fc.record({
    name: fc.constantFrom(...names),
    service: fc.constantFrom(...services),
    host: fc.constantFrom('h1', 'h2', ''),
    minute: fc.integer({ min: 0, max: 90 }),
    status: fc.constantFrom<'firing' | 'resolved'>('firing', 'firing', 'resolved'),
  });

  it('applies a stream in one call or split at any points to the same state and timeline', () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 39 }), { maxLength: 6 }), (raw, cuts) => {
        const events = raw
          .map((r) => {
            const labels: Record<string, string> = { alertname: r.name };
            if (r.service) labels.service = r.service;
            if (r.host) labels.instance = `${r.host}:9100`;
            return ev(`${r.name}/${r.service}/${r.host}`, labels, r.minute, r.status);
          })
          .sort((a, b) => a.receivedAt - b.receivedAt || a.id - b.id);
        const points = [...new Set(cuts.filter((c) => c < events.length))].sort((a, b) => a - b);
        const split: StoredAlertEvent[][] = [];
        let from = 0;
        for (const p of [...points, events.length]) {
          split.push(events.slice(from, p));
          from = p;
        }
        const now = T0 + 100 * MIN;
        const once = new CorrelationState();
        const whole = applyEvents(once, events, { config: CONFIG, catalogue: CATALOGUE, silences: [], now });
        const parts = new CorrelationState();
        const pieces = split.map((batch) => applyEvents(parts, batch, { config: CONFIG, catalogue: CATALOGUE, silences: [], now }));
        expect(pieces.flatMap((p) => p.timeline)).toEqual(whole.timeline);
        expect([...parts.incidents.values()]).toEqual([...once.incidents.values()]);
        expect([...parts.alerts.values()]).toEqual([...once.alerts.values()]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('correlation engine: a fault declared over that goes on', () => {
  const input = (now: number) => ({ config: CONFIG, catalogue: CATALOGUE, silences: [] as Silence[], now });
  const down = (at: number, extra: Partial<StoredAlertEvent> = {}) => ev('a', { alertname: 'Down', service: 'web' }, at, 'firing', extra);
  /** What a person's resolve (forced or not) leaves in the state: the correlator reloads it so. */
  const resolveByHand = (state: CorrelationState, id: number, at: number) => {
    Object.assign(state.incident(id) as object, { status: 'resolved', resolution: 'manual', resolvedAt: T0 + at * MIN, wasAcknowledged: true, acknowledgedAt: T0 });
    state.touchedByPeople.add(id);
  };
  const closeByHand = (state: CorrelationState, id: number, at: number) => Object.assign(state.incident(id) as object, { status: 'closed', closedAt: T0 + at * MIN });

  interface Row {
    name: string;
    /** Events before the person acts; the person's action (on incident 1 of the run); the events after. */
    before: () => StoredAlertEvent[];
    act: (state: CorrelationState, id: number) => void;
    after: () => StoredAlertEvent[];
    /** The first incident's status afterwards, and where the alert ends up. */
    status: string;
    alertIn: 'same' | 'new' | 'none';
    /** The timeline entries the events after write, kind: message. */
    entries: RegExp[];
  }
  const rows: Row[] = [
    {
      name: 'forced resolve, the same episode re-sent still firing (lease renewal) after it: reopens, open again',
      before: () => [down(0)],
      act: (state, id) => resolveByHand(state, id, 10),
      after: () => [down(0, { endsAt: T0 + 42 * MIN, receivedAt: T0 + 12 * MIN })],
      status: 'open',
      alertIn: 'same',
      entries: [/^reopened: Reopened: Down is still firing \(sent again after the incident was resolved by hand\)$/],
    },
    {
      name: 'forced resolve, a copy that renews nothing but arrives after it: the alert still fires, reopens',
      before: () => [down(0)],
      act: (state, id) => resolveByHand(state, id, 10),
      after: () => [down(0, { receivedAt: T0 + 11 * MIN })],
      status: 'open',
      alertIn: 'same',
      entries: [/^reopened: .*still firing/],
    },
    {
      name: 'forced resolve, a copy received before it and applied after: nothing changes',
      before: () => [down(0)],
      act: (state, id) => resolveByHand(state, id, 10),
      after: () => [down(0, { endsAt: T0 + 39 * MIN, receivedAt: T0 + 9 * MIN })],
      status: 'resolved',
      alertIn: 'same',
      entries: [],
    },
    {
      name: 'resolved by hand after its alert ended, a new episode within the reopen window: reopens, open again',
      before: () => [down(0), resolved(down(0), 3)],
      act: (state, id) => resolveByHand(state, id, 4),
      after: () => [down(6)],
      status: 'open',
      alertIn: 'same',
      entries: [/^reopened: Reopened: Down fired again after the incident was resolved by hand$/, /^alert_joined: Down joined: same fingerprint re-fired$/],
    },
    {
      name: 'resolved by hand, a new episode past the reopen window: a new incident, the old one stays resolved',
      before: () => [down(0), resolved(down(0), 3)],
      act: (state, id) => resolveByHand(state, id, 4),
      after: () => [down(60)],
      status: 'resolved',
      alertIn: 'new',
      entries: [/^opened: Opened by Down$/],
    },
    {
      name: 'resolved by hand, its resolved alert re-sent as resolved: nothing changes',
      before: () => [down(0), resolved(down(0), 3)],
      act: (state, id) => resolveByHand(state, id, 4),
      after: () => [{ ...resolved(down(0), 3), receivedAt: T0 + 8 * MIN }],
      status: 'resolved',
      alertIn: 'same',
      entries: [],
    },
    {
      name: 'forced resolve then closed, the episode re-sent still firing: a new incident that follows the closed one',
      before: () => [down(0)],
      act: (state, id) => {
        resolveByHand(state, id, 10);
        closeByHand(state, id, 20);
      },
      after: () => [down(0, { endsAt: T0 + 55 * MIN, receivedAt: T0 + 25 * MIN })],
      status: 'closed',
      alertIn: 'new',
      entries: [/^opened: Opened by Down$/, /^follows: Follows #1 \(closed\): Down is still firing after #1 was closed$/, /^followed_by: The fault goes on in #2: Down is still firing after #1 was closed$/],
    },
    {
      name: 'closed, a new episode within the reopen window: a new incident that follows the closed one',
      before: () => [down(0), resolved(down(0), 3)],
      act: (state, id) => {
        resolveByHand(state, id, 4);
        closeByHand(state, id, 5);
      },
      after: () => [down(6)],
      status: 'closed',
      alertIn: 'new',
      entries: [/^opened: Opened by Down$/, /^follows: Follows #1 \(closed\): Down fired again within the reopen window of its episode in #1$/, /^followed_by: /],
    },
  ];

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    nextId = 1000;
    const run = fold([row.before()]);
    const [first] = [...run.state.incidents.values()];
    row.act(run.state, (first as { id: number }).id);
    const events = row.after();
    const changes = applyEvents(run.state, events, input(Math.max(...events.map((e) => e.receivedAt))));
    expect(changes.timeline.map((t) => `${t.kind}: ${t.message}`)).toEqual(row.entries.map((r) => expect.stringMatching(r)));
    const incident = run.state.incident((first as { id: number }).id);
    expect(incident?.status).toBe(row.status);
    const alert = run.state.alert('prometheus', 'a');
    if (row.alertIn === 'same') expect(alert?.incidentId).toBe(incident?.id);
    if (row.alertIn === 'new') expect(alert?.incidentId).not.toBe(incident?.id);
    if (row.status === 'open') expect(incident).toMatchObject({ resolvedAt: null, resolution: null, firingCount: 1 });
    if (row.status === 'closed') expect(incident?.firingCount).toBe(0);
    // Applying the same events again changes nothing.
    const again = applyEvents(run.state, events, input(Math.max(...events.map((e) => e.receivedAt))));
    expect(again.timeline).toEqual([]);
    expect(again.incidents.size + again.newIncidents.length).toBe(0);
  });

  it('an auto-resolved incident still reopens as it was (acknowledged stays acknowledged), saying why', () => {
    const run = fold([[down(0), resolved(down(0), 3)]]);
    const [incident] = [...run.state.incidents.values()];
    runHousekeeping(run.state, input(T0 + 9 * MIN));
    expect(incident?.status).toBe('resolved');
    Object.assign(incident as object, { wasAcknowledged: true });
    const changes = applyEvents(run.state, [down(7)], input(T0 + 7 * MIN));
    expect(changes.timeline.find((t) => t.kind === 'reopened')).toMatchObject({ message: 'Reopened: Down fired again within the resolve hold-down', data: { reason: 'hold_down' } });
    expect(incident?.status).toBe('acknowledged');
  });
});

describe('correlation engine: a service added to an incident people acknowledged', () => {
  const db = (at: number) => ev('p', { alertname: 'DbDown', service: 'payments' }, at);
  const errors = (fp: string, at: number) => ev(fp, { alertname: `Errors${fp}`, service: 'checkout' }, at);
  const rows: { name: string; status: string; announced: boolean }[] = [
    { name: 'open: the opening page still stands, no announcement', status: 'open', announced: false },
    { name: 'acknowledged: announced', status: 'acknowledged', announced: true },
    { name: 'on hold: announced', status: 'on_hold', announced: true },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const run = fold([[db(0)]]);
    const [incident] = [...run.state.incidents.values()];
    Object.assign(incident as object, { status: row.status });
    const changes = applyEvents(run.state, [errors('1', 2), errors('2', 3)], { config: CONFIG, catalogue: CATALOGUE, silences: [], now: T0 + 3 * MIN });
    const reached = changes.timeline.filter((t) => t.kind === 'service_reached');
    // One entry for the service, however many of its alerts join.
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatchObject({ incidentId: incident?.id, data: row.announced ? { service: 'checkout', announced: true } : { service: 'checkout' } });
    if (row.announced) expect(reached[0]?.message).toBe(`checkout now affected: the fault reached it (Errors1) while the incident is ${row.status.replace('_', ' ')}`);
    else expect(reached[0]?.data).not.toHaveProperty('announced');
  });
});
