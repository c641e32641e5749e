"""$crypto, $encoding and $strings in a real worker, over real HTTP, checked against Python's own
hashlib, hmac, base64 and urllib; bad input is a TypeError naming the argument; the typings compile."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from urllib.parse import quote, unquote, urlencode

import pytest
from runtime_support import new_service, tsc

# One service for the whole module: POST /eval {code} evaluates an expression in the service.
EVAL_SERVICE = """
$router.post('/eval', async (ctx) => {
  try {
    const value = await (0, eval)(ctx.body.code);
    return { ok: value === undefined ? null : value };
  } catch (e) {
    return { error: { name: e.name, message: e.message } };
  }
});
"""

SAMPLES = ["", "hello", "héllo wörld €", "🙂 emoji", "x" * 1000]


@pytest.fixture(scope="module")
def service(client, root_headers):
    deployed = new_service(client, root_headers)
    deployed.deploy(EVAL_SERVICE)
    yield deployed
    deployed.stop()


@pytest.fixture
def js(client, service):
    def evaluate(code: str):
        response = client.post(service.bot("/eval"), json={"code": code})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert "ok" in answer, f"{code} threw {answer['error']}"
        return answer["ok"]

    return evaluate


@pytest.fixture
def js_error(client, service):
    def evaluate(code: str) -> dict:
        answer = client.post(service.bot("/eval"), json={"code": code}).json()
        assert "error" in answer, f"{code} did not throw but gave {answer}"
        return answer["error"]

    return evaluate


def lit(value) -> str:
    """A JS literal for a Python str, or a Uint8Array for bytes."""
    if isinstance(value, bytes):
        return f"new Uint8Array({json.dumps(list(value))})"
    return json.dumps(value)


# -- $crypto ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["md5", "sha1", "sha256", "sha512"])
def test_hashes_match_hashlib(js, alg):
    texts = js("[" + ",".join(f"$crypto.{alg}({lit(s)})" for s in SAMPLES) + "]")
    assert texts == [hashlib.new(alg, s.encode()).hexdigest() for s in SAMPLES]
    raw = bytes(range(256))
    assert js(f"$crypto.{alg}({lit(raw)})") == hashlib.new(alg, raw).hexdigest()
    assert js(f"$crypto.{alg}({lit(raw)}.buffer)") == hashlib.new(alg, raw).hexdigest()  # an ArrayBuffer
    assert js(f"$crypto.{alg}('abc', 'base64')") == base64.b64encode(hashlib.new(alg, b"abc").digest()).decode()


@pytest.mark.parametrize("alg", ["md5", "sha1", "sha256", "sha512"])
def test_hmac_matches_python(js, alg):
    key, data = "sécret key", "the message ✓"
    assert js(f"$crypto.hmac({lit(alg)}, {lit(key)}, {lit(data)})") == hmac.new(key.encode(), data.encode(), alg).hexdigest()
    raw_key = bytes(range(100, 164))
    assert js(f"$crypto.hmac({lit(alg)}, {lit(raw_key)}, 'x', 'base64')") == base64.b64encode(
        hmac.new(raw_key, b"x", alg).digest()
    ).decode()


def test_uuid_random_bytes_and_timing_safe_equal(js):
    ids = js("[$crypto.uuid(), $crypto.uuid(), $crypto.uuid()]")
    assert len(set(ids)) == 3
    for text in ids:
        assert uuid.UUID(text).version == 4 and str(uuid.UUID(text)) == text
    rb = js(
        "(() => { const a = $crypto.randomBytes(32), b = $crypto.randomBytes(32);"
        " return { isU8: a instanceof Uint8Array, len: a.length, a: Array.from(a), b: Array.from(b),"
        " empty: $crypto.randomBytes(0).length, python: a.__class__ === undefined }; })()"
    )
    assert rb["isU8"] and rb["len"] == 32 and rb["empty"] == 0 and rb["python"]
    assert rb["a"] != rb["b"] and all(0 <= x <= 255 for x in rb["a"])
    assert js("[$crypto.timingSafeEqual('abc', 'abc'), $crypto.timingSafeEqual('abc', 'abd'), $crypto.timingSafeEqual('a', 'ab')]") == [
        True, False, False,
    ]


# -- $encoding -------------------------------------------------------------------------------------


def test_base64_and_hex_match_python(js):
    raw = bytes(range(256))
    for s in SAMPLES:
        assert js(f"$encoding.base64Encode({lit(s)})") == base64.b64encode(s.encode()).decode()
        assert js(f"$encoding.hexEncode({lit(s)})") == s.encode().hex()
        assert js(f"$encoding.base64Decode({lit(base64.b64encode(s.encode()).decode())})") == s
        assert js(f"$encoding.hexDecode({lit(s.encode().hex().upper())})") == s
    assert js(f"$encoding.base64Encode({lit(raw)})") == base64.b64encode(raw).decode()
    assert js(f"$encoding.base64Encode({lit(raw)}, {{ urlSafe: true }})") == base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert js(f"$encoding.hexEncode({lit(raw)})") == raw.hex()
    back = js(f"Array.from($encoding.base64Decode({lit(base64.urlsafe_b64encode(raw).decode().rstrip('='))}, {{ as: 'bytes' }}))")
    assert bytes(back) == raw
    assert bytes(js(f"Array.from($encoding.hexDecode({lit(raw.hex())}, {{ as: 'bytes' }}))")) == raw
    assert js("$encoding.base64Decode('aGVs\\nbG8=')") == "hello"  # line breaks are allowed


def test_url_encoding_matches_python(js):
    for s in ["a b&c=d/é?#+%", "plain", "~!*'()-_.", "🙂"]:
        assert js(f"$encoding.urlEncode({lit(s)})") == quote(s, safe="!*'()~")  # encodeURIComponent's set
        assert js(f"$encoding.urlDecode({lit(quote(s))})") == unquote(quote(s))
    params = {"q": "a b", "tags": ["x", "y/z"], "n": 3, "skip": None}
    expected = urlencode({"q": "a b", "tags": ["x", "y/z"], "n": 3}, doseq=True, quote_via=quote, safe="!*'()~")
    assert js(f"$encoding.urlEncode({json.dumps(params)})") == expected


# -- $strings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, expected",
    [
        ("$strings.slugify('Hello, World!')", "hello-world"),
        ("$strings.slugify('  Crème Brûlée à la carte  ')", "creme-brulee-a-la-carte"),
        ("$strings.slugify('Straße — Привет мир', { separator: '_' })", "strasse_privet_mir"),
        ("$strings.slugify('Keep CASE 42', { lowercase: false })", "Keep-CASE-42"),
        ("$strings.slugify('!!!')", ""),
        ("$strings.truncate('hello world', 20)", "hello world"),
        ("$strings.truncate('hello wonderful world', 10)", "hello w..."),
        ("$strings.truncate('hello wonderful world', 12, { words: true })", "hello..."),
        ("$strings.truncate('hello wonderful world', 8, { suffix: '…' })", "hello w…"),
        ("$strings.truncate('🙂🙂🙂🙂', 3, { suffix: '' })", "🙂🙂🙂"),
        ("$strings.capitalize('élan vital')", "Élan vital"),
        ("$strings.capitalize('')", ""),
        ("$strings.camelCase('Hello big_world-now')", "helloBigWorldNow"),
        ("$strings.pascalCase('hello big world')", "HelloBigWorld"),
        ("$strings.kebabCase('XMLHttpRequest handlerV2')", "xml-http-request-handler-v-2"),
        ("$strings.snakeCase('helloWorld, again')", "hello_world_again"),
        ("$strings.words('fooBar baz_qux 42')", ["foo", "Bar", "baz", "qux", "42"]),
        ("$strings.padStart(7, 3, '0')", "007"),
        ("$strings.padEnd('ab', 5, '.')", "ab..."),
        ("$strings.escapeHtml('<a href=\"x\">Tom & Jerry\\'s</a>')", "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"),
    ],
)
def test_strings(js, code, expected):
    assert js(code) == expected


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, name, needle",
    [
        ("$crypto.sha256(42)", "TypeError", "$crypto.sha256: data must be a string or a Uint8Array, got number 42"),
        ("$crypto.md5()", "TypeError", "$crypto.md5: data must be"),
        ("$crypto.sha1('x', 'base32')", "TypeError", "output must be 'hex' or 'base64'"),
        ("$crypto.hmac('sha3', 'k', 'd')", "TypeError", "$crypto.hmac: alg must be one of md5, sha1, sha256, sha512"),
        ("$crypto.hmac('sha256', null, 'd')", "TypeError", "$crypto.hmac: key must be"),
        ("$crypto.hmac('sha256', 'k', {})", "TypeError", "$crypto.hmac: data must be"),
        ("$crypto.randomBytes('8')", "TypeError", "$crypto.randomBytes: n must be a whole number"),
        ("$crypto.randomBytes(1.5)", "TypeError", "n must be a whole number"),
        ("$crypto.randomBytes(-1)", "RangeError", "$crypto.randomBytes: n must be from 0 to 65536"),
        ("$crypto.randomBytes(1e9)", "RangeError", "n must be from 0 to 65536"),
        ("$encoding.base64Encode([1, 2])", "TypeError", "$encoding.base64Encode: data must be a string or a Uint8Array, got an array"),
        ("$encoding.base64Decode('@@@')", "TypeError", "$encoding.base64Decode: text is not base64"),
        ("$encoding.base64Decode('abcde')", "TypeError", "text is not base64"),
        ("$encoding.base64Decode('/w==')", "TypeError", "not UTF-8 text; ask for { as: 'bytes' }"),
        ("$encoding.base64Decode('aGk=', { as: 'blob' })", "TypeError", "options.as must be 'text' or 'bytes'"),
        ("$encoding.hexDecode('abc')", "TypeError", "$encoding.hexDecode: text is not hex"),
        ("$encoding.hexDecode('zz')", "TypeError", "text is not hex"),
        ("$encoding.urlDecode('%E0%A4%A')", "TypeError", "$encoding.urlDecode: text is not valid percent-encoding"),
        ("$encoding.urlEncode(5)", "TypeError", "$encoding.urlEncode: value must be a string or an object"),
        ("$encoding.hexEncode('\\ud800')", "TypeError", "not valid Unicode text"),
        ("$strings.slugify(null)", "TypeError", "$strings.slugify: text must be a string, got null"),
        ("$strings.truncate('abc', -1)", "TypeError", "$strings.truncate: length must be a whole number >= 0"),
        ("$strings.truncate('abc', 2, { suffix: 1 })", "TypeError", "options.suffix must be a string"),
        ("$strings.capitalize(undefined)", "TypeError", "$strings.capitalize: text must be a string"),
        ("$strings.camelCase({})", "TypeError", "$strings.camelCase: text must be a string, got an object"),
        ("$strings.padStart('a', 3, '')", "TypeError", "$strings.padStart: fill must not be empty"),
        ("$strings.padEnd(true, 3)", "TypeError", "$strings.padEnd: value must be a string or a number"),
    ],
)
def test_bad_input_is_a_clear_error(js_error, code, name, needle):
    error = js_error(code)
    assert error["name"] == name, error
    assert needle in error["message"], error


def test_the_api_objects_are_frozen(js):
    assert js("(() => { try { $crypto.md5 = () => 'x'; } catch (e) {} return $crypto.md5('a'); })()") == hashlib.md5(b"a").hexdigest()
    assert js("[Object.isFrozen($crypto), Object.isFrozen($encoding), Object.isFrozen($strings)]") == [True, True, True]


# -- typings ---------------------------------------------------------------------------------------

EVERY_CALL = """
/** @type {string[]} */
const hashes = [$crypto.md5('a'), $crypto.sha1(new Uint8Array(2)), $crypto.sha256('a', 'base64'), $crypto.sha512('a'),
  $crypto.hmac('sha256', 'k', 'd'), $crypto.uuid()];
/** @type {Uint8Array} */
const random = $crypto.randomBytes(16);
/** @type {boolean} */
const same = $crypto.timingSafeEqual('a', random);
/** @type {string} */
const text = $encoding.base64Decode($encoding.base64Encode('x', { urlSafe: true }))
  + $encoding.hexDecode($encoding.hexEncode(random)) + $encoding.urlEncode({ a: 1, b: ['x'] })
  + $encoding.urlDecode($encoding.urlEncode('a b'));
/** @type {Uint8Array} */
const bytes = $encoding.base64Decode('AA==', { as: 'bytes' });
/** @type {Uint8Array} */
const bytes2 = $encoding.hexDecode('00', { as: 'bytes' });
/** @type {string[]} */
const strings = [$strings.slugify('A b', { separator: '_' }), $strings.truncate('abc', 2, { suffix: '', words: true }),
  $strings.capitalize('a'), $strings.camelCase('a b'), $strings.pascalCase('a b'), $strings.kebabCase('a b'),
  $strings.snakeCase('a b'), $strings.padStart(1, 3, '0'), $strings.padEnd('a', 3), $strings.escapeHtml('<'), ...$strings.words('a b')];
"""



def test_typings_declare_every_function_and_compile(client, service, tmp_path):
    """The typings of the toolkit: every function declared, and a service using them all compiles."""
    typings = client.get(service.api("/runtime/typings"), headers=service.headers).text
    for name in ("$crypto", "$encoding", "$strings"):
        assert f"declare const {name}" in typings
    for fn in ("md5", "sha1", "sha256", "sha512", "hmac", "uuid", "randomBytes", "base64Encode", "base64Decode",
               "hexEncode", "hexDecode", "urlEncode", "urlDecode", "slugify", "truncate", "capitalize", "camelCase",
               "kebabCase", "snakeCase", "padStart"):
        assert re.search(rf"\b{fn}\(", typings), f"{fn} is not declared"
    result = tsc(tmp_path, typings, EVERY_CALL, strict=True)
    assert result.returncode == 0, result.stdout + result.stderr
    wrong = tsc(tmp_path, typings, strict=True, source="$crypto.hmac('sha3', 'k', 'd');\n/** @type {string} */\nconst s = $encoding.base64Decode('AA==', { as: 'bytes' });\n")
    assert wrong.returncode != 0
    assert "'\"sha3\"' is not assignable" in wrong.stdout and "Uint8Array" in wrong.stdout
