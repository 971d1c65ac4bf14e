/**
 * The longest notification body: a notification shows a few lines, and the window has the
 * full decision. (Names and reasons come from other processes: their length is theirs.)
 */
export const NOTIFICATION_BODY_MAX_CHARS = 240;

/**
 * Text for a desktop notification, shown as plain text whatever the notification server.
 * App names are what other processes call themselves, so they may carry markup or control
 * characters: servers with body-markup (GNOME, KDE, dunst) would render `<b>`/`<a href>`
 * and entities; control characters (newlines, escapes, bidi overrides) could fake lines or
 * reorder text. Markup characters become look-alikes that no server interprets (escaping
 * them as entities would show "&lt;" on servers without markup), control and bidi-control
 * characters become spaces, and the result is cut to `max` characters.
 */
export function notificationText(text: string, max = NOTIFICATION_BODY_MAX_CHARS): string {
  const plain = text
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/&/g, '＆')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  const chars = [...plain];
  return chars.length <= max ? plain : chars.slice(0, max - 1).join('') + '…';
}
