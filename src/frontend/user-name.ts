// What a user name may be (spec 08 §6.1's name rule), for every login method.
const USER_NAME = /^[a-zA-Z0-9.+_-]+$/;

/** The same characters as an HTML `pattern`, for the demo login form. */
export const USER_NAME_PATTERN = "[a-zA-Z0-9.+_\\-]+";

/** Longer names are no one's: they would only bloat the session cookie and every page. */
export const MAX_USER_NAME_LENGTH = 255;

export function isUserName(name: string): boolean {
  return name.length <= MAX_USER_NAME_LENGTH && USER_NAME.test(name);
}
