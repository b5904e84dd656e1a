/**
 * @module Server-rendered SVG charts: small enough to write by hand, no script and no
 * inline style (the CSP forbids both), only SVG presentation attributes. Each chart
 * carries a text alternative for screen readers.
 */
import type { FC } from 'hono/jsx';

export interface Point {
  x: number;
  y: number;
}

const round = (v: number) => Math.round(v * 10) / 10;

function scale(domain: [number, number], range: [number, number]) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v: number) => round(r0 + ((v - d0) / span) * (r1 - r0));
}

/** At most `n` points, each the highest of its run of values: peaks stay visible, pages stay small. */
export function downsampleMax(values: readonly number[], n: number): number[] {
  if (values.length <= n) return [...values];
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const from = Math.floor((k * values.length) / n);
    const to = Math.floor(((k + 1) * values.length) / n);
    out.push(Math.max(...values.slice(from, Math.max(to, from + 1))));
  }
  return out;
}

export const Sparkline: FC<{ values: number[]; label: string; max?: number; width?: number; height?: number }> = ({ values: all, label, max, width = 120, height = 28 }) => {
  if (all.length === 0) return <span class="muted small">no data</span>;
  const values = downsampleMax(all, Math.floor(width / 2));
  const top = max ?? Math.max(...values, 1e-9);
  const x = scale([0, Math.max(values.length - 1, 1)], [1, width - 1]);
  const y = scale([0, top], [height - 2, 2]);
  const points = values.map((v, i) => `${x(i)},${y(Math.min(v, top))}`).join(' ');
  return (
    <svg class="chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      <polyline points={points} fill="none" stroke="#1f5fbf" stroke-width="1.5" />
    </svg>
  );
};

export interface Series {
  name: string;
  points: Point[];
  stroke: string;
  dash?: string;
  /** Draw as steps (a value holds until the next point). */
  step?: boolean;
}

export interface LineChartProps {
  title: string;
  series: Series[];
  x: [number, number];
  y: [number, number];
  formatX: (v: number) => string;
  formatY: (v: number) => string;
  /** Horizontal reference lines, e.g. 100 %. */
  rules?: { y: number; label: string; stroke: string }[];
  /** A vertical marker, e.g. now. */
  marker?: { x: number; label: string };
  width?: number;
  height?: number;
}

export const LineChart: FC<LineChartProps> = (p) => {
  const width = p.width ?? 640;
  const height = p.height ?? 220;
  const m = { left: 48, right: 12, top: 12, bottom: 24 };
  const sx = scale(p.x, [m.left, width - m.right]);
  const sy = scale(p.y, [height - m.bottom, m.top]);
  const clampY = (v: number) => Math.min(Math.max(v, p.y[0]), p.y[1]);
  const ticksY = [0, 0.25, 0.5, 0.75, 1].map((f) => p.y[0] + f * (p.y[1] - p.y[0]));
  const ticksX = [0, 0.5, 1].map((f) => p.x[0] + f * (p.x[1] - p.x[0]));
  const path = (s: Series) => {
    const pts: string[] = [];
    s.points.forEach((pt, i) => {
      const prev = s.points[i - 1];
      if (s.step && prev) pts.push(`${sx(pt.x)},${sy(clampY(prev.y))}`);
      pts.push(`${sx(pt.x)},${sy(clampY(pt.y))}`);
    });
    return pts.join(' ');
  };
  return (
    <figure class="card">
      <svg class="chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={p.title}>
        <title>{p.title}</title>
        {ticksY.map((t) => (
          <g>
            <line x1={m.left} x2={width - m.right} y1={sy(t)} y2={sy(t)} stroke="#e3e7ec" />
            <text x={m.left - 4} y={sy(t) + 4} text-anchor="end">
              {p.formatY(t)}
            </text>
          </g>
        ))}
        {ticksX.map((t, i) => (
          <text x={sx(t)} y={height - 6} text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
            {p.formatX(t)}
          </text>
        ))}
        {(p.rules ?? []).map((r) => (
          <g>
            <line x1={m.left} x2={width - m.right} y1={sy(r.y)} y2={sy(r.y)} stroke={r.stroke} stroke-dasharray="2 3" />
            <text x={width - m.right} y={sy(r.y) - 3} text-anchor="end">
              {r.label}
            </text>
          </g>
        ))}
        {p.marker ? (
          <g>
            <line x1={sx(p.marker.x)} x2={sx(p.marker.x)} y1={m.top} y2={height - m.bottom} stroke="#8a94a0" stroke-dasharray="3 3" />
            <text x={sx(p.marker.x) > width / 2 ? sx(p.marker.x) - 3 : sx(p.marker.x) + 3} y={m.top + 10} text-anchor={sx(p.marker.x) > width / 2 ? 'end' : 'start'}>
              {p.marker.label}
            </text>
          </g>
        ) : null}
        {p.series
          .filter((s) => s.points.length > 0)
          .map((s) => (
            <polyline points={path(s)} fill="none" stroke={s.stroke} stroke-width="2" stroke-dasharray={s.dash} />
          ))}
      </svg>
      <figcaption class="small muted">
        {p.title}:{' '}
        {p.series.map((s, i) => (
          <span>
            {i > 0 ? ', ' : ''}
            <svg width="18" height="8" aria-hidden="true">
              <line x1="0" x2="18" y1="4" y2="4" stroke={s.stroke} stroke-width="2" stroke-dasharray={s.dash} />
            </svg>{' '}
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
};

/** Error budget left, as a bar: green while most is left, amber under 25 %, red when spent. */
export const BudgetBar: FC<{ remainingRatio: number; width?: number }> = ({ remainingRatio, width = 200 }) => {
  const left = Math.max(0, Math.min(1, remainingRatio));
  const colour = remainingRatio <= 0 ? '#b3261e' : remainingRatio < 0.25 ? '#b08800' : '#2f7d32';
  const label = `${Math.round(remainingRatio * 1000) / 10} % of the error budget left`;
  return (
    <svg class="chart" width={width} height="14" viewBox={`0 0 ${width} 14`} role="img" aria-label={label}>
      <title>{label}</title>
      <rect x="0" y="0" width={width} height="14" rx="3" fill="#e3e7ec" />
      <rect x="0" y="0" width={round(left * width)} height="14" rx="3" fill={colour} />
    </svg>
  );
};

/** Bars with a label each (e.g. incidents per week), value printed above each bar. */
export const BarChart: FC<{ title: string; bars: { label: string; value: number }[]; width?: number; height?: number }> = ({ title, bars, width = 640, height = 200 }) => {
  const m = { left: 8, right: 8, top: 16, bottom: 22 };
  const top = Math.max(1, ...bars.map((b) => b.value));
  const slot = (width - m.left - m.right) / Math.max(1, bars.length);
  const y = scale([0, top], [height - m.bottom, m.top]);
  const every = Math.ceil(bars.length / 12);
  return (
    <figure class="card">
      <svg class="chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
        <title>{`${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}`}</title>
        <line x1={m.left} x2={width - m.right} y1={height - m.bottom} y2={height - m.bottom} stroke="#8a94a0" />
        {bars.map((b, i) => {
          const x = round(m.left + i * slot + slot * 0.15);
          return (
            <g>
              <rect x={x} y={y(b.value)} width={round(slot * 0.7)} height={round(height - m.bottom - y(b.value))} fill="#1f5fbf" />
              {b.value > 0 && bars.length <= 40 ? (
                <text x={round(x + slot * 0.35)} y={y(b.value) - 3} text-anchor="middle">
                  {b.value}
                </text>
              ) : null}
              {i % every === 0 ? (
                <text x={round(x + slot * 0.35)} y={height - 6} text-anchor="middle">
                  {b.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption class="small muted">{title}</figcaption>
    </figure>
  );
};
