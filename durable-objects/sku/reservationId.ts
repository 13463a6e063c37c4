const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const ID_CHARS = 26;

/**
 * 130 random bits in lowercase base32: unguessable, URL-safe, fixed length. The characters are
 * gathered first and made into one flat string at once: appending one at a time built a rope of
 * 27 pieces, and a live object held ~4× the id's bytes for every reservation it touched.
 */
export function newReservationId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(17));
  const chars = new Array<string>(ID_CHARS);
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && n < ID_CHARS) {
      bits -= 5;
      chars[n++] = ALPHABET[(buffer >> bits) & 31]!;
    }
    buffer &= (1 << bits) - 1;
  }
  return `res_${chars.join('')}`;
}
