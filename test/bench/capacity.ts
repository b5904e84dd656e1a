/**
 * Capacity forecasts against what happened: seeded disk profiles (capacity-profiles.ts:
 * linear, daily cycle, weekly cycle, step change after a clean-up, log-rotation sawtooth,
 * flat) are rolled up as the server does (five-minute buckets, hourly averages) and forecast
 * every 12 hours from day 14 on, while the disk is between 3 and 30 days from full. The same
 * evaluation times get Prometheus' `predict_linear` (least squares over the raw samples of the
 * last 6 hours and of the last 7 days). The capacity alerts are replayed every 2 hours with
 * the default policy (warning 7 days, critical 24 hours).
 *
 *   npm run bench:capacity                 # seeds 1,2,3
 *   BENCH_SEEDS=11,12,13 npm run bench:capacity
 *
 * Figures: MAPE of "days until full" (each error capped at 100 %; no forecast counts as 100 %),
 * lead of each filling disk's alert (time from when it last started firing to full; 0 when it
 * was not firing when the disk filled), alert flaps (an alert resolved before its disk filled,
 * or any alert on a disk that does not fill). Printed, never asserted; the last line is
 *   bench capacity: mape=<f> baseline_mape=<f> min_lead_days=<f> alert_flaps=<n>
 * with baseline_mape the better of the two `predict_linear` windows.
 */
import { decideCapacityAlerts, firingCapacityAlert } from '../../server/src/capacity/alerts.js';
import { forecastCapacity, type SeriesPoint } from '../../server/src/capacity/forecast.js';
import { DEFAULT_CAPACITY_ALERTS } from '../../server/src/domain/capacity-config.js';
import { DAY, generateProfile, HOUR, PROFILES, START, type Profile, type ProfileName } from './capacity-profiles.js';

const SEEDS = (process.env.BENCH_SEEDS ?? '1,2,3').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_SEEDS must be positive integers, got ${JSON.stringify(process.env.BENCH_SEEDS)}`);
  return n;
});
const DAYS = 60;
const FIRST_EVAL_DAY = 14;
const EVAL_EVERY = 12 * HOUR;
const ALERT_EVERY = 2 * HOUR;
const FIRST_ALERT_DAY = 3;
const WINDOW = 30 * DAY;

/** Hourly points as the server reads them at `now`: complete hours at their middle, the running one at now. */
function hourlyPoints(samples: { at: number; value: number }[], now: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  let hour = -1;
  let sum = 0;
  let count = 0;
  const flush = () => {
    if (count) out.push({ at: Math.min(hour + HOUR / 2, now), value: sum / count });
  };
  for (const s of samples) {
    if (s.at > now) break;
    if (s.at <= now - WINDOW) continue;
    const h = s.at - (s.at % HOUR);
    if (h !== hour) {
      flush();
      hour = h;
      sum = 0;
      count = 0;
    }
    sum += s.value;
    count++;
  }
  flush();
  return out;
}

/** Prometheus `predict_linear`: least squares over the samples of `[now − window, now]`; days until the line reaches 1. */
function predictLinearDays(samples: { at: number; value: number }[], now: number, window: number): number | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const s of samples) {
    if (s.at > now) break;
    if (s.at < now - window) continue;
    const x = (s.at - now) / DAY;
    n++;
    sx += x;
    sy += s.value;
    sxx += x * x;
    sxy += x * s.value;
  }
  if (n < 2) return null;
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const atNow = (sy - slope * sx) / n;
  if (!(slope > 0)) return null;
  return Math.max(0, (1 - atNow) / slope);
}

const ape = (predicted: number | null, truth: number) => (predicted === null ? 1 : Math.min(1, Math.abs(predicted - truth) / truth));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

interface ProfileResult {
  name: ProfileName;
  seed: number;
  evaluations: number;
  ape: number[];
  ape6h: number[];
  ape7d: number[];
  inInterval: number;
  leadDays: number | null;
  flaps: number;
  transitions: number;
}

function evaluateProfile(profile: Profile, seed: number): ProfileResult {
  const r: ProfileResult = { name: profile.name, seed, evaluations: 0, ape: [], ape6h: [], ape7d: [], inInterval: 0, leadDays: null, flaps: 0, transitions: 0 };
  const end = profile.fullAt ?? START + DAYS * DAY;
  if (profile.fullAt !== null) {
    for (let now = START + FIRST_EVAL_DAY * DAY; now < profile.fullAt; now += EVAL_EVERY) {
      const truth = (profile.fullAt - now) / DAY;
      if (truth < 3 || truth > 30) continue;
      const f = forecastCapacity(hourlyPoints(profile.samples, now), now, { backtest: false });
      r.evaluations++;
      r.ape.push(ape(f.daysUntilFull, truth));
      r.ape6h.push(ape(predictLinearDays(profile.samples, now, 6 * HOUR), truth));
      r.ape7d.push(ape(predictLinearDays(profile.samples, now, 7 * DAY), truth));
      if (f.fullBetween && f.fullBetween.low <= truth && (f.fullBetween.high === null || truth <= f.fullBetween.high)) r.inInterval++;
    }
  }
  // Alerts, replayed as the server's passes would raise them.
  const firing = new Set<string>();
  let firingSince: number | null = null;
  const series = { host: 'bench', resource: 'filesystem' as const, mountpoint: '/data' };
  for (let now = START + FIRST_ALERT_DAY * DAY; now < end; now += ALERT_EVERY) {
    const f = forecastCapacity(hourlyPoints(profile.samples, now), now, { backtest: false });
    const desired = decideCapacityAlerts([{ ...series, daysUntilFull: f.daysUntilFull, fullBetween: f.fullBetween, latest: f.latest }], DEFAULT_CAPACITY_ALERTS, firing);
    const wasFiring = firing.size > 0;
    firing.clear();
    for (const a of desired) firing.add(firingCapacityAlert(series, a.labels.severity as 'warning' | 'critical'));
    const isFiring = firing.size > 0;
    if (isFiring !== wasFiring) r.transitions++;
    if (isFiring && !wasFiring) {
      firingSince = now;
      if (!profile.fills) r.flaps++;
    }
    if (!isFiring && wasFiring) {
      firingSince = null;
      if (profile.fills) r.flaps++;
    }
  }
  if (profile.fullAt !== null) r.leadDays = firingSince === null ? 0 : (profile.fullAt - firingSince) / DAY;
  return r;
}

const fmt = (x: number, digits = 3) => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

const started = performance.now();
const results: ProfileResult[] = [];
for (const seed of SEEDS) for (const name of PROFILES) results.push(evaluateProfile(generateProfile(name, seed, DAYS), seed));

console.log(`capacity forecasts: seeds ${SEEDS.join(',')}, ${PROFILES.length} profiles, evaluated every 12 h from day ${FIRST_EVAL_DAY} while 3–30 days from full; alerts replayed every 2 h`);
console.log('profile   evals  mape   in-interval  predict_linear 6h / 7d   alert lead (days)  flaps');
for (const name of PROFILES) {
  const rs = results.filter((r) => r.name === name);
  const evals = rs.reduce((s, r) => s + r.evaluations, 0);
  const leads = rs.map((r) => r.leadDays).filter((d): d is number => d !== null);
  console.log(
    [
      name.padEnd(9),
      String(evals).padStart(5),
      fmt(mean(rs.flatMap((r) => r.ape))).padStart(6),
      (evals ? `${((100 * rs.reduce((s, r) => s + r.inInterval, 0)) / evals).toFixed(0)} %` : 'n/a').padStart(11),
      `${fmt(mean(rs.flatMap((r) => r.ape6h)))} / ${fmt(mean(rs.flatMap((r) => r.ape7d)))}`.padStart(24),
      (leads.length ? `min ${fmt(Math.min(...leads), 2)} / max ${fmt(Math.max(...leads), 2)}` : 'not filling').padStart(19),
      String(rs.reduce((s, r) => s + r.flaps, 0)).padStart(6),
    ].join('  '),
  );
}
const mape = mean(results.flatMap((r) => r.ape));
const baseline6h = mean(results.flatMap((r) => r.ape6h));
const baseline7d = mean(results.flatMap((r) => r.ape7d));
const leads = results.map((r) => r.leadDays).filter((d): d is number => d !== null);
console.log(`predict_linear: 6h mape=${fmt(baseline6h)}, 7d mape=${fmt(baseline7d)}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`bench capacity: mape=${fmt(mape)} baseline_mape=${fmt(Math.min(baseline6h, baseline7d))} min_lead_days=${fmt(Math.min(...leads), 2)} alert_flaps=${results.reduce((s, r) => s + r.flaps, 0)}`);
