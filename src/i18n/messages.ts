/**
 * User-visible strings for the server-rendered pages, in every supported locale. Below both the
 * pages (ui/) and the protocol endpoints (discovery's ui_locales_supported, localized error pages).
 *
 * Every locale has exactly the same keys as `en` (enforced by the `Messages`
 * type). Placeholders use `{name}` syntax and are filled in by `format()`.
 */

const en = {
  scope_openid: 'Know who you are on {realm}',
  scope_profile: 'See your name and profile details',
  scope_email: 'See your email address',
  scope_address: 'See your postal address',
  scope_phone: 'See your phone number',
  scope_offline_access: 'Stay signed in to your account when you are away',
  scope_roles: 'See the roles you hold',
  invalidCredentials: 'Invalid username or password.',
  accountLocked: 'Too many failed attempts. This account is temporarily locked; try again in a few minutes.',
  formExpired: 'This page has expired. Go back to the application and sign in again.',
  interactionExpired: 'Your sign-in took too long and has expired. Go back to the application and try again.',

  securedBy: 'Secured by Strix',

  loginTitle: 'Sign in',
  loginHeading: 'Sign in to {realm}',
  loginContinueTo: 'to continue to {client}',
  username: 'Username',
  password: 'Password',
  signIn: 'Sign in',

  consentTitle: 'Authorize access',
  consentHeading: '{client} wants to access your account',
  consentSignedInAs: 'Signed in as {username}',
  consentScopesIntro: 'This will allow {client} to:',
  consentNoScopes: 'No additional permissions are requested.',
  consentNote: 'Only allow access if you trust {client}.',
  allow: 'Allow',
  deny: 'Deny',

  errorTitle: 'Error',

  logoutTitle: 'Sign out',
  logoutHeading: 'Sign out of {realm}?',
  logoutText: 'You will be signed out of {realm}.',
  logoutTextClient: '{client} is asking to sign you out of {realm}.',
  signOut: 'Sign out',

  loggedOutTitle: 'Signed out',
  loggedOutHeading: 'You are signed out',
  loggedOutText: 'You have been signed out successfully. You can now close this window.',
  deviceTitle: 'Connect a device',
  deviceText: 'Enter the code shown on your device.',
  code: 'Code',
  deviceInvalidCode: 'This code is not valid or has expired. Check the code on your device and try again.',
  deviceConsentNote: 'Only allow access if you started this on a device you have with you, and the code you entered is the one it shows.',
  deviceApprovedTitle: 'Device connected',
  deviceApprovedText: 'You may return to your device: it will continue by itself.',
  deviceDeniedTitle: 'Access denied',
  deviceDeniedText: 'The device was not given access. You may close this window.',
  deviceExpiredText: 'This code has expired or was already answered. Start again on your device.',
  formPostTitle: 'Returning to the application',
  formPostText: 'If the application does not open by itself, press Continue.',
  continue: 'Continue',
  clientPolicy: 'Privacy policy of {client}',
  clientTerms: 'Terms of service of {client}',
  mfaTitle: 'Two-step verification',
  mfaHeading: 'Confirm it is you',
  mfaText: 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.',
  mfaPasskeyOnly: 'This application asks you to confirm with a passkey.',
  verificationCode: 'Verification code',
  verify: 'Verify',
  invalidCode: 'That code is not valid. Check your authenticator app and try again.',
  usePasskey: 'Use a passkey',
  passkeyFailed: 'The passkey could not be verified. Try again.',
  mfaSetupTitle: 'Set up two-step verification',
  mfaSetupText: 'Scan this QR code with an authenticator app, then enter the 6-digit code it shows.',
  mfaSetupManual: 'Cannot scan it? Enter this key in the app:',
  qrAlt: 'QR code for your authenticator app',
  recoveryTitle: 'Save your recovery codes',
  recoveryText: 'Each code can be used once instead of a verification code if you lose your device. They will not be shown again.',
  accountMfaTitle: 'Signing in',
  accountMfaTotpOn: 'Authenticator app: set up.',
  accountMfaTotpOff: 'Authenticator app: not set up.',
  accountMfaPasskeys: 'Passkeys: {count}.',
  accountMfaRecovery: 'Unused recovery codes: {count}.',
  accountMfaStepUp: 'To change these settings, sign in again with your second factor.',
  accountAppsTitle: 'Applications you allowed',
  accountAppsNone: 'You have not allowed any application to use your account.',
  accountAppsScopes: 'Allowed: {scopes}',
  revokeAccess: 'Revoke access',
  accessRevoked: '{client} no longer has access to your account. It will ask you again next time.',
  removeFactor: 'Remove',
  passkeyItem: 'Passkey {n}',
  newRecoveryCodes: 'New recovery codes',
  factorRemoved: 'The second factor was removed.',
  lastFactorRequired: 'Your account requires two-step verification, so your last second factor cannot be removed. Add another one first.',
  registerPasskey: 'Register a passkey',
  passkeyRegistered: 'Your passkey was registered.',
  signInUnfinished: 'Your sign-in is not finished: go back to the application and give your second factor first.',
  reauthenticationRequired: 'To change your second factors, sign in again: your last sign-in was a while ago.',
  reauthenticateLink: 'Sign in again to change your second factors',
  reauthenticateText: 'Enter your password again (and a code from your authenticator app or a recovery code, if you have one) to change your second factors.',
  notSignedIn: 'You are not signed in. Sign in through an application first, then come back to this page.',
  passkeyRequired: 'This application requires a passkey, and you have none yet. Register one on your account page first.',
};

export type Messages = { [K in keyof typeof en]: string };

const fr: Messages = {
  scope_openid: 'Savoir qui vous êtes sur {realm}',
  scope_profile: 'Voir votre nom et votre profil',
  scope_email: 'Voir votre adresse e-mail',
  scope_address: 'Voir votre adresse postale',
  scope_phone: 'Voir votre numéro de téléphone',
  scope_offline_access: 'Rester connecté à votre compte en votre absence',
  scope_roles: 'Voir vos rôles',
  invalidCredentials: "Nom d'utilisateur ou mot de passe incorrect.",
  accountLocked: 'Trop de tentatives infructueuses. Ce compte est temporairement verrouillé ; réessayez dans quelques minutes.',
  formExpired: "Cette page a expiré. Retournez à l'application et reconnectez-vous.",
  interactionExpired: "La connexion a pris trop de temps et a expiré. Retournez à l'application et réessayez.",

  securedBy: 'Sécurisé par Strix',

  loginTitle: 'Connexion',
  loginHeading: 'Connexion à {realm}',
  loginContinueTo: 'pour continuer vers {client}',
  username: "Nom d'utilisateur",
  password: 'Mot de passe',
  signIn: 'Se connecter',

  consentTitle: "Autoriser l'accès",
  consentHeading: '{client} souhaite accéder à votre compte',
  consentSignedInAs: 'Connecté en tant que {username}',
  consentScopesIntro: 'Cela permettra à {client} de :',
  consentNoScopes: "Aucune autorisation supplémentaire n'est demandée.",
  consentNote: "N'autorisez l'accès que si vous faites confiance à {client}.",
  allow: 'Autoriser',
  deny: 'Refuser',

  errorTitle: 'Erreur',

  logoutTitle: 'Déconnexion',
  logoutHeading: 'Se déconnecter de {realm} ?',
  logoutText: 'Vous allez être déconnecté de {realm}.',
  logoutTextClient: '{client} demande à vous déconnecter de {realm}.',
  signOut: 'Se déconnecter',

  loggedOutTitle: 'Déconnecté',
  loggedOutHeading: 'Vous êtes déconnecté',
  loggedOutText: 'Vous avez été déconnecté. Vous pouvez maintenant fermer cette fenêtre.',
  deviceTitle: 'Connecter un appareil',
  deviceText: 'Saisissez le code affiché sur votre appareil.',
  code: 'Code',
  deviceInvalidCode: "Ce code n'est pas valide ou a expiré. Vérifiez le code affiché sur votre appareil et réessayez.",
  deviceConsentNote: "N'autorisez l'accès que si vous avez lancé cette demande sur un appareil à portée de main et que le code saisi est celui qu'il affiche.",
  deviceApprovedTitle: 'Appareil connecté',
  deviceApprovedText: 'Vous pouvez retourner à votre appareil : il continuera de lui-même.',
  deviceDeniedTitle: 'Accès refusé',
  deviceDeniedText: "L'appareil n'a pas reçu l'accès. Vous pouvez fermer cette fenêtre.",
  deviceExpiredText: 'Ce code a expiré ou a déjà reçu une réponse. Recommencez sur votre appareil.',
  formPostTitle: "Retour à l'application",
  formPostText: "Si l'application ne s'ouvre pas d'elle-même, appuyez sur Continuer.",
  continue: 'Continuer',
  clientPolicy: 'Politique de confidentialité de {client}',
  clientTerms: "Conditions d'utilisation de {client}",
  mfaTitle: 'Validation en deux étapes',
  mfaHeading: "Confirmez qu'il s'agit bien de vous",
  mfaText: "Saisissez le code à 6 chiffres de votre application d'authentification, ou l'un de vos codes de récupération.",
  mfaPasskeyOnly: "Cette application vous demande de confirmer avec une clé d'accès.",
  verificationCode: 'Code de vérification',
  verify: 'Vérifier',
  invalidCode: "Ce code n'est pas valide. Vérifiez votre application d'authentification et réessayez.",
  usePasskey: "Utiliser une clé d'accès",
  passkeyFailed: "La clé d'accès n'a pas pu être vérifiée. Réessayez.",
  mfaSetupTitle: 'Configurer la validation en deux étapes',
  mfaSetupText: "Scannez ce QR code avec une application d'authentification, puis saisissez le code à 6 chiffres qu'elle affiche.",
  mfaSetupManual: "Impossible de le scanner ? Saisissez cette clé dans l'application :",
  qrAlt: "QR code pour votre application d'authentification",
  recoveryTitle: 'Conservez vos codes de récupération',
  recoveryText: 'Chaque code peut remplacer une fois un code de vérification si vous perdez votre appareil. Ils ne seront plus affichés.',
  accountMfaTitle: 'Connexion',
  accountMfaTotpOn: "Application d'authentification : configurée.",
  accountMfaTotpOff: "Application d'authentification : non configurée.",
  accountMfaPasskeys: "Clés d'accès : {count}.",
  accountMfaRecovery: 'Codes de récupération inutilisés : {count}.',
  accountMfaStepUp: 'Pour modifier ces réglages, reconnectez-vous avec votre second facteur.',
  accountAppsTitle: 'Applications autorisées',
  accountAppsNone: "Vous n'avez autorisé aucune application à utiliser votre compte.",
  accountAppsScopes: 'Autorisé : {scopes}',
  revokeAccess: "Retirer l'accès",
  accessRevoked: "{client} n'a plus accès à votre compte. Elle vous le redemandera la prochaine fois.",
  removeFactor: 'Supprimer',
  passkeyItem: "Clé d'accès {n}",
  newRecoveryCodes: 'Nouveaux codes de récupération',
  factorRemoved: 'Le second facteur a été supprimé.',
  lastFactorRequired: "Votre compte exige la vérification en deux étapes : votre dernier second facteur ne peut pas être supprimé. Ajoutez-en d'abord un autre.",
  registerPasskey: "Enregistrer une clé d'accès",
  passkeyRegistered: "Votre clé d'accès a été enregistrée.",
  signInUnfinished: "Votre connexion n'est pas terminée : retournez à l'application et donnez d'abord votre second facteur.",
  reauthenticationRequired: 'Pour modifier vos seconds facteurs, reconnectez-vous : votre dernière connexion remonte à un moment.',
  reauthenticateLink: 'Se reconnecter pour modifier vos seconds facteurs',
  reauthenticateText: "Saisissez à nouveau votre mot de passe (et un code de votre application d'authentification ou un code de récupération, si vous en avez) pour modifier vos seconds facteurs.",
  notSignedIn: "Vous n'êtes pas connecté. Connectez-vous d'abord via une application, puis revenez sur cette page.",
  passkeyRequired: "Cette application exige une clé d'accès et vous n'en avez pas encore. Enregistrez-en une d'abord sur la page de votre compte.",
};

const de: Messages = {
  scope_openid: 'Wissen, wer Sie bei {realm} sind',
  scope_profile: 'Ihren Namen und Ihre Profildaten sehen',
  scope_email: 'Ihre E-Mail-Adresse sehen',
  scope_address: 'Ihre Postanschrift sehen',
  scope_phone: 'Ihre Telefonnummer sehen',
  scope_offline_access: 'Angemeldet bleiben, während Sie abwesend sind',
  scope_roles: 'Ihre Rollen sehen',
  invalidCredentials: 'Benutzername oder Passwort ist falsch.',
  accountLocked: 'Zu viele fehlgeschlagene Versuche. Dieses Konto ist vorübergehend gesperrt; versuchen Sie es in einigen Minuten erneut.',
  formExpired: 'Diese Seite ist abgelaufen. Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.',
  interactionExpired: 'Die Anmeldung hat zu lange gedauert. Kehren Sie zur Anwendung zurück und versuchen Sie es erneut.',

  securedBy: 'Geschützt durch Strix',

  loginTitle: 'Anmelden',
  loginHeading: 'Bei {realm} anmelden',
  loginContinueTo: 'um mit {client} fortzufahren',
  username: 'Benutzername',
  password: 'Passwort',
  signIn: 'Anmelden',

  consentTitle: 'Zugriff erlauben',
  consentHeading: '{client} möchte auf Ihr Konto zugreifen',
  consentSignedInAs: 'Angemeldet als {username}',
  consentScopesIntro: 'Damit erhält {client} folgende Berechtigungen:',
  consentNoScopes: 'Es werden keine zusätzlichen Berechtigungen angefordert.',
  consentNote: 'Erlauben Sie den Zugriff nur, wenn Sie {client} vertrauen.',
  allow: 'Erlauben',
  deny: 'Ablehnen',

  errorTitle: 'Fehler',

  logoutTitle: 'Abmelden',
  logoutHeading: 'Von {realm} abmelden?',
  logoutText: 'Sie werden von {realm} abgemeldet.',
  logoutTextClient: '{client} möchte Sie von {realm} abmelden.',
  signOut: 'Abmelden',

  loggedOutTitle: 'Abgemeldet',
  loggedOutHeading: 'Sie sind abgemeldet',
  loggedOutText: 'Sie wurden erfolgreich abgemeldet. Sie können dieses Fenster jetzt schließen.',
  deviceTitle: 'Gerät verbinden',
  deviceText: 'Geben Sie den Code ein, den Ihr Gerät anzeigt.',
  code: 'Code',
  deviceInvalidCode: 'Dieser Code ist ungültig oder abgelaufen. Prüfen Sie den Code auf Ihrem Gerät und versuchen Sie es erneut.',
  deviceConsentNote: 'Erlauben Sie den Zugriff nur, wenn Sie dies auf einem Gerät in Ihrer Nähe gestartet haben und der eingegebene Code der dort angezeigte ist.',
  deviceApprovedTitle: 'Gerät verbunden',
  deviceApprovedText: 'Sie können zu Ihrem Gerät zurückkehren: Es fährt von selbst fort.',
  deviceDeniedTitle: 'Zugriff verweigert',
  deviceDeniedText: 'Das Gerät hat keinen Zugriff erhalten. Sie können dieses Fenster schließen.',
  deviceExpiredText: 'Dieser Code ist abgelaufen oder wurde bereits beantwortet. Beginnen Sie auf Ihrem Gerät von vorn.',
  formPostTitle: 'Zurück zur Anwendung',
  formPostText: 'Falls sich die Anwendung nicht von selbst öffnet, klicken Sie auf Weiter.',
  continue: 'Weiter',
  clientPolicy: 'Datenschutzerklärung von {client}',
  clientTerms: 'Nutzungsbedingungen von {client}',
  mfaTitle: 'Bestätigung in zwei Schritten',
  mfaHeading: 'Bestätigen Sie, dass Sie es sind',
  mfaText: 'Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Wiederherstellungscodes ein.',
  mfaPasskeyOnly: 'Diese Anwendung verlangt eine Bestätigung mit einem Passkey.',
  verificationCode: 'Bestätigungscode',
  verify: 'Bestätigen',
  invalidCode: 'Dieser Code ist ungültig. Prüfen Sie Ihre Authenticator-App und versuchen Sie es erneut.',
  usePasskey: 'Passkey verwenden',
  passkeyFailed: 'Der Passkey konnte nicht geprüft werden. Versuchen Sie es erneut.',
  mfaSetupTitle: 'Bestätigung in zwei Schritten einrichten',
  mfaSetupText: 'Scannen Sie diesen QR-Code mit einer Authenticator-App und geben Sie dann den angezeigten 6-stelligen Code ein.',
  mfaSetupManual: 'Scannen nicht möglich? Geben Sie diesen Schlüssel in der App ein:',
  qrAlt: 'QR-Code für Ihre Authenticator-App',
  recoveryTitle: 'Speichern Sie Ihre Wiederherstellungscodes',
  recoveryText: 'Jeder Code ersetzt einmal einen Bestätigungscode, falls Sie Ihr Gerät verlieren. Sie werden nicht erneut angezeigt.',
  accountMfaTitle: 'Anmeldung',
  accountMfaTotpOn: 'Authenticator-App: eingerichtet.',
  accountMfaTotpOff: 'Authenticator-App: nicht eingerichtet.',
  accountMfaPasskeys: 'Passkeys: {count}.',
  accountMfaRecovery: 'Unbenutzte Wiederherstellungscodes: {count}.',
  accountMfaStepUp: 'Um diese Einstellungen zu ändern, melden Sie sich erneut mit Ihrem zweiten Faktor an.',
  accountAppsTitle: 'Zugelassene Anwendungen',
  accountAppsNone: 'Sie haben keiner Anwendung Zugriff auf Ihr Konto gegeben.',
  accountAppsScopes: 'Erlaubt: {scopes}',
  revokeAccess: 'Zugriff entziehen',
  accessRevoked: '{client} hat keinen Zugriff mehr auf Ihr Konto. Die Anwendung fragt Sie beim nächsten Mal erneut.',
  removeFactor: 'Entfernen',
  passkeyItem: 'Passkey {n}',
  newRecoveryCodes: 'Neue Wiederherstellungscodes',
  factorRemoved: 'Der zweite Faktor wurde entfernt.',
  lastFactorRequired: 'Ihr Konto erfordert die Bestätigung in zwei Schritten, daher kann Ihr letzter zweiter Faktor nicht entfernt werden. Fügen Sie zuerst einen anderen hinzu.',
  registerPasskey: 'Passkey registrieren',
  passkeyRegistered: 'Ihr Passkey wurde registriert.',
  signInUnfinished: 'Ihre Anmeldung ist nicht abgeschlossen: Kehren Sie zur Anwendung zurück und geben Sie zuerst Ihren zweiten Faktor an.',
  reauthenticationRequired: 'Um Ihre zweiten Faktoren zu ändern, melden Sie sich erneut an: Ihre letzte Anmeldung liegt schon eine Weile zurück.',
  reauthenticateLink: 'Erneut anmelden, um Ihre zweiten Faktoren zu ändern',
  reauthenticateText: 'Geben Sie Ihr Passwort erneut ein (und einen Code Ihrer Authentifizierungs-App oder einen Wiederherstellungscode, falls vorhanden), um Ihre zweiten Faktoren zu ändern.',
  notSignedIn: 'Sie sind nicht angemeldet. Melden Sie sich zuerst über eine Anwendung an und kehren Sie dann zu dieser Seite zurück.',
  passkeyRequired: 'Diese Anwendung verlangt einen Passkey, und Sie haben noch keinen. Registrieren Sie zuerst einen auf Ihrer Kontoseite.',
};

export const messages = { en: en as Messages, fr, de };

export type Locale = keyof typeof messages;

export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: string | undefined | null): value is Locale {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(messages, value);
}

/** A realm's own wording for one locale: message key to text (realm setting `branding.messages`). */
export type MessageOverrides = Readonly<Record<string, string>>;

/** A page's language and the realm's wording for it (a page's RealmView is one); or just a locale. */
export type Wording = string | undefined | { locale?: string; overrides?: MessageOverrides };

export function localeOf(wording: Wording): string | undefined {
  return typeof wording === 'object' ? wording.locale : wording;
}

/**
 * A catalogue with the realm's overrides applied: only keys the catalogue has are taken, so an
 * override stored for a message that a later version renamed is ignored rather than shown.
 */
export function overridden<T extends Record<string, string>>(catalogue: T, wording: Wording): T {
  const overrides = typeof wording === 'object' ? wording.overrides : undefined;
  if (!overrides) return catalogue;
  let result: T | undefined;
  for (const [key, text] of Object.entries(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(catalogue, key) || typeof text !== 'string') continue;
    result ??= { ...catalogue };
    (result as Record<string, string>)[key] = text;
  }
  return result ?? catalogue;
}

/** Returns the messages for a locale (English for unknown ones), with the realm's overrides. */
export function getMessages(wording: Wording): Messages {
  const locale = localeOf(wording);
  return overridden(isLocale(locale) ? messages[locale] : messages.en, wording);
}

/** Replaces `{name}` placeholders with values from `vars`; unknown placeholders are left as is. */
export function format(str: string, vars: Record<string, string | number>): string {
  return str.replace(/\{([A-Za-z0-9_]+)\}/g, (match, key: string) =>
    Object.prototype.hasOwnProperty.call(vars, key) ? String(vars[key]) : match,
  );
}

function primarySubtag(tag: string): string {
  return (tag.trim().split(/[-_]/)[0] ?? '').toLowerCase();
}

/**
 * Chooses a locale: space-separated `ui_locales` (in order of preference) first,
 * then the Accept-Language header ordered by q-value, matching on the primary
 * language subtag. Defaults to 'en'.
 */
export function pickLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  if (uiLocales) {
    for (const tag of uiLocales.split(/\s+/)) {
      if (!tag) continue;
      const primary = primarySubtag(tag);
      if (isLocale(primary)) return primary;
    }
  }

  if (acceptLanguage) {
    const ranges: { tag: string; q: number; index: number }[] = [];
    acceptLanguage.split(',').forEach((part, index) => {
      const [rawTag, ...params] = part.trim().split(';');
      const tag = (rawTag ?? '').trim();
      if (!tag || tag === '*') return;
      let q = 1;
      for (const param of params) {
        const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
        if (m && m[1] !== undefined) {
          const parsed = Number.parseFloat(m[1]);
          q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
        }
      }
      if (q > 0) ranges.push({ tag, q, index });
    });
    ranges.sort((a, b) => b.q - a.q || a.index - b.index);
    for (const { tag } of ranges) {
      const primary = primarySubtag(tag);
      if (isLocale(primary)) return primary;
    }
  }

  return DEFAULT_LOCALE;
}
