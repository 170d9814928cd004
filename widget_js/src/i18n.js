// French and English texts; the page's `lang` picks one.

const fr = {
  loading: "Chargement…",
  yourEmail: "Votre e-mail",
  getLink: "Obtenir mon lien",
  yourLink: "Votre lien de parrainage",
  reward: "Gagnez {reward} pour chaque ami qui commande.",
  copy: "Copier",
  copied: "Lien copié.",
  codeCopied: "Code copié.",
  share: "Partager…",
  showQr: "Afficher le QR code",
  qrAlt: "QR code de votre lien de parrainage",
  inviteTitle: "Inviter par e-mail",
  friendEmails: "E-mails de vos amis, séparés par des virgules",
  message: "Message personnel (facultatif)",
  send: "Envoyer",
  sent: "Invitation envoyée à vos amis qui peuvent encore profiter de l'offre.",
  held: "Vérifiez votre boîte mail pour confirmer votre adresse : vos invitations partiront ensuite.",
  linkByEmail: "Cette adresse est déjà inscrite : nous venons d'envoyer votre lien à {email}.",
  stats: "Invités : {invited} · Inscrits : {registered} · Commandes : {converted} · Récompenses : {rewarded}",
  badges: "Vos badges : {badges}",
  shareText: "Profitez de {offer} avec mon lien :",
  offers: "{name} vous offre {offer}",
  aFriend: "Un ami",
  haveCode: "Votre code de parrainage",
  checkCode: "Valider le code",
  claim: "Recevoir mon offre",
  welcomeCode: "Votre code de bienvenue",
  expires: "Valable jusqu'au {date}.",
  byEmail: "C'est noté : si l'offre vous est ouverte, votre code arrive par e-mail à {email}.",
  rules: "Règlement",
  legal: "Mentions légales",
  retry: "Réessayer",
  network: "Connexion impossible. Vérifiez votre réseau et réessayez.",
  unreachable: "Le service de parrainage ne répond pas. Réessayez dans un instant.",
  tooMany: "Trop de tentatives. Réessayez dans {n} min.",
  badEmail: "Vérifiez l'adresse e-mail.",
  notAvailable: "Cette offre n'est pas disponible pour cet e-mail.",
  unknownCode: "Ce code de parrainage n'existe pas.",
  expired: "Votre session a expiré : rechargez la page.",
  notHere: "Ce widget n'est pas configuré pour ce site.",
  originLog:
    "Parrain : l'origine de cette page ({origin}) n'est pas autorisée pour ce programme. Ajoutez-la aux origines autorisées du widget (admin, page du programme).",
  unreachableLog:
    "Parrain : impossible de joindre l'API de parrainage ({api}). Vérifiez data-parrain-api (PARRAIN_BASE_URL) et que ce serveur répond.",
  generic: "Un problème est survenu. Réessayez dans un instant.",
};

const en = {
  loading: "Loading…",
  yourEmail: "Your email",
  getLink: "Get my link",
  yourLink: "Your referral link",
  reward: "Earn {reward} for each friend who orders.",
  copy: "Copy",
  copied: "Link copied.",
  codeCopied: "Code copied.",
  share: "Share…",
  showQr: "Show QR code",
  qrAlt: "QR code of your referral link",
  inviteTitle: "Invite by email",
  friendEmails: "Your friends' emails, separated by commas",
  message: "Personal message (optional)",
  send: "Send",
  sent: "Invitation sent to your friends who can still enjoy the offer.",
  held: "Check your inbox to confirm your address; your invitations leave then.",
  linkByEmail: "This address is already signed up: we have just emailed your link to {email}.",
  stats: "Invited: {invited} · Signed up: {registered} · Ordered: {converted} · Rewards: {rewarded}",
  badges: "Your badges: {badges}",
  shareText: "Get {offer} with my link:",
  offers: "{name} offers you {offer}",
  aFriend: "A friend",
  haveCode: "Your referral code",
  checkCode: "Check the code",
  claim: "Get my offer",
  welcomeCode: "Your welcome code",
  expires: "Valid until {date}.",
  byEmail: "Done: if the offer is open to you, your code is on its way to {email}.",
  rules: "Rules",
  legal: "Legal notice",
  retry: "Try again",
  network: "We could not reach the server. Check your connection and try again.",
  unreachable: "We could not reach the server of the referral program. Please try again in a moment.",
  tooMany: "Too many attempts. Please try again in {n} min.",
  badEmail: "Please check the email address.",
  notAvailable: "This offer is not available for this email.",
  unknownCode: "This referral code does not exist.",
  expired: "Your session has expired: please reload the page.",
  notHere: "This widget is not set up for this site.",
  originLog:
    "Parrain: this page's origin ({origin}) is not allowed for this program. Add it to the program's allowed widget origins (admin, the program's page).",
  unreachableLog:
    "Parrain: could not reach the referral API ({api}). Check data-parrain-api (PARRAIN_BASE_URL) and that this server answers.",
  generic: "Something went wrong. Please try again in a moment.",
};

export const MESSAGES = { fr, en };

/** "fr" for any French page (fr, fr-CA…), English otherwise. */
export function pickLanguage(lang) {
  return String(lang || "").toLowerCase().startsWith("fr") ? "fr" : "en";
}

/** The text `key` in `lang`, with `{name}` placeholders filled from `vars`. */
export function t(lang, key, vars = {}) {
  const text = (MESSAGES[lang] || en)[key] || en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}
