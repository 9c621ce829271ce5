import js from '@eslint/js';
import tseslint from 'typescript-eslint';


// Each SDK has one home (DESIGN.md, Layout); elsewhere only its types may be named.
const SDK_HOMES = {
  stripe: ['src/payments/**'],
  'twitter-api-v2': ['src/x/**'],
  bullmq: ['src/queue/**', 'workers/**'],
  ioredis: ['src/redis.ts'],
  pg: ['src/db/**'],
};
// The SDK's client types stay in src/x too: elsewhere X is reached through our ports (XPorts).
const X_CLIENTS = { group: ['**/x/x.adapter'], importNames: ['XClients', 'createXClients'], message: 'X is reached through XPorts (createXPorts): the SDK clients stay in src/x' };
// The worker role's code is reached from the process entry (main.ts), never from src/ (DESIGN.md, Layout).
const NOT_WORKERS = { group: ['**/workers', '**/workers/**'], message: 'src/ never imports workers/: the process entry (main.ts) hands the worker role to src/main.ts' };
// esquery's regex literal cannot hold a '/': \x2F stands for it.
const WORKERS_PATH = '/(^|\\x2F)workers(\\x2F|$)/';
const noDynamicWorkersImport = ['error',
  { selector: `ImportExpression[source.value=${WORKERS_PATH}]`, message: NOT_WORKERS.message },
  { selector: `CallExpression[callee.name='require'][arguments.0.value=${WORKERS_PATH}]`, message: NOT_WORKERS.message },
];
const sdkRule = (allowed, fromSrc) => ['error', {
  paths: Object.keys(SDK_HOMES).filter((name) => !allowed.includes(name)).map((name) => ({
    name,
    allowTypeImports: true,
    message: `${name} is used only in ${SDK_HOMES[name].join(', ')}: go through its port or adapter`,
  })),
  patterns: [...(allowed.includes('twitter-api-v2') ? [] : [X_CLIENTS]), ...(fromSrc ? [NOT_WORKERS] : [])],
}];
// Later entries replace the rule for their files: each one carries the src/-never-imports-workers/ pattern for src files.
const sdkBoundaries = [
  { files: ['workers/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': sdkRule([], false) } },
  { files: ['src/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': sdkRule([], true), 'no-restricted-syntax': noDynamicWorkersImport } },
  ...Object.entries(SDK_HOMES).flatMap(([name, homes]) => homes.map((home) => ({
    files: [home.endsWith('.ts') ? home : `${home}/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': sdkRule([name], home.startsWith('src/')) },
  }))),
];

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', 'coverage/', 'bench/results/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...sdkBoundaries,
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
