// Waiting for something a server does in the background (a retried delivery, a logout token):
// polls `probe` every 50 ms until it returns a value, or fails naming `what`.
export async function eventually<T>(probe: () => T | undefined, what = 'a condition', timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `eventually` for a probe that must ask something asynchronously (the database, a server). */
export async function eventuallyAsync<T>(probe: () => Promise<T | undefined>, what = 'a condition', timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
