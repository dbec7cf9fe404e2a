// The `strix` command as operators run it: the server bundle `npm run build` makes
// (scripts/build-server.js), so the tests that start the CLI exercise what ships.
import { fileURLToPath } from 'node:url';

export const strixCommand = fileURLToPath(new URL('../../src/bundle/strix.js', import.meta.url));
