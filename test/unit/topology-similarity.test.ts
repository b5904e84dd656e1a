import { describe, expect, it } from 'vitest';
import { maskTitle, titleSimilarity } from '../../server/src/correlate/similarity.js';
import { ServiceGraph } from '../../server/src/correlate/topology.js';
import type { ServiceDefinition } from '../../server/src/domain/service.js';

const svc = (name: string, dependsOn: string[] = [], extra: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name,
  tier: 2,
  owner: null,
  dependsOn,
  match: {},
  ...extra,
});

// web → checkout → payments → postgres ; checkout → cache ; search (alone)
const graph = new ServiceGraph([
  svc('web', ['checkout']),
  svc('checkout', ['payments', 'cache']),
  svc('payments', ['postgres'], { tier: 1 }),
  svc('postgres', [], { match: { hosts: ['db-1', 'db-2'] } }),
  svc('cache', [], { match: { labels: { job: 'redis' } } }),
  svc('search'),
]);

describe('ServiceGraph', () => {
  it('measures distance in hops in both directions', () => {
    expect([...graph.within('payments', 2).entries()].sort()).toEqual([
      ['cache', 2],
      ['checkout', 1],
      ['payments', 0],
      ['postgres', 1],
      ['web', 2],
    ]);
    expect(graph.within('search', 2)).toEqual(new Map([['search', 0]]));
  });

  it('counts dependency hops in the direction a fault travels', () => {
    expect(graph.dependencyHops('web', 'postgres', 3)).toBe(3);
    expect(graph.dependencyHops('web', 'postgres', 2)).toBeNull();
    expect(graph.dependencyHops('postgres', 'web', 5)).toBeNull();
    expect(graph.causalHops('postgres', 'checkout', 2)).toBe(2);
    // Siblings sharing a dependant are not causally linked.
    expect(graph.causalHops('payments', 'cache', 2)).toBeNull();
  });

  it('maps alerts to services: label, then matchers, then host', () => {
    expect(graph.serviceFor({ job: 'redis' }, 'db-1', 'explicit')).toBe('explicit');
    expect(graph.serviceFor({ job: 'redis' }, 'db-1', null)).toBe('cache');
    expect(graph.serviceFor({ job: 'node' }, 'db-2', null)).toBe('postgres');
    expect(graph.serviceFor({ job: 'node' }, 'web-9', null)).toBeNull();
  });

  it('names the most upstream affected service as root-cause candidate', () => {
    expect(graph.mostUpstream(['web', 'checkout', 'payments'])).toBe('payments');
    expect(graph.mostUpstream(['web', 'postgres', 'checkout'])).toBe('postgres');
    expect(graph.mostUpstream(['search'])).toBe('search');
    // No dependency between them: the more critical tier wins.
    expect(graph.mostUpstream(['search', 'payments'])).toBe('payments');
    expect(graph.mostUpstream([])).toBeNull();
  });

  it('survives cycles', () => {
    const cyclic = new ServiceGraph([svc('a', ['b']), svc('b', ['a'])]);
    expect(cyclic.dependsTransitively('a', 'b')).toBe(true);
    expect(cyclic.mostUpstream(['a', 'b'])).toBe('a');
  });
});

describe('masked titles', () => {
  it.each([
    ['Disk 91% full on db-7:9100', 'Disk 95% full on db-12:9100'],
    ['Request 3f2c1a9b-0b1e-4c3a-9e2f-1a2b3c4d5e6f failed from 10.0.3.7:443', 'Request 0e0e0e0e-1111-2222-3333-444455556666 failed from 10.9.9.9:8443'],
    ['Pod checkout-7d9f8c-x2x1 restarted 5 times', 'Pod checkout-5b6c7d-q9z8 restarted 12 times'],
    ['Slow query on /var/lib/pg/data', 'Slow query on /srv/pg/data'],
  ])('%j ≈ %j', (a, b) => {
    expect(maskTitle(a)).toEqual(maskTitle(b));
    expect(titleSimilarity(maskTitle(a), maskTitle(b))).toBe(1);
  });

  it('keeps the alert name whole', () => {
    expect(maskTitle('Disk1Full: 91% used')).toEqual(['disk1full', '<n>', 'used']);
    expect(titleSimilarity(maskTitle('Page0: p99 above 500ms'), maskTitle('Page1: p99 above 500ms'))).toBeLessThan(0.75);
  });

  it('masks known host names', () => {
    expect(maskTitle('web-east is down', ['web-east'])).toEqual(['<host>', 'is', 'down']);
  });

  it('keeps different symptoms apart', () => {
    const a = maskTitle('HighLatency: p99 above 500ms on checkout');
    const b = maskTitle('DiskFull: filesystem almost full on db-3');
    expect(titleSimilarity(a, b)).toBeLessThan(0.3);
    expect(titleSimilarity([], [])).toBe(1);
  });
});

describe('noise control engines', () => {
  it('finds the inhibiting source by rule, matchers and equal labels, never the target itself', async () => {
    const { inhibitorOf } = await import('../../server/src/correlate/noise.js');
    const rules = [{ sourceMatchers: [{ name: 'alertname', value: 'HostDown', isRegex: false, isEqual: true }], targetMatchers: [{ name: 'severity', value: 'warning|info', isRegex: true, isEqual: true }], equal: ['host'] }];
    const sources = [
      { key: 's1', labels: { alertname: 'HostDown', host: 'a' } },
      { key: 's2', labels: { alertname: 'HostDown', host: 'b' } },
    ];
    expect(inhibitorOf({ key: 't', labels: { severity: 'info', host: 'b' } }, sources, rules)?.key).toBe('s2');
    expect(inhibitorOf({ key: 't', labels: { severity: 'critical', host: 'b' } }, sources, rules)).toBeNull();
    expect(inhibitorOf({ key: 't', labels: { severity: 'warning', host: 'c' } }, sources, rules)).toBeNull();
    expect(inhibitorOf({ key: 's1', labels: { alertname: 'HostDown', severity: 'warning', host: 'a' } }, sources, rules)).toBeNull();
  });

  it('calls an alert flapping after enough state changes inside the window', async () => {
    const { recordStateChange } = await import('../../server/src/correlate/noise.js');
    const config = { windowMs: 10, threshold: 3 };
    let history: number[] = [];
    const flags: boolean[] = [];
    for (const t of [0, 2, 4, 20]) {
      const step = recordStateChange(history, t, config);
      history = step.history;
      flags.push(step.flapping);
    }
    expect(flags).toEqual([false, false, true, false]);
  });

  // Silence [100, 200) on service=db; times are event times, `now` the correlator's clock.
  it.each([
    ['starts inside', { startsAt: 150, now: 150, endsAt: null }, true],
    ['starts inside, backfilled after it ended', { startsAt: 150, now: 900, endsAt: 160 }, true],
    ['starts at its end (half-open)', { startsAt: 200, now: 200, endsAt: null }, false],
    ['was firing when it began, arrives while it is on', { startsAt: 50, now: 120, endsAt: null }, true],
    ['was firing when it began, arrives after it ended', { startsAt: 50, now: 250, endsAt: null }, false],
    ['resolved before it began', { startsAt: 50, now: 120, endsAt: 90 }, false],
    ['still firing, but it has not begun yet', { startsAt: 50, now: 80, endsAt: null }, false],
  ])('suppresses an episode that %s: %s', async (_what, episode, suppressed) => {
    const { suppressionFor } = await import('../../server/src/correlate/noise.js');
    const silence = { id: 'x', kind: 'silence' as const, matchers: [{ name: 'service', value: 'db', isRegex: false, isEqual: true }], startsAt: 100, endsAt: 200, createdBy: 't', comment: '', createdAt: 0 };
    expect(suppressionFor({ service: 'db' }, episode.startsAt, [silence], episode.now, episode.endsAt)?.id ?? null).toBe(suppressed ? 'x' : null);
    expect(suppressionFor({ service: 'web' }, episode.startsAt, [silence], episode.now, episode.endsAt)).toBeNull();
  });

  it('picks the first matching grouping rule in configuration order, indexed or not', async () => {
    const { ruleFor } = await import('../../server/src/correlate/noise.js');
    const eq = (name: string, value: string) => ({ name, value, isRegex: false, isEqual: true });
    const re = (name: string, value: string) => ({ name, value, isRegex: true, isEqual: true });
    const rules = [
      { name: 'db-team', matchers: [eq('team', 'db'), eq('env', 'prod')], groupBy: ['cluster'], joinWindowMs: null },
      { name: 'any-disk', matchers: [re('alertname', 'Disk.*')], groupBy: [], joinWindowMs: null },
      { name: 'net', matchers: [eq('team', 'net')], groupBy: ['site'], joinWindowMs: null },
      { name: 'not-staging', matchers: [{ name: 'env', value: 'staging', isRegex: false, isEqual: false }], groupBy: [], joinWindowMs: null },
    ];
    const pick = (labels: Record<string, string>) => ruleFor(labels, rules)?.groupKey ?? null;
    expect(pick({ team: 'db', env: 'prod', cluster: 'c1', alertname: 'DiskFull' })).toBe('rule=db-team,cluster=c1');
    expect(pick({ team: 'db', env: 'dev', alertname: 'DiskFull' })).toBe('rule=any-disk');
    expect(pick({ team: 'net', site: 'ams', env: 'staging' })).toBe('rule=net,site=ams');
    expect(pick({ team: 'web', env: 'prod' })).toBe('rule=not-staging');
    expect(pick({ team: 'web', env: 'staging' })).toBeNull();
    expect(ruleFor({ team: 'db' }, [])).toBeNull();
  });
});
