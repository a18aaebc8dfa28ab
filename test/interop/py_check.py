"""Interop checks against Debian's python3-jwt (PyJWT).

    /usr/bin/python3 py_check.py sign           -> JSON array of PyJWT-made tokens on stdout
    /usr/bin/python3 py_check.py verify FILE    -> TAP-like lines verifying tokens made by jwt_sign

FILE is the JSON array written by run.sh from jwt_sign (see run.sh).
secrets.json and claims.json are read from this script's directory.
"""
import json
import os
import sys
import time

try:
    import jwt
except ImportError as e:
    sys.stderr.write("py_check.py: cannot import jwt (%s); install Debian's python3-jwt\n" % e)
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


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if mode == "sign":
            sign()
        elif mode == "verify" and len(sys.argv) == 3:
            verify(sys.argv[2])
        else:
            raise SystemExit("usage: py_check.py sign | verify FILE")
    except SystemExit:
        raise
    except Exception as e:
        sys.stderr.write("py_check.py %s: %s: %s\n" % (mode, type(e).__name__, e))
        sys.exit(2)
    sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
