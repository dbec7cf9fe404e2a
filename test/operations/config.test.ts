// Configuration (DESIGN "contract"): defaults, validation that names the bad setting, and
// precedence flags > environment > config file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const validKey = 'k'.repeat(32);

function assertConfigError(run: () => unknown, names: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    if (typeof names === 'string') assert.ok(error.message.includes(names), `"${error.message}" does not name ${names}`);
    else assert.match(error.message, names);
    return true;
  });
}

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strix-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function configFile(content: unknown): string {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  test('the defaults are port 8080, host 0.0.0.0, http://localhost:8080 and a local SQLite file', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.publicUrl, 'http://localhost:8080');
    assert.equal(config.databaseUrl, 'sqlite:./data/strix.db');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.masterKey, undefined);
  });

  test('the default public URL follows the port', () => {
    assert.equal(loadConfig({ STRIX_PORT: '9000' }).publicUrl, 'http://localhost:9000');
  });

  test('an empty variable counts as unset', () => {
    assert.equal(loadConfig({ STRIX_PORT: '', STRIX_HOST: '' }).port, 8080);
  });

  for (const bad of ['abc', '-1', '65536', '80.5', '80abc', '1e3', '0x1F90', '8080.0']) {
    test(`STRIX_PORT=${bad} is a ConfigError naming STRIX_PORT`, () => {
      assertConfigError(() => loadConfig({ STRIX_PORT: bad }), 'STRIX_PORT');
    });
  }

  for (const bad of ['not a url', 'ftp://id.example.com', 'https://id.example.com/?x=1', 'https://id.example.com/#top']) {
    test(`STRIX_PUBLIC_URL=${bad} is a ConfigError naming STRIX_PUBLIC_URL`, () => {
      assertConfigError(() => loadConfig({ STRIX_PUBLIC_URL: bad }), 'STRIX_PUBLIC_URL');
    });
  }

  for (const bad of ['mysql://root@localhost/strix', 'sqlite:', 'strix.db']) {
    test(`STRIX_DATABASE_URL=${bad} is a ConfigError naming STRIX_DATABASE_URL`, () => {
      assertConfigError(() => loadConfig({ STRIX_DATABASE_URL: bad }), 'STRIX_DATABASE_URL');
    });
  }

  test('cache bounds default to 1,000 realms and 10,000 clients and are read from STRIX_CACHE_REALMS, STRIX_CACHE_CLIENTS and the file', () => {
    assert.deepEqual(loadConfig({}).cache, { realms: 1_000, clients: 10_000 });
    assert.deepEqual(loadConfig({ STRIX_CACHE_REALMS: '20000', STRIX_CACHE_CLIENTS: '50' }).cache, { realms: 20_000, clients: 50 });
    assert.deepEqual(loadConfig({}, {}, configFile({ cache_realms: 5 })).cache, { realms: 5, clients: 10_000 });
  });

  for (const bad of ['0', '-1', '1.5', 'many', '100000000']) {
    test(`STRIX_CACHE_REALMS=${bad} and STRIX_CACHE_CLIENTS=${bad} are ConfigErrors naming the setting`, () => {
      assertConfigError(() => loadConfig({ STRIX_CACHE_REALMS: bad }), 'STRIX_CACHE_REALMS');
      assertConfigError(() => loadConfig({ STRIX_CACHE_CLIENTS: bad }), 'STRIX_CACHE_CLIENTS');
    });
  }

  test('PostgreSQL URLs are accepted', () => {
    assert.equal(loadConfig({ STRIX_DATABASE_URL: 'postgres://u@db/strix' }).databaseUrl, 'postgres://u@db/strix');
    assert.equal(loadConfig({ STRIX_DATABASE_URL: 'postgresql://u@db/strix' }).databaseUrl, 'postgresql://u@db/strix');
  });

  test('an unknown STRIX_LOG_LEVEL is a ConfigError naming STRIX_LOG_LEVEL', () => {
    assertConfigError(() => loadConfig({ STRIX_LOG_LEVEL: 'verbose' }), 'STRIX_LOG_LEVEL');
  });

  test('a STRIX_MASTER_KEY shorter than 32 characters is a ConfigError naming STRIX_MASTER_KEY', () => {
    assertConfigError(() => loadConfig({ STRIX_MASTER_KEY: 'k'.repeat(31) }), 'STRIX_MASTER_KEY');
    assert.equal(loadConfig({ STRIX_MASTER_KEY: validKey }).masterKey, validKey);
  });

  test('a STRIX_REDIS_URL that is not redis:// is a ConfigError naming STRIX_REDIS_URL', () => {
    assertConfigError(() => loadConfig({ STRIX_REDIS_URL: 'http://cache:6379' }), 'STRIX_REDIS_URL');
  });

  test('a bad value from a flag names the setting too', () => {
    assertConfigError(() => loadConfig({}, { port: 'eighty' }), 'STRIX_PORT');
  });

  test('a bad value from the config file names the setting too', () => {
    assertConfigError(() => loadConfig({}, {}, configFile({ log_level: 'loud' })), 'STRIX_LOG_LEVEL');
  });

  test('a flag wins over the environment, which wins over the config file', () => {
    const file = configFile({ port: 7000, host: '127.0.0.2', log_level: 'warn' });
    const config = loadConfig({ STRIX_PORT: '8000', STRIX_HOST: '127.0.0.3' }, { port: '9000' }, file);
    assert.equal(config.port, 9000);
    assert.equal(config.host, '127.0.0.3');
    assert.equal(config.logLevel, 'warn');
  });

  test('the environment wins over the config file', () => {
    const file = configFile({ port: 7000 });
    assert.equal(loadConfig({ STRIX_PORT: '8000' }, {}, file).port, 8000);
    assert.equal(loadConfig({}, {}, file).port, 7000);
  });

  test('STRIX_CONFIG names the config file when none is passed', () => {
    const file = configFile({ public_url: 'https://id.example.com' });
    assert.equal(loadConfig({ STRIX_CONFIG: file }).publicUrl, 'https://id.example.com');
  });

  test('an unknown key in the config file is a ConfigError naming the key', () => {
    assertConfigError(() => loadConfig({}, {}, configFile({ prot: 8080 })), /prot/);
  });

  test('a config file that is not a JSON object is a ConfigError', () => {
    assertConfigError(() => loadConfig({}, {}, configFile('{ port: 8080')), /config file/);
    assertConfigError(() => loadConfig({}, {}, configFile([])), /config file/);
  });

  test('a missing config file is a ConfigError', () => {
    assertConfigError(() => loadConfig({}, {}, join(dir, 'absent.json')), /absent\.json/);
  });

  test('a trailing slash is stripped from the public URL', () => {
    assert.equal(loadConfig({ STRIX_PUBLIC_URL: 'https://id.example.com/' }).publicUrl, 'https://id.example.com');
    assert.equal(loadConfig({ STRIX_PUBLIC_URL: 'https://example.com/auth/' }).publicUrl, 'https://example.com/auth');
  });
});
