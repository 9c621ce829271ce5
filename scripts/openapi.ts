import fs from 'node:fs';
import path from 'node:path';
import { openApiYaml } from '../src/http/openapi';

const target = path.resolve(__dirname, '..', 'openapi.yaml');
fs.writeFileSync(target, openApiYaml());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
