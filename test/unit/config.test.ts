import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';

/** Loads `yaml` as a configuration file (in a fresh directory) with `env`. */
function loadYaml(yaml: string, env: Record<string, string> = {}) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sightline-config-')), 'sightline.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ file, env });
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const result = loadConfig({ file: null, env: {} });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({ host: '0.0.0.0', port: 8080, dataDir: './data', databaseUrl: null, adminToken: null, bodyLimitBytes: 5 * 1024 * 1024 });
    expect(result.config.correlation).toMatchObject({ joinWindow: 600_000, resolveHoldDown: 300_000, groupBy: null });
    expect(Object.isFrozen(result.config.correlation)).toBe(true);
  });

  it('lets the environment override the file', () => {
    const result = loadYaml('port: 9000\ncorrelation:\n  joinWindow: 15m\n  groupBy: [cluster, alertname]\nservices:\n  - name: payments\n    tier: 1\n', { SIGHTLINE_PORT: '9100', DATABASE_URL: 'postgres://u@h/db' });
    expect(result.ok && result.config).toMatchObject({
      port: 9100,
      databaseUrl: 'postgres://u@h/db',
      correlation: { joinWindow: 900_000, groupBy: ['cluster', 'alertname'] },
      services: [{ name: 'payments', tier: 1 }],
    });
  });

  it.each([
    ['', { mergeSymptomIncidents: true, serviceOnsetWindow: 120_000, rootOnsetWindow: 120_000 }],
    ['  mergeSymptomIncidents: no\n  serviceOnsetWindow: null\n', { mergeSymptomIncidents: false, serviceOnsetWindow: null }],
    ['  serviceOnsetWindow: 90s\n', { mergeSymptomIncidents: true, serviceOnsetWindow: 90_000 }],
    ['', { changeOnset: { from: 240_000, to: 900_000, minHops: 2 } }],
    ['  changeOnset: { from: 2m, to: 30m, minHops: 1 }\n', { changeOnset: { from: 120_000, to: 1_800_000, minHops: 1 } }],
    ['  changeOnset: null\n', { changeOnset: null }],
  ])('reads the topology merge and onset settings from %j', (yaml, expected) => {
    const result = loadYaml(`correlation:\n${yaml || '  joinWindow: 10m\n'}`);
    expect(result.ok && result.config.correlation).toMatchObject(expected);
  });

  it('rejects a topology merge or onset setting that is not one', () => {
    const result = loadYaml('correlation:\n  mergeSymptomIncidents: sometimes\n  serviceOnsetWindow: soon\n');
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.join('\n');
    expect(text).toContain('correlation.mergeSymptomIncidents');
    expect(text).toContain('correlation.serviceOnsetWindow');
  });

  it('requires a unit on a duration: a bare number is an error naming the setting, not seconds', () => {
    const result = loadYaml('correlation:\n  joinWindow: 10\n  closeAfter: 0\n  flap: { window: true }\ncapacity:\n  alerts: { warning: 7 }\n', { SIGHTLINE_RESOLVE_HOLD_DOWN: '5' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'correlation.joinWindow (SIGHTLINE_JOIN_WINDOW): 10 has no unit: write e.g. "10s" or "10m" (units: ms, s, m, h, d, w, y)',
        'correlation.resolveHoldDown (SIGHTLINE_RESOLVE_HOLD_DOWN): 5 has no unit: write e.g. "5s" or "5m" (units: ms, s, m, h, d, w, y)',
        'correlation.flap.window: expected a duration with a unit, e.g. "30s", "10m", "1h30m", "7d"',
        'capacity.alerts.warning: 7 has no unit: write e.g. "7s" or "7m" (units: ms, s, m, h, d, w, y)',
      ]),
    );
    expect(result.problems).toHaveLength(4);
    expect(loadYaml('correlation:\n  closeAfter: 0\n  joinWindow: 10m\n')).toMatchObject({ ok: true, config: { correlation: { closeAfter: 0, joinWindow: 600_000 } } });
  });

  it.each([
    ['port: eighty\n', {}, 'port (SIGHTLINE_PORT): expected a port number from 0 to 65535'],
    ['port: 70000\n', {}, 'port (SIGHTLINE_PORT): expected a port number from 0 to 65535'],
    ['', { SIGHTLINE_PORT: '80.5' }, 'port (SIGHTLINE_PORT): expected a port number from 0 to 65535'],
    ['metrics:\n  requireToken: maybe\n', {}, 'metrics.requireToken (SIGHTLINE_METRICS_REQUIRE_TOKEN): expected true or false (or yes/no, 1/0)'],
    ['', { SIGHTLINE_INGEST_THREAD: 'sometimes' }, 'ingest.thread (SIGHTLINE_INGEST_THREAD): expected true or false (or yes/no, 1/0)'],
  ])('says what was expected for %j %j', (yaml, env, problem) => {
    expect(loadYaml(yaml, env)).toEqual({ ok: false, problems: [problem] });
  });

  it('lists every problem at once, naming env variables', () => {
    const result = loadYaml('correlation:\n  joinWindow: soon\nunknownKey: 1\n', { SIGHTLINE_PORT: 'eighty', DATABASE_URL: 'mysql://x', SIGHTLINE_ADMIN_TOKEN: 'short' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    expect(text).toContain('port (SIGHTLINE_PORT)');
    expect(text).toContain('databaseUrl (DATABASE_URL)');
    expect(text).toContain('adminToken (SIGHTLINE_ADMIN_TOKEN)');
    expect(text).toContain('correlation.joinWindow');
    expect(text).toContain('unknownKey');
    expect(result.problems.length).toBeGreaterThanOrEqual(5);
  });

  it('keeps a service match label or webhook header named "__proto__" (z.record dropped it, widening the match)', () => {
    const result = loadYaml(
      [
        'services:',
        '  - name: web',
        '    match:',
        '      labels: { job: web, __proto__: x }',
        'notifications:',
        '  webhooks:',
        '    - name: hook',
        '      url: http://127.0.0.1:9/hook',
        '      headers: { X-Team: sre, __proto__: y }',
        '',
      ].join('\n'),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.entries(result.config.services[0]?.match.labels ?? {})).toEqual([['job', 'web'], ['__proto__', 'x']]);
    expect(Object.entries(result.config.notifications.webhooks[0]?.headers ?? {})).toEqual([['X-Team', 'sre'], ['__proto__', 'y']]);
  });

  it('names a bad or empty service match label by its path', () => {
    const result = loadYaml("services:\n  - name: web\n    match:\n      labels: { 'not a name': web, job: '', ok: 5 }\n");
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.join('\n');
    // A value that is not a string stops the map first; the name and empty value are checked once the values are strings.
    expect(text).toContain('services.0.match.labels.ok');
    const again = loadYaml("services:\n  - name: web\n    match:\n      labels: { 'not a name': web, job: '' }\n");
    const problems = again.ok ? '' : again.problems.join('\n');
    expect(problems).toContain('services.0.match.labels.not a name: must be a label name');
    expect(problems).toContain('services.0.match.labels.job: must not be empty');
  });

  it('refuses a grouping or inhibition regex RE2 refuses, naming the field and what RE2 says', () => {
    const result = loadYaml(
      [
        'correlation:',
        '  rules:',
        '    - { name: net, match: [{ name: team, value: "(a)\\\\1", isRegex: true }] }',
        '  inhibitRules:',
        '    - sourceMatch: [{ name: alertname, value: "(?=Host)Down", isRegex: true }]',
        '      targetMatch: [{ name: severity, value: "(a+)+", isRegex: true }]',
        '',
      ].join('\n'),
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        'correlation.rules.0.match.0.value: invalid regular expression "(a)\\\\1" (RE2 syntax): invalid escape sequence: `\\1`',
        'correlation.inhibitRules.0.sourceMatch.0.value: invalid regular expression "(?=Host)Down" (RE2 syntax): invalid or unsupported Perl syntax: `(?=`',
      ],
    });
  });

  it('refuses a service dependsOn entry that is no service name, naming its path; a cycle is allowed', () => {
    const result = loadYaml('services:\n  - { name: web, dependsOn: [api, "db primary"] }\n  - { name: api, dependsOn: [web] }\n');
    expect(result).toEqual({
      ok: false,
      problems: ['services.0.dependsOn.1: "db primary" is not a service name: a letter or digit, then letters, digits and _ . : - (at most 128 in all)'],
    });
    expect(loadYaml('services:\n  - { name: web, dependsOn: [api] }\n  - { name: api, dependsOn: [web] }\n').ok).toBe(true);
  });

  it('reports unreadable files and invalid YAML', () => {
    expect(loadConfig({ file: '/nonexistent/sightline.yaml', env: {} })).toMatchObject({ ok: false });
    const result = loadYaml('port: [1,\n');
    expect(!result.ok && result.problems[0]).toContain('invalid YAML');
  });
});
