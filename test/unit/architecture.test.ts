/**
 * The import rules of STYLE.md, stated as a table and checked on every source file: each
 * folder of server/src names the folders it may import; engines and the domain are pure; no
 * two modules import each other (directly or round a longer loop); agent and server never
 * import each other. Each rule is first shown to catch a planted violation, so a checker that
 * silently stopped reading imports fails here instead of passing everything.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverSrc = path.join(root, 'server', 'src');
const agentSrc = path.join(root, 'agent', 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return walk(full);
    return /\.tsx?$/.test(name) ? [full] : [];
  });
}

interface Import {
  spec: string;
  /** `import type` / `export type`: carries no behaviour at run time. */
  typeOnly: boolean;
}

const parsed = new Map<string, Import[]>();

/** Every static and dynamic import and re-export of a source text, read by the TypeScript parser. */
export function importsOf(fileName: string, text: string): Import[] {
  const key = `${fileName}\u0000${text}`;
  const known = parsed.get(key);
  if (known) return known;
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? Boolean(node.importClause?.isTypeOnly) : node.isTypeOnly;
      found.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) found.push({ spec: arg.text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS));
  parsed.set(key, found);
  return found;
}

const ENGINES = ['ingest', 'correlate', 'problems', 'sla', 'capacity', 'oncall'];
/** The commands and the composition root at the top of server/src: they wire everything together. */
const COMMANDS = ['cli.ts', 'main.ts', 'replay.ts', 'rebuild.ts', 'replay-command.ts', 'local-agent.ts'];

/**
 * Where a server file sits: its folder, or for a file at the top of server/src its own name.
 * `http/app.ts` is the HTTP composition root (it mounts the UI's routes beside the API's).
 */
function placeOf(rel: string): string {
  const parts = rel.split('/');
  if (rel === 'http/app.ts') return 'http/app.ts';
  return parts.length > 1 ? (parts[0] as string) : rel;
}

/** Which places a place may import (values); `types` adds places it may import types from. */
interface Rule {
  values: string[];
  types?: string[];
}

const RULES: Record<string, Rule> = {
  domain: { values: ['domain'] },
  ...Object.fromEntries(ENGINES.map((e): [string, Rule] => [e, { values: ['domain', ...ENGINES] }])),
  db: { values: ['db', 'domain'] },
  'config.ts': { values: ['domain', ...ENGINES] },
  'version.ts': { values: [] },
  services: { values: ['services', 'db', 'domain', ...ENGINES], types: ['config.ts'] },
  http: { values: ['http', 'services', 'domain', ...ENGINES], types: ['db', 'config.ts'] },
  'http/app.ts': { values: ['http', 'ui', 'services', 'domain', ...ENGINES, 'version.ts'], types: ['db', 'config.ts'] },
  ui: { values: ['ui', 'http', 'services', 'domain', ...ENGINES], types: ['db', 'config.ts'] },
  demo: { values: ['demo', 'services', 'db', 'domain', ...ENGINES, 'main.ts', 'version.ts'], types: ['config.ts'] },
  ...Object.fromEntries(
    COMMANDS.map((c): [string, Rule] => [c, { values: ['services', 'db', 'domain', ...ENGINES, 'http', 'demo', 'config.ts', 'version.ts', ...COMMANDS] }]),
  ),
};
const IMPURE_PACKAGES = ['kysely', 'hono', 'pg', 'better-sqlite3', '@hono/node-server', 'prom-client', 'pino', 'node:fs', 'fs', 'node:http', 'node:net'];

/** Rule violations among `files` (paths relative to server/src → their text). */
export function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [rel, text] of files) {
    const place = placeOf(rel);
    const rule = RULES[place];
    if (!rule) {
      out.push(`${rel}: no rule for ${place} (add it to RULES)`);
      continue;
    }
    for (const { spec, typeOnly } of importsOf(rel, text)) {
      if (spec.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)).replace(/\.js$/, '.ts');
        if (target.startsWith('..')) {
          // Only the single binary's `agent` subcommand reaches out of server/src (see below).
          if (!(rel === 'cli.ts' && spec === '../../agent/src/cli.js')) out.push(`${rel}: ${spec} leaves server/src`);
          continue;
        }
        const to = placeOf(target.replace(/\.tsx?$/, '.ts')) === 'http/app.ts' ? 'http' : placeOf(target.replace(/\.tsx?$/, '.ts'));
        if (to === place || rule.values.includes(to) || (typeOnly && rule.types?.includes(to))) continue;
        out.push(`${rel}: ${spec} (${place} → ${to}${typeOnly ? ', types' : ''})`);
      } else if ((ENGINES.includes(place) || place === 'domain') && IMPURE_PACKAGES.includes(spec)) {
        out.push(`${rel}: ${spec} (package not allowed in ${place})`);
      }
    }
  }
  return out;
}

/** Modules that import each other, directly or round a loop: each loop once, as its files. */
export function importCycles(files: ReadonlyMap<string, string>): string[][] {
  const edges = new Map<string, string[]>();
  for (const [rel, text] of files) {
    const targets: string[] = [];
    for (const { spec } of importsOf(rel, text)) {
      if (!spec.startsWith('.')) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)).replace(/\.js$/, '');
      for (const candidate of [`${base}.ts`, `${base}.tsx`]) if (files.has(candidate)) targets.push(candidate);
    }
    edges.set(rel, targets);
  }
  // Tarjan's strongly connected components: a component of two or more files is a loop.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        onStack.delete(w);
        component.push(w);
      }
      if (component.length > 1) loops.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return loops;
}

function sources(dir: string): Map<string, string> {
  return new Map(walk(dir).map((f) => [path.relative(dir, f).split(path.sep).join('/'), readFileSync(f, 'utf8')]));
}

describe('the checker catches what it is for', () => {
  it('a service importing the HTTP layer, a multi-line import and a dynamic import', () => {
    const planted = new Map([
      ['services/x.ts', "import { statusOf } from '../http/errors.js';"],
      ['services/y.ts', "import {\n  a,\n  b,\n} from '../ui/routes.js';"],
      ['correlate/z.ts', "const m = await import('../db/connection.js');"],
      ['db/w.ts', "export { q } from '../services/x.js';"],
    ]);
    expect(layerViolations(planted)).toEqual([
      'services/x.ts: ../http/errors.js (services → http)',
      'services/y.ts: ../ui/routes.js (services → ui)',
      'correlate/z.ts: ../db/connection.js (correlate → db)',
      'db/w.ts: ../services/x.js (db → services)',
    ]);
  });

  it('type-only imports only where a rule allows types', () => {
    const planted = new Map([
      ['http/a.ts', "import type { Row } from '../db/x-repo.js';"],
      ['services/b.ts', "import type { Row } from '../http/env.js';"],
    ]);
    expect(layerViolations(planted)).toEqual(['services/b.ts: ../http/env.js (services → http, types)']);
  });

  it('an impure package in an engine, a folder without a rule, and the HTTP layer importing the UI outside its composition root', () => {
    const planted = new Map([
      ['sla/p.ts', "import { Kysely } from 'kysely';"],
      ['jobs/q.ts', "import { x } from '../domain/alert.js';"],
      ['http/routes/r.ts', "import { uiRoutes } from '../../ui/routes.js';"],
      ['http/app.ts', "import { uiRoutes } from '../ui/routes.js';"],
    ]);
    expect(layerViolations(planted)).toEqual(['sla/p.ts: kysely (package not allowed in sla)', 'jobs/q.ts: no rule for jobs (add it to RULES)', 'http/routes/r.ts: ../../ui/routes.js (http → ui)']);
  });

  it('a loop of imports, direct or through a third module (type-only imports count)', () => {
    const planted = new Map([
      ['services/a.ts', "import { b } from './b.js';"],
      ['services/b.ts', "import type { A } from './a.js';"],
      ['ui/c.tsx', "import { d } from './d.js';"],
      ['ui/d.ts', "import { e } from './e.js';"],
      ['ui/e.ts', "import type { C } from './c.js';"],
      ['ui/f.ts', "import { c } from './c.js';"],
    ]);
    expect(importCycles(planted)).toEqual([
      ['services/a.ts', 'services/b.ts'],
      ['ui/c.tsx', 'ui/d.ts', 'ui/e.ts'],
    ]);
  });
});

describe('architecture', () => {
  const server = sources(serverSrc);
  const agent = sources(agentSrc);

  it('reads the sources', () => {
    expect(server.size).toBeGreaterThan(100);
    expect(agent.size).toBeGreaterThan(10);
  });

  it('every server file imports only what its folder may', () => {
    expect(layerViolations(server)).toEqual([]);
  });

  it('no modules import each other', () => {
    expect(importCycles(server)).toEqual([]);
    expect(importCycles(agent)).toEqual([]);
  });

  it('engines and the domain are pure: no environment, clock or randomness', () => {
    const impure = [...server]
      .filter(([rel]) => [...ENGINES, 'domain'].includes(placeOf(rel)))
      .filter(([, text]) => /process\.env|Date\.now\(|new Date\(\)|Math\.random\(|randomUUID\(|randomBytes\(/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
      .map(([rel]) => rel);
    expect(impure).toEqual([]);
  });

  it('keeps agent and server apart', () => {
    // One exception: the single `sightline` binary (server/src/cli.ts) dispatches the `agent`
    // subcommand to the agent's own command-line entry point, loaded lazily.
    const cross = [
      ...[...server].flatMap(([rel, text]) => importsOf(rel, text).filter((i) => i.spec.includes('agent/src') && !(rel === 'cli.ts' && i.spec === '../../agent/src/cli.js')).map((i) => `server/src/${rel} → ${i.spec}`)),
      ...[...agent].flatMap(([rel, text]) => importsOf(rel, text).filter((i) => i.spec.includes('server/src')).map((i) => `agent/src/${rel} → ${i.spec}`)),
    ];
    expect(cross).toEqual([]);
  });
});
