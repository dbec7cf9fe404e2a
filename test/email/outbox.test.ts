// Sending mail (docs/email.md): the SMTP settings, and the outbox that hands each message to a real
// SMTP server (STARTTLS, AUTH) as a multipart text + HTML message, and keeps it while the server is down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { queueMail } from '../../src/mail/outbox.js';
import { resetPasswordMail } from '../../src/mail/templates.js';
import { parseRealmSmtp } from '../../src/realms/settings.js';
import { purgeExpired } from '../../src/store/purge.js';
import { databases } from '../helpers/databases.js';
import { eventually, eventuallyAsync } from '../helpers/eventually.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startSmtp, smtpPassword, type TestSmtp } from '../helpers/smtp.js';

describe('SMTP settings', () => {
  test('STRIX_SMTP_URL must be smtp:// or smtps://, and the error names the setting but not the password', () => {
    assert.throws(() => loadConfig({ STRIX_SMTP_URL: 'http://user:hunter2-secret@mail.example.com' }), (error: Error) => {
      assert.match(error.message, /STRIX_SMTP_URL/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  test('without STRIX_SMTP_URL there is no SMTP, and a sender alone is refused', () => {
    assert.equal(loadConfig({}).smtp, undefined);
    assert.throws(() => loadConfig({ STRIX_SMTP_FROM: 'a@example.com' }), /STRIX_SMTP_FROM/);
  });

  test('the sender defaults to no-reply at the public host', () => {
    const config = loadConfig({ STRIX_SMTP_URL: 'smtps://mail.example.com', STRIX_PUBLIC_URL: 'https://id.example.com' });
    assert.deepEqual(config.smtp, { url: 'smtps://mail.example.com', from: 'no-reply@id.example.com', caFile: undefined });
  });

  test('a realm names its own server without a password in the URL; the password comes from the environment', () => {
    assert.deepEqual(parseRealmSmtp({ url: 'smtp://mailer@mail.example.com:587', from: 'Demo <no-reply@demo.example>', password: { env: 'DEMO_SMTP_PASSWORD' } }, 'smtp'),
      { url: 'smtp://mailer@mail.example.com:587', from: 'Demo <no-reply@demo.example>', password: { env: 'DEMO_SMTP_PASSWORD' } });
    assert.throws(() => parseRealmSmtp({ url: 'smtp://mailer:secret@mail.example.com' }, 'smtp'), /smtp\.url.*password/);
    assert.throws(() => parseRealmSmtp({ url: 'smtp://mail.example.com', password: 'clear text' }, 'smtp'), /smtp\.password/);
    assert.throws(() => parseRealmSmtp({ url: 'smtp://mail.example.com', host: 'x' }, 'smtp'), /smtp\.host/);
  });
});

for (const database of databases) {
  describe(`mail outbox (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    const logLines: string[] = [];
    before(async () => {
      smtp = await startSmtp();
      server = await startServer(database, testRealm(), { env: { ...smtp.env, STRIX_LOG_LEVEL: 'info' }, logLines });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const queue = async (to: string, locale = 'en') => {
      const realm = (await server.services.store.realms.get('demo'))!;
      const message = resetPasswordMail({ to, realmName: realm.displayName, username: 'alice', locale }, 'http://example.test/reset?token=abc', 15);
      return queueMail(server.services, realm, 'reset_password', message);
    };

    test('a queued message reaches the SMTP server over STARTTLS, authenticated, as text and HTML alternatives', async () => {
      assert.equal(await queue('first@example.com'), true);
      const mail = await eventually(() => smtp.received.find((m) => m.to.includes('first@example.com')), 'the message');
      assert.equal(mail.secure, true, 'the session was upgraded with STARTTLS');
      assert.equal(mail.user, 'strix');
      assert.equal(mail.from, 'no-reply@demo.test');
      assert.match(mail.headers['content-type']!, /^multipart\/alternative/);
      assert.equal(mail.subject, 'Reset your Demo password');
      assert.match(mail.text, /Hello alice,/);
      assert.match(mail.text, /http:\/\/example\.test\/reset\?token=abc/);
      assert.match(mail.html, /<a href="http:\/\/example\.test\/reset\?token=abc"/);
      assert.match(mail.html, />Demo</);
    });

    test('the message is in the language it was written for', async () => {
      await queue('french@example.com', 'fr');
      const mail = await eventually(() => smtp.received.find((m) => m.to.includes('french@example.com')), 'the message');
      assert.equal(mail.subject, 'Réinitialisez votre mot de passe Demo');
      assert.match(mail.text, /Bonjour alice,/);
    });

    test('while the SMTP server is down the message waits (an audit event and a metric say so) and is sent once it is back', async () => {
      await smtp.down();
      try {
        await queue('later@example.com');
        await eventuallyAsync(async () => (await server.services.store.events.find({ realm: 'demo', types: ['email_delivery_failed'], first: 0, max: 1 }))[0], 'the failure event');
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        assert.match(metrics, /strix_mail_deliveries_total\{outcome="failed"\} [1-9]/);
        assert.equal(await server.services.store.mailOutbox.pendingCount(), 1);
      } finally {
        await smtp.up();
      }
      server.clock.advance(60);
      const mail = await eventually(() => smtp.received.find((m) => m.to.includes('later@example.com')), 'the message after the outage');
      assert.equal(mail.subject, 'Reset your Demo password');
      assert.equal(smtp.received.filter((m) => m.to.includes('later@example.com')).length, 1);
      await eventuallyAsync(async () => (await server.services.store.mailOutbox.pendingCount()) === 0 || undefined, 'an empty outbox');
    });

    test('an address gets at most the realm\'s limit of messages per window', async () => {
      const results = [];
      for (let i = 0; i < 7; i++) results.push(await queue('flood@example.com'));
      assert.deepEqual(results, [true, true, true, true, true, false, false]);
    });

    test('sent messages are purged a day later', async () => {
      const before = await server.services.store.mailOutbox.countFor('demo', server.services.sealer.digest('mail\0demo\0first@example.com'), 0);
      assert.equal(before, 1);
      server.clock.advance(2 * 86_400);
      const counts = await purgeExpired(server.services.store, server.clock.now());
      assert.ok(counts.mail_outbox >= 3, JSON.stringify(counts));
      assert.equal(await server.services.store.mailOutbox.countFor('demo', server.services.sealer.digest('mail\0demo\0first@example.com'), 0), 0);
    });

    test('neither the SMTP password nor the links of a message are logged', () => {
      const log = logLines.join('\n');
      assert.match(log, /mail_sent/);
      assert.doesNotMatch(log, new RegExp(smtpPassword));
      assert.doesNotMatch(log, /token=abc/);
    });
  });
}
