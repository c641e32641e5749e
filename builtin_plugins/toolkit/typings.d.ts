/** Bytes or text; a string is taken as its UTF-8 bytes. */
type M3mData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Hashes, HMAC, UUIDs and random bytes, computed on the host (hashlib, hmac, secrets). */
declare const $crypto: {
  /** MD5 of the data, lowercase hex (or base64). Not for passwords or signatures. */
  md5(data: M3mData, output?: 'hex' | 'base64'): string;
  sha1(data: M3mData, output?: 'hex' | 'base64'): string;
  sha256(data: M3mData, output?: 'hex' | 'base64'): string;
  sha512(data: M3mData, output?: 'hex' | 'base64'): string;
  /** HMAC of `data` with `key`, lowercase hex (or base64). */
  hmac(alg: 'md5' | 'sha1' | 'sha256' | 'sha512', key: M3mData, data: M3mData, output?: 'hex' | 'base64'): string;
  /** Compares two values in constant time (for signatures and tokens). */
  timingSafeEqual(a: M3mData, b: M3mData): boolean;
  /** A random UUID (version 4), e.g. "0b0a5c2e-4f1e-4a8e-9a55-0c1d2e3f4a5b". */
  uuid(): string;
  /** `n` (0..65536) cryptographically secure random bytes. */
  randomBytes(n: number): Uint8Array;
};

/** Base64, hex and URL encodings. Decoding gives text (UTF-8) unless { as: 'bytes' }. */
declare const $encoding: {
  /** Standard base64 with padding; { urlSafe: true } gives - and _ without padding. */
  base64Encode(data: M3mData, options?: { urlSafe?: boolean }): string;
  /** Accepts both alphabets, with or without padding; throws a TypeError on anything else. */
  base64Decode(text: string, options?: { as?: 'text' }): string;
  base64Decode(text: string, options: { as: 'bytes' }): Uint8Array;
  /** Lowercase hex. */
  hexEncode(data: M3mData): string;
  hexDecode(text: string, options?: { as?: 'text' }): string;
  hexDecode(text: string, options: { as: 'bytes' }): Uint8Array;
  /** A string: encodeURIComponent. An object: a query string (a=1&b=x%20y; arrays repeat the key; null and undefined are left out). */
  urlEncode(value: string | Record<string, string | number | boolean | null | undefined | Array<string | number | boolean>>): string;
  /** decodeURIComponent; throws a TypeError on malformed percent-encoding. */
  urlDecode(text: string): string;
};

/** Text helpers; each throws a TypeError naming the argument when it is not a string. */
declare const $strings: {
  /** "Crème Brûlée, Привет!" -> "creme-brulee-privet": ASCII letters and digits joined by the separator. */
  slugify(text: string, options?: { separator?: string; lowercase?: boolean }): string;
  /** At most `length` characters, the suffix (default "...") included; { words: true } cuts at a word boundary. */
  truncate(text: string, length: number, options?: { suffix?: string; words?: boolean }): string;
  /** The first character in upper case, the rest unchanged. */
  capitalize(text: string): string;
  /** "hello world" -> "helloWorld" */
  camelCase(text: string): string;
  /** "hello world" -> "HelloWorld" */
  pascalCase(text: string): string;
  /** "helloWorld" -> "hello-world" */
  kebabCase(text: string): string;
  /** "helloWorld" -> "hello_world" */
  snakeCase(text: string): string;
  /** The words of a text: "XMLHttpRequest v2" -> ["XML", "Http", "Request", "v", "2"] */
  words(text: string): string[];
  padStart(value: string | number, length: number, fill?: string): string;
  padEnd(value: string | number, length: number, fill?: string): string;
  /** & < > " ' as HTML entities. */
  escapeHtml(text: string): string;
};
