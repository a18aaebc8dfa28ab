"""Interop checks against Debian's python3-jwt (PyJWT).

    /usr/bin/python3 py_check.py sign                   -> JSON array of PyJWT-made HS tokens on stdout
    /usr/bin/python3 py_check.py verify FILE            -> TAP-like lines verifying HS tokens made by jwt_sign
    /usr/bin/python3 py_check.py sign-asym KEYS         -> JSON array of RS/PS/ES/EdDSA tokens made by
                                                           PyJWT and jwcrypto (and HS tokens keyed with
                                                           public keys) on stdout
    /usr/bin/python3 py_check.py verify-asym KEYS FILE  -> TAP-like lines verifying RS/PS/ES/EdDSA tokens
                                                           made by jwt_sign, with PyJWT and jwcrypto

FILE is a JSON array written by run.sh from jwt_sign (see run.sh); KEYS the
key file written by "node node_check.mjs keys".  secrets.json, claims.json and
asym_cases.json are read from this script's directory.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

try:
    import jwt
except ImportError as e:
    sys.stderr.write("py_check.py: cannot import jwt (%s); install Debian's python3-jwt\n" % e)
    sys.exit(2)
try:
    from jwcrypto import jwk
    from jwcrypto import jwt as jwcrypto_jwt
except ImportError as e:
    sys.stderr.write("py_check.py: cannot import jwcrypto (%s); install Debian's python3-jwcrypto\n" % e)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
ALGS = ["HS256", "HS384", "HS512"]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


SECRETS = read_json(os.path.join(HERE, "secrets.json"))
BASE_CLAIMS = read_json(os.path.join(HERE, "claims.json"))


def canon(v):
    # Sorted keys; json.dumps keeps true distinct from 1 (Python's True == 1).
    return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


failed = 0


def report(ok, desc, diag=""):
    global failed
    if ok:
        print("ok - " + desc)
    else:
        failed += 1
        print("not ok - " + desc)
        for line in str(diag).splitlines():
            print("# " + line)


def check_sql_claims(got, t):
    rest = dict(got)
    iat = rest.pop("iat", None)
    exp = rest.pop("exp", None)
    problems = []
    if canon(rest) != canon(BASE_CLAIMS):
        problems.append("claims differ:\n got      %s\n expected %s" % (canon(rest), canon(BASE_CLAIMS)))
    now = int(time.time())
    if type(iat) is not int or abs(iat - now) > 300:
        problems.append("bad iat %r (now %d)" % (iat, now))
    elif exp != iat + t["expires_in"]:
        problems.append("exp %r != iat %r + %r" % (exp, iat, t["expires_in"]))
    return "\n".join(problems)


def lib_claims():
    now = int(time.time())
    c = dict(BASE_CLAIMS)
    c.update(iat=now, exp=now + 3600)
    return c


def as_text(token):
    # PyJWT < 2 returned bytes.
    return token.decode("ascii") if isinstance(token, bytes) else token


def sign():
    out = []
    for alg in ALGS:
        for kind, secret in (("good", SECRETS[alg]), ("wrong_key", SECRETS["wrong"])):
            claims = lib_claims()
            out.append({"lib": "python-jwt", "alg": alg, "kind": kind, "claims": claims,
                        "token": as_text(jwt.encode(claims, secret, algorithm=alg))})
    claims = lib_claims()
    entry = {"lib": "python-jwt", "alg": "none", "kind": "none", "claims": claims}
    try:
        entry["token"] = as_text(jwt.encode(claims, None, algorithm="none"))
    except Exception as e:  # the library refuses to make unsecured tokens
        entry["token"] = None
        entry["skip"] = "%s: %s" % (type(e).__name__, e)
    out.append(entry)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


def verify(path):
    tokens = read_json(path)
    if not isinstance(tokens, list) or not tokens:
        raise ValueError("no tokens in %s" % path)
    for t in tokens:
        alg = t["alg"]
        if not isinstance(t.get("token"), str):
            report(False, "%s: %s made a token for python-jwt" % (alg, t["label"]), t.get("error", "no token"))
            continue
        desc = "%s: python-jwt decode accepts %s token and claims match" % (alg, t["label"])
        try:
            got = jwt.decode(t["token"], SECRETS[t["secret"]], algorithms=[alg])
            header = jwt.get_unverified_header(t["token"])
            diag = check_sql_claims(got, t)
            if header.get("alg") != alg or header.get("typ") != "JWT":
                diag += "\nheader %s" % canon(header)
            report(not diag, desc, diag)
        except Exception as e:
            report(False, desc, "%s: %s\ntoken %s" % (type(e).__name__, e, t["token"]))
        if t["label"] != "jwt_sign":
            continue
        desc = "%s: python-jwt decode rejects jwt_sign token with the wrong secret" % alg
        try:
            jwt.decode(t["token"], SECRETS["wrong"], algorithms=[alg])
            report(False, desc, "no error raised")
        except jwt.InvalidSignatureError:
            report(True, desc)
        except Exception as e:
            report(False, desc, "unexpected %s: %s" % (type(e).__name__, e))


# ---------------------------------------------------------------------------
# Asymmetric algorithms (asym_cases.json).

ASYM = read_json(os.path.join(HERE, "asym_cases.json"))


def case_by_id(case_id):
    for c in ASYM["cases"]:
        if c["id"] == case_id:
            return c
    raise ValueError("unknown case %s" % case_id)


def err_text(e):
    return "%s: %s" % (type(e).__name__, e)


def pyjwt_sign(c, i, key, kid, claims):
    # The PKCS#8 PEM for even cases, the key object PyJWK makes from the JWK for odd ones.
    k = key["private_pem"] if i % 2 == 0 else jwt.PyJWK(key["private_jwk"], algorithm=c["alg"]).key
    return as_text(jwt.encode(claims, k, algorithm=c["alg"], headers={"kid": kid, "typ": "JWT"}))


def jwcrypto_sign(c, i, key, kid, claims):
    # The JWK for even cases, the PKCS#8 PEM for odd ones.
    if i % 2 == 0:
        k = jwk.JWK(**key["private_jwk"])
    else:
        k = jwk.JWK.from_pem(key["private_pem"].encode("ascii"))
    tok = jwcrypto_jwt.JWT(header={"alg": c["alg"], "typ": "JWT", "kid": kid}, claims=claims)
    tok.make_signed_token(k)
    return tok.serialize()


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def confusion_token(alg, secret_text, claims, kid=None):
    header = {"alg": alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    dump = lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signing_input = b64u(dump(header)) + "." + b64u(dump(claims))
    mac = hmac.new(secret_text.encode("utf-8"), signing_input.encode("ascii"),
                   getattr(hashlib, "sha" + alg[2:])).digest()
    return signing_input + "." + b64u(mac)


def sign_asym(keys_file):
    keys = read_json(keys_file)["keys"]
    out = []
    for i, c in enumerate(ASYM["cases"]):
        for lib, make in (("python-jwt", pyjwt_sign), ("jwcrypto", jwcrypto_sign)):
            for kind in ("good", "wrong_key"):
                key_name = c["key"] if kind == "good" else c["key"] + "_other"
                claims = lib_claims()
                # Both kinds carry the good key's kid (the wrong-key token impersonates it).
                entry = {"lib": lib, "case": c["id"], "alg": c["alg"], "kind": kind, "key": key_name,
                         "kid": keys[c["key"]]["kid"], "claims": claims}
                # The key-type mismatch checks run once per case, on the python-jwt token.
                if lib == "python-jwt" and kind == "good":
                    entry["negatives"] = True
                try:
                    entry["token"] = make(c, i, keys[key_name], entry["kid"], claims)
                except Exception as e:
                    why = ASYM.get("unsupported", {}).get(lib, {}).get(c["id"])
                    if why:
                        if kind == "good":
                            out.append({"lib": lib, "case": c["id"], "alg": c["alg"], "kind": "skip",
                                        "skip": "%s (%s)" % (why, err_text(e))})
                        continue
                    entry["token"] = None
                    entry["error"] = "%s failed to sign: %s" % (lib, err_text(e))
                out.append(entry)
    # A good signature under a kid that no member of the JWK Set has.
    for c in ASYM["cases"]:
        claims = lib_claims()
        out.append({"lib": "python-jwt", "case": c["id"], "alg": c["alg"], "kind": "unknown_kid", "key": c["key"],
                     "kid": "interop-no-such-kid", "claims": claims,
                     "token": pyjwt_sign(c, 0, keys[c["key"]], "interop-no-such-kid", claims)})
    # ECDSA tokens whose r or s starts with a zero byte (about 1 signature in
    # 128 for the 256/384-bit curves): python-jwt signs until it has enough.
    want = ASYM["ecdsa_edges"]["lib_tokens"]
    for c in ASYM["cases"]:
        if not c["alg"].startswith("ES"):
            continue
        key = keys[c["key"]]
        private = jwt.PyJWK(key["private_jwk"], algorithm=c["alg"]).key
        claims = lib_claims()
        entry = {"lib": "python-jwt", "case": c["id"], "alg": c["alg"], "kind": "edge", "key": c["key"],
                 "kid": key["kid"], "claims": claims, "tokens": []}
        attempts = 0
        while len(entry["tokens"]) < want and attempts < 20000:
            attempts += 1
            token = as_text(jwt.encode(claims, private, algorithm=c["alg"], headers={"kid": key["kid"]}))
            if has_leading_zero(raw_signature(token)):
                entry["tokens"].append(token)
        entry["attempts"] = attempts
        out.append(entry)
    # HS tokens keyed with public key text (the algorithm confusion forgery).
    # key_arg is exactly the secret, handed to jwt_verify as the key.
    rsa_key = keys["rsa"]
    jwk_text = json.dumps(rsa_key["public_jwk"], separators=(",", ":"))
    for alg, what, secret_text, arg, kid in (
            ("HS256", "the RSA SPKI PEM text as HMAC secret", rsa_key["public_pem"], rsa_key["arg"]["spki"], None),
            ("HS256", "the RSA public JWK text as HMAC secret", jwk_text, {"type": "text", "value": jwk_text}, None),
            ("HS384", "the Ed25519 SPKI PEM text as HMAC secret", keys["ed25519"]["public_pem"], keys["ed25519"]["arg"]["spki"], None),
            ("HS256", "the P-256 SPKI PEM text as HMAC secret", keys["p256"]["public_pem"], keys["p256"]["arg"]["spki"], None),
            ("HS256", "the RSA SPKI PEM text as HMAC secret and the RSA key's kid (key: the public JWK Set)",
             rsa_key["public_pem"], "jwks", rsa_key["kid"])):
        claims = lib_claims()
        token = confusion_token(alg, secret_text, claims, kid)
        # Control: jwcrypto, given the same text as an "oct" key, accepts the
        # token, so it is a correct HMAC and accepting it would be the forgery.
        try:
            oct_key = jwk.JWK(kty="oct", k=b64u(secret_text.encode("utf-8")))
            jwcrypto_jwt.JWT(jwt=token, key=oct_key, algs=[alg])
            control = "ok"
        except Exception as e:
            control = err_text(e)
        out.append({"lib": "python hmac", "case": "confusion", "alg": alg, "kind": "confusion", "what": what,
                    "key_arg": arg, "claims": claims, "token": token, "control": control})
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


def has_leading_zero(sig):
    """r or s (each half of a raw ECDSA signature) starts with a zero byte."""
    return len(sig) > 0 and (sig[0] == 0 or sig[len(sig) // 2] == 0)


def raw_signature(token):
    sig = token.split(".")[2]
    return base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))


def verify_batch(keys, c, t):
    """ECDSA jwt_sign batch (claims {"sub": "batch", "i": 1..n}): python-jwt verifies
    the tokens whose r or s has a leading zero byte, and the first few others."""
    toks = [x for x in (t.get("tokens") or []) if isinstance(x, str)]
    edge = [i for i, x in enumerate(toks) if len(raw_signature(x)) == c["sig_bytes"] and has_leading_zero(raw_signature(x))]
    pick = list(dict.fromkeys(edge + list(range(len(toks)))))[:len(edge) + 8]
    desc = ("%s: python-jwt decode with SPKI PEM verifies the jwt_sign batch tokens with a leading zero byte "
            "in r or s (and 8 others)" % c["id"])
    problems = []
    for i in pick:
        try:
            got = jwt.decode(toks[i], keys[t["key"]]["public_pem"], algorithms=[c["alg"]])
            if got.get("sub") != "batch" or got.get("i") != i + 1:
                problems.append("token %d: claims %s" % (i + 1, canon(got)))
        except Exception as e:
            problems.append("token %d: %s\n%s" % (i + 1, err_text(e), toks[i]))
    report(bool(pick) and not problems and not t.get("error"), desc,
           t.get("error") or "\n".join(problems) or "no tokens")


def verify_asym(keys_file, path):
    """jwt_sign tokens (asym_sign_tokens.sql), verified with python-jwt and jwcrypto.

    python-jwt gets the public JWK (PyJWK) when jwt_sign had a PEM and the SPKI PEM
    when it had a JWK; jwcrypto the other way round; both the public JWK Set (by kid)
    when jwt_sign had a set.  python-jwt must also reject the token under the other
    key of the same type."""
    k = read_json(keys_file)
    keys = k["keys"]
    tokens = read_json(path)
    if not isinstance(tokens, list) or not tokens:
        raise ValueError("no tokens in %s" % path)
    skipped = set()

    def skip(lib, c, why):
        if (lib, c["id"]) not in skipped:
            skipped.add((lib, c["id"]))
            print("# skip: %s: %s cannot verify jwt_sign tokens: %s" % (c["id"], lib, why))

    for t in tokens:
        c = case_by_id(t["case"])
        alg = c["alg"]
        if t["label"] == "jwt_sign batch":
            verify_batch(keys, c, t)
            continue
        label = "jwt_sign token (key %s)" % t["form"]
        if not isinstance(t.get("token"), str):
            report(False, "%s: jwt_sign makes a token with key %s for python" % (c["id"], t["form"]),
                   t.get("error", "no token"))
            continue
        pub = keys[t["key"]]
        pem_signed = t["form"].startswith("pem")

        # python-jwt
        if t["form"] == "jwks":
            how = "the public JWK Set"
        else:
            how = "the public JWK" if pem_signed else "SPKI PEM"
        desc = "%s: python-jwt decode with %s verifies %s and claims match" % (c["id"], how, label)
        try:
            if t["form"] == "jwks":
                header = jwt.get_unverified_header(t["token"])
                found = [x for x in jwt.PyJWKSet.from_dict(k["jwks"]).keys if x.key_id == header.get("kid")]
                if len(found) != 1:
                    raise ValueError("%d keys in the JWK Set have kid %r" % (len(found), header.get("kid")))
                key = found[0].key
            elif pem_signed:
                key = jwt.PyJWK(pub["public_jwk"], algorithm=alg).key
            else:
                key = pub["public_pem"]
            got = jwt.decode(t["token"], key, algorithms=[alg])
            header = jwt.get_unverified_header(t["token"])
            diag = check_sql_claims(got, t)
            if header.get("alg") != alg or header.get("typ") != "JWT" or header.get("kid") != t.get("kid"):
                diag += "\nheader %s" % canon(header)
            report(not diag, desc, diag)
        except Exception as e:
            report(False, desc, "%s\ntoken %s" % (err_text(e), t["token"]))

        desc = "%s: python-jwt decode rejects %s under another %s key" % (c["id"], label, c["key"])
        try:
            jwt.decode(t["token"], keys[c["key"] + "_other"]["public_pem"], algorithms=[alg])
            report(False, desc, "no error raised")
        except jwt.InvalidSignatureError:
            report(True, desc)
        except Exception as e:
            report(False, desc, "unexpected " + err_text(e))

        # jwcrypto
        if t["form"] == "jwks":
            how = "the public JWK Set"
        else:
            how = "SPKI PEM" if pem_signed else "the public JWK"
        desc = "%s: jwcrypto JWT with %s verifies %s and claims match" % (c["id"], how, label)
        try:
            if t["form"] == "jwks":
                key = jwk.JWKSet.from_json(json.dumps(k["jwks"]))
            elif pem_signed:
                key = jwk.JWK.from_pem(pub["public_pem"].encode("ascii"))
            else:
                key = jwk.JWK(**pub["public_jwk"])
            v = jwcrypto_jwt.JWT(jwt=t["token"], key=key, algs=[alg])
            got = json.loads(v.claims)
            diag = check_sql_claims(got, t)
            header = json.loads(v.header)
            if header.get("alg") != alg or header.get("kid") != t.get("kid"):
                diag += "\nheader %s" % canon(header)
            report(not diag, desc, diag)
        except Exception as e:
            why = ASYM.get("unsupported", {}).get("jwcrypto", {}).get(c["id"])
            if why:
                skip("jwcrypto", c, "%s (%s)" % (why, err_text(e)))
            else:
                report(False, desc, "%s\ntoken %s" % (err_text(e), t["token"]))


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if mode == "sign":
            sign()
        elif mode == "verify" and len(sys.argv) == 3:
            verify(sys.argv[2])
        elif mode == "sign-asym" and len(sys.argv) == 3:
            sign_asym(sys.argv[2])
        elif mode == "verify-asym" and len(sys.argv) == 4:
            verify_asym(sys.argv[2], sys.argv[3])
        else:
            raise SystemExit("usage: py_check.py sign | verify FILE | sign-asym KEYS | verify-asym KEYS FILE")
    except SystemExit:
        raise
    except Exception as e:
        sys.stderr.write("py_check.py %s: %s: %s\n" % (mode, type(e).__name__, e))
        sys.exit(2)
    sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
