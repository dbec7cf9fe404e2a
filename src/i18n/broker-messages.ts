/**
 * The texts of sign-in through an upstream identity provider (docs/identity-providers.md), in every
 * locale the pages have; same rules as messages.ts: every locale has the keys of `en`, `{name}`
 * placeholders are filled in by `format()`.
 */
import { isLocale, localeOf, overridden, type Locale, type Wording } from './messages.js';

const en = {
  signInWith: 'Sign in with {provider}',
  orDivider: 'or',
  linkTitle: 'Link your {provider} account',
  linkText: 'An account with the address {email} already exists here. Enter its password to link your {provider} account to it; from then on either signs you in.',
  linkPassword: 'Password of {username}',
  linkSubmit: 'Link and sign in',
  errorTitle: 'Sign-in with {provider} failed',
  unavailableText: '{provider} could not be reached. Try again in a moment, or sign in another way.',
  upstreamErrorText: '{provider} did not sign you in. Go back to the application and try again.',
  invalidText: 'The answer from {provider} could not be verified, so nobody was signed in. Go back to the application and try again.',
  expiredText: 'This sign-in took too long or was started in another browser. Go back to the application and try again.',
  existsText: 'An account with your {provider} e-mail address already exists here. Sign in with its password instead.',
  disabledText: 'This account is disabled.',
  unknownProviderText: 'This sign-in provider does not exist.',
  linkedTitle: 'Linked accounts',
  linkedText: 'Accounts at these providers sign you in here too.',
  linkedYes: 'Linked',
  linkedNo: 'Not linked',
  linkAction: 'Link',
  unlinkAction: 'Unlink',
  linkedNotice: '{provider} is linked: it signs you in here from now on.',
  unlinkedNotice: '{provider} is no longer linked.',
  lastWayText: '{provider} is your only way to sign in: set a password or add a passkey before you unlink it.',
  linkedElsewhereText: 'This {provider} account is already linked to another account here.',
  linkReauthText: 'To link an account, sign in again first: your last sign-in was a while ago.',
  linkedNone: 'This realm has no sign-in providers.',
  linkReauthLink: 'Sign in again',
};

export type BrokerMessages = { [K in keyof typeof en]: string };

const fr: BrokerMessages = {
  signInWith: 'Se connecter avec {provider}',
  orDivider: 'ou',
  linkTitle: 'Associer votre compte {provider}',
  linkText: 'Un compte avec l’adresse {email} existe déjà ici. Saisissez son mot de passe pour y associer votre compte {provider} ; ensuite, l’un ou l’autre vous connecte.',
  linkPassword: 'Mot de passe de {username}',
  linkSubmit: 'Associer et se connecter',
  errorTitle: 'La connexion avec {provider} a échoué',
  unavailableText: '{provider} est injoignable. Réessayez dans un instant, ou connectez-vous autrement.',
  upstreamErrorText: '{provider} ne vous a pas connecté. Revenez à l’application et réessayez.',
  invalidText: 'La réponse de {provider} n’a pas pu être vérifiée : personne n’a été connecté. Revenez à l’application et réessayez.',
  expiredText: 'Cette connexion a pris trop de temps ou a commencé dans un autre navigateur. Revenez à l’application et réessayez.',
  existsText: 'Un compte avec votre adresse e-mail {provider} existe déjà ici. Connectez-vous plutôt avec son mot de passe.',
  disabledText: 'Ce compte est désactivé.',
  unknownProviderText: 'Ce fournisseur de connexion n’existe pas.',
  linkedTitle: 'Comptes associés',
  linkedText: 'Les comptes de ces fournisseurs vous connectent aussi ici.',
  linkedYes: 'Associé',
  linkedNo: 'Non associé',
  linkAction: 'Associer',
  unlinkAction: 'Dissocier',
  linkedNotice: '{provider} est associé : il vous connecte ici désormais.',
  unlinkedNotice: '{provider} n’est plus associé.',
  lastWayText: '{provider} est votre seul moyen de connexion : définissez un mot de passe ou ajoutez une clé d’accès avant de le dissocier.',
  linkedElsewhereText: 'Ce compte {provider} est déjà associé à un autre compte ici.',
  linkReauthText: 'Pour associer un compte, reconnectez-vous d’abord : votre dernière connexion date un peu.',
  linkedNone: 'Ce domaine n’a aucun fournisseur de connexion.',
  linkReauthLink: 'Se reconnecter',
};

const de: BrokerMessages = {
  signInWith: 'Mit {provider} anmelden',
  orDivider: 'oder',
  linkTitle: 'Ihr {provider}-Konto verknüpfen',
  linkText: 'Ein Konto mit der Adresse {email} gibt es hier bereits. Geben Sie dessen Passwort ein, um Ihr {provider}-Konto damit zu verknüpfen; danach meldet Sie beides an.',
  linkPassword: 'Passwort von {username}',
  linkSubmit: 'Verknüpfen und anmelden',
  errorTitle: 'Anmeldung mit {provider} fehlgeschlagen',
  unavailableText: '{provider} ist nicht erreichbar. Versuchen Sie es gleich noch einmal, oder melden Sie sich anders an.',
  upstreamErrorText: '{provider} hat Sie nicht angemeldet. Gehen Sie zurück zur Anwendung und versuchen Sie es erneut.',
  invalidText: 'Die Antwort von {provider} konnte nicht geprüft werden, niemand wurde angemeldet. Gehen Sie zurück zur Anwendung und versuchen Sie es erneut.',
  expiredText: 'Diese Anmeldung hat zu lange gedauert oder wurde in einem anderen Browser begonnen. Gehen Sie zurück zur Anwendung und versuchen Sie es erneut.',
  existsText: 'Ein Konto mit Ihrer {provider}-E-Mail-Adresse gibt es hier bereits. Melden Sie sich stattdessen mit dessen Passwort an.',
  disabledText: 'Dieses Konto ist deaktiviert.',
  unknownProviderText: 'Diesen Anmeldeanbieter gibt es nicht.',
  linkedTitle: 'Verknüpfte Konten',
  linkedText: 'Konten bei diesen Anbietern melden Sie auch hier an.',
  linkedYes: 'Verknüpft',
  linkedNo: 'Nicht verknüpft',
  linkAction: 'Verknüpfen',
  unlinkAction: 'Trennen',
  linkedNotice: '{provider} ist verknüpft: Es meldet Sie ab jetzt hier an.',
  unlinkedNotice: '{provider} ist nicht mehr verknüpft.',
  lastWayText: '{provider} ist Ihre einzige Anmeldemöglichkeit: Legen Sie ein Passwort fest oder fügen Sie einen Passkey hinzu, bevor Sie es trennen.',
  linkedElsewhereText: 'Dieses {provider}-Konto ist hier bereits mit einem anderen Konto verknüpft.',
  linkReauthText: 'Um ein Konto zu verknüpfen, melden Sie sich zuerst erneut an: Ihre letzte Anmeldung ist schon eine Weile her.',
  linkedNone: 'Dieser Bereich hat keine Anmeldeanbieter.',
  linkReauthLink: 'Erneut anmelden',
};

const brokerMessages: Record<Locale, BrokerMessages> = { en, fr, de };

export function getBrokerMessages(wording: Wording): BrokerMessages {
  const locale = localeOf(wording);
  return overridden(isLocale(locale) ? brokerMessages[locale] : en, wording);
}
