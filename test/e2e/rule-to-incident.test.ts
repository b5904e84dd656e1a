/**
 * A real alert rule on the agent's metrics, through a real Alertmanager, into the server:
 * Prometheus 2.42 (configured from dashboards/prometheus/prometheus.example.yml, addresses
 * replaced) scrapes a real agent whose TCP check fails, evaluates Sightline's own rule files,
 * and `SightlineCheckFailing` fires; Alertmanager 0.25 delivers it to Sightline's webhook with
 * a bearer token; an incident opens. When the checked port starts answering, the rule stops
 * firing, Alertmanager sends the resolution and the incident resolves.
 *
 * The rules are loaded as shipped except one setting: `for: 1m` of SightlineCheckFailing
 * becomes `for: 5s`, so the test does not wait a minute (asserted below).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../helpers/postgres.js';
import {
  ManagedProcess,
  makeTempDir,
  startAlertmanager,
  startPrometheus,
  startSightline,
  stopAllProcesses,
  waitFor,
  type AlertmanagerProcess,
  type PrometheusProcess,
  type SightlineProcess,
} from '../helpers/processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT_CLI = path.join(ROOT, 'dist', 'agent', 'src', 'cli.js');
const RULES_DIR = path.join(ROOT, 'dashboards', 'prometheus');
const RULE = 'SightlineCheckFailing';

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}

interface Incident {
  id: number;
  title: string;
  status: string;
  priority: string;
  host: string | null;
  groupKey: string;
  alertCount: number;
  firingCount: number;
  resolution: string | null;
}
interface IncidentDetail extends Incident {
  alerts: { source: string; status: string; title: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  timeline: { kind: string; message: string }[];
}

let sightline: SightlineProcess;
let alertmanager: AlertmanagerProcess;
let prometheus: PrometheusProcess;
let agent: ManagedProcess;
let agentInstance: string;
/** The port the agent's TCP check connects to; nothing listens there until the fix. */
let checkedPort: number;
let listener: net.Server | null = null;

const shippedAlerts = parse(readFileSync(path.join(RULES_DIR, 'sightline-alerts.rules.yml'), 'utf8')) as RuleFile;
const shippedRule = shippedAlerts.groups.flatMap((g) => g.rules).find((r) => r.alert === RULE);

/** The shipped alert rules with only the `for` of the rule under test shortened. */
function testAlerts(): RuleFile {
  const copy = structuredClone(shippedAlerts);
  const rule = copy.groups.flatMap((g) => g.rules).find((r) => r.alert === RULE);
  if (!rule) throw new Error(`${RULE} is not in sightline-alerts.rules.yml`);
  rule.for = '5s';
  return copy;
}

const outputs = () => [sightline?.proc, agent, alertmanager?.proc, prometheus?.proc].filter(Boolean).map((p) => `--- ${p!.name} ---\n${p!.output().slice(-3000)}`).join('\n');

async function ourIncidents(): Promise<Incident[]> {
  const page = await sightline.getJson<{ items: Incident[] }>('/api/v1/incidents?limit=100');
  return page.items.filter((i) => i.groupKey.includes(RULE) || i.title.startsWith(RULE));
}

async function prometheusAlerts(): Promise<{ labels: Record<string, string>; state: string }[]> {
  const res = await fetch(`${prometheus.url}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts.filter((a) => a.labels.alertname === RULE);
}

beforeAll(async () => {
  sightline = await startSightline({ env: { SIGHTLINE_RESOLVE_HOLD_DOWN: '2s', SIGHTLINE_HOUSEKEEPING_INTERVAL: '1s', SIGHTLINE_LOG_LEVEL: 'warn' } });

  checkedPort = await freePort();
  const dir = makeTempDir('agent');
  const agentPort = await freePort();
  const configFile = path.join(dir, 'agent.yaml');
  // No server URL: the agent sends nothing to Sightline itself; only Alertmanager does.
  writeFileSync(
    configFile,
    stringify({
      interval: '1s',
      listen: `127.0.0.1:${agentPort}`,
      hostname: 'e2e-rule-host',
      logLevel: 'warn',
      queue: { dir: path.join(dir, 'queue') },
      checks: [{ name: 'orders-db', type: 'tcp', target: `127.0.0.1:${checkedPort}`, interval: '1s', timeout: '1s' }],
    }),
  );
  agent = new ManagedProcess(`agent :${agentPort}`, spawn(process.execPath, [AGENT_CLI, '--config', configFile], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] }));
  agentInstance = `127.0.0.1:${agentPort}`;
  await waitFor(
    'the agent to report its failing check',
    async () => {
      if (!agent.running) throw new Error(`agent exited:\n${agent.output()}`);
      const text = await (await fetch(`http://${agentInstance}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
      return /^probe_success\{check="orders-db",type="tcp",target="127\.0\.0\.1:\d+"\} 0$/m.test(text);
    },
    { timeoutMs: 15_000, describe: outputs },
  );

  alertmanager = await startAlertmanager({
    route: { receiver: 'sightline', group_by: ['alertname', 'instance'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [
      {
        name: 'sightline',
        webhook_configs: [{ url: `${sightline.url}/api/v1/alerts/alertmanager`, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: sightline.token } } }],
      },
    ],
  });

  // The shipped example configuration, with the test's addresses and a fast cadence.
  const example = parse(readFileSync(path.join(RULES_DIR, 'prometheus.example.yml'), 'utf8')) as any;
  prometheus = await startPrometheus(
    (promDir) => {
      const config = structuredClone(example);
      config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
      config.rule_files = [path.join(RULES_DIR, 'sightline-recording.rules.yml'), path.join(promDir, 'sightline-alerts.rules.yml')];
      config.alerting.alertmanagers[0].static_configs[0].targets = [`127.0.0.1:${alertmanager.port}`];
      const job = (name: string) => config.scrape_configs.find((j: { job_name: string }) => j.job_name === name);
      job('sightline-agent').static_configs[0].targets = [agentInstance];
      job('sightline').static_configs[0].targets = [`127.0.0.1:${sightline.port}`];
      return config;
    },
    { 'sightline-alerts.rules.yml': testAlerts() as unknown as Record<string, unknown> },
  );
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => (listener ? listener.close(resolve) : resolve(undefined)));
  await stopAllProcesses();
});

describe(`${RULE} from the shipped rules → Alertmanager → Sightline`, () => {
  it('uses the shipped rule unchanged but for its `for` duration', () => {
    expect(shippedRule).toMatchObject({ expr: 'probe_success{job="sightline-agent"} == 0', for: '1m', labels: { severity: 'critical' } });
    const changed = testAlerts();
    const rule = changed.groups.flatMap((g) => g.rules).find((r) => r.alert === RULE)!;
    expect(rule.for).toBe('5s');
    rule.for = shippedRule!.for;
    expect(changed).toEqual(shippedAlerts);
  });

  it('fires in Prometheus, reaches Alertmanager and opens an incident in Sightline', { timeout: 60_000 }, async () => {
    const firing = await waitFor('Prometheus to fire the rule', async () => (await prometheusAlerts()).find((a) => a.state === 'firing'), { timeoutMs: 30_000, describe: outputs });
    expect(firing.labels).toMatchObject({ alertname: RULE, job: 'sightline-agent', instance: agentInstance, check: 'orders-db', type: 'tcp', target: `127.0.0.1:${checkedPort}`, severity: 'critical' });

    await waitFor(
      'Alertmanager to hold the alert',
      async () => {
        const res = await fetch(`${alertmanager.url}/api/v2/alerts?filter=alertname%3D%22${RULE}%22`, { signal: AbortSignal.timeout(5_000) });
        return ((await res.json()) as { status: { state: string } }[]).some((a) => a.status.state === 'active');
      },
      { timeoutMs: 15_000, describe: outputs },
    );

    const [incident] = await waitFor('an incident in Sightline', async () => {
      const found = await ourIncidents();
      return found.length > 0 ? found : null;
    }, { timeoutMs: 20_000, describe: outputs });
    expect(incident).toMatchObject({ title: `${RULE}: Availability check is failing.`, status: 'open', host: '127.0.0.1', alertCount: 1, firingCount: 1 });
    const detail = await sightline.getJson<IncidentDetail>(`/api/v1/incidents/${incident!.id}`);
    expect(detail.alerts).toHaveLength(1);
    expect(detail.alerts[0]).toMatchObject({
      source: 'alertmanager',
      status: 'firing',
      labels: { alertname: RULE, job: 'sightline-agent', instance: agentInstance, check: 'orders-db', target: `127.0.0.1:${checkedPort}`, severity: 'critical' },
      annotations: { summary: 'Availability check is failing.' },
    });
    expect(detail.alerts[0]!.annotations.description).toBe(`Check orders-db of 127.0.0.1:${checkedPort}, run by the agent at ${agentInstance}, has been failing for 1 minute.`);
    expect((await ourIncidents()).length).toBe(1);
  });

  it('resolves the incident once the checked port answers and the rule stops firing', { timeout: 60_000 }, async () => {
    listener = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve, reject) => {
      listener!.once('error', reject);
      listener!.listen(checkedPort, '127.0.0.1', () => resolve());
    });
    await waitFor('Prometheus to stop firing', async () => (await prometheusAlerts()).length === 0, { timeoutMs: 30_000, describe: outputs });
    const resolved = await waitFor(
      'the incident to resolve',
      async () => {
        const [incident] = await ourIncidents();
        return incident && incident.status === 'resolved' ? incident : null;
      },
      { timeoutMs: 30_000, describe: outputs },
    );
    expect(resolved).toMatchObject({ resolution: 'auto', firingCount: 0, alertCount: 1 });
    const detail = await sightline.getJson<IncidentDetail>(`/api/v1/incidents/${resolved.id}`);
    expect(detail.alerts.map((a) => [a.source, a.status])).toEqual([['alertmanager', 'resolved']]);
  });
});
