/** Which forecasts become capacity alerts: thresholds, severity, resources, hysteresis. */
import { describe, expect, it } from 'vitest';
import { decideCapacityAlerts, firingCapacityAlert, type ForecastInput } from '../../server/src/capacity/alerts.js';
import { DEFAULT_CAPACITY_ALERTS } from '../../server/src/domain/capacity-config.js';

const fs = (daysUntilFull: number | null, mountpoint = '/var'): ForecastInput => ({ host: 'h1', resource: 'filesystem', mountpoint, daysUntilFull, latest: 0.8 });
const severities = (forecasts: ForecastInput[], firing: string[] = [], policy = DEFAULT_CAPACITY_ALERTS) =>
  decideCapacityAlerts(forecasts, policy, new Set(firing)).map((a) => a.labels.severity);

describe('decideCapacityAlerts', () => {
  it.each([
    [null, []],
    [30, []],
    [7.01, []],
    [7, ['warning']],
    [1.5, ['warning']],
    [1, ['critical']],
    [0, ['critical']],
  ] as const)('full in %s days → %j', (days, expected) => {
    expect(severities([fs(days)])).toEqual(expected);
  });

  it('keeps a firing alert until its forecast is half again its horizon away', () => {
    const warn = firingCapacityAlert(fs(7), 'warning');
    expect(severities([fs(10)], [warn])).toEqual(['warning']);
    expect(severities([fs(10.6)], [warn])).toEqual([]);
    expect(severities([fs(null)], [warn])).toEqual([]);
    const crit = firingCapacityAlert(fs(1), 'critical');
    // Critical holds to 1.5 days; past that the forecast is a warning again.
    expect(severities([fs(1.4)], [crit])).toEqual(['critical']);
    expect(severities([fs(1.6)], [crit])).toEqual(['warning']);
  });

  it('is one alert per resource whatever its severity: an escalation keeps its key', () => {
    const keys = (days: number) => decideCapacityAlerts([fs(days), fs(days, '/data')], DEFAULT_CAPACITY_ALERTS, new Set()).map((a) => [a.key, a.labels.severity]);
    expect(keys(5)).toEqual([['h1:filesystem:/data', 'warning'], ['h1:filesystem:/var', 'warning']]);
    expect(keys(0.5)).toEqual([['h1:filesystem:/data', 'critical'], ['h1:filesystem:/var', 'critical']]);
  });

  it('only for the configured resources and thresholds, and not at all when disabled', () => {
    const mem: ForecastInput = { host: 'h1', resource: 'memory', mountpoint: '', daysUntilFull: 2, latest: 0.9 };
    const cpu: ForecastInput = { host: 'h1', resource: 'cpu', mountpoint: '', daysUntilFull: 0, latest: 1 };
    expect(decideCapacityAlerts([mem, cpu], DEFAULT_CAPACITY_ALERTS, new Set()).map((a) => a.key)).toEqual(['h1:memory:-']);
    expect(severities([mem], [], { ...DEFAULT_CAPACITY_ALERTS, resources: ['filesystem'] })).toEqual([]);
    expect(severities([fs(2)], [], { ...DEFAULT_CAPACITY_ALERTS, critical: 3 * 86_400_000 })).toEqual(['critical']);
    expect(severities([fs(0)], [], { ...DEFAULT_CAPACITY_ALERTS, enabled: false })).toEqual([]);
  });

  it('labels and annotations say what, where and when', () => {
    const [alert] = decideCapacityAlerts([{ ...fs(0.5), fullBetween: { low: 0.4, high: 2.25 } }], DEFAULT_CAPACITY_ALERTS, new Set());
    expect(alert).toEqual({
      key: 'h1:filesystem:/var',
      labels: { alertname: 'SightlineFilesystemFullSoon', host: 'h1', resource: 'filesystem', mountpoint: '/var', severity: 'critical' },
      annotations: {
        summary: 'Filesystem /var on h1 is forecast to be full within 1 day',
        description: 'Filesystem /var on h1 is forecast to be full in 12.0 hours (80.0 % used now; between 9.6 hours and 2.3 days), from the seasonal trend of its peaks over the last 30 days.',
      },
    });
  });
});
