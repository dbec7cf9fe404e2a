// Import rules for src/ (run by `npm run lint`): no cycles, routes → domain → store, and the
// protocol endpoints (oauth/) and the pages (ui/) never import each other. docs/architecture.md
// draws the layers.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only imports included) ties modules together that should stand alone.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'oauth-not-to-ui',
      severity: 'error',
      comment: 'Protocol endpoints decide what comes next (a value); the page layer renders it.',
      from: { path: '^src/oauth/' },
      // The endpoint tables are data: any module may name any endpoint.
      to: { path: '^src/ui/', pathNot: '^src/ui/endpoints\\.ts$' },
    },
    {
      name: 'ui-not-to-oauth',
      severity: 'error',
      comment: 'Pages do not call protocol endpoint code; shared logic lives in a domain module.',
      from: { path: '^src/ui/' },
      to: { path: '^src/oauth/', pathNot: '^src/oauth/endpoints\\.ts$' },
    },
    {
      name: 'store-imports-only-store',
      severity: 'error',
      comment: 'Repositories know nothing of the domain above them, not even its types.',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(store/|runtime\.ts$)' },
    },
    {
      name: 'domain-not-to-routes',
      severity: 'error',
      comment: 'Domain modules (tokens, identity, security, clients, realms, authorization, mail) never import routes.',
      from: { path: '^src/(tokens|identity|security|clients|realms|authorization|mail)/' },
      to: { path: '^src/(oauth|ui|admin)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
