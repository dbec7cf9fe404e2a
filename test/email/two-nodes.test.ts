// The mail outbox under two nodes on one database (docs/email.md "The outbox"): both delivery loops
// claim from the same table, and every message reaches the SMTP server exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, createServices } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { queueMail, startMailDelivery, type MailDelivery } from '../../src/mail/outbox.js';
import { resetPasswordMail } from '../../src/mail/templates.js';
import type { Services } from '../../src/services.js';
import { databases } from '../helpers/databases.js';
import { eventually, eventuallyAsync } from '../helpers/eventually.js';
import { testRealm } from '../helpers/realm.js';
import { masterKey, startServer, type TestServer } from '../helpers/server.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

for (const database of databases) {
  describe(`mail outbox with two nodes (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    let second: Services;
    let secondLoop: MailDelivery;
    before(async () => {
      smtp = await startSmtp();
      server = await startServer(database, testRealm(), { env: smtp.env });
      // A second node: its own connection to the same database, and its own delivery loop.
      const config = loadConfig({ STRIX_DATABASE_URL: server.databaseUrl, STRIX_MASTER_KEY: masterKey, STRIX_LOG_LEVEL: 'silent', ...smtp.env });
      second = await createServices(config, createLogger('silent'), server.clock, { migrate: false });
      secondLoop = startMailDelivery(second);
    });
    after(async () => {
      await secondLoop?.stop();
      await second?.store.close();
      await server?.close();
      await smtp?.close();
    });

    test('messages queued on both nodes are each sent once', async () => {
      const realm = (await server.services.store.realms.get('demo'))!;
      const recipients = Array.from({ length: 30 }, (_, i) => `node-${i}@example.com`);
      await Promise.all(recipients.map((to, i) => queueMail(i % 2 === 0 ? server.services : second, realm, 'reset_password',
        resetPasswordMail({ to, realmName: 'Demo', username: `user${i}`, locale: 'en' }, `http://example.test/reset?n=${i}`, 15))));
      await eventually(() => (recipients.every((to) => smtp.received.some((m) => m.to.includes(to))) ? true : undefined), 'every message');
      // Every row is marked sent: no claim is left that could send a message again.
      await eventuallyAsync(async () => (await server.services.store.mailOutbox.pendingCount()) === 0 || undefined, 'an empty outbox');
      for (const to of recipients) assert.equal(smtp.received.filter((m) => m.to.includes(to)).length, 1, to);
    });
  });
}
