/**
 * The OpenSLO v1 mapping (sla/openslo.ts): a lossless round trip for every reference-vector
 * policy, and imported files checked with problems that name the document and the field.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ServiceEntry, type ServiceDefinition } from '../../server/src/domain/service.js';
import { exportOpenSlo, importOpenSlo } from '../../server/src/sla/openslo.js';
import { SLA_VECTOR_SERVICES_YAML } from '../fixtures/sla-vector-services.js';

const services: ServiceDefinition[] = parse(SLA_VECTOR_SERVICES_YAML).services.map((s: unknown) => ServiceEntry.parse(s));
const exported = exportOpenSlo(services);

function problems(text: string): string[] {
  const result = importOpenSlo(text);
  if (result.ok) throw new Error('expected problems');
  return (result.error.details as { problems: string[] }).problems;
}

/** The export of one vector service with `edit` applied to its text. */
const edited = (name: string, edit: (text: string) => string) => edit(exportOpenSlo(services.filter((s) => s.name === name)));

describe('OpenSLO export and import', () => {
  it('writes only openslo/v1 documents of the supported kinds, names as RFC 1123 labels', () => {
    const docs = exported.split(/^---\n/m).filter(Boolean).map((d) => parse(d));
    expect(new Set(docs.map((d) => d.apiVersion))).toEqual(new Set(['openslo/v1']));
    expect(new Set(docs.map((d) => d.kind))).toEqual(new Set(['Service', 'SLI', 'SLO', 'DataSource', 'AlertPolicy']));
    for (const d of docs) expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    // Services without a policy are not exported.
    expect(docs.some((d) => d.metadata.name === 'no-policy')).toBe(false);
    const slo = docs.find((d) => d.kind === 'SLO' && d.metadata.name === 'v14-dst-availability');
    expect(slo.spec.timeWindow).toEqual([{ duration: '1M', isRolling: false, calendar: { startTime: '2024-01-01 00:00:00', timeZone: 'America/New_York' } }]);
    expect(slo.spec.objectives[0].target).toBe(0.999);
    const fast = docs.find((d) => d.kind === 'AlertPolicy' && d.metadata.name === 'v1-thirty-days-burn-rate').spec.conditions.map((c: any) => [c.spec.condition.lookbackWindow, c.spec.condition.threshold]);
    expect(fast).toEqual([['1h', 14.4], ['6h', 6], ['1d', 3], ['3d', 1]]);
  });

  it.each(services.filter((s) => s.sla).map((s) => [s.name, s] as const))('%s: export → import → export gives the same bytes and the same policy', (_name, service) => {
    const first = exportOpenSlo([service]);
    const imported = importOpenSlo(first);
    if (!imported.ok) throw new Error(JSON.stringify(imported.error));
    expect(imported.value.warnings).toEqual([]);
    const [policy] = imported.value.policies;
    expect(policy?.service).toBe(service.name);
    expect(policy?.definition).toEqual(service);
    expect(exportOpenSlo([policy!.definition!])).toBe(first);
  });

  it('round-trips the whole catalogue at once', () => {
    const imported = importOpenSlo(exported);
    if (!imported.ok) throw new Error(JSON.stringify(imported.error));
    expect(exportOpenSlo(imported.value.policies.map((p) => p.definition!))).toBe(exported);
  });

  it('takes an SLO without its Service document: the service must then exist', () => {
    const text = edited('v1-thirty-days', (t) => t.split('---\n').filter((d) => !d.includes('kind: Service')).join('---\n'));
    const imported = importOpenSlo(text);
    if (!imported.ok) throw new Error(JSON.stringify(imported.error));
    expect(imported.value.policies[0]).toMatchObject({ service: 'v1-thirty-days', definition: null, sla: { objectivePpm: 999_000 } });
  });

  it('names the document and the field of every problem', () => {
    expect(problems('apiVersion: openslo/v2\nkind: SLO\nmetadata: { name: x }\nspec: {}\n')).toEqual(['document 1: apiVersion: must be openslo/v1']);
    expect(problems('apiVersion: openslo/v1\nkind: Widget\nmetadata: { name: Bad_Name }\nspec: {}\n')).toEqual([
      expect.stringMatching(/^document 1: kind: must be one of Service, SLI, SLO/),
      expect.stringMatching(/^document 1: metadata\.name: must be an RFC 1123 label/),
    ]);
    expect(problems('a: [\n')[0]).toMatch(/^document 1: not YAML/);
    expect(problems(edited('v1-thirty-days', (t) => t.replace('target: 0.999', 'target: 1.5')))).toEqual([
      'document 3 (SLO v1-thirty-days-availability): spec.objectives.0.target: must be a ratio above 0 and below 1 with at most 6 decimals, such as 0.999',
    ]);
    expect(problems(edited('v1-thirty-days', (t) => t.replace('indicatorRef: v1-thirty-days-availability', 'indicatorRef: nowhere')))).toEqual([
      'document 3 (SLO v1-thirty-days-availability): spec.indicatorRef: no SLI named nowhere in the file',
    ]);
    expect(problems(edited('v14-dst', (t) => t.replace('startTime: 2024-01-01 00:00:00', 'startTime: 2024-01-02 00:00:00')))).toEqual([
      expect.stringMatching(/^document 3 \(SLO v14-dst-availability\): spec\.timeWindow\.0\.calendar\.startTime: must start a month/),
    ]);
    expect(problems(edited('v14-dst', (t) => t.replace('timeZone: America/New_York\n', 'timeZone: Mars/Olympus\n')))).toEqual([
      'document 3 (SLO v14-dst-availability): spec.timeWindow.0.calendar.timeZone: must be an IANA time zone such as Europe/Berlin',
    ]);
    expect(problems(edited('v14-dst', (t) => t.replace('"P1":', '"P9":')))).toEqual([
      'document 3 (SLO v14-dst-availability): metadata.annotations."sightline.dev/targets": Unrecognized key: "P9"',
    ]);
    expect(problems(edited('v12-business', (t) => t.replace('"resolve":"4h"', '"resolve":"soon"')))).toEqual([
      'document 3 (SLO v12-business-availability): metadata.annotations."sightline.dev/targets": P3.resolve: must be a positive duration such as "15m", "4h" or "1d"',
    ]);
    expect(problems(edited('v1-thirty-days', (t) => t.replace('sightline.dev/exclude-maintenance: "true"', 'sightline.dev/exclude-maintenance: "yes"')))).toEqual([
      'document 2 (SLI v1-thirty-days-availability): metadata.annotations."sightline.dev/exclude-maintenance": must be "true" or "false"',
    ]);
    expect(problems(edited('v1-thirty-days', (t) => t.replace('sightline.dev/tier: "1"', 'sightline.dev/tier: "7"')))).toEqual([
      'document 1 (Service v1-thirty-days): metadata.annotations."sightline.dev/tier": Too big: expected number to be <=3',
    ]);
    expect(problems(edited('v6-any', (t) => t.replace('["v6-child-a","v6-child-b"]', '["v6-any"]')))).toEqual([
      'document 1 (Service v6-any): metadata.annotations."sightline.dev/depends-on": a service cannot depend on itself',
    ]);
    expect(problems(edited('v10-requests', (t) => t.replace('type: Prometheus\n  connectionDetails:\n    url: http://prometheus.example:9090', 'type: Prometheus\n  connectionDetails:\n    url: ftp://x')))).toEqual([
      'document 2 (DataSource v10-requests-prometheus): spec.connectionDetails.url: must be an http:// or https:// URL of Prometheus, such as http://prometheus:9090',
    ]);
    expect(problems(edited('v10-requests', (t) => t.replace(/type: Prometheus\n(\s+)spec:\n\s+query: http_requests_total\{job="api",code!~"5\.\."\}/, 'type: Datadog\n$1spec:\n$1  query: x')))).toEqual([
      'document 5 (SLI v10-requests-requests): spec.ratioMetric.good.metricSource.type: Sightline reads Prometheus',
    ]);
  });

  it('reports alert conditions other than the burn-rate rules as warnings and leaves them out', () => {
    const imported = importOpenSlo(edited('v1-thirty-days', (t) => t.replace('threshold: 14.4', 'threshold: 10')));
    if (!imported.ok) throw new Error(JSON.stringify(imported.error));
    expect(imported.value.warnings).toEqual([expect.stringMatching(/^document 4 \(AlertPolicy v1-thirty-days-burn-rate\) spec\.conditions\.0: not one of Sightline's burn-rate rules/)]);
  });

  it('reads ratio SLOs from a DataSource by reference, and lists of documents', () => {
    const text = `
- apiVersion: openslo/v1
  kind: DataSource
  metadata: { name: prom }
  spec: { type: Prometheus, connectionDetails: { url: "http://prom:9090" } }
- apiVersion: openslo/v1
  kind: SLO
  metadata: { name: api-availability }
  spec:
    service: api
    budgetingMethod: Timeslices
    indicator: { metadata: { name: up }, spec: { thresholdMetric: { metricSource: { type: Sightline, spec: {} } } } }
    timeWindow: [{ duration: 4w, isRolling: true }]
    objectives: [{ target: 0.995 }]
- apiVersion: openslo/v1
  kind: SLO
  metadata: { name: api-errors }
  spec:
    service: api
    budgetingMethod: Occurrences
    indicator:
      metadata: { name: errors }
      spec:
        ratioMetric:
          counter: true
          good: { metricSource: { metricSourceRef: prom, spec: { query: 'ok_total' } } }
          total: { metricSource: { metricSourceRef: prom, spec: { query: 'all_total' } } }
    timeWindow: [{ duration: 28d, isRolling: true }]
    objectives: [{ target: 0.99 }]
`;
    const imported = importOpenSlo(text);
    if (!imported.ok) throw new Error(JSON.stringify(imported.error));
    expect(imported.value.policies).toEqual([
      expect.objectContaining({
        service: 'api',
        definition: null,
        sla: expect.objectContaining({ objectivePpm: 995_000, period: { kind: 'rolling', days: 28 }, metrics: { prometheusUrl: 'http://prom:9090', stepMs: 300_000, slis: [{ name: 'errors', objectivePpm: 990_000, good: 'ok_total', total: 'all_total' }] } }),
      }),
    ]);
  });
});
