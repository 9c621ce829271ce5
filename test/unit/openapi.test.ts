import fs from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse } from 'yaml';
import { openApiYaml } from '../../src/http/openapi';

const file = path.resolve(__dirname, '../../openapi.yaml');

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const api = await SwaggerParser.validate(file);
    expect((api as { openapi?: string }).openapi).toBe('3.1.0');
  });

  it('is what the zod schemas generate (run "npm run openapi" after changing them)', () => {
    expect(fs.readFileSync(file, 'utf8')).toBe(openApiYaml());
  });

  it('documents every merchant-facing route with its errors', () => {
    const doc = parse(fs.readFileSync(file, 'utf8'));
    for (const [p, method] of [['/v1/products', 'post'], ['/v1/products/{id}', 'patch'], ['/v1/orders', 'get'], ['/v1/merchants', 'post']] as const) {
      const op = doc.paths[p]?.[method];
      expect(op).toBeDefined();
      expect(op.responses['400'].content['application/problem+json']).toBeDefined();
      expect(op.responses['401']).toBeDefined();
    }
  });
});
