"""Differential testing: jwt_validate against PyJWT and jwcrypto.

    /usr/bin/python3 -I diff.py [--cases N] [--seed S] [--show N]

Makes N random tokens (default 3000) from valid ones by mutating their
header, claims, encoding and signature (alg, kid, typ, crit, times,
audience, issuer, duplicate members, nesting, JSON oddities, padding and
stray characters, extra segments, other keys, re-signing so that a mutated
claims set gets past the signature), then asks three verifiers whether each
is valid at the same fixed time, with the same key, allowed algorithms,
audience and issuer:

  - jwt_validate, through psql (PGHOST/PGPORT/PGUSER/PGDATABASE name a
    database with the extension);
  - Debian's python3-jwt (PyJWT) 2.6, jwt.decode;
  - Debian's python3-jwcrypto 1.1, jwt.JWT with leeway 0.

They must agree on valid/invalid.  A disagreement is accepted only when the
token has one of the features listed in KNOWN below: places where the
extension's strict rules (RFC 8725, RFC 7519) reject what a library
accepts, each with its reason (README, Security notes, lists them).  Only
two disagreements the other way are known, both library defects or
extensions, not leniency of ours: PyJWT truncates fractional times, and
jwcrypto requires "b64" to be critical (RFC 7797) where RFC 7515 says an
unknown header parameter is ignored.  When all accept, the claims must be
equal.  Prints "ok"/"not ok" lines and a table of the differences seen.
"""
import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import types

try:
    import jwt as pyjwt
    from jwt import api_jwt
    from jwcrypto import jwk as jwc_jwk
    from jwcrypto import jwt as jwc_jwt
    import jwcrypto.jwt
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
except ImportError as e:
    print("not ok - differential: import PyJWT, jwcrypto and cryptography (%s); "
          "apt-get install python3-jwt python3-jwcrypto" % e)
    sys.exit(1)

NOW = 1800000000          # the evaluation time of every verifier
LIMIT = 65536             # jwt.max_token_size's default
DEPTH = 32                # jwt.max_json_depth's default


# --- one clock for the libraries ---------------------------------------------
class FrozenDateTime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return dt.datetime.fromtimestamp(NOW, tz)


api_jwt.datetime = FrozenDateTime
jwcrypto.jwt.time = types.SimpleNamespace(time=lambda: float(NOW))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64d_strict(s):
    """Canonical unpadded base64url, or None."""
    if any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in s):
        return None
    if len(s) % 4 == 1:
        return None
    b = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    return b if b64e(b) == s else None


# --- keys ----------------------------------------------------------------------
ALGS = {
    "HS256": ("hs", hashes.SHA256), "HS384": ("hs", hashes.SHA384), "HS512": ("hs", hashes.SHA512),
    "RS256": ("rsa", hashes.SHA256), "RS384": ("rsa", hashes.SHA384), "RS512": ("rsa", hashes.SHA512),
    "PS256": ("rsa", hashes.SHA256), "PS384": ("rsa", hashes.SHA384), "PS512": ("rsa", hashes.SHA512),
    "ES256": ("p256", hashes.SHA256), "ES384": ("p384", hashes.SHA384), "ES512": ("p521", hashes.SHA512),
    "ES256K": ("k256", hashes.SHA256), "EdDSA": ("ed25519", None),
}


class Key:
    def __init__(self, name, priv, algs):
        self.name = name
        self.priv = priv
        self.algs = algs
        if name == "hs":
            self.pub = priv
            self.jwk_pub = {"kty": "oct", "k": b64e(priv)}
        else:
            self.pub = priv.public_key()
            self.jwk_pub = json.loads(jwc_jwk.JWK.from_pyca(self.pub).export_public())

    def pem(self):
        return self.pub.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def make_keys():
    keys = {
        "hs": Key("hs", os.urandom(64), ["HS256", "HS384", "HS512"]),
        "rsa": Key("rsa", rsa.generate_private_key(65537, 2048),
                   ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]),
        "p256": Key("p256", ec.generate_private_key(ec.SECP256R1()), ["ES256"]),
        "p384": Key("p384", ec.generate_private_key(ec.SECP384R1()), ["ES384"]),
        "p521": Key("p521", ec.generate_private_key(ec.SECP521R1()), ["ES512"]),
        "k256": Key("k256", ec.generate_private_key(ec.SECP256K1()), ["ES256K"]),
        "ed25519": Key("ed25519", ed25519.Ed25519PrivateKey.generate(), ["EdDSA"]),
        "ed448": Key("ed448", ed448.Ed448PrivateKey.generate(), ["EdDSA"]),
    }
    # another key of each kind, for "signed by someone else"
    others = {
        "hs": os.urandom(64), "rsa": rsa.generate_private_key(65537, 2048),
        "p256": ec.generate_private_key(ec.SECP256R1()), "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()), "k256": ec.generate_private_key(ec.SECP256K1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(), "ed448": ed448.Ed448PrivateKey.generate(),
    }
    return keys, others


def sign(priv, alg, data, variant=None):
    """JWS signature of data (bytes) under alg with the private key priv."""
    kind, h = ALGS.get(alg, (None, None))
    if alg.startswith("HS"):
        return hmac.new(priv, data, getattr(hashlib, "sha" + alg[2:])).digest()
    if alg.startswith("RS"):
        return priv.sign(data, padding.PKCS1v15(), h())
    if alg.startswith("PS"):
        salt = padding.PSS.MAX_LENGTH if variant == "pss-max-salt" else h().digest_size
        return priv.sign(data, padding.PSS(mgf=padding.MGF1(h()), salt_length=salt), h())
    if alg.startswith("ES"):
        der = priv.sign(data, ec.ECDSA(h()))
        if variant == "es-der":
            return der
        r, s = decode_dss_signature(der)
        n = (priv.curve.key_size + 7) // 8
        if variant == "es-high-s":
            order = {256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551}
            if priv.curve.name == "secp256r1":
                s = order[256] - s
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    if alg == "EdDSA":
        return priv.sign(data)
    raise ValueError(alg)


# --- tokens ----------------------------------------------------------------------
class Case:
    """A token, the key that verifies it, the options, and what was done to it."""

    def __init__(self, key, algs):
        self.key = key
        self.algs = algs
        self.audience = None
        self.issuer = None
        self.ops = []
        self.token = None
        self.header_text = None
        self.payload_text = None


def compact(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def nest(depth):
    return "[" * depth + "1" + "]" * depth


def mutate_header(rnd, h, case):
    """Returns (header text, op) with h (a dict) changed."""
    op = rnd.choice(["alg", "alg", "kid", "typ", "crit", "dup", "notobj", "deep", "nan",
                     "surrogate", "nul", "b64", "escape", "space", "jwk"])
    if op == "alg":
        h["alg"] = rnd.choice(list(ALGS) + ["none", "None", "NONE", "hs256", "", 256, None, "RS1"])
        if rnd.random() < 0.1:
            del h["alg"]
    elif op == "kid":
        h["kid"] = rnd.choice(["k1", 7, None, ["k1"], ""])
    elif op == "typ":
        h["typ"] = rnd.choice(["JWT", "at+jwt", 1, None, {"a": 1}])
    elif op == "crit":
        h["crit"] = rnd.choice([["exp"], [], "exp", ["b64"], ["zip"]])
        if h["crit"] == ["b64"]:
            h["b64"] = True
    elif op == "dup":
        t = compact(h)
        first = rnd.choice(['"alg":"none",', '"alg":"HS256",', '"typ":"JWT",', '"kid":"x",'])
        return "{" + first + t[1:], op
    elif op == "notobj":
        return rnd.choice(["[" + compact(h) + "]", '"' + str(h.get("alg")) + '"', "1", "null", ""]), op
    elif op == "deep":
        h["x"] = json.loads(nest(rnd.choice([DEPTH - 2, DEPTH + 5])))
    elif op == "nan":
        return compact(h)[:-1] + ',"x":' + rnd.choice(["NaN", "Infinity", "-Infinity"]) + "}", op
    elif op == "surrogate":
        return compact(h)[:-1] + ',"x":"\\ud800"}', op
    elif op == "nul":
        return compact(h)[:-1] + ',"x":"a\\u0000b"}', op
    elif op == "b64":
        h["b64"] = rnd.choice([False, True])
    elif op == "escape":
        return compact(h).replace('"alg"', '"\\u0061lg"'), op
    elif op == "space":
        return " " + json.dumps(h, indent=1) + "\n", op
    elif op == "jwk":
        h["jwk"] = {"kty": "oct", "k": "AAAA"}
    return compact(h), op


def mutate_claims(rnd, c, case):
    """Returns (claims text, op) with c (a dict) changed."""
    op = rnd.choice(["exp", "exp", "nbf", "iat", "aud", "aud", "iss", "sub", "dup", "notobj",
                     "deep", "nan", "surrogate", "nul", "utf16", "big", "garbage", "huge"])
    times = [NOW - 1, NOW, NOW + 1, NOW - 0.5, NOW + 0.5, NOW + 3600, NOW - 3600, str(NOW + 3600),
             True, None, 1e400, -1, 10 ** 20, 0]
    if op in ("exp", "nbf", "iat"):
        v = rnd.choice(times)
        if v == 1e400:
            return compact(c)[:-1] + ',"%s":1e400}' % op, op
        c[op] = v
        if rnd.random() < 0.15:
            del c[op]
    elif op == "aud":
        c["aud"] = rnd.choice(["api", "other", ["x", "api"], ["x"], [], "", [1], 5, None])
        if rnd.random() < 0.2:
            c.pop("aud", None)
    elif op == "iss":
        c["iss"] = rnd.choice(["iss1", "other", 5, None])
    elif op == "sub":
        c["sub"] = rnd.choice(["x", 5, ["x"]])
    elif op == "dup":
        t = compact(c)
        first = rnd.choice(['"exp":1,', '"aud":"evil",', '"sub":"root",', '"exp":%d,' % (NOW + 99)])
        return "{" + first + t[1:], op
    elif op == "notobj":
        return rnd.choice(["[]", '"x"', "1", "", "null", compact(c) + "x", compact(c) + "{}"]), op
    elif op == "deep":
        c["x"] = json.loads(nest(rnd.choice([DEPTH - 2, DEPTH + 5])))
    elif op == "nan":
        return compact(c)[:-1] + ',"x":' + rnd.choice(["NaN", "Infinity"]) + "}", op
    elif op == "surrogate":
        return compact(c)[:-1] + ',"x":"\\udc00"}', op
    elif op == "nul":
        return compact(c)[:-1] + ',"x":"\\u0000"}', op
    elif op == "utf16":
        return ("utf16", compact(c)), op
    elif op == "big":
        c["n"] = rnd.choice([10 ** 30, 1.5e300, -0.0, 123456789.123456789])
    elif op == "garbage":
        return compact(c) + rnd.choice([" ", "\n", ",", "}"]), op
    elif op == "huge":
        c["pad"] = "x" * rnd.choice([1000, LIMIT])
    return compact(c), op


def build(rnd, keys, others):
    name = rnd.choice(list(keys))
    key = keys[name]
    alg = rnd.choice(key.algs)
    case = Case(key, list(key.algs))
    case.audience = rnd.choice([None, None, "api"])
    case.issuer = rnd.choice([None, None, "iss1"])

    h = {"alg": alg, "typ": "JWT"}
    c = {"sub": "alice", "iat": NOW - 100, "nbf": NOW - 100, "exp": NOW + 3600}
    if case.audience or rnd.random() < 0.3:
        c["aud"] = rnd.choice(["api", ["x", "api"]])
    if case.issuer or rnd.random() < 0.3:
        c["iss"] = "iss1"
    htext, ctext = compact(h), compact(c)

    nmut = rnd.choice([0, 1, 1, 1, 2, 2, 3])
    resign = True
    encoded = {}
    sig_variant = None
    signer = key.priv
    for _ in range(nmut):
        where = rnd.choice(["header", "claims", "claims", "encoding", "signature"])
        if where == "header":
            htext, op = mutate_header(rnd, h, case)
            case.ops.append("header:" + op)
        elif where == "claims":
            ctext, op = mutate_claims(rnd, c, case)
            case.ops.append("claims:" + op)
        elif where == "encoding":
            op = rnd.choice(["pad", "bits", "stray", "stdalpha", "space", "segments", "sigbits"])
            encoded[op] = rnd.choice(["header", "payload"])
            case.ops.append("encoding:" + op)
        else:
            op = rnd.choice(["flip", "truncate", "empty", "other-key", "no-resign", "pss-max-salt",
                             "es-der", "es-high-s", "extend", "confusion"])
            case.ops.append("signature:" + op)
            if op == "confusion" and name != "hs":
                # HS256 keyed with the public key's PEM: the classic forgery
                h["alg"] = "HS256"
                htext = compact(h)
                signer = key.pem().encode()
                sig_variant = "confusion"
            elif op == "other-key":
                signer = others[name]
            elif op == "no-resign":
                resign = False
            elif op in ("pss-max-salt", "es-der", "es-high-s") and sig_variant != "confusion":
                sig_variant = op
            else:
                encoded["sig:" + op] = True

    # encode
    if isinstance(ctext, tuple):          # utf16
        pbytes = ctext[1].encode("utf-16")
    else:
        pbytes = ctext.encode("utf-8", "surrogatepass")
    hseg = b64e(htext.encode("utf-8", "surrogatepass"))
    pseg = b64e(pbytes)

    def spoil(seg, op):
        if op == "pad":
            return seg + "=" * (-len(seg) % 4 or 2)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        if op == "bits" and len(seg) % 4 in (2, 3) and seg[-1] in alphabet:
            return seg[:-1] + alphabet[alphabet.index(seg[-1]) | 1]
        if op == "stray":
            i = rnd.randrange(len(seg) + 1)
            return seg[:i] + rnd.choice(["!", "*", "~", "\u00e9"]) + seg[i:]
        if op == "stdalpha":
            return seg.replace("-", "+").replace("_", "/")
        if op == "space":
            i = rnd.randrange(len(seg) + 1)
            return seg[:i] + rnd.choice([" ", "\n", "\t"]) + seg[i:]
        if op == "segments":
            return seg + "." + b64e(b"{}")
        return seg

    for op, which in list(encoded.items()):
        if op.startswith("sig:") or op == "sigbits":
            continue
        if which == "header":
            hseg = spoil(hseg, op)
        else:
            pseg = spoil(pseg, op)

    signing_input = (hseg + "." + pseg).encode()
    real_alg = h.get("alg") if isinstance(h.get("alg"), str) and h.get("alg") in ALGS else alg
    if ALGS[real_alg][0] != name:
        real_alg = alg                    # a key signs only its own algorithms
    if sig_variant == "confusion":
        real_alg = "HS256"
        signer = key.pem().encode()
    if resign:
        sig = sign(signer, real_alg, signing_input, sig_variant)
    else:
        sig = sign(key.priv, alg, (b64e(compact({"alg": alg, "typ": "JWT"}).encode()) + "." +
                                 b64e(compact({"sub": "alice"}).encode())).encode())
    sseg = b64e(sig)
    if "sig:flip" in encoded and sig:
        b = bytearray(sig)
        b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
        sseg = b64e(bytes(b))
    if "sig:truncate" in encoded:
        sseg = b64e(sig[:-1])
    if "sig:empty" in encoded:
        sseg = ""
    if "sig:extend" in encoded:
        sseg = b64e(sig + b"\0")
    if "sigbits" in encoded:
        sseg = spoil(sseg, "bits")
    case.token = hseg + "." + pseg + "." + sseg
    case.header_text = htext
    case.payload_text = ctext
    return case


# --- the judges ------------------------------------------------------------------
def judge_pyjwt(case):
    k = case.key
    key = k.priv if k.name == "hs" else k.pub
    try:
        claims = pyjwt.decode(case.token, key, algorithms=case.algs, audience=case.audience,
                              issuer=case.issuer, leeway=0)
        return True, claims, None
    except Exception as e:                 # noqa: BLE001 - any exception is a rejection
        return False, None, type(e).__name__


def judge_jwcrypto(case):
    key = jwc_jwk.JWK(**case.key.jwk_pub)
    try:
        claims_probe = json.loads(base64.urlsafe_b64decode(case.token.split(".")[1] + "==="))
    except Exception:                      # noqa: BLE001
        claims_probe = {}
    check = {}
    if case.audience is not None:
        check["aud"] = case.audience
    if case.issuer is not None:
        check["iss"] = case.issuer
    if check and isinstance(claims_probe, dict):
        # jwcrypto 1.1 checks exp and nbf only when no check_claims are
        # given, or when they are listed: list the ones the token has
        for t in ("exp", "nbf"):
            if t in claims_probe:
                check[t] = None
    try:
        t = jwc_jwt.JWT(algs=case.algs, check_claims=check or None)
        t.leeway = 0
        t.deserialize(case.token, key)
        return True, json.loads(t.claims), None
    except Exception as e:                 # noqa: BLE001
        return False, None, type(e).__name__


def run_ours(cases):
    """jwt_validate for every case, through one psql COPY."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "cases.csv")
        with open(src, "w", encoding="utf-8", newline="") as f:
            import csv
            w = csv.writer(f)
            for i, c in enumerate(cases):
                k = c.key
                if k.name == "hs":
                    form, kt = "bytea", k.priv.hex()
                elif i % 3 == 0:
                    form, kt = "text", k.pem()
                elif i % 3 == 1:
                    form, kt = "text", compact(k.jwk_pub)
                else:
                    form, kt = "jsonb", compact(k.jwk_pub)
                w.writerow([i, c.token.encode("utf-8", "surrogatepass").decode("utf-8", "replace"), form, kt,
                            "{" + ",".join(c.algs) + "}", c.audience if c.audience is not None else "\\N",
                            c.issuer if c.issuer is not None else "\\N"])
        sql = r"""
\set ON_ERROR_STOP 1
CREATE TEMP TABLE dcases (id int, tok text, form text, k text, algs text[], aud text, iss text);
\copy dcases FROM '%s' (FORMAT csv, NULL '\N')
\copy (SELECT json_build_object('id', id, 'valid', v.valid, 'reason', v.reason, 'claims', v.claims) FROM dcases, jwt_validate(tok, decode(k, 'hex'), algs, aud, iss, at => to_timestamp(%d)) v WHERE form = 'bytea' UNION ALL SELECT json_build_object('id', id, 'valid', v.valid, 'reason', v.reason, 'claims', v.claims) FROM dcases, jwt_validate(tok, k::jsonb, algs, aud, iss, at => to_timestamp(%d)) v WHERE form = 'jsonb' UNION ALL SELECT json_build_object('id', id, 'valid', v.valid, 'reason', v.reason, 'claims', v.claims) FROM dcases, jwt_validate(tok, k, algs, aud, iss, at => to_timestamp(%d)) v WHERE form = 'text') TO STDOUT
""" % (src, NOW, NOW, NOW)
        p = subprocess.run(["psql", "-X", "-q", "-At"], input=sql, capture_output=True, text=True)
        if p.returncode != 0:
            print("not ok - differential: jwt_validate ran on every case")
            for line in p.stderr.splitlines()[:20]:
                print("# " + line)
            sys.exit(1)
        out = {}
        for line in p.stdout.splitlines():
            r = json.loads(line)
            out[r["id"]] = r
        return out


# --- features that explain a disagreement ------------------------------------------
def pairs_have_dup(text):
    found = []

    def hook(pairs):
        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            found.append(True)
        return dict(pairs)
    try:
        json.loads(text, object_pairs_hook=hook)
    except Exception:                      # noqa: BLE001
        return False
    return bool(found)


def depth(text):
    """The deepest nesting of arrays and objects in JSON text, every member
    counted (also those a duplicate name hides from json.loads)."""
    d = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            d += 1
            best = max(best, d)
        elif ch in "]}":
            d -= 1
    return best


def nonstandard_json(text):
    """Python's json accepts it, RFC 8259 + jsonb do not: NaN/Infinity,
    unpaired surrogates, \\u0000."""
    bad = []

    def const(name):
        bad.append(name)
        return 0.0
    try:
        v = json.loads(text, parse_constant=const)
    except Exception:                      # noqa: BLE001
        return False

    def walk(x):
        if isinstance(x, str):
            if "\0" in x or any(0xD800 <= ord(ch) <= 0xDFFF for ch in x):
                bad.append(x)
        elif isinstance(x, dict):
            for k, y in x.items():
                walk(k)
                walk(y)
        elif isinstance(x, list):
            for y in x:
                walk(y)
    walk(v)
    return bool(bad)


def long_exponent(text):
    """A number whose exponent makes its decimal form more than 20
    characters longer than as written (1.5e+300), which the parser refuses
    so that rendering a token as text costs about its size."""
    found = []

    def number(lit):
        m = re.fullmatch(r"(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?", lit)
        if m and m.group(4):
            e = int(m.group(4))
            whole = max(len(m.group(2)) + e, 1)
            scale = max(len(m.group(3) or "") - e, 0)
            if len(m.group(1)) + whole + (scale + 1 if scale else 0) > len(lit) + 20:
                found.append(lit)
        return 0.0
    try:
        json.loads(text, parse_float=number, parse_constant=lambda name: 0.0)
    except Exception:                      # noqa: BLE001
        return False
    return bool(found)


def features(case):
    """The strictness features of a token: name -> True."""
    f = {}
    segs = case.token.split(".")
    if len(case.token) > LIMIT:
        f["size"] = True
    if len(segs) != 3:
        f["segments"] = True
    if any(b64d_strict(s) is None for s in segs[:3]):
        f["base64"] = True
    # what the libraries see (as bytes, Python's decoder skips what is not
    # in the alphabet)
    try:
        hdr_raw = base64.urlsafe_b64decode(segs[0].encode("utf-8", "surrogatepass") + b"===")
        pay_raw = base64.urlsafe_b64decode("".join(segs[1:-1]).encode("utf-8", "surrogatepass") + b"===") \
            if len(segs) >= 3 else b""
    except Exception:                      # noqa: BLE001
        return f
    for raw, where in ((hdr_raw, "header"), (pay_raw, "claims")):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                json.loads(raw)
                f["utf16"] = True
            except Exception:              # noqa: BLE001
                pass
            continue
        if pairs_have_dup(text):
            f["duplicate"] = True
        if depth(text) > DEPTH:
            f["depth"] = True
        if nonstandard_json(text):
            f["json"] = True
        if long_exponent(text):
            f["long-exponent"] = True
        try:
            v = json.loads(text)
        except Exception:                  # noqa: BLE001
            continue
        if not isinstance(v, dict):
            if where == "claims":
                f["claims-not-object"] = True
            continue
        if where == "header":
            if "crit" in v:
                f["crit"] = True
            for p in ("typ", "kid"):
                if p in v and not isinstance(v[p], str):
                    f["header-type"] = True
            if "b64" in v and "b64" not in (v.get("crit") or []):
                f["b64"] = True
        else:
            for t in ("exp", "nbf", "iat"):
                x = v.get(t)
                if t in v and (isinstance(x, bool) or not isinstance(x, (int, float))):
                    f["claim-type"] = True
                if isinstance(x, float) and math.isfinite(x) and x != int(x):
                    f["fraction"] = True
            for t in ("iss", "sub"):
                if t in v and not isinstance(v[t], str):
                    f["claim-type"] = True
            if "aud" in v:
                a = v["aud"]
                if not (isinstance(a, str) or (isinstance(a, list) and all(isinstance(x, str) for x in a))):
                    f["claim-type"] = True
                if case.audience is None:
                    f["aud-unchecked"] = True
            iat = v.get("iat")
            if isinstance(iat, (int, float)) and not isinstance(iat, bool) and iat > NOW:
                f["iat-future"] = True
            if v.get("exp") == NOW:
                f["exp-now"] = True
    return f


# The disagreements the extension's strict rules explain: feature ->
# (the libraries that accept such tokens, the reasons jwt_validate gives
# them, why).  A disagreement is excused only by a feature whose library
# and reason match.  README's security notes list the same.
M = ("malformed",)
KNOWN = {
    "duplicate": (("PyJWT", "jwcrypto"), M,
                  "duplicate member names in the header or claims are refused (RFC 7515 4, "
                  "RFC 7519 4); the libraries keep the last one, so one token could show one "
                  "value to one parser and another to the next"),
    "base64": (("PyJWT", "jwcrypto"), M,
               "segments must be canonical unpadded base64url: no '=', no characters outside "
               "the alphabet (Python's decoder skips them), no stray low bits (otherwise one "
               "token has many spellings)"),
    "segments": (("PyJWT",), M,
                 "a compact JWS has exactly three segments; PyJWT splits on the first and the "
                 "last '.' and decodes the middle, dots skipped"),
    "json": (("PyJWT", "jwcrypto"), M,
             "JSON must be RFC 8259: Python's json accepts NaN, Infinity and unpaired "
             "surrogates; \\u0000 cannot be stored in jsonb"),
    "long-exponent": (("PyJWT", "jwcrypto"), M,
                      "a number whose exponent makes its decimal form more than 20 characters "
                      "longer than as written (1.5e+300, 1e99999) is refused, so that showing a "
                      "token as text costs about its size"),
    "utf16": (("PyJWT",), M,
              "JOSE JSON is UTF-8 (RFC 7515 5.1); Python's json.loads of bytes also takes "
              "UTF-16 and UTF-32"),
    "claims-not-object": (("jwcrypto",), M,
                          "the claims set must be a JSON object (RFC 7519 7.2); jwcrypto takes "
                          "any JSON payload when no claim is checked"),
    "depth": (("PyJWT", "jwcrypto"), ("limit_exceeded",),
              "nesting deeper than jwt.max_json_depth (32) is refused"),
    "size": (("PyJWT", "jwcrypto"), ("limit_exceeded",),
             "tokens longer than jwt.max_token_size (64 kB) are refused before any work"),
    "crit": (("PyJWT", "jwcrypto"), ("unsupported_critical_header", "malformed"),
             "any \"crit\" is refused, since no JWS extension is implemented (RFC 7515 "
             "4.1.11); PyJWT 2.6 ignores crit, jwcrypto implements \"b64\""),
    "header-type": (("PyJWT", "jwcrypto"), M,
                    "\"typ\" and \"kid\" must be strings (RFC 7515 4.1.4, 4.1.9); PyJWT "
                    "takes any typ, jwcrypto any kid and typ"),
    "claim-type": (("PyJWT", "jwcrypto"), M,
                   "exp, nbf and iat must be JSON numbers, iss and sub strings, aud a string or "
                   "an array of strings (RFC 7519 4.1); PyJWT takes \"exp\": \"1800003600\" "
                   "and an iss or sub of any type, jwcrypto an aud of [1] and a numeric string iat"),
    "aud-unchecked": (("PyJWT", "jwcrypto"), ("audience_mismatch",),
                      "a token with \"aud\" is refused when no audience is given (RFC 7519 "
                      "4.1.3); jwcrypto does not look, PyJWT skips an empty one"),
    "iat-future": (("jwcrypto",), ("not_yet_valid",),
                   "\"iat\" in the future is refused; jwcrypto does not check iat"),
    "exp-now": (("jwcrypto",), ("expired",),
                "a token is expired from its \"exp\" on (RFC 7519 4.1.4: \"on or after\"); "
                "jwcrypto still accepts it at exp"),
    "fraction": (("PyJWT",), ("not_yet_valid",),
                 "fractional NumericDates are compared exactly; PyJWT truncates nbf (and exp) "
                 "to an integer"),
}
# Disagreements the other way, none of them leniency of ours: feature ->
# the libraries concerned.
OURS_VALID_OK = {
    # PyJWT truncates exp: exp = now + 0.5 is expired for it, not for RFC 7519
    "fraction": ("PyJWT",),
    # a "b64" not listed in "crit" is an unknown header parameter, which RFC
    # 7515 4 says to ignore; jwcrypto insists on RFC 7797's rule that it be
    # critical, PyJWT implements b64=false (detached payloads) without crit
    "b64": ("jwcrypto", "PyJWT"),
}


def same_claims(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_claims(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_claims(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-15)
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--show", type=int, default=5)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    print("# differential: %d cases, seed %d (repeat with --seed %d)" % (args.cases, seed, seed))

    keys, others = make_keys()
    cases = [build(rnd, keys, others) for _ in range(args.cases)]
    ours = run_ours(cases)

    failures = []
    seen = {}           # feature -> {library: count}
    stats = {"valid": 0, "invalid": 0, "agree": 0, "known": 0, "unexplained": 0}
    for i, c in enumerate(cases):
        o = ours[i]
        ov = bool(o["valid"])
        stats["valid" if ov else "invalid"] += 1
        f = features(c)
        verdicts = {"PyJWT": judge_pyjwt(c), "jwcrypto": judge_jwcrypto(c)}
        ok_all = True
        if all(lv == ov for lv, _, _ in verdicts.values()):
            stats["agree"] += 1
        for lib, (lv, lclaims, lerr) in verdicts.items():
            if lv == ov:
                if ov and not same_claims(o["claims"], lclaims):
                    failures.append((c, lib, "claims differ: ours %s, %s %s" % (o["claims"], lib, lclaims)))
                    ok_all = False
                continue
            if not ov:
                expl = [x for x in f if x in KNOWN and lib in KNOWN[x][0] and o["reason"] in KNOWN[x][1]]
            else:
                expl = [x for x in f if lib in OURS_VALID_OK.get(x, ())]
            if expl:
                side = "accepted by us only" if ov else "refused by us only"
                for x in expl:
                    seen.setdefault((x, side), {}).setdefault(lib, 0)
                    seen[(x, side)][lib] += 1
                stats["known"] += 1
            else:
                ok_all = False
                failures.append((c, lib, "ours %s (%s), %s %s (%s); features %s" % (
                    "valid" if ov else "invalid", o["reason"], lib, "valid" if lv else "invalid",
                    lerr, sorted(f) or "none")))
        if not ok_all:
            stats["unexplained"] += 1

    print("# jwt_validate: %d valid, %d invalid; %d cases where all three agree, "
          "%d library verdicts that differ for a known reason"
          % (stats["valid"], stats["invalid"], stats["agree"], stats["known"]))
    if seen:
        print("# the differences (a token may show several features):")
    for x, side in sorted(seen):
        libs = ", ".join("%s %d" % (lib, n) for lib, n in sorted(seen[(x, side)].items()))
        print("#   %-18s %-20s %s" % (x, side, libs))
    if failures:
        print("not ok - differential: jwt_validate agrees with PyJWT and jwcrypto, but for known "
              "differences (%d unexplained)" % len(failures))
        for c, lib, why in failures[:args.show]:
            print("#   %s: %s" % (lib, why))
            print("#     ops %s; key %s; algorithms %s; audience %s; issuer %s"
                  % (c.ops, c.key.name, c.algs, c.audience, c.issuer))
            print("#     token %s" % (c.token[:300] + ("..." if len(c.token) > 300 else "")))
        return 1
    print("ok - differential: jwt_validate agrees with PyJWT and jwcrypto on %d random tokens, "
          "but for known differences" % args.cases)
    if stats["valid"] < args.cases // 20 or stats["invalid"] < args.cases // 5:
        print("not ok - differential: the cases mix valid and invalid tokens (%d valid)" % stats["valid"])
        return 1
    print("ok - differential: the cases mix valid (%d) and invalid (%d) tokens"
          % (stats["valid"], stats["invalid"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
