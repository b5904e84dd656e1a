import { describe, expect, it } from 'vitest';
import { describeLikelyCause, rankChanges, type ChangeRankInput } from '../../server/src/changes/rank.js';
import { ServiceGraph } from '../../server/src/correlate/topology.js';
import type { Change } from '../../server/src/domain/change.js';
import type { ServiceDefinition } from '../../server/src/domain/service.js';

const svc = (name: string, dependsOn: string[] = []): ServiceDefinition => ({ name, tier: 2, owner: null, dependsOn, match: {} });
// web → checkout → payments → postgres ; search alone
const graph = new ServiceGraph([svc('web', ['checkout']), svc('checkout', ['payments']), svc('payments', ['postgres']), svc('postgres'), svc('search')]);

const MIN = 60_000;
const T = Date.parse('2026-12-01T12:00:00Z');
let nextId = 1;
const change = (o: Partial<Change>): Change => ({
  id: nextId++,
  service: 'payments',
  summary: 'deploy',
  kind: 'deploy',
  startedAt: T - 5 * MIN,
  finishedAt: null,
  version: null,
  author: null,
  links: [],
  labels: {},
  source: 'api',
  receivedAt: T,
  ...o,
});
const incident = (changes: Change[], o: Partial<ChangeRankInput> = {}): ChangeRankInput => ({
  onset: T,
  reached: new Map([
    ['payments', T],
    ['checkout', T + 2 * MIN],
  ]),
  rootService: 'payments',
  graph,
  changes,
  ...o,
});

describe('rankChanges', () => {
  it('puts a deploy of the root-cause service minutes before first, flagged, with its reasons', () => {
    const cause = change({ service: 'payments', version: 'v2.3.1', startedAt: T - 4 * MIN });
    const symptom = change({ service: 'checkout', startedAt: T - 3 * MIN });
    const old = change({ service: 'payments', startedAt: T - 90 * MIN });
    const ranked = rankChanges(incident([symptom, old, cause]));
    expect(ranked.map((r) => r.id)).toEqual([cause.id, symptom.id, old.id]);
    expect(ranked[0]?.likelyCause).toBe(true);
    expect(ranked.slice(1).some((r) => r.likelyCause)).toBe(false);
    expect(ranked[0]?.reasons).toEqual([
      "started 4 min before the incident's first alert",
      'on payments, the root-cause candidate',
      'a deploy change',
      "payments's alerts began 4 min after it",
    ]);
    expect(describeLikelyCause(ranked, T)).toBe('deploy v2.3.1 of payments 4 min before');
  });

  it('leaves out changes outside the look-back, after the fault, and unrelated in the catalogue', () => {
    const ranked = rankChanges(
      incident([
        change({ startedAt: T - 3 * 3_600_000 }),
        change({ service: 'payments', startedAt: T + 5 * MIN }),
        change({ service: 'search', startedAt: T - 2 * MIN }),
      ]),
    );
    expect(ranked).toEqual([]);
  });

  it('ranks a dependency above a dependant, and does not flag a change long before', () => {
    const dependency = change({ service: 'postgres', kind: 'config', startedAt: T - 30 * MIN });
    const dependant = change({ service: 'web', startedAt: T - 30 * MIN });
    const ranked = rankChanges(incident([dependant, dependency]));
    expect(ranked.map((r) => r.service)).toEqual(['postgres', 'web']);
    expect(ranked[0]?.reasons).toContain('on postgres, a dependency of payments');
    expect(ranked.some((r) => r.likelyCause)).toBe(false);
    expect(describeLikelyCause(ranked, T)).toBeNull();
  });

  it("leaves out a change on a service already alerting (a response), and measures from the fault reaching that side", () => {
    const rollback = change({ service: 'checkout', startedAt: T + 5 * MIN });
    const ranked = rankChanges(incident([rollback], { reached: new Map([['payments', T], ['checkout', T + MIN]]) }));
    // After the onset and after checkout's first alert: no candidate at all.
    expect(ranked).toEqual([]);
    const before = change({ service: 'payments', startedAt: T - MIN });
    const late = rankChanges(incident([before], { onset: T - 10 * MIN, reached: new Map([['payments', T - 10 * MIN]]) }));
    expect(late).toEqual([]);
    const laterReached = rankChanges(incident([change({ service: 'checkout', startedAt: T + MIN })]));
    expect(laterReached[0]?.reasons[0]).toBe('started 1 min before the fault reached checkout');
  });
});
