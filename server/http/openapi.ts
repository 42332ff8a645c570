// The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema): Schema => ({ 'application/json': { schema } });
const errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const ns = { name: 'ns', in: 'path', required: true, schema: ref('Name') };
const file = { name: 'file', in: 'path', required: true, schema: ref('Name') };
const ifMatch = (required: boolean) => ({ name: 'If-Match', in: 'header', required, schema: { type: 'string', example: '"3"' }, description: 'The version (ETag) you edited' });
const query = (name: string, schema: Schema, description?: string) => ({ name, in: 'query', required: false, schema, ...(description ? { description } : {}) });

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request or properties file (with the offending line)',
  401: 'Not signed in / bad token',
  403: 'Not allowed (role, namespace scope, or cross-origin session request)',
  404: 'No such namespace or file',
  409: 'Compare-and-set conflict: carries currentVersion and modifiedBy',
  413: 'Larger than the ensemble accepts',
  428: 'If-Match required',
  503: 'Ensemble unreachable (Retry-After)',
};

export function openApiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: { title: 'Config center API', version: '1', description: 'Java .properties files kept in a ZooKeeper-compatible ensemble, with a complete audit history.' },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      '/namespaces': {
        get: { summary: 'List namespaces', responses: { '200': { description: 'Namespaces', content: json({ type: 'object', properties: { namespaces: { type: 'array', items: ref('Namespace') } } }) }, ...errors(401, 503) } },
        post: {
          summary: 'Create a namespace (admin)',
          requestBody: { content: json({ type: 'object', required: ['name'], properties: { name: ref('Name'), description: { type: 'string' }, owners: { type: 'array', items: { type: 'string' } } } }) },
          responses: { '201': { description: 'Created', content: json({ type: 'object', properties: { namespace: ref('Namespace') } }) }, ...errors(400, 401, 403, 409, 503) },
        },
      },
      '/namespaces/{ns}': {
        parameters: [ns],
        get: { summary: 'A namespace', responses: { '200': { description: 'The namespace', content: json({ type: 'object', properties: { namespace: ref('Namespace') } }) }, ...errors(401, 403, 404, 503) } },
        delete: { summary: 'Delete a namespace (admin); ?force=true deletes its files too', parameters: [query('force', { type: 'boolean' })], responses: { '204': { description: 'Deleted' }, ...errors(401, 403, 404, 409, 503) } },
      },
      '/namespaces/{ns}/credential': {
        parameters: [ns],
        post: { summary: 'Rotate the namespace read credential for SDK subscribers (admin); the password is shown once', responses: { '200': { description: 'The new credential' }, ...errors(401, 403, 404, 503) } },
      },
      '/namespaces/{ns}/files': {
        parameters: [ns],
        get: { summary: 'Files of a namespace', responses: { '200': { description: 'Files', content: json({ type: 'object', properties: { files: { type: 'array', items: ref('FileSummary') } } }) }, ...errors(401, 403, 404, 503) } },
      },
      '/namespaces/{ns}/files/{file}': {
        parameters: [ns, file],
        get: {
          summary: 'A file; ETag is its version. Accept: text/x-java-properties returns the raw text',
          responses: {
            '200': { description: 'The file', headers: { ETag: { schema: { type: 'string' } } }, content: { ...json({ type: 'object', properties: { file: ref('ConfigFile') } }), 'text/x-java-properties': { schema: { type: 'string' } } } },
            '304': { description: 'If-None-Match names the current version' },
            ...errors(401, 403, 404, 503),
          },
        },
        put: {
          summary: 'Replace (If-Match) or create (If-None-Match: *)',
          parameters: [ifMatch(false), { name: 'If-None-Match', in: 'header', schema: { type: 'string', enum: ['*'] } }, { name: 'X-Comment', in: 'header', schema: { type: 'string' } }],
          requestBody: { content: { ...json({ type: 'object', required: ['text'], properties: { text: { type: 'string' }, comment: { type: 'string' } } }), 'text/x-java-properties': { schema: { type: 'string' } } } },
          responses: { '200': { description: 'Replaced', content: json({ type: 'object', properties: { file: ref('WriteResult') } }) }, '201': { description: 'Created' }, ...errors(400, 401, 403, 404, 409, 413, 428, 503) },
        },
        patch: {
          summary: 'Set and remove keys, keeping every other line',
          parameters: [ifMatch(false)],
          requestBody: { content: json({ type: 'object', properties: { set: { type: 'object', additionalProperties: { type: 'string' } }, remove: { type: 'array', items: { type: 'string' } }, comment: { type: 'string' } } }) },
          responses: { '200': { description: 'Patched', content: json({ type: 'object', properties: { file: ref('WriteResult') } }) }, ...errors(400, 401, 403, 404, 409, 413, 503) },
        },
        delete: { summary: 'Delete', parameters: [ifMatch(true)], responses: { '204': { description: 'Deleted' }, ...errors(401, 403, 404, 409, 428, 503) } },
      },
      '/namespaces/{ns}/files/{file}/history': {
        parameters: [ns, file],
        get: { summary: 'Audited changes of the file, newest first', parameters: [query('cursor', { type: 'string' }), query('limit', { type: 'integer' })], responses: { '200': { description: 'A page', content: json(ref('AuditPage')) }, ...errors(401, 403) } },
      },
      '/namespaces/{ns}/files/{file}/rollback': {
        parameters: [ns, file],
        post: {
          summary: 'Write an audited version as a new version',
          parameters: [ifMatch(false)],
          requestBody: { content: json({ type: 'object', properties: { version: { type: 'integer' }, comment: { type: 'string' } } }) },
          responses: { '200': { description: 'Rolled back', content: json({ type: 'object', properties: { file: ref('WriteResult') } }) }, ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      '/namespaces/{ns}/files/{file}/events': {
        parameters: [ns, file],
        get: {
          summary: 'Server-Sent Events of changes (event: state, then change); or a long-poll with ?wait=&version=',
          parameters: [query('wait', { type: 'number' }, 'Seconds to wait for a version other than `version`'), query('version', { type: 'integer' })],
          responses: { '200': { description: 'text/event-stream, or {changed, state} for a long-poll' }, ...errors(401, 403, 503) },
        },
      },
      '/audit': {
        get: {
          summary: 'Audit history with filters, cursor pagination, CSV/JSON export',
          parameters: [
            query('namespace', ref('Name')),
            query('file', ref('Name')),
            query('actor', { type: 'string' }),
            query('source', { type: 'string', enum: ['ui', 'api', 'external', 'system'] }),
            query('action', { type: 'string' }),
            query('since', { type: 'string', format: 'date-time' }),
            query('until', { type: 'string', format: 'date-time' }),
            query('cursor', { type: 'string' }),
            query('limit', { type: 'integer', maximum: 500 }),
            query('format', { type: 'string', enum: ['csv', 'json'] }, 'Export every matching event'),
          ],
          responses: { '200': { description: 'A page (or an export)', content: json(ref('AuditPage')) }, ...errors(400, 401, 403) },
        },
      },
      '/ensemble': { get: { summary: 'Each node: mode, zxid, connections, latency, up/down', responses: { '200': { description: 'Nodes' }, ...errors(401, 403) } } },
      '/me': { get: { summary: 'The caller: name, role, grants or token scope', responses: { '200': { description: 'The caller' }, ...errors(401) } } },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (zkc_...) created by an admin' },
        session: { type: 'apiKey', in: 'cookie', name: 'next-auth.session-token', description: 'Browser session (next-auth); mutating requests must be same-origin' },
      },
      responses: Object.fromEntries(Object.entries(ERROR_TEXT).map(([s, d]) => [`E${s}`, { description: d, content: json(ref('Error')) }])),
      schemas: {
        Name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$', description: 'No ".."' },
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, line: { type: 'integer' }, currentVersion: { type: ['integer', 'null'] }, modifiedBy: { type: ['string', 'null'] } } } } },
        Namespace: { type: 'object', properties: { name: { type: 'string' }, description: { type: ['string', 'null'] }, owners: { type: 'array', items: { type: 'string' } }, fileCount: { type: 'integer' }, lastChange: { type: ['object', 'null'] } } },
        FileSummary: { type: 'object', properties: { namespace: { type: 'string' }, name: { type: 'string' }, version: { type: 'integer' }, size: { type: 'integer' }, createdAt: { type: 'string' }, modifiedAt: { type: 'string' }, modifiedBy: { type: ['string', 'null'] }, zxid: { type: 'string' } } },
        ConfigFile: { allOf: [ref('FileSummary'), { type: 'object', properties: { text: { type: 'string' }, masked: { type: 'boolean' }, notUtf8: { type: 'boolean', description: 'stored bytes are not valid UTF-8; text shows U+FFFD for them' }, warnings: { type: 'array' } } }] },
        WriteResult: { type: 'object', properties: { namespace: { type: 'string' }, name: { type: 'string' }, version: { type: ['integer', 'null'] }, zxid: { type: 'string' }, auditId: { type: 'integer' } } },
        AuditPage: { type: 'object', properties: { events: { type: 'array', items: { type: 'object' } }, nextCursor: { type: ['string', 'null'] } } },
      },
    },
  };
}
