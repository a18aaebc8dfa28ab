#!/usr/bin/env python3
"""test/encoding/legacy.py: token text in every other server encoding.

Run by run.sh against the server in PGHOST/PGPORT/PGUSER (a superuser).
For each server encoding but UTF-8, in a database of its own (dropped at
the end), tokens whose "sub" holds one character:

- a character to escape in messages (a control, a bidi or invisible format
  character: LRM is the byte 0xFD in WIN1255, WIN1256 and ISO_8859_8, a
  soft hyphen 0xAD in most single-byte encodings) either makes the token
  malformed, or is escaped in the error detail and in the jwt.log_failures
  line, which then hold only ASCII;
- a character the encoding cannot represent (an emoji), or any non-ASCII
  text where the encoding has no conversion from UTF-8 (MULE_INTERNAL),
  makes the token malformed: jwt_validate says so without raising,
  jwt_decode raises 22P02 and jwt_verify 28000;
- jwt_validate never raises, and jwt_decode raises 22P02 exactly when
  jwt_validate says malformed;
- a token signed with a JWK verifies.

Prints "ok - ..." / "not ok - ..."; exits 1 when a check failed.
"""
import base64
import hashlib
import hmac
import os
import subprocess
import sys

KEY = "0123456789abcdef0123456789abcdef"
KEY_B64 = base64.urlsafe_b64encode(KEY.encode()).rstrip(b"=").decode()
ENCODINGS = """SQL_ASCII EUC_JP EUC_CN EUC_KR EUC_TW EUC_JIS_2004 MULE_INTERNAL
LATIN1 LATIN2 LATIN3 LATIN4 LATIN5 LATIN6 LATIN7 LATIN8 LATIN9 LATIN10
WIN1250 WIN1251 WIN1252 WIN1253 WIN1254 WIN1255 WIN1256 WIN1257 WIN1258
WIN866 WIN874 KOI8R KOI8U ISO_8859_5 ISO_8859_6 ISO_8859_7 ISO_8859_8""".split()

# characters to escape, as JSON escapes (the parser undoes them) and one
# as raw UTF-8
ESCAPED = ["\\u0085", "\\u009b", "\\u00ad", "\\u061c", "\\u200b", "\\u200c",
           "\\u200d", "\\u200e", "\\u200f", "\\u2028", "\\u202e", "\\u2060",
           "\\u2066", "\\ufeff", "\\udb40\\udc41", "\\udb40\\udc7f",
           "\u200f"]
# characters shown as they are, where the encoding has them
PLAIN = ["\\u00e9", "\\u05d0", "\\u0627", "\\u65e5", "\\ud83d\\ude00"]
EMOJI = "\\ud83d\\ude00"

failed = False


def ok(msg):
    print(f"ok - encoding: {msg}")


def not_ok(msg, *why):
    global failed
    failed = True
    print(f"not ok - encoding: {msg}")
    for w in why:
        print("#   " + str(w)[:300])


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(payload):
    si = b64(b'{"alg":"HS256"}') + "." + b64(payload.encode("utf-8"))
    sig = hmac.new(KEY.encode(), si.encode(), hashlib.sha256).digest()
    return si + "." + b64(sig)


def psql(db, script, client_encoding="UTF8"):
    env = dict(os.environ, PGCLIENTENCODING=client_encoding)
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                        "-d", db], input=script.encode("utf-8"),
                       capture_output=True, env=env)
    return r.returncode, r.stdout, r.stderr


SETUP = """CREATE EXTENSION jwt;
-- SQLSTATE and detail of the error of a statement, 00000 when none
CREATE FUNCTION detail_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  s text;
  d text;
BEGIN
  EXECUTE q;
  RETURN '00000|';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, d = PG_EXCEPTION_DETAIL;
  RETURN s || '|' || d;
END $$;
SET jwt.log_failures = warning;
SET client_min_messages = warning;
"""


def is_ascii(b):
    return all(c < 0x80 for c in b)


def check_encoding(enc):
    db = f"jwt_encoding_{enc.lower()}_{os.getpid()}"
    # a client encoding every server encoding converts to: UTF-8, but for
    # MULE_INTERNAL, which has no conversion to it (bytes pass unchanged)
    client = "SQL_ASCII" if enc == "MULE_INTERNAL" else "UTF8"
    rc, _, err = psql("postgres", f"CREATE DATABASE {db} ENCODING '{enc}' "
                      "TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
    if rc != 0:
        not_ok(f"{enc}: created a database", err.decode(errors="replace"))
        return
    try:
        # ("sub" as written in the JSON, holds a character to escape)
        cases = [("a" + c + "b", True) for c in ESCAPED] + \
            [("a" + c + "b", False) for c in PLAIN] + \
            [("adm\\u200fin\\u200e", True)]
        script = SETUP
        for sub, _ in cases:
            tok = token('{"sub":"' + sub + '"}')
            script += (
                f"SELECT coalesce((jwt_validate('{tok}', '{KEY}', subject => 'x')).reason, 'valid');\n"
                f"SELECT detail_of($q$SELECT jwt_verify('{tok}', '{KEY}', subject => 'x')$q$);\n"
                f"SELECT detail_of($q$SELECT jwt_decode('{tok}')$q$);\n")
        rc, out, err = psql(db, script, client)
        lines = out.split(b"\n")
        logs = [line for line in err.split(b"\n") if line.startswith(b"DETAIL:  alg=")]
        if rc != 0 or len(lines) < 3 * len(cases):
            not_ok(f"{enc}: jwt_validate, jwt_verify and jwt_decode ran",
                   err.decode(errors="replace"))
            return
        bad = []
        for i, (ch, escaped) in enumerate(cases):
            reason = lines[3 * i].decode()
            vstate, vdetail = lines[3 * i + 1].split(b"|", 1)
            dstate = lines[3 * i + 2].split(b"|", 1)[0]
            log = logs[2 * i:2 * i + 2]
            what = f"{ch!r}: reason {reason}, verify {vstate.decode()}, decode {dstate.decode()}"
            if reason not in ("subject_mismatch", "malformed") or vstate != b"28000" or \
                    dstate != (b"22P02" if reason == "malformed" else b"00000"):
                bad.append(what)
            elif ch == "a" + EMOJI + "b" and enc != "SQL_ASCII" and reason != "malformed":
                bad.append(what + " (not malformed)")
            elif enc == "MULE_INTERNAL" and reason != "malformed":
                bad.append(what + " (not malformed)")
            elif escaped and not (is_ascii(vdetail) and len(log) == 2 and
                                  all(is_ascii(x) for x in log)):
                bad.append(f"{ch!r} shown raw: {vdetail!r} {log!r}")
        if bad:
            not_ok(f"{enc}: token text is malformed or escaped, never raw, never an error but 22P02/28000",
                   *bad)
        else:
            ok(f"{enc}: token text is malformed or escaped, never raw, never an error but 22P02/28000")
        if enc in ("WIN1255", "WIN1256", "ISO_8859_8"):
            i = len(cases) - 1
            want = b'28000|Claim "sub" is "adm\\u200Fin\\u200E", not the expected subject (reason: subject_mismatch).'
            got = lines[3 * i + 1]
            if got == want and logs[2 * i].endswith(b'sub="adm\\u200Fin\\u200E" signature=valid'):
                ok(f"{enc}: LRM and RLM (0xFD, 0xFE) are escaped in the detail and the log")
            else:
                not_ok(f"{enc}: LRM and RLM (0xFD, 0xFE) are escaped in the detail and the log",
                       got, logs[2 * i:2 * i + 1])
            # a letter of the encoding's script is shown as it is
            letter = "\\u0627" if enc == "WIN1256" else "\\u05d0"
            i = cases.index(("a" + letter + "b", False))
            raw = chr(int(letter[2:], 16)).encode()
            if lines[3 * i + 1] == b'28000|Claim "sub" is "a' + raw + b'b", not the expected subject (reason: subject_mismatch).':
                ok(f"{enc}: a letter of its script is shown as it is")
            else:
                not_ok(f"{enc}: a letter of its script is shown as it is", lines[3 * i + 1])
        # signing and JWK keys, ASCII but converted to UTF-8 (which raised
        # 42883 in MULE_INTERNAL, even for ASCII)
        jwk = '{"kty":"oct","kid":"k1","k":"' + KEY_B64 + '"}'
        rc, out, err = psql(db, f"SELECT coalesce((jwt_validate("
                            f"jwt_sign('{{\"sub\":\"x\"}}'::jsonb, '{jwk}'), '{jwk}')).reason, 'valid');",
                            client)
        if rc == 0 and out.strip() == b"valid":
            ok(f"{enc}: a token signed with a JWK verifies")
        else:
            not_ok(f"{enc}: a token signed with a JWK verifies", out, err)
        if enc == "SQL_ASCII":
            # text is taken as UTF-8: bytes that are not UTF-8 are refused
            # when signing (the token would not verify), UTF-8 signs
            bad_claims = "jsonb_build_object('name', convert_from('\\x4dfc6c6c6572', 'SQL_ASCII'))"
            bad_header = "header => jsonb_build_object('kid', convert_from('\\x6bfc', 'SQL_ASCII'))"
            good = "jsonb_build_object('name', convert_from('\\x4dc3bc6c6c6572', 'SQL_ASCII'))"
            rc, out, err = psql(db, (
                f"SELECT split_part(detail_of($q$SELECT jwt_sign({bad_claims}, '{KEY}')$q$), '|', 1);\n"
                f"SELECT split_part(detail_of($q$SELECT jwt_sign('{{}}', '{KEY}', {bad_header})$q$), '|', 1);\n"
                f"SELECT coalesce((jwt_validate(jwt_sign({good}, '{KEY}'), '{KEY}')).reason, 'valid');\n"), client)
            if rc == 0 and out.split() == [b"22021", b"22021", b"valid"]:
                ok(f"{enc}: claims or a header that are not UTF-8 are not signed (22021), UTF-8 is")
            else:
                not_ok(f"{enc}: claims or a header that are not UTF-8 are not signed (22021), UTF-8 is", out, err)
        if enc == "MULE_INTERNAL":
            i = cases.index(("a\\u00e9b", False))
            if lines[3 * i + 1] == b"28000|The payload has a character the database encoding cannot represent (reason: malformed).":
                ok(f"{enc}: non-ASCII text is malformed, the detail says why")
            else:
                not_ok(f"{enc}: non-ASCII text is malformed, the detail says why", lines[3 * i + 1])
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {db}")


def main():
    only = os.environ.get("JWT_TEST_ENCODINGS")
    for enc in (only.split() if only else ENCODINGS):
        check_encoding(enc)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
