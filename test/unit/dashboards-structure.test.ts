/**
 * The Grafana dashboards in dashboards/grafana/ and the provisioning files: valid JSON, stable and
 * unique uids and titles, a layout inside 24 columns, every data source reference through the
 * `datasource` variable (provisioned dashboards, not the `${DS_…}` import form), a unit on every
 * panel that queries, a PromQL expression on every target, and no undefined variables.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const GRAFANA_DIR = path.join(ROOT, 'dashboards', 'grafana');
const PROVISIONING_DIR = path.join(ROOT, 'dashboards', 'provisioning');

/** File → uid: links and bookmarks point at the uid, so it must not change. */
const EXPECTED_UIDS: Record<string, string> = {
  'availability-sla.json': 'sightline-availability-sla',
  'host-capacity.json': 'sightline-host-capacity',
  'incidents-problems.json': 'sightline-incidents-problems',
};
const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' };
/** Grafana's global variables the queries may use. */
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range']);

interface Target {
  refId?: string;
  expr?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: unknown;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

const files = readdirSync(GRAFANA_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string): { text: string; dashboard: Dashboard } {
  const text = readFileSync(path.join(GRAFANA_DIR, file), 'utf8');
  return { text, dashboard: JSON.parse(text) as Dashboard };
}

/** Panels in rows (collapsed rows keep theirs in `panels`) flattened. */
function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every value under a `datasource` key, anywhere in the document, with its JSON path. */
function datasourceRefs(node: unknown, at = '$'): { at: string; value: unknown }[] {
  if (Array.isArray(node)) return node.flatMap((child, i) => datasourceRefs(child, `${at}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => [
    ...(key === 'datasource' ? [{ at: `${at}.datasource`, value }] : []),
    ...datasourceRefs(value, `${at}.${key}`),
  ]);
}

/** `$name` and `${name}` / `${name:format}` references in a query. */
function variablesIn(expr: string): string[] {
  return [...expr.matchAll(/\$(?:\{([A-Za-z0-9_]+)(?::[^}]*)?\}|([A-Za-z0-9_]+))/g)].map((m) => (m[1] ?? m[2]) as string);
}

describe('Grafana dashboards', () => {
  it('are the three Sightline dashboards, with stable and unique uids and titles', () => {
    expect(files).toEqual(Object.keys(EXPECTED_UIDS).sort());
    const dashboards = files.map((f) => load(f).dashboard);
    expect(dashboards.map((d) => d.uid)).toEqual(files.map((f) => EXPECTED_UIDS[f]));
    expect(new Set(dashboards.map((d) => d.title)).size).toBe(files.length);
    expect(dashboards.map((d) => d.title).sort()).toEqual(['Availability and SLA', 'Host capacity', 'Incidents and problems']);
  });

  describe.each(files)('%s', (file) => {
    const { text, dashboard } = load(file);
    const panels = allPanels(dashboard);
    const queryPanels = panels.filter((p) => p.targets !== undefined);
    const variables = dashboard.templating.list;

    it('is a recent schema without import placeholders', () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(text).not.toContain('${DS_');
      expect(text).not.toContain('__inputs');
      expect(queryPanels.length).toBeGreaterThanOrEqual(8);
    });

    it('has a Prometheus data source variable named datasource', () => {
      const ds = variables.find((v) => v.name === 'datasource');
      expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    });

    it('has unique panel ids', () => {
      const ids = panels.map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('lays panels out within 24 columns without overlaps', () => {
      for (const p of panels) {
        const { x, y, w, h } = p.gridPos;
        expect(x >= 0 && y >= 0 && w > 0 && h > 0, `${p.title}: ${JSON.stringify(p.gridPos)}`).toBe(true);
        expect(x + w, `${p.title} is wider than the grid`).toBeLessThanOrEqual(24);
      }
      for (const [i, a] of panels.entries()) {
        for (const b of panels.slice(i + 1)) {
          const overlap =
            a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
          expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    });

    it('references data sources only through the datasource variable', () => {
      const refs = datasourceRefs(dashboard);
      expect(refs.length).toBeGreaterThan(queryPanels.length);
      for (const ref of refs) expect(ref.value, ref.at).toEqual(DATASOURCE_REF);
      for (const p of queryPanels) expect(p.datasource, p.title).toEqual(DATASOURCE_REF);
    });

    it('sets a unit on every panel that queries', () => {
      for (const p of queryPanels) expect(p.fieldConfig?.defaults?.unit, `${p.title} has no unit`).toMatch(/\S/);
    });

    it('gives every target a PromQL expression and a unique refId', () => {
      for (const p of queryPanels) {
        expect(p.targets!.length, `${p.title} has no targets`).toBeGreaterThan(0);
        const refIds = p.targets!.map((t) => t.refId);
        expect(new Set(refIds).size, `${p.title}: duplicate refId`).toBe(refIds.length);
        for (const t of p.targets!) expect(t.expr?.trim(), `${p.title} ${t.refId} has no expr`).toBeTruthy();
      }
    });

    it('uses only variables it defines', () => {
      const defined = new Set(variables.map((v) => v.name));
      const queries = [...queryPanels.flatMap((p) => p.targets!.map((t) => t.expr ?? '')), ...variables.map((v) => v.definition ?? '')];
      for (const q of queries) {
        for (const name of variablesIn(q)) expect(defined.has(name) || BUILTIN_VARIABLES.has(name), `$${name} in ${q}`).toBe(true);
      }
      // A query variable may refer only to variables defined before it.
      variables.forEach((v, i) => {
        for (const name of variablesIn(v.definition ?? '')) expect(variables.slice(0, i).some((e) => e.name === name), `${v.name} uses $${name}`).toBe(true);
      });
    });
  });
});

describe('Grafana provisioning files', () => {
  it('provision a Prometheus data source', () => {
    const doc = parse(readFileSync(path.join(PROVISIONING_DIR, 'datasources', 'sightline.yaml'), 'utf8')) as { apiVersion: number; datasources: { type: string; url: string }[] };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toHaveLength(1);
    expect(doc.datasources[0]).toMatchObject({ type: 'prometheus', access: 'proxy' });
    expect(doc.datasources[0]!.url).toBeTruthy();
  });

  it('load the dashboards from the grafana folder with a file provider', () => {
    const doc = parse(readFileSync(path.join(PROVISIONING_DIR, 'dashboards', 'sightline.yaml'), 'utf8')) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]!.type).toBe('file');
    expect(doc.providers[0]!.options.path).toMatch(/SIGHTLINE_DASHBOARDS_DIR|grafana$/);
    expect(existsSync(GRAFANA_DIR)).toBe(true);
  });
});
