// node-oidc-provider ships no type declarations; the benchmark only uses a few of its entry points.
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
}
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  const MemoryAdapter: any;
  export default MemoryAdapter;
}
