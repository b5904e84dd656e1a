/**
 * How capacity forecasts read: days within the forecast horizon, "not within a year" past it,
 * "not filling" when flat; and the capacity list's table, whose columns line up across hosts.
 */
import { describe, expect, it } from 'vitest';
import { describeFullIn, describeHorizon, fullIn } from '../../server/src/domain/capacity.js';
import { DEFAULT_FORECAST_HORIZON_MS } from '../../server/src/domain/capacity-config.js';
import type { HostCapacity, ResourceCapacity } from '../../server/src/services/capacity.js';
import { CapacityList, describeBacktest, describeInterval, HostCapacityView } from '../../server/src/ui/pages/capacity.js';

const DAY = 86_400_000;
const YEAR = DEFAULT_FORECAST_HORIZON_MS;

describe('fullIn and describeFullIn', () => {
  it.each([
    [null, YEAR, 'not filling'],
    [0.2, YEAR, '< 1 day'],
    [5.54, YEAR, '5.5 days'],
    [20.5, YEAR, '21 days'],
    [365, YEAR, '365 days'],
    [365.01, YEAR, 'not within a year'],
    [4719, YEAR, 'not within a year'],
    [4719, 20 * YEAR, '4719 days'],
    [3000, 10 * YEAR, '3000 days'],
    [800, 2 * YEAR, 'not within 2 years'],
    [120, 90 * DAY, 'not within 90 days'],
  ])('%s days with a horizon of %s ms reads %s', (days, horizon, text) => {
    expect(describeFullIn(fullIn(days, horizon))).toBe(text);
  });

  it('defaults the horizon to a year', () => {
    expect(DEFAULT_FORECAST_HORIZON_MS).toBe(365 * DAY);
    expect(describeHorizon(DEFAULT_FORECAST_HORIZON_MS)).toBe('a year');
  });
});

const NOW = Date.parse('2026-11-21T04:00:00.000Z');

function resource(host: string, name: ResourceCapacity['resource'], mountpoint: string, daysUntilFull: number | null): ResourceCapacity {
  const series = Array.from({ length: 48 }, (_, i) => ({ host, resource: name, mountpoint, bucketStart: NOW - (48 - i) * 3_600_000, sum: 0.5, count: 1, max: 0.6 }));
  const forecast = { daysUntilFull, fullBetween: null, seasonality: 'none' as const, levelShiftAt: null, backtest: null, trends: [], p95: 0.55, headroom: 0.45, latest: 0.5 };
  return { host, resource: name, mountpoint, forecast: name === 'network' ? null : forecast, series };
}

const hosts: HostCapacity[] = [
  {
    host: 'db-1',
    daysUntilFull: 5.5,
    p95: 0.9,
    resources: [resource('db-1', 'filesystem', '/var/lib/postgresql', 5.5), resource('db-1', 'memory', '', null), resource('db-1', 'cpu', '', null), resource('db-1', 'network', '', null)],
  },
  { host: 'archive-very-long-host-name-07', daysUntilFull: 4719, p95: 0.4, resources: [resource('archive-very-long-host-name-07', 'filesystem', '/', 4719)] },
  { host: 'edge-2', daysUntilFull: null, p95: null, resources: [resource('edge-2', 'network', '', null)] },
];

/** The page as the server sends it (these views render synchronously). */
const render = (node: unknown): string => String(node);

/** Cells per row, counting the ones a rowspan above carries down. */
function columnsPerRow(html: string): number[] {
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  const rows = body.split('<tr').slice(1);
  const carried: number[] = [];
  return rows.map((row) => {
    const cells = [...row.matchAll(/<t[hd]\b([^>]*)>/g)].map((m) => ({ rowspan: Number(/rowspan="(\d+)"/.exec(m[1] as string)?.[1] ?? 1), colspan: Number(/colspan="(\d+)"/.exec(m[1] as string)?.[1] ?? 1) }));
    const fromAbove = carried.filter((n) => n > 0).length;
    for (let i = 0; i < carried.length; i++) carried[i] = (carried[i] as number) - 1;
    for (const c of cells) if (c.rowspan > 1) carried.push(c.rowspan - 1);
    return fromAbove + cells.reduce((n, c) => n + c.colspan, 0);
  });
}

describe('CapacityList', () => {
  const html = render(CapacityList({ hosts, horizonMs: YEAR }));

  it('is one table: every host and resource row has the header\'s columns, so they line up', () => {
    expect(html.match(/<table/g)).toHaveLength(1);
    const header = html.slice(html.indexOf('<thead>'), html.indexOf('</thead>')).match(/<th\b/g)!.length;
    expect(header).toBe(7);
    const rows = columnsPerRow(html);
    // db-1: filesystem, memory, cpu (network has no utilisation row); archive: one; edge-2: network only.
    expect(rows).toEqual([7, 7, 7, 7, 7]);
  });

  it('reads a forecast past the horizon as "not within a year", never a count of thousands of days', () => {
    expect(html).not.toMatch(/4719/);
    const archive = html.slice(html.indexOf('data-host="archive-very-long-host-name-07"'));
    expect(archive.slice(0, archive.indexOf('</tr>'))).toContain('not within a year');
    expect(html).toContain('full in 5.5 days');
  });

  it('keeps a data-host row per host for links and tests', () => {
    expect([...html.matchAll(/data-host="([^"]+)"/g)].map((m) => m[1])).toEqual(['db-1', 'archive-very-long-host-name-07', 'edge-2']);
  });
});

describe('HostCapacityView', () => {
  it('says "not within a year" for the soonest and the resource forecast past the horizon', () => {
    const html = render(HostCapacityView({ host: hosts[1]!, now: NOW, horizonMs: YEAR }));
    expect(html).toContain('Soonest full: <strong>not within a year</strong>');
    expect(html).not.toMatch(/4719/);
  });

  it('shows the days when the horizon reaches them', () => {
    const html = render(HostCapacityView({ host: hosts[1]!, now: NOW, horizonMs: 20 * YEAR }));
    expect(html).toContain('full in 4719 days');
  });
});

describe('the interval and the backtest on the capacity pages', () => {
  const withInterval = (high: number | null) => {
    const r = resource('db-1', 'filesystem', '/var/lib/postgresql', 5.5);
    r.forecast = {
      ...r.forecast!,
      fullBetween: { low: 5.06, high },
      seasonality: 'weekly',
      backtest: { madeDaysAgo: 7, daysUntilFullThen: 12.9, predictedPeak: 0.84, observedPeak: 0.851, errorDays: 0.4, errorRatio: 0.031 },
    };
    return r;
  };

  it('reads the interval beside the forecast, open-ended when the slow end is not filling', () => {
    expect(describeInterval(withInterval(7.44).forecast, YEAR)).toBe(' (5.1–7.4 days)');
    expect(describeInterval(withInterval(null).forecast, YEAR)).toBe(' (5.1 days or later)');
    // Past the horizon, neither the forecast nor its interval.
    expect(describeInterval(withInterval(7.44).forecast, 2 * DAY)).toBe('');
    expect(describeInterval(resource('db-1', 'filesystem', '/', 5.5).forecast, YEAR)).toBe('');
  });

  it('says what the forecast of a week ago said and how far off it was', () => {
    expect(describeBacktest(withInterval(7.44).forecast)).toBe(
      "Backtest: 7 days ago the forecast said today's peak would be 84.0 %; it is 85.1 %: 0.4 days ahead of it (3 % of the 13 days it forecast).",
    );
    const html = render(HostCapacityView({ host: { host: 'db-1', daysUntilFull: 5.5, p95: 0.9, resources: [withInterval(7.44)] }, now: NOW, horizonMs: YEAR }));
    expect(html).toContain('full in 5.5 days');
    expect(html).toContain(' (5.1–7.4 days)');
    expect(html).toContain('weekly pattern');
    expect(html).toContain('Backtest: 7 days ago');
    expect(render(CapacityList({ hosts: [{ host: 'db-1', daysUntilFull: 5.5, p95: 0.9, resources: [withInterval(7.44)] }], horizonMs: YEAR }))).toMatch(/full in 5\.5 days(<!-- -->)?\s*\(5\.1–7\.4 days\)/);
  });
});
