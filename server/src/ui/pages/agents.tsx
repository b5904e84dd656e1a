/** @module Agents: status, last heartbeat, version and inventory of every host agent. */
import type { FC } from 'hono/jsx';
import type { AgentRecord } from '../../db/agents-repo.js';
import { formatTime } from '../format.js';
import { StatusBadge } from './incidents.js';
import { Ago } from './incidents.js';

interface InventoryView {
  os?: { distro?: string; release?: string; kernel?: string; arch?: string };
  cpu?: { model?: string; logicalCores?: number };
  memoryBytes?: number;
  disks?: { device?: string; sizeBytes?: number }[];
  interfaces?: { name?: string; ipv4?: string[] }[];
  collectedAt?: string;
}

const gib = (bytes: number | undefined) => (typeof bytes === 'number' ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : '—');

const Inventory: FC<{ inventory: unknown }> = ({ inventory }) => {
  if (!inventory || typeof inventory !== 'object') return <span class="muted">not reported</span>;
  const inv = inventory as InventoryView;
  return (
    <details>
      <summary>
        {[inv.os?.distro, inv.os?.release].filter(Boolean).join(' ') || 'inventory'} · {inv.cpu?.logicalCores ?? '?'} CPU · {gib(inv.memoryBytes)}
      </summary>
      <dl class="facts small">
        <dt>Kernel</dt>
        <dd>
          {inv.os?.kernel ?? '—'} ({inv.os?.arch ?? '—'})
        </dd>
        <dt>CPU</dt>
        <dd>{inv.cpu?.model ?? '—'}</dd>
        <dt>Disks</dt>
        <dd>{(inv.disks ?? []).map((d) => `${d.device ?? '?'} ${gib(d.sizeBytes)}`).join(', ') || '—'}</dd>
        <dt>Interfaces</dt>
        <dd>{(inv.interfaces ?? []).map((i) => `${i.name ?? '?'} ${(i.ipv4 ?? []).join(' ')}`.trim()).join(', ') || '—'}</dd>
        <dt>Collected</dt>
        <dd>{inv.collectedAt ?? '—'}</dd>
      </dl>
    </details>
  );
};

export const AgentsPage: FC<{ agents: AgentRecord[]; now: number }> = ({ agents, now }) => {
  const down = agents.filter((a) => a.status === 'down').length;
  return (
    <>
      <h1>Agents</h1>
      <ul class="counts" aria-label="Agents by status">
        <li>
          Up<strong>{agents.length - down}</strong>
        </li>
        <li>
          Down<strong>{down}</strong>
        </li>
      </ul>
      {agents.length === 0 ? <p class="card">No agent has sent a heartbeat yet.</p> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Status</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">Version</th>
            <th scope="col" class="num">Firing alerts</th>
            <th scope="col" class="num">Checks</th>
            <th scope="col">Inventory</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr data-agent={a.agentId}>
              <td>
                {a.host}
                <div class="small muted">{a.agentId}</div>
              </td>
              <td>
                <StatusBadge status={a.status} />
                {a.downSince !== null ? <div class="small bad">since {formatTime(a.downSince)}</div> : null}
              </td>
              <td>
                <Ago at={a.lastHeartbeatAt} now={now} />
                <div class="small muted">every {Math.round(a.intervalMs / 1000)} s</div>
              </td>
              <td>{a.version}</td>
              <td class="num">{a.firingAlerts}</td>
              <td class="num">{a.checks.length}</td>
              <td>
                <Inventory inventory={a.inventory} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};
