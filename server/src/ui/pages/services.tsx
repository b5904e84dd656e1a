/**
 * @module Services: the catalogue, and the dependency graph drawn as an SVG (services in
 * layers by dependency depth, arrows from a service to what it depends on) with the same
 * graph as a nested list for screen readers and copy-paste.
 */
import { formatDuration } from '../format.js';
import type { ServiceDora } from '../../changes/dora.js';
import type { FC } from 'hono/jsx';
import type { StoredService } from '../../db/services-repo.js';
import { findDependencyCycles } from '../../domain/service.js';
import { formatObjectivePpm } from '../../domain/sla.js';
import { appendTo } from '../../domain/collections.js';

/** Depth of each service: 0 for those depending on nothing known, else 1 + the deepest dependency. Cycles are cut. */
export function dependencyLayers(services: readonly StoredService[]): Map<string, number> {
  const byName = new Map(services.map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const d = deps.length ? 1 + Math.max(...deps.map(visit)) : 0;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const s of services) visit(s.name);
  return depth;
}

export const DependencyGraph: FC<{ services: StoredService[] }> = ({ services }) => {
  const layers = dependencyLayers(services);
  const columns = new Map<number, string[]>();
  for (const s of services) appendTo(columns, layers.get(s.name) ?? 0, s.name);
  const colW = 190;
  const rowH = 44;
  const boxW = 160;
  const boxH = 28;
  const maxRows = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const nCols = Math.max(1, columns.size);
  const width = nCols * colW + 20;
  const height = maxRows * rowH + 20;
  const pos = new Map<string, { x: number; y: number }>();
  // Depended-upon services (depth 0) on the right, so arrows read left to right: "needs".
  for (const [d, names] of columns) names.sort().forEach((n, i) => pos.set(n, { x: 10 + (nCols - 1 - d) * colW, y: 10 + i * rowH }));
  const tierFill = ['#fde8e6', '#fff4d6', '#e8eefb'];
  const edges = services.flatMap((s) => s.dependsOn.filter((d) => pos.has(d)).map((d) => ({ from: s.name, to: d })));
  return (
    <figure class="card">
      <svg class="chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Service dependency graph">
        <title>Service dependency graph: an arrow points from a service to a service it depends on</title>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6470" />
          </marker>
        </defs>
        {edges.map((e) => {
          const a = pos.get(e.from)!;
          const b = pos.get(e.to)!;
          return <line x1={a.x + boxW} y1={a.y + boxH / 2} x2={b.x} y2={b.y + boxH / 2} stroke="#8a94a0" stroke-width="1.2" marker-end="url(#arrow)" />;
        })}
        {services.map((s) => {
          const p = pos.get(s.name)!;
          return (
            <g>
              <rect x={p.x} y={p.y} width={boxW} height={boxH} rx="4" fill={tierFill[s.tier - 1] ?? '#eef1f4'} stroke="#8a94a0" />
              <text class="node" x={p.x + 8} y={p.y + 18}>
                {s.name.length > 22 ? `${s.name.slice(0, 21)}…` : s.name}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="small muted">Arrows point to what a service depends on. Fill: tier 1 red, tier 2 amber, tier 3 blue.</figcaption>
    </figure>
  );
};

const DependencyTree: FC<{ name: string; byName: Map<string, StoredService>; seen: Set<string> }> = ({ name, byName, seen }) => {
  const s = byName.get(name);
  const deps = s?.dependsOn ?? [];
  if (seen.has(name)) return <li>{name} (cycle)</li>;
  const next = new Set(seen).add(name);
  return (
    <li>
      {name}
      {s ? '' : <span class="muted"> (not in the catalogue)</span>}
      {deps.length ? (
        <ul class="tree">
          {deps.map((d) => (
            <DependencyTree name={d} byName={byName} seen={next} />
          ))}
        </ul>
      ) : null}
    </li>
  );
};

export const ServicesPage: FC<{ services: StoredService[]; hosts: { name: string; lastSeenAt: number }[]; dora?: readonly ServiceDora[] }> = ({ services, hosts, dora = [] }) => {
  const doraOf = new Map(dora.map((d) => [d.service, d]));
  const byName = new Map(services.map((s) => [s.name, s]));
  const dependedOn = new Set(services.flatMap((s) => s.dependsOn));
  const roots = services.filter((s) => !dependedOn.has(s.name)).map((s) => s.name);
  const cycles = findDependencyCycles(services);
  return (
    <>
      <h1>Services</h1>
      {services.length === 0 ? <p class="card">The catalogue is empty: define services in the YAML file or with PUT /api/v1/services/:name.</p> : null}
      <table>
        <caption class="small muted">Service catalogue</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col" class="num">Tier</th>
            <th scope="col">Owner</th>
            <th scope="col">Depends on</th>
            <th scope="col">Matches</th>
            <th scope="col">SLA</th>
            <th scope="col">Defined by</th>
            <th scope="col" class="num" title="Changes of the last 30 days followed by an incident on the service within the change look-back">
              Change failure rate (30 days)
            </th>
            <th scope="col" class="num" title="Mean time from the opening to the resolution of the incidents after failed changes">
              Time to restore
            </th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr data-service={s.name}>
              <td>{s.name}</td>
              <td class="num">{s.tier}</td>
              <td>{s.owner ?? '—'}</td>
              <td>{s.dependsOn.join(', ') || '—'}</td>
              <td class="small">
                {Object.entries(s.match.labels ?? {})
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ')}
                {s.match.hosts?.length ? ` hosts: ${s.match.hosts.join(', ')}` : ''}
              </td>
              <td>{s.sla ? `${formatObjectivePpm(s.sla.objectivePpm)} %` : '—'}</td>
              <td class="small">{s.origin === 'config' ? 'configuration file' : 'API'}</td>
              <td class="num" data-change-failure-rate>
                {doraOf.get(s.name) ? `${Math.round((doraOf.get(s.name)?.changeFailureRate ?? 0) * 100)} % of ${doraOf.get(s.name)?.changes}` : '—'}
              </td>
              <td class="num" data-time-to-restore>
                {doraOf.get(s.name)?.meanTimeToRestoreMs != null ? formatDuration(doraOf.get(s.name)?.meanTimeToRestoreMs as number) : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {services.length > 0 ? (
        <>
          <h2>Dependency graph</h2>
          {cycles.length ? (
            <div class="card" data-cycles={cycles.length}>
              <p class="warn">
                {cycles.length === 1 ? 'One dependency cycle' : `${cycles.length} dependency cycles`}: these services depend on each other, directly or through others. Correlation still joins their alerts,
                but among them the root-cause candidate goes by tier and then name, not by dependency: check their dependsOn.
              </p>
              <ul>
                {cycles.map((names) => (
                  <li data-cycle={names.join(' ')}>{names.join(', ')}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <DependencyGraph services={services} />
          <details>
            <summary>As a list</summary>
            <ul class="tree">
              {roots.map((r) => (
                <DependencyTree name={r} byName={byName} seen={new Set()} />
              ))}
            </ul>
          </details>
        </>
      ) : null}
      <h2>Hosts seen</h2>
      <p class="small">{hosts.length ? hosts.map((h) => h.name).join(', ') : 'none yet'}</p>
    </>
  );
};
