#!/usr/bin/env bash
# test/fuzz/make_seeds.sh: (re)generate the fuzzers' key ring (keys.json)
# and seed corpus (corpus/<target>/). Their output is committed; run this
# only to change them. Needs openssl, python3, and PGHOST/PGPORT/PGUSER/
# PGDATABASE for a database with the extension.
#
# keys.json holds TEST-ONLY keys, generated here and published with the
# repository: never use them for anything else.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
PSQL=(psql -XAtq -v ON_ERROR_STOP=1)

# --- the key ring -----------------------------------------------------------
if [ ! -f "$here/keys.json" ] || [ "${1:-}" = --new-keys ]; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa.pem" 2>/dev/null
	openssl ecparam -name secp521r1 -genkey -noout -out "$tmp/p521.pem" 2>/dev/null
	openssl genpkey -algorithm ed448 -out "$tmp/ed448.pem" 2>/dev/null
	openssl pkey -in "$tmp/rsa.pem" -pubout -out "$tmp/rsa_pub.pem"
	"${PSQL[@]}" -v rsa="$(cat "$tmp/rsa.pem")" -v rsapub="$(cat "$tmp/rsa_pub.pem")" \
		-v p521="$(cat "$tmp/p521.pem")" -v ed448="$(cat "$tmp/ed448.pem")" >"$here/keys.json" <<'SQL'
WITH k AS (
  SELECT jwt_generate_key('ES256') AS p256, jwt_generate_key('ES384') AS p384,
         jwt_generate_key('ES256K') AS k256, jwt_generate_key('EdDSA') AS ed,
         jwt_generate_key('HS512') AS oct,
         encode(jwt_generate_secret(64), 'hex') AS hs)
SELECT jsonb_pretty(jsonb_build_object('note',
  'TEST-ONLY keys for test/fuzz, published with the repository: never use them elsewhere',
  'ring', jsonb_build_array(
    jsonb_build_object('name', 'hs', 'form', 'bytea', 'key', hs, 'serves', '["HS256","HS384","HS512"]'::jsonb),
    jsonb_build_object('name', 'rsa', 'form', 'text', 'key', :'rsa', 'serves', '["RS256","RS384","RS512","PS256","PS384","PS512"]'::jsonb),
    jsonb_build_object('name', 'p256', 'form', 'jsonb', 'key', p256, 'serves', '["ES256"]'::jsonb),
    jsonb_build_object('name', 'p384', 'form', 'text', 'key', p384::text, 'serves', '["ES384"]'::jsonb),
    jsonb_build_object('name', 'p521', 'form', 'text', 'key', :'p521', 'serves', '["ES512"]'::jsonb),
    jsonb_build_object('name', 'k256', 'form', 'jsonb', 'key', k256, 'serves', '["ES256K"]'::jsonb),
    jsonb_build_object('name', 'ed25519', 'form', 'jsonb', 'key', ed, 'serves', '["EdDSA"]'::jsonb),
    jsonb_build_object('name', 'ed448', 'form', 'text', 'key', :'ed448', 'serves', '[]'::jsonb),
    jsonb_build_object('name', 'oct', 'form', 'text', 'key', oct::text, 'serves', '[]'::jsonb),
    jsonb_build_object('name', 'rsa_pub', 'form', 'bytea', 'key', encode(convert_to(:'rsapub', 'UTF8'), 'hex'),
                       'serves', '[]'::jsonb),
    jsonb_build_object('name', 'set', 'form', 'jsonb', 'serves', '[]'::jsonb, 'key', jsonb_build_object('keys', jsonb_build_array(
      jwt_public_jwk(:'rsa') || '{"kid": "rsa"}',
      jwt_public_jwk(p256), jwt_public_jwk(p384), jwt_public_jwk(ed),
      jwt_public_jwk(:'ed448') || '{"kid": "ed448"}',
      oct,
      jwt_public_jwk(k256) || '{"use": "enc"}',
      '{"kty": "OKP", "crv": "X25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}'::jsonb))))))
  FROM k;
SQL
fi

# --- corpus -----------------------------------------------------------------
rm -rf "$here/corpus"
mkdir -p "$here/corpus/"{json,token,signed,key,b64url}

python3 - "$here" <<'PY'
import base64, json, os, sys
here = sys.argv[1]
ring = json.load(open(os.path.join(here, "keys.json")))["ring"]
c = os.path.join(here, "corpus")

def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(c, target, name), "wb") as f:
        f.write(data)

AT = 1800000000
claims = [
    {"sub": "alice", "iss": "a", "aud": "a", "iat": AT - 60, "nbf": AT - 60, "exp": AT + 3600, "jti": "1"},
    {"sub": "b", "aud": ["x", "a", "b"], "exp": AT + 0.5, "iat": AT},
    {"exp": AT, "nbf": AT + 30, "iat": AT + 1e-3, "iss": "", "role": {"r": [1, 2.5e3, None, True, False]}},
    {"iat": AT - 3601, "sub": "alice", "s": "\u00e9\u4e2d\U0001f600 \"\\/\b\f\n\r\t"},
    {"exp": 1e300, "nbf": -1e300, "iat": -0.0, "n": 123456789012345678901234567890},
    {},
]
headers = [{"alg": a, "typ": "JWT"} for a in
           ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512", "ES256K", "EdDSA"]]
headers += [{"alg": "HS256", "typ": "at+jwt", "kid": "oct"}, {"alg": "HS256", "crit": ["exp"]},
            {"alg": "none"}, {"alg": "HS256", "typ": "application/JWT", "cty": "x", "x5c": ["a"]}]

def compact(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)

for i, h in enumerate(headers):
    for j, cl in enumerate(claims[:3] if i < 14 else claims[:1]):
        opts = bytes([(i * 37 + j * 11) & 255, (i * 5 + j) & 255, (j * 3) & 255, 0])
        put("signed", "h%02d_c%d" % (i, j), opts + compact(h).encode() + b"\0" + compact(cl).encode())
for j, cl in enumerate(claims):
    put("signed", "opts%d" % j, bytes([255, 255, j * 16 + 5, 0]) + b'{"alg":"HS256"}\0' + compact(cl).encode())
# audience "a" (o[0] = 1), checked at the tokens' own time: as "audience",
# then as "audiences" alone, second and first (o[2] bits 6-7)
for m in range(4):
    for j, cl in enumerate(claims[:2]):
        put("signed", "auds%d_c%d" % (m, j), bytes([1, 0, m << 6, 0]) + b'{"alg":"HS256"}\0' + compact(cl).encode())

docs = [compact(h) for h in headers] + [compact(cl) for cl in claims] + [
    '{"a":1,"a":2}', '{"o":{"p":{"q":[1,[2,[3,{"r":"s"}]]]}}}', '{"n":[0,-0,1.5,-1.5e10,1E+2,1e-2,1234567890123456789]}',
    '{"s":"\\u00e9\\ud83d\\ude00\\u0041"}', '{"exp":99999999999999999999999999.000000000001}', ' {"a" : [ ] } ',
    '{"exp":"1800000000","aud":[1]}', '{"exp":1.8e9,"nbf":18e8,"iat":180000000000e-2}']
for r in ring:
    docs.append(r["key"] if isinstance(r["key"], str) and r["key"].startswith("{") else compact(r["key"]) if not isinstance(r["key"], str) else '{"k":"v"}')
for i, d in enumerate(docs):
    put("json", "doc%02d" % i, d)
# for the jsonb writer: empty containers, depth, offsets (more than 32
# members, long strings; the SQL test json has one over 64 kB), integers
# written as numerics, key order
writer = [
    '{"a":{},"b":[],"c":[{},[],{"d":[]}],"e":[[[]]]}',
    '{"d":' + "[" * 31 + "1" + "]" * 31 + "}",
    '{"s":"' + "x" * 4000 + '","t":1}',
    "{" + ",".join('"k%d":%s' % (g, g if g % 3 else '"%s"' % ("v" * g)) for g in range(1, 41)) + "}",
    '{"a":[' + ",".join(str(g) if g % 2 else '"%s"' % ("s" * g) for g in range(1, 71)) + "]}",
    '{"n":[0,-0,1,-1,9999,10000,-10000,10001,99990000,100000000,-100000000,123456789012345678,'
    '-999999999999999999,1000000000000000000,99999999999999999999,-123,1e3,1.50,-0.0,1e-3]}',
    '{"b":1,"aa":2,"a":3,"ab":4,"ba":5,"":6,"\\u00e9":7,"z":8,"\\u0062b":9}',
    '{"exp":1800000000,"aud":["a","b",1],"iss":"\\u0069","sub":""}',
]
for i, d in enumerate(writer):
    put("json", "writer%02d" % i, d)

for r in ring:
    k = r["key"]
    if r["form"] == "bytea":
        put("key", r["name"], bytes.fromhex(k))
    elif r["form"] == "jsonb":
        put("key", r["name"], compact(k))
    else:
        put("key", r["name"], k)
for i, s in enumerate(["A" * 32, "0123456789abcdef0123456789abcdef0123456789abcdef", "{", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
                       '{"keys":[]}', '{"kty":"oct","k":"' + "A" * 43 + '","use":"sig","key_ops":["verify"],"alg":"HS256"}']):
    put("key", "misc%d" % i, s)

for i, s in enumerate(["", "AA", "AAA", "AAAA", "-_", "A-_z09", "YQ", "YWI", "Zg==", "a b"]):
    put("b64url", "s%d" % i, s)
PY

# More PEM forms of the ring's RSA and P-521 keys.
python3 -c 'import json,sys; r={e["name"]: e for e in json.load(open(sys.argv[1]))["ring"]}; open(sys.argv[2],"w").write(r["rsa"]["key"]); open(sys.argv[3],"w").write(r["p521"]["key"])' \
	"$here/keys.json" "$tmp/rsa.pem" "$tmp/p521.pem"
k="$here/corpus/key"
openssl rsa -in "$tmp/rsa.pem" -traditional -out "$k/rsa_pkcs1" 2>/dev/null
openssl rsa -in "$tmp/rsa.pem" -RSAPublicKey_out -out "$k/rsa_pkcs1_pub" 2>/dev/null
openssl req -new -x509 -key "$tmp/rsa.pem" -subj /CN=jwt-fuzz -days 3650 -out "$k/rsa_cert" 2>/dev/null
openssl pkey -in "$tmp/p521.pem" -pubout -out "$k/p521_spki" 2>/dev/null
openssl pkcs8 -topk8 -in "$tmp/p521.pem" -passout pass:x -out "$k/p521_encrypted" 2>/dev/null

# Tokens: every ring key signs with each algorithm it serves; plus oddities.
"${PSQL[@]}" -v keys="$(cat "$here/keys.json")" >"$tmp/tokens" <<'SQL'
WITH r AS (SELECT e->>'name' AS name, e->>'form' AS form, e->'key' AS key, a
             FROM jsonb_array_elements(:'keys'::jsonb->'ring') e,
                  jsonb_array_elements_text(e->'serves') a),
     c(n, claims) AS (VALUES
       (0, '{"sub":"alice","iss":"a","aud":"a","iat":1799999940,"nbf":1799999940,"exp":1800003600}'::jsonb),
       (1, '{"sub":"bob","exp":1799999999,"iat":1800000000.5}'::jsonb))
SELECT r.name || '_' || r.a || '_' || c.n || ' ' ||
       CASE r.form WHEN 'bytea' THEN jwt_sign(c.claims, decode(r.key #>> '{}', 'hex'), r.a)
                   WHEN 'text' THEN jwt_sign(c.claims, r.key #>> '{}', r.a, header => '{"kid":"rsa"}')
                   ELSE jwt_sign(c.claims, r.key, r.a) END
  FROM r, c;
SQL
while read -r name tok; do
	printf '%s' "$tok" >"$here/corpus/token/$name"
done <"$tmp/tokens"
printf '%s' 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' >"$here/corpus/token/alg_none"
printf '%s' 'eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.AAAA' >"$here/corpus/token/crit"
printf '%s' 'a.b.c' >"$here/corpus/token/short"
printf '%s' 'eyJhbGciOiJIUzI1NiJ9.e30=.AA' >"$here/corpus/token/padded"
echo "seeds: $(find "$here/corpus" -type f | wc -l) files"
