// Every message key of the page and e-mail catalogues: what a realm's `branding.messages` may override.
import { getActionMessages } from './action-messages.js';
import { getBrokerMessages } from './broker-messages.js';
import { getEmailMessages } from './email-messages.js';
import { getMessages, messages } from './messages.js';

export const messageKeys: ReadonlySet<string> = new Set([
  ...Object.keys(getMessages('en')), ...Object.keys(getActionMessages('en')), ...Object.keys(getBrokerMessages('en')), ...Object.keys(getEmailMessages('en')),
]);

export const supportedLocales = Object.keys(messages);
