// Probes and the metrics scrape: served by every node to whoever reaches it directly, over plain http too.
import { endpointTable } from '../http/endpoint.js';

export const opsEndpoints = endpointTable({
  health_live: { path: '/health/live', methods: ['GET'], errors: 'page', plainHttp: 'allowed' },
  health_ready: { path: '/health/ready', methods: ['GET'], errors: 'page', plainHttp: 'allowed' },
  metrics: { path: '/metrics', methods: ['GET'], errors: 'page', plainHttp: 'allowed' },
});
