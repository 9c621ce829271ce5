import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export interface RecordedResponse {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

const doc = parse(fs.readFileSync(path.resolve(__dirname, '../../openapi.yaml'), 'utf8')) as Doc & object;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: 'openapi.json' });

const templates = Object.keys(doc.paths).map((t) => ({
  template: t,
  regex: new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** Wraps an app so every response it sends is kept for checking against openapi.yaml. */
export function recordResponses(app: Express): { app: Express; recorded: RecordedResponse[] } {
  const recorded: RecordedResponse[] = [];
  const outer = express();
  outer.use((req, res, next) => {
    const send = res.send.bind(res);
    res.send = ((body: unknown) => {
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        recorded.push({
          method: req.method.toLowerCase(),
          path: req.originalUrl.split('?')[0]!,
          status: res.statusCode,
          contentType: String(res.getHeader('content-type') ?? '').split(';')[0]!,
          body: String(body),
        });
      }
      return send(body as never);
    }) as typeof res.send;
    next();
  });
  outer.use(app);
  return { app: outer, recorded };
}

/** Problems found: responses the spec does not describe, or bodies that do not match their schema. */
export function conformanceProblems(recorded: RecordedResponse[], only: (r: RecordedResponse) => boolean = () => true): string[] {
  const problems: string[] = [];
  for (const r of recorded.filter(only)) {
    const t = templates.find((x) => x.regex.test(r.path) && doc.paths[x.template]![r.method]);
    if (!t) {
      if (r.status === 404 || r.status === 405) continue; // unknown routes are answered generically
      problems.push(`${r.method.toUpperCase()} ${r.path}: no such operation in openapi.yaml`);
      continue;
    }
    const op = doc.paths[t.template]![r.method]!;
    const resp = op.responses[String(r.status)] ?? op.responses.default;
    if (!resp) {
      problems.push(`${r.method.toUpperCase()} ${t.template}: status ${r.status} not documented`);
      continue;
    }
    const media = resp.content?.[r.contentType];
    if (!media) {
      if (resp.content && Object.keys(resp.content).length) problems.push(`${r.method.toUpperCase()} ${t.template} ${r.status}: content type ${r.contentType} not documented`);
      continue;
    }
    const pointer = `openapi.json#/paths/${t.template.replace(/~/g, '~0').replace(/\//g, '~1')}/${r.method}/responses/${r.status in op.responses ? r.status : 'default'}/content/${r.contentType.replace(/\//g, '~1')}/schema`;
    const validate = ajv.getSchema(pointer);
    if (!validate) {
      problems.push(`cannot compile schema ${pointer}`);
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      problems.push(`${r.method.toUpperCase()} ${t.template} ${r.status}: body is not JSON`);
      continue;
    }
    if (!validate(body)) problems.push(`${r.method.toUpperCase()} ${t.template} ${r.status}: ${ajv.errorsText(validate.errors)}`);
  }
  return problems;
}
