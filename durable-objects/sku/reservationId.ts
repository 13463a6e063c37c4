const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** 130 random bits in lowercase base32: unguessable, URL-safe, fixed length. */
export function newReservationId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(17));
  let id = 'res_';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && id.length < 30) {
      bits -= 5;
      id += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return id;
}
