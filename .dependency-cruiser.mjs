/**
 * The layering of src/ (README, "Layout"), checked by `npm test` (npm run lint:layers).
 *
 *   domain    pure rules and types: imports no other layer
 *   store     persistence: imports only domain
 *   identity  credentials, signatures, keyring: domain and the store's interface
 *   service   use cases: domain, identity, the store's interface
 *   pipeline  outbox worker, channels, receipts: domain, service, the store's interface
 *   http      routes and the app: domain, identity, service, the store's interface, never store internals
 *   cli, server.ts  wiring: anything
 *   dev       demo and benchmark data: reached only from the CLI and the server's --demo
 *
 * packages/client (the published `@aimledger/client`) stands alone: it imports only its own files,
 * and the server's signature verifier, the CLI and the console import it.
 */
const layer = (name) => `^src/${name}/`;
const storeInternals = '^src/store/(?!store\\.ts$)';

export default {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Modules never import each other in a circle, types included.', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure', severity: 'error', comment: 'domain/ imports nothing from the other layers.',
      from: { path: layer('domain') }, to: { path: '^src/', pathNot: layer('domain') },
    },
    {
      name: 'store-imports-only-domain', severity: 'error', comment: 'store/ imports only domain/.',
      from: { path: layer('store') }, to: { path: '^src/', pathNot: [layer('domain'), layer('store')] },
    },
    {
      name: 'identity-below-services', severity: 'error', comment: 'identity/ uses domain/ and the store interface only.',
      from: { path: layer('identity') }, to: { path: ['^src/', storeInternals], pathNot: [layer('domain'), layer('identity'), '^src/store/store\\.ts$'] },
    },
    {
      name: 'services-below-transport', severity: 'error', comment: 'service/ never imports http/, pipeline/, cli/, dev/ or store internals.',
      from: { path: layer('service') }, to: { path: [layer('(http|pipeline|cli|dev|client)'), storeInternals, '^src/server\\.ts$'] },
    },
    {
      name: 'pipeline-below-transport', severity: 'error', comment: 'pipeline/ never imports http/, cli/, dev/ or store internals.',
      from: { path: layer('pipeline') }, to: { path: [layer('(http|cli|dev|client)'), storeInternals, '^src/server\\.ts$'] },
    },
    {
      name: 'http-not-store-internals', severity: 'error', comment: 'http/ reaches persistence only through the Store interface (store/store.ts).',
      from: { path: layer('http') }, to: { path: [storeInternals, layer('(cli|dev|pipeline)'), '^src/server\\.ts$'] },
    },
    {
      name: 'dev-only-from-wiring', severity: 'error', comment: 'Demo and benchmark generators are reached from the CLI and server.ts only.',
      from: { path: '^src/', pathNot: [layer('(dev|cli)'), '^src/server\\.ts$'] }, to: { path: layer('dev') },
    },
    {
      name: 'client-package-stands-alone', severity: 'error', comment: 'packages/client imports only its own files: no server code, no dependencies, no Node.js modules.',
      from: { path: '^packages/client/' }, to: { pathNot: '^packages/client/src/' },
    },
    {
      name: 'src-not-tests', severity: 'error', comment: 'The product never imports tests or benchmarks.',
      from: { path: '^src/' }, to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
