/**
 * @module An incident's postmortem in the UI: the Markdown document shown as text on a page
 * (`/ui/incidents/:id/postmortem`) and as a download (`…/postmortem.md`). Same rules as every
 * UI page: a session with the read scope. The text is shown as it is, never rendered.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { renderPostmortemMarkdown } from '../postmortems/document.js';
import { buildPostmortem, type PostmortemDeps } from '../services/postmortems.js';
import type { PageHelpers } from './problem-routes.js';
import type { UiEnv } from './session.js';

const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export function postmortemPages(app: Hono<UiEnv>, deps: PostmortemDeps, { page, notFound }: PageHelpers): void {
  app.get('/ui/incidents/:id/postmortem.md', async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c, 'incidents', 'There is no such incident.');
    const built = await buildPostmortem(deps, id.data);
    if (!built.ok) return notFound(c, 'incidents', built.error.message);
    return c.body(renderPostmortemMarkdown(built.value), 200, {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Content-Disposition': `attachment; filename="incident-${id.data}-postmortem.md"`,
    });
  });

  app.get('/ui/incidents/:id/postmortem', async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c, 'incidents', 'There is no such incident.');
    const built = await buildPostmortem(deps, id.data);
    if (!built.ok) return notFound(c, 'incidents', built.error.message);
    const i = built.value.incident;
    return page(
      c,
      'incidents',
      `Postmortem of #${i.id}`,
      <>
        <p class="small">
          <a href={`/ui/incidents/${i.id}`}>← Incident #{i.id}</a>
        </p>
        <h1>
          Postmortem of #{i.id} {i.title}
        </h1>
        <p>
          <a class="button" href={`/ui/incidents/${i.id}/postmortem.md`} download={`incident-${i.id}-postmortem.md`} data-postmortem-download>
            Download Markdown
          </a>{' '}
          <span class="small muted">Also as JSON: GET /api/v1/incidents/{i.id}/postmortem?format=json</span>
        </p>
        <pre class="postmortem" data-postmortem>
          {renderPostmortemMarkdown(built.value)}
        </pre>
      </>,
    );
  });
}
