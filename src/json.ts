// JSON values as parsed from request bodies, realm files and tokens (RFC 8259 §4 objects).

export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
