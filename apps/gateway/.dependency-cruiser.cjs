// The gateway's layering, checked by test/architecture.test.ts (and `npx depcruise src` here).
// Each top folder of src/ may import only the folders listed for it; docs/layering.md says why.
// Type-only imports count too: a type that points upwards is a design that points upwards.
const ALLOWED = {
  core: [],
  config: ['core'],
  storage: ['core', 'config'],
  'responses-store': ['core', 'storage'],
  state: ['core', 'config', 'storage'],
  accounts: ['core', 'storage'],
  audit: ['core', 'storage'],
  safety: ['core', 'storage'],
  support: ['core', 'storage', 'accounts'],
  privacy: ['core', 'storage'],
  media: ['core'],
  formats: ['core', 'media', 'apps'],
  providers: ['core', 'formats', 'media'],
  channels: ['core', 'config', 'storage', 'providers'],
  batch: ['core', 'storage', 'state', 'billing'],
  billing: ['core', 'config', 'storage', 'state', 'accounts', 'batch', 'relay'],
  apps: ['core', 'storage', 'billing'],
  relay: ['core', 'formats', 'providers', 'channels', 'apps', 'batch', 'state', 'media', 'storage'],
  payments: ['core', 'config', 'storage', 'state', 'billing'],
  api: ['core', 'config', 'storage', 'accounts', 'audit', 'apps', 'billing', 'payments', 'channels', 'providers', 'relay', 'formats', 'safety', 'support', 'privacy', 'services.ts'],
  http: ['core', 'config', 'storage', 'responses-store', 'accounts', 'apps', 'billing', 'channels', 'providers', 'relay', 'formats', 'media', 'api', 'safety', 'services.ts'],
  cli: ['core', 'config', 'storage', 'accounts', 'audit', 'apps', 'billing', 'channels', 'providers', 'relay', 'api', 'safety', 'privacy', 'services.ts', 'storage-handle.ts', 'gateway.ts'],
};
const esc = (s) => s.replace(/\./g, '\\.');

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles (type-only ones included) make the layers meaningless.', from: {}, to: { circular: true } },
    ...Object.entries(ALLOWED).map(([folder, allowed]) => ({
      name: `layer-${folder}`,
      severity: 'error',
      comment: `src/${folder}/ may import only: ${allowed.join(', ') || 'nothing of the gateway'}`,
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: [`^src/${folder}/`, ...allowed.map((a) => (a.endsWith('.ts') ? `^src/${esc(a)}$` : `^src/${a}/`))] },
    })),
    {
      name: 'billing-sees-relay-contracts-only',
      severity: 'error',
      comment: 'Billing implements the relay\'s policy contract and joins its log batches; it knows nothing else of the relay.',
      from: { path: '^src/billing/' },
      to: { path: '^src/relay/', pathNot: ['^src/relay/(policy|request-log)\\.ts$'] },
    },
    {
      name: 'formats-see-apps-types-only',
      severity: 'error',
      comment: 'Routes name the caller\'s key type; they never call the key store.',
      from: { path: '^src/formats/' },
      to: { path: '^src/apps/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
