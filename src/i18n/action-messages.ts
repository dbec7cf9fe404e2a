/**
 * The texts of the required-action pages (verify the address, complete the profile, accept the
 * terms), in every locale the pages have; same rules as messages.ts.
 */
import { isLocale, localeOf, overridden, type Locale, type Wording } from './messages.js';

const en = {
  verifyTitle: 'Verify your e-mail address',
  verifyText: 'Before you continue, confirm that {email} is your address: we send it a 6-digit code.',
  verifySend: 'Send the code',
  verifySent: 'A code is on its way to {email}. Type it here, or follow the link in the message and then continue.',
  verifyContinue: 'I followed the link: continue',
  verifyNotYet: 'The address is not verified yet. Type the code, or follow the link in the message first.',
  profileTitle: 'Complete your profile',
  profileText: 'Before you continue, tell us your name.',
  profileSubmit: 'Continue',
  termsTitle: 'Terms of service',
  termsText: 'Before you continue, read and accept the terms of service.',
  termsRead: 'Read the terms',
  termsAccept: 'Accept',
  termsDecline: 'Decline',
};

export type ActionMessages = { [K in keyof typeof en]: string };

const fr: ActionMessages = {
  verifyTitle: 'Vérifiez votre adresse e-mail',
  verifyText: 'Avant de continuer, confirmez que {email} est votre adresse : nous y envoyons un code à 6 chiffres.',
  verifySend: 'Envoyer le code',
  verifySent: 'Un code est en route vers {email}. Saisissez-le ici, ou suivez le lien du message puis continuez.',
  verifyContinue: 'J’ai suivi le lien : continuer',
  verifyNotYet: 'L’adresse n’est pas encore vérifiée. Saisissez le code, ou suivez d’abord le lien du message.',
  profileTitle: 'Complétez votre profil',
  profileText: 'Avant de continuer, indiquez votre nom.',
  profileSubmit: 'Continuer',
  termsTitle: 'Conditions d’utilisation',
  termsText: 'Avant de continuer, lisez et acceptez les conditions d’utilisation.',
  termsRead: 'Lire les conditions',
  termsAccept: 'Accepter',
  termsDecline: 'Refuser',
};

const de: ActionMessages = {
  verifyTitle: 'E-Mail-Adresse bestätigen',
  verifyText: 'Bevor es weitergeht, bestätigen Sie, dass {email} Ihre Adresse ist: Wir senden einen 6-stelligen Code dorthin.',
  verifySend: 'Code senden',
  verifySent: 'Ein Code ist unterwegs an {email}. Geben Sie ihn hier ein, oder folgen Sie dem Link in der Nachricht und fahren Sie dann fort.',
  verifyContinue: 'Ich bin dem Link gefolgt: weiter',
  verifyNotYet: 'Die Adresse ist noch nicht bestätigt. Geben Sie den Code ein, oder folgen Sie zuerst dem Link in der Nachricht.',
  profileTitle: 'Profil vervollständigen',
  profileText: 'Bevor es weitergeht, nennen Sie uns Ihren Namen.',
  profileSubmit: 'Weiter',
  termsTitle: 'Nutzungsbedingungen',
  termsText: 'Bevor es weitergeht, lesen und akzeptieren Sie die Nutzungsbedingungen.',
  termsRead: 'Bedingungen lesen',
  termsAccept: 'Akzeptieren',
  termsDecline: 'Ablehnen',
};

const actionMessages: Record<Locale, ActionMessages> = { en, fr, de };

export function getActionMessages(wording: Wording): ActionMessages {
  const locale = localeOf(wording);
  return overridden(isLocale(locale) ? actionMessages[locale] : en, wording);
}
