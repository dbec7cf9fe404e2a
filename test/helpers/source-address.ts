// HTTP requests from a chosen source address: 127.0.0.2, 127.0.0.3, … stand in for different
// clients on the loopback network (fetch cannot choose one, node:http can).
import { request as httpRequest } from 'node:http';

export interface Answer { status: number; body: string; location?: string; type?: string; retryAfter: string | null }

export function sendFrom(url: string, options: { from?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string | number> = { ...options.headers };
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) });
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: body === undefined ? 'GET' : 'POST', localAddress: options.from ?? '127.0.0.1', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => resolve({
        status: response.statusCode!, body: text, location: response.headers.location, type: response.headers['content-type'],
        retryAfter: (response.headers['retry-after'] as string | undefined) ?? null,
      }));
    });
    request.on('error', reject);
    request.end(body);
  });
}
