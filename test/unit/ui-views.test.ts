/** The web UI's pure pieces: join reasons, budget burn, CSV, layers, downsampling, redirects. */
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../server/src/db/incidents-repo.js';
import type { StoredService } from '../../server/src/db/services-repo.js';
import type { ServiceSla } from '../../server/src/services/sla.js';
import { checkCsrfToken, csrfTokenFor } from '../../server/src/services/ui-sessions.js';
import { downsampleMax } from '../../server/src/ui/charts.js';
import { joinReasons } from '../../server/src/ui/pages/incidents.js';
import { dependencyLayers } from '../../server/src/ui/pages/services.js';
import { budgetBurnPoints, budgetOutlook, slaCsv, zoneOf } from '../../server/src/ui/pages/sla.js';
import { budgetExhaustionMs } from '../../server/src/sla/burn-rate.js';
import { safeNext } from '../../server/src/ui/session.js';

const entry = (id: number, at: number, kind: string, data: unknown = null): TimelineEntry => ({ id, incidentId: 1, at, kind, actor: 'a', message: `${kind} message`, data });

describe('joinReasons', () => {
  it('takes the first opened/alert_joined entry naming each alert', () => {
    const reasons = joinReasons([
      entry(1, 0, 'opened', { source: 'api', fingerprint: 'f1', method: 'new' }),
      entry(2, 5, 'alert_joined', { source: 'api', fingerprint: 'f2', method: 'topology', score: 0.5, evidence: { hops: 1 } }),
      entry(3, 9, 'alert_joined', { source: 'api', fingerprint: 'f2', method: 'fingerprint', score: 1 }),
      entry(4, 9, 'note', { source: 'api', fingerprint: 'f3' }),
    ]);
    expect(reasons.get('api\u0000f1')).toMatchObject({ method: 'new', score: null });
    expect(reasons.get('api\u0000f2')).toMatchObject({ method: 'topology', score: 0.5, evidence: { hops: 1 }, why: 'alert_joined message' });
    expect(reasons.has('api\u0000f3')).toBe(false);
  });
});

function sla(outages: { start: number; end: number }[], allowedDowntimeMs: number, evaluatedAt: number): ServiceSla {
  return {
    service: 'pay,ments',
    evaluatedAt,
    policy: {} as ServiceSla['policy'],
    current: {
      availability: {
        start: 0,
        end: 1000,
        objectivePpm: 999_000,
        scheduledMs: 1000,
        excludedMs: 0,
        measuredMs: 500,
        downtimeMs: outages.reduce((s, o) => s + o.end - o.start, 0),
        outages,
        sli: 0.98,
        sliPpm: 980_000,
        allowedDowntimeMs,
        budgetRemainingMs: 0,
        budgetRemainingRatio: -0.5,
        periodBurnRate: 2,
        breached: true,
      },
      burn: { burnRates: {}, alerts: [] } as unknown as ServiceSla['current']['burn'],
    },
  };
}

describe('the SLA outlook', () => {
  const DAY = 86_400_000;
  /** A 30-day period, 10 days in, 43.2 min allowed (99.9 %), `downMin` spent, burning at `burn` over the last day. */
  function outlookOf(downMin: number, burn: number) {
    const base = sla([], 0, 10 * DAY);
    const allowed = 43.2 * 60_000;
    base.current.availability = { ...base.current.availability, end: 30 * DAY, allowedDowntimeMs: allowed, downtimeMs: downMin * 60_000, budgetRemainingRatio: 1 - (downMin * 60_000) / allowed };
    base.current.burn = { burnRates: { '1d': burn }, alerts: [] } as unknown as ServiceSla['current']['burn'];
    return budgetOutlook(base);
  }
  it('says when the budget left runs out at the last day burn', () => {
    // 21.6 min left at 10× a 0.1 % share: 21.6 min / 1 % = 36 h = 1.5 days.
    expect(budgetExhaustionMs(21.6 * 60_000, 10, 999_000)).toBeCloseTo(1.5 * DAY, -3);
    expect(outlookOf(21.6, 10)).toEqual({ text: "Budget exhausted in 1.5 days at the last day's burn (×10.00)", tone: 'bad' });
    expect(outlookOf(21.6, 2).text).toBe("Budget exhausted in 7.5 days at the last day's burn (×2.00)");
    expect(outlookOf(21.6, 0.5)).toEqual({ text: "Budget lasts the period at the last day's burn (×0.50)", tone: 'ok' });
    expect(outlookOf(0, 0)).toEqual({ text: 'No budget burning over the last day: it lasts the period', tone: 'ok' });
    expect(outlookOf(50, 3)).toEqual({ text: 'Error budget exhausted', tone: 'bad' });
  });
  it('counts periods in the policy time zone', () => {
    expect(zoneOf({ period: { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' }, serviceCalendar: null } as never)).toBe('Europe/Berlin');
    expect(zoneOf({ period: { kind: 'rolling', days: 30 }, serviceCalendar: { timeZone: 'America/New_York' } } as never)).toBe('America/New_York');
    expect(zoneOf({ period: { kind: 'rolling', days: 30 }, serviceCalendar: null } as never)).toBe('UTC');
  });
});

describe('budgetBurnPoints', () => {
  it('climbs during outages and holds between them, up to the evaluation instant', () => {
    expect(budgetBurnPoints(sla([{ start: 300, end: 310 }, { start: 100, end: 105 }], 10, 500))).toEqual([
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 105, y: 0.5 },
      { x: 300, y: 0.5 },
      { x: 310, y: 1.5 },
      { x: 500, y: 1.5 },
    ]);
  });
  it('has nothing to draw without a budget', () => {
    expect(budgetBurnPoints(sla([], 0, 500))).toEqual([]);
  });
});

describe('slaCsv', () => {
  it('writes one quoted, formula-safe row per service', () => {
    const csv = slaCsv([sla([{ start: 0, end: 15 }], 10, 500), { ...sla([], 10, 500), service: '=cmd' }]);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^service,period_start,period_end,objective_percent,availability,/);
    expect(lines[1]).toMatch(/^"pay,ments",1970-01-01T00:00:00.000Z,1970-01-01T00:00:01.000Z,99.9,0.98,0.5,0.015,0,0.01,-0.5,2,true$/);
    expect(lines[2]?.startsWith("'=cmd,")).toBe(true);
  });
});

describe('dependencyLayers', () => {
  const svc = (name: string, dependsOn: string[]): StoredService => ({ name, tier: 2, owner: null, dependsOn, match: {}, origin: 'api', updatedAt: 0 });
  it('puts a service one layer above its deepest known dependency and survives cycles', () => {
    const layers = dependencyLayers([svc('web', ['api', 'cdn']), svc('api', ['db']), svc('db', []), svc('a', ['b']), svc('b', ['a'])]);
    expect(Object.fromEntries(layers)).toMatchObject({ db: 0, api: 1, web: 2 });
    // The cycle is cut where it closes: finite layers, in catalogue order.
    expect([layers.get('a'), layers.get('b')]).toEqual([2, 1]);
  });
});

describe('downsampleMax', () => {
  it('keeps short series and the peaks of long ones', () => {
    expect(downsampleMax([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(downsampleMax([1, 9, 2, 3, 4, 8], 3)).toEqual([9, 3, 8]);
  });
});

describe('sign-in redirects and CSRF tokens', () => {
  it.each([
    ['/ui/sla?period=1', '/ui/sla?period=1'],
    [undefined, '/ui/incidents'],
    ['//evil.example/ui/x', '/ui/incidents'],
    ['/ui//evil.example', '/ui/incidents'],
    ['/ui/\\evil.example', '/ui/incidents'],
    ['https://evil.example/ui/x', '/ui/incidents'],
    ['/ui/sign-out', '/ui/incidents'],
  ])('next=%s goes to %s', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });

  it('accepts only the token of its own session', () => {
    const a = 'a'.repeat(43);
    const b = 'b'.repeat(43);
    expect(checkCsrfToken(a, csrfTokenFor(a))).toBe(true);
    expect(checkCsrfToken(a, csrfTokenFor(b))).toBe(false);
    expect(checkCsrfToken(a, undefined)).toBe(false);
    expect(checkCsrfToken(a, '')).toBe(false);
  });
});
