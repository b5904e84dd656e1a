/**
 * @module The Model Context Protocol endpoint (streamable HTTP, scope `read`): `POST /mcp`
 * takes JSON-RPC messages and answers JSON. Stateless: each request gets a fresh server
 * and transport, so any replica answers any request and nothing is kept between them; the
 * server sends nothing unasked, so `GET` (a server-to-client stream) is 405.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import { createMcpServer, type McpDeps } from '../../mcp/server.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody } from '../errors.js';

export const MCP_PATH = '/mcp';

export function mcpRoutes(deps: McpDeps & { authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');

  app.post(MCP_PATH, read, async (c) => {
    const server = createMcpServer(deps);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      // In JSON mode the answer is whole when this resolves: closing afterwards loses nothing.
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });

  app.on(['GET', 'DELETE'], MCP_PATH, read, (c) => {
    c.header('Allow', 'POST');
    return c.json(errorBody(c, 'VALIDATION', `${c.req.method} is not supported on ${MCP_PATH}: this server is stateless and sends nothing unasked; POST JSON-RPC messages`), 405);
  });

  return app;
}
