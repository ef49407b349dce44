// Hiding passwords of URLs before they reach a message or a log line: a URL given by a user
// (a repo, a database) may carry credentials, and errors and logs are read by others.

/** A URL's `scheme://user:password@` prefix; the password ends at the authority's last "@". */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#]*@/gi;

/** `text` with the password of every URL in it replaced by `***` (the user name is kept). */
export function maskPasswords(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1:***@");
}
