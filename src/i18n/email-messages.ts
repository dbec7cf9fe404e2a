/**
 * The texts of the e-mail flows (docs/email.md): the messages Strix sends and the pages of the
 * forgotten-password flow, in every locale the pages have. Kept apart from messages.ts so that the
 * flows and their mail read together; same rules: every locale has the keys of `en`, `{name}`
 * placeholders are filled in by `format()`.
 */
import { isLocale, type Locale } from './messages.js';

const en = {
  mailGreeting: 'Hello {username},',
  mailIgnore: 'If you did not ask for this, you can ignore this message: nothing changes.',
  mailFooter: 'This message was sent by {realm}. Do not reply to it.',

  resetSubject: 'Reset your {realm} password',
  resetIntro: 'Someone, hopefully you, asked to reset the password of your {realm} account.',
  resetAction: 'Choose a new password',
  resetExpiry: 'This link works once, within {minutes} minutes.',

  verifySubject: 'Confirm your e-mail address for {realm}',
  verifyIntro: 'Confirm that {email} is your address to finish setting up your {realm} account.',
  verifyAction: 'Confirm my address',
  verifyCode: 'Or enter this code on the page that asked for it: {code}',
  verifyExpiry: 'The link and the code work once, within {hours} hours.',

  registeredSubject: 'Someone tried to create a {realm} account with your address',
  registeredIntro: 'Someone tried to create a new {realm} account with {email}, but you already have one.',
  registeredHint: 'If it was you, sign in with your existing account, or reset your password if you forgot it. Otherwise, you can ignore this message.',

  forgotLink: 'Forgot password?',
  forgotTitle: 'Reset your password',
  forgotText: 'Enter your username or e-mail address. If an account matches, we will send a link to choose a new password.',
  forgotIdentifier: 'Username or email',
  forgotSubmit: 'Send reset link',
  forgotSentTitle: 'Check your e-mail',
  forgotSentText: 'If an account matches what you entered, a link to reset its password is on its way. It works once, within {minutes} minutes.',
  backToSignIn: 'Back to sign in',

  resetTitle: 'Choose a new password',
  resetNewPassword: 'New password',
  resetConfirmPassword: 'Repeat the new password',
  resetSignOutEverywhere: 'Sign out of all devices',
  resetSubmit: 'Change password',
  resetMismatch: 'The two passwords differ.',
  resetPolicy: 'Choose another password: {problems}.',
  resetDoneTitle: 'Password changed',
  resetDoneText: 'Your password has been changed. Go back to the application and sign in with it.',
  linkInvalidTitle: 'Link expired',
  linkInvalidText: 'This link has expired or was already used. Ask for a new one.',
  forgotSubmitAgain: 'Ask for a new link',

  checkEmailTitle: 'Check your e-mail',
  checkEmailText: 'We sent a message to {email}. Follow its link, or enter the 6-digit code it holds.',
  codeLabel: 'Code',
  codeSubmit: 'Confirm',
  codeInvalid: 'This code is not valid or has expired.',
  confirmTitle: 'Confirm your e-mail address',
  confirmText: 'Confirm that {email} is the address of {username}.',
  confirmSubmit: 'Confirm',
  verifiedTitle: 'Address confirmed',
  verifiedText: 'Your e-mail address is confirmed. Go back to the application and sign in.',
  unverifiedText: 'Confirm your e-mail address before you sign in.',

  registerLink: 'Create an account',
  registerTitle: 'Create an account',
  registerHeading: 'Create your {realm} account',
  email: 'Email',
  passwordConfirm: 'Repeat the password',
  registerSubmit: 'Create account',
  usernameTaken: 'This username is taken. Choose another.',
  invalidEmail: 'Enter a valid e-mail address.',
  invalidUsername: 'A username has 1 to 64 letters, digits, or . _ - @ +',
  fieldRequired: 'Fill in every field.',
  field_name: 'Full name',
  field_given_name: 'Given name',
  field_family_name: 'Family name',
  field_nickname: 'Nickname',
  field_phone_number: 'Phone number',
};

export type EmailMessages = { [K in keyof typeof en]: string };

const fr: EmailMessages = {
  mailGreeting: 'Bonjour {username},',
  mailIgnore: "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne change.",
  mailFooter: 'Ce message a été envoyé par {realm}. Merci de ne pas y répondre.',

  resetSubject: 'Réinitialisez votre mot de passe {realm}',
  resetIntro: 'Quelqu’un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte {realm}.',
  resetAction: 'Choisir un nouveau mot de passe',
  resetExpiry: 'Ce lien ne sert qu’une fois, dans les {minutes} minutes.',

  verifySubject: 'Confirmez votre adresse e-mail pour {realm}',
  verifyIntro: 'Confirmez que {email} est bien votre adresse pour terminer la création de votre compte {realm}.',
  verifyAction: 'Confirmer mon adresse',
  verifyCode: 'Ou saisissez ce code sur la page qui le demande : {code}',
  verifyExpiry: 'Le lien et le code ne servent qu’une fois, dans les {hours} heures.',

  registeredSubject: 'Quelqu’un a tenté de créer un compte {realm} avec votre adresse',
  registeredIntro: 'Quelqu’un a tenté de créer un nouveau compte {realm} avec {email}, mais vous en avez déjà un.',
  registeredHint: 'Si c’était vous, connectez-vous avec votre compte existant, ou réinitialisez votre mot de passe si vous l’avez oublié. Sinon, ignorez ce message.',

  forgotLink: 'Mot de passe oublié ?',
  forgotTitle: 'Réinitialiser le mot de passe',
  forgotText: 'Saisissez votre nom d’utilisateur ou votre adresse e-mail. Si un compte correspond, nous enverrons un lien pour choisir un nouveau mot de passe.',
  forgotIdentifier: 'Nom d’utilisateur ou e-mail',
  forgotSubmit: 'Envoyer le lien',
  forgotSentTitle: 'Consultez vos e-mails',
  forgotSentText: 'Si un compte correspond à votre saisie, un lien pour réinitialiser son mot de passe est en route. Il ne sert qu’une fois, dans les {minutes} minutes.',
  backToSignIn: 'Retour à la connexion',

  resetTitle: 'Choisir un nouveau mot de passe',
  resetNewPassword: 'Nouveau mot de passe',
  resetConfirmPassword: 'Répétez le nouveau mot de passe',
  resetSignOutEverywhere: 'Me déconnecter de tous les appareils',
  resetSubmit: 'Changer le mot de passe',
  resetMismatch: 'Les deux mots de passe diffèrent.',
  resetPolicy: 'Choisissez un autre mot de passe : {problems}.',
  resetDoneTitle: 'Mot de passe changé',
  resetDoneText: 'Votre mot de passe a été changé. Retournez à l’application et connectez-vous avec.',
  linkInvalidTitle: 'Lien expiré',
  linkInvalidText: 'Ce lien a expiré ou a déjà servi. Demandez-en un nouveau.',
  forgotSubmitAgain: 'Demander un nouveau lien',

  checkEmailTitle: 'Consultez vos e-mails',
  checkEmailText: 'Nous avons envoyé un message à {email}. Suivez son lien, ou saisissez le code à 6 chiffres qu’il contient.',
  codeLabel: 'Code',
  codeSubmit: 'Confirmer',
  codeInvalid: 'Ce code n’est pas valide ou a expiré.',
  confirmTitle: 'Confirmez votre adresse e-mail',
  confirmText: 'Confirmez que {email} est l’adresse de {username}.',
  confirmSubmit: 'Confirmer',
  verifiedTitle: 'Adresse confirmée',
  verifiedText: 'Votre adresse e-mail est confirmée. Retournez à l’application et connectez-vous.',
  unverifiedText: 'Confirmez votre adresse e-mail avant de vous connecter.',

  registerLink: 'Créer un compte',
  registerTitle: 'Créer un compte',
  registerHeading: 'Créez votre compte {realm}',
  email: 'E-mail',
  passwordConfirm: 'Répétez le mot de passe',
  registerSubmit: 'Créer le compte',
  usernameTaken: 'Ce nom d’utilisateur est pris. Choisissez-en un autre.',
  invalidEmail: 'Saisissez une adresse e-mail valide.',
  invalidUsername: 'Un nom d’utilisateur compte de 1 à 64 lettres, chiffres ou . _ - @ +',
  fieldRequired: 'Remplissez tous les champs.',
  field_name: 'Nom complet',
  field_given_name: 'Prénom',
  field_family_name: 'Nom',
  field_nickname: 'Surnom',
  field_phone_number: 'Numéro de téléphone',
};

const de: EmailMessages = {
  mailGreeting: 'Hallo {username},',
  mailIgnore: 'Wenn Sie dies nicht angefordert haben, können Sie diese Nachricht ignorieren: Es ändert sich nichts.',
  mailFooter: 'Diese Nachricht wurde von {realm} gesendet. Bitte antworten Sie nicht darauf.',

  resetSubject: 'Setzen Sie Ihr {realm}-Passwort zurück',
  resetIntro: 'Jemand, hoffentlich Sie, hat angefordert, das Passwort Ihres {realm}-Kontos zurückzusetzen.',
  resetAction: 'Neues Passwort wählen',
  resetExpiry: 'Dieser Link funktioniert einmal, innerhalb von {minutes} Minuten.',

  verifySubject: 'Bestätigen Sie Ihre E-Mail-Adresse für {realm}',
  verifyIntro: 'Bestätigen Sie, dass {email} Ihre Adresse ist, um die Einrichtung Ihres {realm}-Kontos abzuschließen.',
  verifyAction: 'Adresse bestätigen',
  verifyCode: 'Oder geben Sie diesen Code auf der Seite ein, die danach fragt: {code}',
  verifyExpiry: 'Link und Code funktionieren einmal, innerhalb von {hours} Stunden.',

  registeredSubject: 'Jemand hat versucht, mit Ihrer Adresse ein {realm}-Konto anzulegen',
  registeredIntro: 'Jemand hat versucht, mit {email} ein neues {realm}-Konto anzulegen, aber Sie haben bereits eines.',
  registeredHint: 'Wenn Sie das waren, melden Sie sich mit Ihrem bestehenden Konto an oder setzen Sie Ihr Passwort zurück, falls Sie es vergessen haben. Andernfalls können Sie diese Nachricht ignorieren.',

  forgotLink: 'Passwort vergessen?',
  forgotTitle: 'Passwort zurücksetzen',
  forgotText: 'Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Wenn ein Konto passt, senden wir einen Link, um ein neues Passwort zu wählen.',
  forgotIdentifier: 'Benutzername oder E-Mail',
  forgotSubmit: 'Link senden',
  forgotSentTitle: 'Prüfen Sie Ihre E-Mails',
  forgotSentText: 'Wenn ein Konto zu Ihrer Eingabe passt, ist ein Link zum Zurücksetzen seines Passworts unterwegs. Er funktioniert einmal, innerhalb von {minutes} Minuten.',
  backToSignIn: 'Zurück zur Anmeldung',

  resetTitle: 'Neues Passwort wählen',
  resetNewPassword: 'Neues Passwort',
  resetConfirmPassword: 'Neues Passwort wiederholen',
  resetSignOutEverywhere: 'Auf allen Geräten abmelden',
  resetSubmit: 'Passwort ändern',
  resetMismatch: 'Die beiden Passwörter unterscheiden sich.',
  resetPolicy: 'Wählen Sie ein anderes Passwort: {problems}.',
  resetDoneTitle: 'Passwort geändert',
  resetDoneText: 'Ihr Passwort wurde geändert. Kehren Sie zur Anwendung zurück und melden Sie sich damit an.',
  linkInvalidTitle: 'Link abgelaufen',
  linkInvalidText: 'Dieser Link ist abgelaufen oder wurde bereits verwendet. Fordern Sie einen neuen an.',
  forgotSubmitAgain: 'Neuen Link anfordern',

  checkEmailTitle: 'Prüfen Sie Ihre E-Mails',
  checkEmailText: 'Wir haben eine Nachricht an {email} gesendet. Folgen Sie ihrem Link oder geben Sie den 6-stelligen Code daraus ein.',
  codeLabel: 'Code',
  codeSubmit: 'Bestätigen',
  codeInvalid: 'Dieser Code ist ungültig oder abgelaufen.',
  confirmTitle: 'Bestätigen Sie Ihre E-Mail-Adresse',
  confirmText: 'Bestätigen Sie, dass {email} die Adresse von {username} ist.',
  confirmSubmit: 'Bestätigen',
  verifiedTitle: 'Adresse bestätigt',
  verifiedText: 'Ihre E-Mail-Adresse ist bestätigt. Kehren Sie zur Anwendung zurück und melden Sie sich an.',
  unverifiedText: 'Bestätigen Sie Ihre E-Mail-Adresse, bevor Sie sich anmelden.',

  registerLink: 'Konto erstellen',
  registerTitle: 'Konto erstellen',
  registerHeading: 'Erstellen Sie Ihr {realm}-Konto',
  email: 'E-Mail',
  passwordConfirm: 'Passwort wiederholen',
  registerSubmit: 'Konto erstellen',
  usernameTaken: 'Dieser Benutzername ist vergeben. Wählen Sie einen anderen.',
  invalidEmail: 'Geben Sie eine gültige E-Mail-Adresse ein.',
  invalidUsername: 'Ein Benutzername hat 1 bis 64 Buchstaben, Ziffern oder . _ - @ +',
  fieldRequired: 'Füllen Sie alle Felder aus.',
  field_name: 'Vollständiger Name',
  field_given_name: 'Vorname',
  field_family_name: 'Nachname',
  field_nickname: 'Spitzname',
  field_phone_number: 'Telefonnummer',
};

const emailMessages: Record<Locale, EmailMessages> = { en, fr, de };

export function getEmailMessages(locale: string | undefined): EmailMessages {
  return isLocale(locale) ? emailMessages[locale] : en;
}
