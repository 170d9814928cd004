// Share channels: links that open each network's own share page with the referral link.

const enc = encodeURIComponent;

const BUILDERS = {
  whatsapp: (url, text) => `https://wa.me/?text=${enc(`${text} ${url}`)}`,
  sms: (url, text) => `sms:?&body=${enc(`${text} ${url}`)}`,
  facebook: (url) => `https://www.facebook.com/sharer/sharer.php?u=${enc(url)}`,
  messenger: (url) => `fb-messenger://share/?link=${enc(url)}`,
  x: (url, text) => `https://x.com/intent/post?text=${enc(text)}&url=${enc(url)}`,
  linkedin: (url) => `https://www.linkedin.com/sharing/share-offsite/?url=${enc(url)}`,
};

export const LABELS = {
  whatsapp: "WhatsApp",
  sms: "SMS",
  facebook: "Facebook",
  messenger: "Messenger",
  x: "X",
  linkedin: "LinkedIn",
};

/** The link buttons of the enabled `channels`, in the program's order. */
export function channelLinks(channels, url, text) {
  return (channels || [])
    .filter((channel) => channel in BUILDERS)
    .map((channel) => ({ channel, label: LABELS[channel], href: BUILDERS[channel](url, text) }));
}

/** Email addresses typed in one field, separated by commas, semicolons or spaces. */
export function splitEmails(text) {
  return [...new Set(String(text || "").split(/[\s,;]+/).filter(Boolean))];
}
