/** @module Check results as blackbox_exporter-named families (probe_*) plus sightline_process_* for process checks. */
import type { Family, Sample } from '../series.js';
import type { HttpPhase } from './result.js';
import type { CheckState } from './runner.js';

const PHASES: HttpPhase[] = ['resolve', 'connect', 'tls', 'processing', 'transfer'];

export function checkFamilies(states: readonly CheckState[]): Family[] {
  const results = states.map((s) => s.result);
  const labels = (r: (typeof results)[number]) => ({ check: r.name, type: r.type, target: r.target });
  const http = results.filter((r) => r.http !== undefined);
  const procs = results.filter((r) => r.type === 'process');
  const fam = (name: string, type: Family['type'], help: string, samples: Sample[]): Family => ({ name, type, help, samples });
  return [
    fam('probe_success', 'gauge', 'Displays whether or not the probe was a success', results.map((r) => ({ labels: labels(r), value: r.success ? 1 : 0 }))),
    fam('probe_duration_seconds', 'gauge', 'Returns how long the probe took to complete in seconds', results.map((r) => ({ labels: labels(r), value: r.durationSeconds }))),
    fam('probe_http_status_code', 'gauge', 'Response HTTP status code', http.map((r) => ({ labels: labels(r), value: r.http!.statusCode }))),
    fam(
      'probe_http_duration_seconds',
      'gauge',
      'Duration of http request by phase, summed over all redirects',
      http.flatMap((r) => PHASES.map((phase) => ({ labels: { ...labels(r), phase }, value: r.http!.phases[phase] }))),
    ),
    fam('probe_http_content_length', 'gauge', 'Length of http content response', http.map((r) => ({ labels: labels(r), value: r.http!.contentLength }))),
    fam('probe_http_ssl', 'gauge', 'Indicates if SSL was used for the final redirect', http.map((r) => ({ labels: labels(r), value: r.http!.ssl ? 1 : 0 }))),
    fam('probe_failed_due_to_regex', 'gauge', 'Indicates if probe failed due to regex', http.map((r) => ({ labels: labels(r), value: r.http!.failedDueToRegex ? 1 : 0 }))),
    fam(
      'probe_ssl_earliest_cert_expiry',
      'gauge',
      'Returns last SSL chain expiry in unixtime',
      http.filter((r) => r.http!.sslEarliestCertExpiry !== undefined).map((r) => ({ labels: labels(r), value: r.http!.sslEarliestCertExpiry as number })),
    ),
    fam('sightline_process_up', 'gauge', 'Whether at least one process matches the check (1) or none (0)', procs.map((r) => ({ labels: { check: r.name }, value: r.success ? 1 : 0 }))),
    fam('sightline_process_count', 'gauge', 'Number of processes matching the check', procs.map((r) => ({ labels: { check: r.name }, value: r.process?.count ?? 0 }))),
    fam(
      'sightline_process_cpu_seconds_total',
      'counter',
      'User and system CPU seconds of the matching processes',
      procs.map((r) => ({ labels: { check: r.name }, value: r.process?.cpuSeconds ?? 0 })),
    ),
    fam(
      'sightline_process_resident_memory_bytes',
      'gauge',
      'Resident memory of the matching processes in bytes',
      procs.map((r) => ({ labels: { check: r.name }, value: r.process?.residentBytes ?? 0 })),
    ),
  ];
}
