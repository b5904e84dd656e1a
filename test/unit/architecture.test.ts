/**
 * Keeps the import direction of STYLE.md true: http → services → {engines, db} → domain.
 * Engines are pure (no database, HTTP, environment, clock or randomness); agent and
 * server never import each other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverSrc = path.join(root, 'server', 'src');
const agentSrc = path.join(root, 'agent', 'src');

function walk(dir: string): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(walk(full));
    else if (/\.tsx?$/.test(name)) out.push(full);
  }
  return out;
}

interface Import {
  spec: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push({ spec: m[3] as string, typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1] as string, typeOnly: false });
  return found;
}

/** The layer a server file belongs to. */
function layerOf(file: string): string {
  const rel = path.relative(serverSrc, file).split(path.sep);
  return rel.length > 1 ? (rel[0] as string) : 'root';
}

const ENGINES = ['ingest', 'correlate', 'problems', 'sla', 'capacity', 'postmortems'];
const ALLOWED: Record<string, string[]> = {
  domain: ['domain'],
  ...Object.fromEntries(ENGINES.map((e) => [e, ['domain', ...ENGINES]])),
  db: ['db', 'domain'],
  services: ['services', 'db', 'domain', ...ENGINES],
  http: ['http', 'services', 'domain', ...ENGINES, 'ui', 'mcp'],
  // The MCP server is an edge like http: its tools call services and present as the API does.
  mcp: ['mcp', 'http', 'services', 'domain', ...ENGINES],
  ui: ['ui', 'http', 'services', 'domain', ...ENGINES],
};
const FORBIDDEN_PACKAGES_IN_ENGINES = ['kysely', 'hono', 'pg', 'better-sqlite3', '@hono/node-server', 'prom-client', 'pino'];

describe('architecture', () => {
  const files = walk(serverSrc);

  it('finds the server sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [path.relative(root, f), f]))('%s imports only allowed layers', (_rel, file) => {
    const layer = layerOf(file);
    const allowed = ALLOWED[layer];
    if (!allowed) return; // main.ts, cli.ts, config.ts, version.ts wire everything together
    const violations: string[] = [];
    for (const { spec, typeOnly } of importsOf(file)) {
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(serverSrc)) {
          violations.push(`${spec} leaves server/src`);
          continue;
        }
        const targetLayer = layerOf(target);
        // Type-only imports of root-level modules (config types) carry no behaviour.
        if (targetLayer === 'root' && typeOnly) continue;
        if ((layer === 'http' || layer === 'ui' || layer === 'mcp') && targetLayer === 'db' && typeOnly) continue;
        if (!allowed.includes(targetLayer)) violations.push(`${spec} (${layer} → ${targetLayer})`);
      } else if (ENGINES.includes(layer) || layer === 'domain') {
        if (FORBIDDEN_PACKAGES_IN_ENGINES.includes(spec)) violations.push(`${spec} (package not allowed in ${layer})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it.each(files.filter((f) => [...ENGINES, 'domain'].includes(layerOf(f))).map((f) => [path.relative(root, f), f]))(
    '%s is pure: no environment, clock or randomness',
    (_rel, file) => {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code).not.toMatch(/process\.env|Date\.now\(|new Date\(\)|Math\.random\(|randomUUID\(|randomBytes\(/);
    },
  );

  it('keeps agent and server apart', () => {
    const cross: string[] = [];
    // One exception: the single `sightline` binary (server/src/cli.ts) dispatches the `agent`
    // subcommand to the agent's own command-line entry point, loaded lazily.
    const dispatch = (file: string, spec: string) => file === path.join(serverSrc, 'cli.ts') && spec === '../../agent/src/cli.js';
    for (const file of walk(serverSrc))
      for (const { spec } of importsOf(file))
        if (spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(path.join(root, 'agent')) && !dispatch(file, spec)) cross.push(`${file} → ${spec}`);
    for (const file of walk(agentSrc)) for (const { spec } of importsOf(file)) if (spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(path.join(root, 'server'))) cross.push(`${file} → ${spec}`);
    expect(cross).toEqual([]);
  });
});
