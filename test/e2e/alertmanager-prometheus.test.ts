/**
 * End to end with the real senders: Alertmanager 0.25 delivering by webhook, and
 * Prometheus 2.42 sending straight to Sightline as if it were an Alertmanager (API v2),
 * both authenticating with a bearer token. Alerts open incidents; resolving them at the
 * source auto-resolves the incidents once the (shortened) hold-down has passed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startAlertmanager,
  startPrometheus,
  startSightline,
  stopAllProcesses,
  waitFor,
  type ManagedProcess,
  type SightlineProcess,
} from '../helpers/processes.js';

interface IncidentSummary {
  id: number;
  title: string;
  status: string;
  priority: string;
  service: string | null;
  host: string | null;
  groupKey: string;
  alertCount: number;
  firingCount: number;
  resolution: string | null;
  openedAt: string;
  resolvedAt: string | null;
}

interface IncidentDetail extends IncidentSummary {
  alerts: { source: string; status: string; title: string; labels: Record<string, string>; fingerprint: string }[];
  timeline: { kind: string; message: string }[];
}

let sightline: SightlineProcess;
const watched: ManagedProcess[] = [];

/** Everything the processes printed, for a failure message. */
const outputs = () => watched.map((p) => `--- ${p.name} ---\n${p.output().slice(-4000)}`).join('\n');

async function incidents(): Promise<IncidentSummary[]> {
  const page = await sightline.getJson<{ items: IncidentSummary[] }>('/api/v1/incidents?limit=500');
  return page.items;
}

async function incidentsWhere(predicate: (i: IncidentSummary) => boolean): Promise<IncidentSummary[]> {
  return (await incidents()).filter(predicate);
}

beforeAll(async () => {
  sightline = await startSightline({
    env: { SIGHTLINE_RESOLVE_HOLD_DOWN: '2s', SIGHTLINE_HOUSEKEEPING_INTERVAL: '1s', SIGHTLINE_LOG_LEVEL: 'warn' },
  });
  watched.push(sightline.proc);
});

afterAll(async () => {
  await stopAllProcesses();
});

describe('Alertmanager 0.25 → webhook → Sightline', () => {
  it('opens incidents from routed alerts and auto-resolves them when Alertmanager sends the resolution', { timeout: 40_000 }, async () => {
    const am = await startAlertmanager({
      route: {
        receiver: 'sightline',
        group_by: ['alertname'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [
        {
          name: 'sightline',
          webhook_configs: [
            {
              url: `${sightline.url}/api/v1/alerts/alertmanager`,
              send_resolved: true,
              http_config: { authorization: { type: 'Bearer', credentials: sightline.token } },
            },
          ],
        },
      ],
    });
    watched.push(am.proc);

    const startsAt = new Date().toISOString();
    const payments = (instance: string) => ({
      labels: { alertname: 'E2EPaymentErrors', service: 'e2e-am-payments', severity: 'critical', instance },
      annotations: { summary: 'error ratio above 5%' },
      startsAt,
      generatorURL: 'http://prometheus.example/graph?g0.expr=1',
    });
    // No service label: grouped by alertname + host (the instance without its port).
    const disk = {
      labels: { alertname: 'E2EDiskFull', severity: 'warning', instance: 'e2e-db-7:9100' },
      annotations: { summary: 'root filesystem 95% full' },
      startsAt,
    };
    const firing = [payments('pay-1:9100'), payments('pay-2:9100'), disk];
    await am.postAlerts(firing);

    const opened = await waitFor(
      'two open incidents from Alertmanager',
      async () => {
        const mine = await incidentsWhere((i) => i.service === 'e2e-am-payments' || i.groupKey.includes('E2EDiskFull'));
        const pay = mine.find((i) => i.service === 'e2e-am-payments');
        const dsk = mine.find((i) => i.groupKey.includes('E2EDiskFull'));
        return pay && dsk && pay.alertCount === 2 && dsk.alertCount === 1 ? { pay, dsk, all: mine } : null;
      },
      { timeoutMs: 20_000, describe: outputs },
    );
    expect(opened.all).toHaveLength(2);
    expect(opened.pay).toMatchObject({
      title: 'E2EPaymentErrors: error ratio above 5%',
      status: 'open',
      priority: 'P2',
      service: 'e2e-am-payments',
      groupKey: 'service=e2e-am-payments',
      alertCount: 2,
      firingCount: 2,
      openedAt: startsAt,
      resolvedAt: null,
    });
    expect(opened.dsk).toMatchObject({
      title: 'E2EDiskFull: root filesystem 95% full',
      status: 'open',
      service: null,
      host: 'e2e-db-7',
      groupKey: 'alertname=E2EDiskFull,host=e2e-db-7',
      alertCount: 1,
      firingCount: 1,
    });
    const detail = await sightline.getJson<IncidentDetail>(`/api/v1/incidents/${opened.pay.id}`);
    expect(detail.alerts.map((a) => [a.source, a.status, a.labels.instance]).sort()).toEqual([
      ['alertmanager', 'firing', 'pay-1:9100'],
      ['alertmanager', 'firing', 'pay-2:9100'],
    ]);
    expect(detail.timeline.map((t) => t.kind)).toEqual(['opened', 'alert_joined']);

    // Resolve at the source: Alertmanager marks them resolved and notifies (send_resolved).
    const endsAt = new Date().toISOString();
    await am.postAlerts(firing.map((a) => ({ ...a, endsAt })));

    const resolved = await waitFor(
      'both Alertmanager incidents auto-resolved',
      async () => {
        const mine = await incidentsWhere((i) => i.service === 'e2e-am-payments' || i.groupKey.includes('E2EDiskFull'));
        return mine.length === 2 && mine.every((i) => i.status === 'resolved') ? mine : null;
      },
      { timeoutMs: 20_000, describe: outputs },
    );
    for (const incident of resolved) {
      expect(incident).toMatchObject({ resolution: 'auto', firingCount: 0 });
      expect(incident.resolvedAt).not.toBeNull();
    }
    const after = await sightline.getJson<IncidentDetail>(`/api/v1/incidents/${opened.pay.id}`);
    expect(after.alertCount).toBe(2);
    expect(after.alerts.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    expect(after.timeline.map((t) => t.kind)).toEqual(['opened', 'alert_joined', 'alert_resolved', 'alert_resolved', 'resolved']);
    // The resolution ends the incident at the alerts' end, not when the hold-down ran out.
    expect(Date.parse(after.resolvedAt as string)).toBeLessThanOrEqual(Date.parse(endsAt) + 1);

    await am.stop();
  });
});

describe('Prometheus 2.42 → API v2 → Sightline', () => {
  const firingRules = (fire: boolean) => {
    // Same alert names and rule labels in both versions, so a reload carries the active
    // alerts over; the "stopped" expressions return nothing, which resolves them.
    const expr = (e: string) => (fire ? e : `${e} == 0`);
    return {
      groups: [
        {
          name: 'e2e',
          interval: '1s',
          rules: [
            {
              alert: 'E2ECheckoutLatencyHigh',
              expr: expr('vector(1)'),
              for: '0s',
              labels: { service: 'e2e-prom-checkout', severity: 'critical' },
              annotations: { summary: 'p99 latency above 2s' },
            },
            {
              alert: 'E2ECheckoutErrorsHigh',
              expr: expr('vector(1)'),
              for: '0s',
              labels: { service: 'e2e-prom-checkout', severity: 'warning' },
              annotations: { summary: '5xx ratio above 1%' },
            },
            {
              alert: 'E2EMemoryPressure',
              expr: expr('label_replace(vector(1), "instance", "e2e-node-3:9100", "", "")'),
              for: '0s',
              labels: { severity: 'warning' },
              annotations: { summary: 'available memory below 5%' },
            },
          ],
        },
      ],
    };
  };

  it('opens incidents from firing rules and auto-resolves them when the rules stop firing', { timeout: 40_000 }, async () => {
    const prometheus = await startPrometheus(
      (dir) => ({
        global: { evaluation_interval: '1s', scrape_interval: '15s' },
        rule_files: [path.join(dir, 'rules.yml')],
        alerting: {
          alertmanagers: [
            {
              api_version: 'v2',
              scheme: 'http',
              timeout: '5s',
              authorization: { type: 'Bearer', credentials: sightline.token },
              static_configs: [{ targets: [`127.0.0.1:${sightline.port}`] }],
            },
          ],
        },
      }),
      { 'rules.yml': firingRules(true) },
      // The first notification can come before the notifier has discovered its target and
      // be dropped; a short resend delay (default 1m) sends it again soon. Each send is a
      // lease of 4 × 2s, long enough for a busy machine.
      { extraArgs: ['--rules.alert.resend-delay=2s'] },
    );
    watched.push(prometheus.proc);

    const mine = (i: IncidentSummary) => i.service === 'e2e-prom-checkout' || i.groupKey.includes('E2EMemoryPressure');
    const opened = await waitFor(
      'two open incidents from Prometheus',
      async () => {
        const found = await incidentsWhere(mine);
        const checkout = found.find((i) => i.service === 'e2e-prom-checkout');
        const memory = found.find((i) => i.groupKey.includes('E2EMemoryPressure'));
        return checkout && memory && checkout.alertCount === 2 ? { checkout, memory, all: found } : null;
      },
      { timeoutMs: 20_000, describe: outputs },
    );
    expect(opened.all).toHaveLength(2);
    expect(opened.checkout).toMatchObject({
      status: 'open',
      priority: 'P2',
      service: 'e2e-prom-checkout',
      groupKey: 'service=e2e-prom-checkout',
      alertCount: 2,
      firingCount: 2,
      resolvedAt: null,
    });
    // Either rule may be evaluated first; the first alert names the incident.
    expect(['E2ECheckoutLatencyHigh: p99 latency above 2s', 'E2ECheckoutErrorsHigh: 5xx ratio above 1%']).toContain(opened.checkout.title);
    expect(opened.memory).toMatchObject({
      title: 'E2EMemoryPressure: available memory below 5%',
      status: 'open',
      priority: 'P3',
      service: null,
      host: 'e2e-node-3',
      groupKey: 'alertname=E2EMemoryPressure,host=e2e-node-3',
      alertCount: 1,
      firingCount: 1,
    });
    const detail = await sightline.getJson<IncidentDetail>(`/api/v1/incidents/${opened.checkout.id}`);
    expect(detail.alerts.map((a) => [a.source, a.status, a.labels.alertname]).sort()).toEqual([
      ['prometheus', 'firing', 'E2ECheckoutErrorsHigh'],
      ['prometheus', 'firing', 'E2ECheckoutLatencyHigh'],
    ]);

    // Stop the rules firing; Prometheus then sends each alert once more with endsAt in the past.
    prometheus.writeRuleFile('rules.yml', firingRules(false));
    prometheus.reload();
    await waitFor('Prometheus to load the non-firing rules', async () => (await prometheus.rules()).every((r) => r.query.endsWith('== 0')), {
      timeoutMs: 10_000,
      describe: outputs,
    });

    const resolved = await waitFor(
      'both Prometheus incidents auto-resolved',
      async () => {
        const found = await incidentsWhere(mine);
        return found.length === 2 && found.every((i) => i.status === 'resolved') ? found : null;
      },
      { timeoutMs: 20_000, describe: outputs },
    );
    for (const incident of resolved) expect(incident).toMatchObject({ resolution: 'auto', firingCount: 0 });
    const after = await sightline.getJson<IncidentDetail>(`/api/v1/incidents/${opened.checkout.id}`);
    expect(after.alertCount).toBe(2);
    expect(after.alerts.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    expect(after.timeline.filter((t) => t.kind === 'resolved')).toHaveLength(1);

    await prometheus.stop();
  });
});
