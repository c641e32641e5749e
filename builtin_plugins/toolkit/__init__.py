"""The toolkit: $crypto (hashes, hmac, uuid, random bytes), $encoding (base64, hex, url) and
$strings (slugify, truncate, cases, padding) for services. Pure functions, no state; the API is
binding.py, prelude.js and typings.d.ts (no hook needed)."""
