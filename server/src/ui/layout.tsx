/** @module The page frame: navigation, who is signed in, sign-out, and the one stylesheet and script. */
import type { Child, FC } from 'hono/jsx';
import { raw } from 'hono/html';
import { assetUrl } from './assets.js';
import type { UiContext } from './context.js';

export const NAV = [
  { href: '/ui/incidents', label: 'Incidents', key: 'incidents' },
  { href: '/ui/silences', label: 'Silences', key: 'silences' },
  { href: '/ui/oncall', label: 'On call', key: 'oncall' },
  { href: '/ui/problems/candidates', label: 'Problems', key: 'problems' },
  { href: '/ui/sla', label: 'SLA', key: 'sla' },
  { href: '/ui/capacity', label: 'Capacity', key: 'capacity' },
  { href: '/ui/agents', label: 'Agents', key: 'agents' },
  { href: '/ui/services', label: 'Services', key: 'services' },
] as const;

export type Section = (typeof NAV)[number]['key'] | 'sign-in';

export interface PageProps {
  title: string;
  section: Section;
  ui?: UiContext;
  flash?: { kind: 'ok' | 'error'; text: string } | null;
  children?: Child;
}

export const Page: FC<PageProps> = ({ title, section, ui, flash, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Sightline`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={assetUrl('app.css')} />
        <script src={assetUrl('app.js')} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/ui/incidents">
            Sightline
          </a>
          {ui ? (
            <nav aria-label="Sections">
              {NAV.map((n) => (
                <a href={n.href} aria-current={n.key === section ? 'page' : undefined}>
                  {n.label}
                </a>
              ))}
            </nav>
          ) : null}
          {ui ? (
            <form class="who" method="post" action="/ui/sign-out">
              <span>
                {ui.principal.name} <span class="small">({ui.canWrite ? 'read + write' : 'read only'})</span>
              </span>
              <input type="hidden" name="_csrf" value={ui.csrf} />
              <button type="submit">Sign out</button>
            </form>
          ) : null}
        </header>
        <main id="main">
          {flash ? (
            <p class={`flash ${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
              {flash.text}
            </p>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  </>
);

/**
 * A part of the page that reloads itself from `url` (the same content without the page frame)
 * every `intervalMs`, while the tab is visible and nobody is typing in one of its forms.
 */
export const LiveRegion: FC<{ url: string; intervalMs: number; children?: Child }> = ({ url, intervalMs, children }) => (
  <>
    <p class="small muted" id="live-status" role="status">
      Refreshes every {Math.round(intervalMs / 1000)} seconds.
    </p>
    <div data-live={url} data-interval={String(intervalMs)}>
      {children}
    </div>
  </>
);

/** A hidden CSRF field for a form that changes something. */
export const Csrf: FC<{ ui: UiContext }> = ({ ui }) => <input type="hidden" name="_csrf" value={ui.csrf} />;
