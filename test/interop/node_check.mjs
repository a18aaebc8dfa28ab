// Interop checks against node's `jose` and `jsonwebtoken`.
//
//   node node_check.mjs sign            -> JSON array of library-made tokens on stdout
//   node node_check.mjs verify FILE     -> TAP-like lines verifying tokens made by jwt_sign
//
// FILE is the JSON array written by run.sh from jwt_sign (see run.sh).
// secrets.json and claims.json are read from this script's directory.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import jsonwebtoken from 'jsonwebtoken';

const here = dirname(fileURLToPath(import.meta.url));
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const secrets = readJson(join(here, 'secrets.json'));
const baseClaims = readJson(join(here, 'claims.json'));
const ALGS = ['HS256', 'HS384', 'HS512'];
const enc = new TextEncoder();

// Canonical JSON: object keys sorted, so comparison ignores member order
// but still tells true from 1 and "1" from 1.
function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

let failed = 0;
function report(ok, desc, diag) {
  if (ok) {
    console.log(`ok - ${desc}`);
  } else {
    failed++;
    console.log(`not ok - ${desc}`);
    if (diag) for (const l of String(diag).split('\n')) console.log(`# ${l}`);
  }
}

// The claims returned for a jwt_sign token must be the signed claims plus
// the "iat" jwt_sign adds and the "exp" from expires_in.
function checkSqlClaims(got, t) {
  const { iat, exp, ...rest } = got;
  const problems = [];
  if (canon(rest) !== canon(baseClaims)) problems.push(`claims differ:\n got      ${canon(rest)}\n expected ${canon(baseClaims)}`);
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(iat) || Math.abs(iat - now) > 300) problems.push(`bad iat ${iat} (now ${now})`);
  if (exp !== iat + t.expires_in) problems.push(`exp ${exp} != iat ${iat} + ${t.expires_in}`);
  return problems.join('\n');
}

function errText(e) {
  return `${e?.name ?? 'Error'}${e?.code ? ' ' + e.code : ''}: ${e?.message ?? e}`;
}

function libClaims() {
  const now = Math.floor(Date.now() / 1000);
  return { ...baseClaims, iat: now, exp: now + 3600 };
}

async function sign() {
  const out = [];
  for (const alg of ALGS) {
    for (const [kind, secret] of [['good', secrets[alg]], ['wrong_key', secrets.wrong]]) {
      let claims = libClaims();
      out.push({
        lib: 'jose', alg, kind, claims,
        token: await new jose.SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(enc.encode(secret)),
      });
      claims = libClaims();
      out.push({
        lib: 'jsonwebtoken', alg, kind, claims,
        token: jsonwebtoken.sign(claims, secret, { algorithm: alg }),
      });
    }
  }
  // Unsecured tokens ("alg":"none"), where the library is willing to make one.
  for (const [lib, make] of [
    ['jsonwebtoken', (c) => jsonwebtoken.sign(c, null, { algorithm: 'none' })],
    ['jose', (c) => new jose.UnsecuredJWT(c).encode()],
  ]) {
    const claims = libClaims();
    try {
      out.push({ lib, alg: 'none', kind: 'none', claims, token: make(claims) });
    } catch (e) {
      out.push({ lib, alg: 'none', kind: 'none', claims, token: null, skip: errText(e) });
    }
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

async function verify(file) {
  const tokens = readJson(file);
  if (!Array.isArray(tokens) || tokens.length === 0) throw new Error(`no tokens in ${file}`);
  for (const t of tokens) {
    const secret = secrets[t.secret];
    if (typeof t.token !== 'string') {
      report(false, `${t.alg}: ${t.label} made a token for jose and jsonwebtoken`, t.error ?? 'no token');
      continue;
    }
    // jose
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(t.token, enc.encode(secret), { algorithms: [t.alg] });
      let diag = checkSqlClaims(payload, t);
      if (protectedHeader.alg !== t.alg || protectedHeader.typ !== 'JWT') diag += `\nheader ${canon(protectedHeader)}`;
      report(!diag, `${t.alg}: jose jwtVerify accepts ${t.label} token and claims match`, diag);
    } catch (e) {
      report(false, `${t.alg}: jose jwtVerify accepts ${t.label} token and claims match`, `${errText(e)}\ntoken ${t.token}`);
    }
    // jsonwebtoken
    try {
      const payload = jsonwebtoken.verify(t.token, secret, { algorithms: [t.alg] });
      const diag = checkSqlClaims(payload, t);
      report(!diag, `${t.alg}: jsonwebtoken verify accepts ${t.label} token and claims match`, diag);
    } catch (e) {
      report(false, `${t.alg}: jsonwebtoken verify accepts ${t.label} token and claims match`, `${errText(e)}\ntoken ${t.token}`);
    }
    if (t.label !== 'jwt_sign') continue; // wrong-secret checks once per algorithm
    // Negative: the wrong secret must be rejected as a bad signature.
    try {
      await jose.jwtVerify(t.token, enc.encode(secrets.wrong), { algorithms: [t.alg] });
      report(false, `${t.alg}: jose jwtVerify rejects jwt_sign token with the wrong secret`, 'no error thrown');
    } catch (e) {
      report(e?.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        `${t.alg}: jose jwtVerify rejects jwt_sign token with the wrong secret`, errText(e));
    }
    try {
      jsonwebtoken.verify(t.token, secrets.wrong, { algorithms: [t.alg] });
      report(false, `${t.alg}: jsonwebtoken verify rejects jwt_sign token with the wrong secret`, 'no error thrown');
    } catch (e) {
      report(e?.name === 'JsonWebTokenError' && e?.message === 'invalid signature',
        `${t.alg}: jsonwebtoken verify rejects jwt_sign token with the wrong secret`, errText(e));
    }
  }
}

const [mode, arg] = process.argv.slice(2);
try {
  if (mode === 'sign') await sign();
  else if (mode === 'verify') await verify(arg);
  else throw new Error('usage: node_check.mjs sign | verify FILE');
} catch (e) {
  console.error(`node_check.mjs ${mode}: ${e?.stack ?? e}`);
  process.exit(2);
}
process.exit(failed ? 1 : 0);
