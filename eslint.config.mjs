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
const sdkRule = (allowed) => ['error', {
  paths: Object.keys(SDK_HOMES).filter((name) => !allowed.includes(name)).map((name) => ({
    name,
    allowTypeImports: true,
    message: `${name} is used only in ${SDK_HOMES[name].join(', ')}: go through its port or adapter`,
  })),
  patterns: allowed.includes('twitter-api-v2') ? [] : [X_CLIENTS],
}];
const sdkBoundaries = [
  { files: ['src/**/*.ts', 'workers/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': sdkRule([]) } },
  ...Object.entries(SDK_HOMES).map(([name, homes]) => ({ files: homes.map((h) => (h.endsWith('.ts') ? h : `${h}/*.ts`)), rules: { '@typescript-eslint/no-restricted-imports': sdkRule([name]) } })),
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
