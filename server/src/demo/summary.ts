/** @module The summary `sightline demo` prints when the data is in. */
import type { DemoSummary } from './load-demo.js';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function formatDemoSummary(s: DemoSummary, startCommand: string): string {
  const stormAlerts = s.storms.reduce((n, x) => n + x.alerts, 0);
  const stormIncidents = s.storms.reduce((n, x) => n + x.incidents, 0);
  const lines = [
    `Demo data loaded into ${s.database} in ${s.seconds.toFixed(1)} s`,
    `  history:    ${day(s.from)} → ${day(s.to)} (${Math.round((s.to - s.from) / 86_400_000)} days)`,
    `  services:   ${s.services} (${s.servicesWithSla} with an SLA policy)`,
    `  hosts:      ${s.hosts}; agents ${s.agents.up} up, ${s.agents.down} down`,
    `  alerts:     ${s.alertEvents} alert events from Alertmanager and agents (${s.alerts} distinct alerts)`,
    `  incidents:  ${s.incidents.total} — ${s.incidents.open} open, ${s.incidents.acknowledged} acknowledged, ${s.incidents.onHold} on hold, ${s.incidents.resolved} resolved, ${s.incidents.closed} closed`,
    `  storms:     ${s.storms.length} storms of ${stormAlerts} alerts became ${stormIncidents} incidents`,
    `  MTTA/MTTR:  ${s.mttaMinutes ?? '-'} min / ${s.mttrMinutes ?? '-'} min`,
    s.worstDisk ? `  capacity:   ${s.worstDisk.mountpoint} on ${s.worstDisk.host} full in ${s.worstDisk.daysUntilFull.toFixed(1)} days` : '  capacity:   no filesystem forecast',
    `  problems:   ${s.problemCandidates === null ? 'problem candidates not available in this build' : `${s.problemCandidates} problem candidates`}`,
    '',
    `Start the server on this data:  ${startCommand}`,
  ];
  if (s.adminToken && !s.adminTokenConfigured) {
    lines.push('Admin token (shown once; only its hash is stored):', `  ${s.adminToken}`);
  } else if (s.adminTokenConfigured) {
    lines.push('Admin token: the value of SIGHTLINE_ADMIN_TOKEN');
  } else {
    lines.push('Admin token: this database already had one; use it (or `npx sightline token create --name admin2 --scopes admin`)');
  }
  lines.push(
    'The simulated agents stop reporting now: a running server marks them down after three missed hourly heartbeats.',
  );
  return `${lines.join('\n')}\n`;
}
