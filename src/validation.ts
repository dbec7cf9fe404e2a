// Field-by-field checks of JSON input (realm files, dynamic registration, the CLI, the admin API):
// every error names the field it is about, e.g. `clients[0].redirect_uris: "/cb" is not an absolute URI`.

export class ValidationError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ValidationError';
  }
}

export function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ValidationError(where, 'must be a list of strings');
  return value as string[];
}

export function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationError(where, 'must be a string');
  return value;
}

export function optionalPositiveInt(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new ValidationError(where, 'must be a positive whole number of seconds');
  return value;
}

export function optionalBoolean(value: unknown, where: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ValidationError(where, 'must be true or false');
  return value;
}
