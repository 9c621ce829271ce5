import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  example?: unknown;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

export type Security = 'none' | 'apiKey' | 'adminToken';

/** One operation of openapi.yaml, as the fuzzer needs it. */
export interface Operation {
  method: string;
  template: string;
  parameters: Parameter[];
  body?: JsonSchema;
  security: Security;
}

interface Doc {
  components: { schemas: Record<string, JsonSchema> };
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> }; security?: Array<Record<string, string[]>> }>>;
}

export function loadSpec(file = path.resolve(__dirname, '../../../openapi.yaml')): { operations: Operation[]; resolve: (s: JsonSchema) => JsonSchema } {
  const doc = parse(fs.readFileSync(file, 'utf8')) as Doc;
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`openapi.yaml: unresolved ${schema.$ref}`);
    return resolve(target);
  };
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      operations.push({
        method,
        template,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema,
        security: scheme === 'apiKey' || scheme === 'adminToken' ? scheme : 'none',
      });
    }
  }
  return { operations, resolve };
}
