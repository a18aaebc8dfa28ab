// Interop checks against node's `jose` and `jsonwebtoken`.
//
//   node node_check.mjs sign                   -> JSON array of library-made HS tokens on stdout
//   node node_check.mjs verify FILE            -> TAP-like lines verifying HS tokens made by jwt_sign
//   node node_check.mjs keys KEYS              -> generate the asymmetric test keys into KEYS (JSON)
//   node node_check.mjs sign-asym KEYS         -> JSON array of library-made RS/PS/ES/EdDSA tokens
//                                                 (and HS tokens keyed with public keys) on stdout
//   node node_check.mjs verify-asym KEYS FILE  -> TAP-like lines verifying RS/PS/ES/EdDSA tokens
//                                                 made by jwt_sign
//
// FILE is a JSON array written by run.sh from jwt_sign (see run.sh).
// secrets.json, claims.json and asym_cases.json are read from this script's
// directory; KEYS is written by "keys" (a temporary file, never committed).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import jsonwebtoken from 'jsonwebtoken';

const here = dirname(fileURLToPath(import.meta.url));
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const secrets = readJson(join(here, 'secrets.json'));
const baseClaims = readJson(join(here, 'claims.json'));
const ALGS = ['HS256', 'HS384', 'HS512'];
const asym = readJson(join(here, 'asym_cases.json'));
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

// ---------------------------------------------------------------------------
// Asymmetric algorithms (asym_cases.json).

// Two keys of every type in asym_cases.json: NAME signs the "good" tokens,
// NAME_other the "wrong_key" ones.  Each key is written in every form the
// SQL side passes to the extension ("arg": {form: {type, value}}, type being
// the SQL type of the key argument), plus the raw material the libraries use.
async function keys(outFile) {
  if (!outFile) throw new Error('usage: node_check.mjs keys OUTFILE');
  const pem = (k, type) => k.export({ type, format: 'pem' });
  const out = { keys: {}, jwks: { keys: [] }, private_jwks: { keys: [] } };
  for (const [name, spec] of Object.entries(asym.keys)) {
    for (const suffix of ['', '_other']) {
      const opts = spec.type === 'rsa' ? { modulusLength: spec.modulusLength }
        : spec.type === 'ec' ? { namedCurve: spec.namedCurve } : {};
      const { publicKey, privateKey } = crypto.generateKeyPairSync(spec.type, opts);
      const publicJwk = publicKey.export({ format: 'jwk' });
      const kid = await jose.calculateJwkThumbprint(publicJwk);
      publicJwk.kid = kid;
      const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid };
      const k = {
        type: name, kid,
        private_pem: pem(privateKey, 'pkcs8'),
        public_pem: pem(publicKey, 'spki'),
        private_jwk: privateJwk,
        public_jwk: publicJwk,
      };
      if (spec.type === 'rsa') {
        k.private_pem_trad = pem(privateKey, 'pkcs1');   // -----BEGIN RSA PRIVATE KEY-----
        k.public_pem_pkcs1 = pem(publicKey, 'pkcs1');    // -----BEGIN RSA PUBLIC KEY-----
      } else if (spec.type === 'ec') {
        k.private_pem_trad = pem(privateKey, 'sec1');    // -----BEGIN EC PRIVATE KEY-----
      }
      const text = (value) => ({ type: 'text', value });
      k.arg = {
        // private key forms, for jwt_sign
        pem: text(k.private_pem),
        pem_bytea: { type: 'bytea', value: k.private_pem },
        jwk: { type: 'jsonb', value: privateJwk },
        jwk_text: text(JSON.stringify(privateJwk)),
        // public key forms, for jwt_verify
        spki: text(k.public_pem),
        spki_bytea: { type: 'bytea', value: k.public_pem },
        public_jwk: { type: 'jsonb', value: publicJwk },
        public_jwk_text: text(JSON.stringify(publicJwk)),
      };
      if (k.private_pem_trad) k.arg.pem_trad = text(k.private_pem_trad);
      if (k.public_pem_pkcs1) k.arg.pkcs1_pub = text(k.public_pem_pkcs1);
      if (!suffix) {
        // A self-signed X.509 certificate for the key (node cannot make one);
        // openssl reads the key from a file beside outFile, removed at once.
        const keyFile = `${outFile}.${name}.pem`;
        let cert;
        try {
          writeFileSync(keyFile, k.private_pem, { mode: 0o600 });
          cert = execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-subj', '/CN=jwt-interop',
            '-days', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } finally {
          rmSync(keyFile, { force: true });
        }
        if (!new crypto.X509Certificate(cert).publicKey.equals(publicKey)) throw new Error(`certificate of ${name} has another key`);
        k.arg.cert = text(cert);
      }
      out.keys[name + suffix] = k;
      // The sets: every key, with "use" and (where the key serves a single
      // algorithm) "alg", as a JWKS endpoint would publish them.
      const extra = { use: 'sig', ...(spec.alg ? { alg: spec.alg } : {}) };
      out.jwks.keys.push({ ...publicJwk, ...extra });
      out.private_jwks.keys.push({ ...privateJwk, ...extra });
    }
  }
  out.keys.hmac = { type: 'hmac', arg: { secret: { type: 'bytea', value: asym.hmac_secret } } };
  writeFileSync(outFile, JSON.stringify(out, null, 1) + '\n', { mode: 0o600 });
}

const unsupported = (lib, c) => asym.unsupported?.[lib]?.[c.id];

// jose: the private key imported from PKCS#8 for even cases, from the JWK for odd ones.
async function joseSign(c, i, key, kid, claims) {
  const k = i % 2 === 0 ? await jose.importPKCS8(key.private_pem, c.alg) : await jose.importJWK(key.private_jwk, c.alg);
  return new jose.SignJWT(claims).setProtectedHeader({ alg: c.alg, typ: 'JWT', kid }).sign(k);
}

// jsonwebtoken: the PKCS#8 PEM for even cases, a KeyObject made from the JWK for odd ones.
function jsonwebtokenSign(c, i, key, kid, claims) {
  const k = i % 2 === 0 ? key.private_pem : crypto.createPrivateKey({ key: key.private_jwk, format: 'jwk' });
  return jsonwebtoken.sign(claims, k, { algorithm: c.alg, keyid: kid });
}

const b64u = (s) => Buffer.from(s).toString('base64url');

// An HS token whose HMAC secret is the text of a public key: the classic
// RS256-to-HS256 confusion forgery.  key_arg is the exact text used as the
// secret, which the SQL side hands to jwt_verify as the key.
function confusionToken(alg, secretText, claims, kid) {
  const header = { alg, typ: 'JWT', ...(kid ? { kid } : {}) };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const mac = crypto.createHmac('sha' + alg.slice(2), secretText).update(input).digest('base64url');
  return `${input}.${mac}`;
}

async function signAsym(keysFile) {
  const K = readJson(keysFile);
  const out = [];
  for (const [i, c] of asym.cases.entries()) {
    for (const [lib, make] of [['jose', joseSign], ['jsonwebtoken', jsonwebtokenSign]]) {
      for (const kind of ['good', 'wrong_key']) {
        const keyName = kind === 'good' ? c.key : `${c.key}_other`;
        const claims = libClaims();
        // Both kinds carry the kid of the good key: the wrong-key token
        // impersonates it, so a JWK Set lookup finds the good key.
        const entry = { lib, case: c.id, alg: c.alg, kind, key: keyName, kid: K.keys[c.key].kid, claims };
        try {
          entry.token = await make(c, i, K.keys[keyName], entry.kid, claims);
        } catch (e) {
          if (unsupported(lib, c)) {
            if (kind === 'good') out.push({ lib, case: c.id, alg: c.alg, kind: 'skip', skip: `${unsupported(lib, c)} (${errText(e)})` });
            continue;
          }
          entry.token = null;
          entry.error = `${lib} failed to sign: ${errText(e)}`;
        }
        out.push(entry);
      }
    }
  }
  // HS tokens keyed with public key text; the control check proves each is a
  // correct HMAC under that secret, so accepting it would be the forgery.
  const rsa = K.keys.rsa;
  for (const [alg, what, secretText, arg] of [
    ['HS256', 'the RSA SPKI PEM text as HMAC secret', rsa.public_pem, rsa.arg.spki],
    ['HS256', 'the RSA SPKI PEM bytes as HMAC secret', rsa.public_pem, rsa.arg.spki_bytea],
    ['HS512', 'the RSA PKCS#1 public PEM text as HMAC secret', rsa.public_pem_pkcs1, rsa.arg.pkcs1_pub],
    ['HS256', 'the RSA SPKI PEM text without its final newline as HMAC secret', rsa.public_pem.trimEnd(),
      { type: 'text', value: rsa.public_pem.trimEnd() }],
    ['HS256', 'the EC P-521 SPKI PEM text as HMAC secret', K.keys.p521.public_pem, K.keys.p521.arg.spki],
  ]) {
    const claims = libClaims();
    const token = confusionToken(alg, secretText, claims);
    let control;
    try {
      await jose.jwtVerify(token, enc.encode(secretText), { algorithms: [alg] });
      control = 'ok';
    } catch (e) {
      control = errText(e);
    }
    out.push({ lib: 'node crypto', case: 'confusion', alg, kind: 'confusion', what, key_arg: arg, claims, token, control });
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

const caseById = (id) => {
  const c = asym.cases.find((x) => x.id === id);
  if (!c) throw new Error(`unknown case ${id}`);
  return c;
};

// Signature bytes whose r or s (each half of a raw ECDSA signature) starts
// with a zero byte: the ones a missing left-padding would shorten.
const hasLeadingZero = (sig) => sig.length > 0 && (sig[0] === 0 || sig[sig.length / 2] === 0);

// A batch of ECDSA jwt_sign tokens (claims {"sub": "batch", "i": 1..n}): every
// signature has the fixed size; jose verifies those with a leading zero byte
// in r or s, and the first few others.
async function verifyBatch(K, c, t) {
  const toks = Array.isArray(t.tokens) ? t.tokens : [];
  const sigs = toks.map((x) => (typeof x === 'string' ? Buffer.from(x.split('.')[2] ?? '', 'base64url') : null));
  const bad = sigs.findIndex((s) => s === null || s.length !== c.sig_bytes);
  report(toks.length > 0 && bad === -1 && !t.error,
    `${c.id}: all ${toks.length} jwt_sign batch signatures are ${c.sig_bytes} bytes, raw r||s not DER`,
    t.error ?? (bad === -1 ? 'no tokens' : `token ${bad + 1}: ${sigs[bad] ? sigs[bad].length + ' bytes ' + sigs[bad].toString('hex') : 'missing'}\ntoken ${toks[bad]}`));
  // Every signature of the batch verifies (node:crypto, r||s as IEEE P1363)
  // and no two share r: a nonce used twice would give the private key
  // away.
  const pub = crypto.createPublicKey(K.keys[t.key].public_pem);
  const hash = 'sha' + c.alg.slice(2, 5);
  const failed = [];
  const rs = new Set();
  toks.forEach((x, i) => {
    const s = sigs[i];
    if (!s || s.length !== c.sig_bytes) return;
    rs.add(s.subarray(0, s.length / 2).toString('hex'));
    const input = x.slice(0, x.lastIndexOf('.'));
    if (!crypto.verify(hash, Buffer.from(input), { key: pub, dsaEncoding: 'ieee-p1363' }, s)) failed.push(i + 1);
  });
  report(toks.length > 0 && failed.length === 0,
    `${c.id}: node:crypto verifies all ${toks.length} jwt_sign batch signatures`,
    `tokens ${failed.slice(0, 10).join(', ')} do not verify`);
  report(toks.length > 0 && rs.size === toks.length,
    `${c.id}: no two of the ${toks.length} jwt_sign batch signatures share r (a nonce)`,
    `${toks.length - rs.size} repeated r values`);
  const edge = sigs.flatMap((s, i) => (s && s.length === c.sig_bytes && hasLeadingZero(s) ? [i] : []));
  console.log(`# ${c.id}: ${edge.length} of ${toks.length} jwt_sign batch signatures have r or s with a leading zero byte`);
  const pick = [...new Set([...edge, ...sigs.keys()].filter((i) => sigs[i]?.length === c.sig_bytes))].slice(0, edge.length + 8);
  const desc = `${c.id}: jose jwtVerify with SPKI PEM verifies the jwt_sign batch tokens with a leading zero byte in r or s (and 8 others)`;
  if (unsupported('jose', c)) {
    console.log(`# skip: ${c.id}: jose cannot verify jwt_sign batch tokens: ${unsupported('jose', c)}`);
    return;
  }
  try {
    const key = await jose.importSPKI(K.keys[t.key].public_pem, c.alg);
    const problems = [];
    for (const i of pick) {
      try {
        const { payload } = await jose.jwtVerify(toks[i], key, { algorithms: [c.alg] });
        if (payload.sub !== 'batch' || payload.i !== i + 1) problems.push(`token ${i + 1}: claims ${canon(payload)}`);
      } catch (e) {
        problems.push(`token ${i + 1}: ${errText(e)}\n${toks[i]}`);
      }
    }
    report(pick.length > 0 && problems.length === 0, desc, problems.join('\n') || 'no tokens');
  } catch (e) {
    report(false, desc, errText(e));
  }
}

// jwt_sign tokens (asym_sign_tokens.sql): decode the signature, then verify
// with jose (key imported from the JWK when jwt_sign had a PEM, from SPKI
// when it had a JWK, the public JWK Set when it had a set) and jsonwebtoken
// (SPKI PEM).
async function verifyAsym(keysFile, file) {
  const K = readJson(keysFile);
  const tokens = readJson(file);
  if (!Array.isArray(tokens) || tokens.length === 0) throw new Error(`no tokens in ${file}`);
  const skipped = new Set();
  const skip = (lib, c, why) => {
    if (skipped.has(lib + c.id)) return;
    skipped.add(lib + c.id);
    console.log(`# skip: ${c.id}: ${lib} cannot verify jwt_sign tokens: ${why}`);
  };
  for (const t of tokens) {
    const c = caseById(t.case);
    if (t.label === 'jwt_sign batch') {
      await verifyBatch(K, c, t);
      continue;
    }
    const label = `jwt_sign token (key ${t.form})`;
    if (typeof t.token !== 'string') {
      report(false, `${c.id}: jwt_sign makes a token with key ${t.form} for node`, t.error ?? 'no token');
      continue;
    }
    const sig = Buffer.from(t.token.split('.')[2] ?? '', 'base64url');
    const rawNote = c.alg.startsWith('ES') ? ', raw r||s not DER' : '';
    report(sig.length === c.sig_bytes, `${c.id}: ${label} signature is ${c.sig_bytes} bytes${rawNote}`,
      `signature is ${sig.length} bytes: ${sig.toString('hex')}\ntoken ${t.token}`);

    // jose
    const pub = K.keys[t.key];
    let how, getKey;
    if (t.form === 'jwks') {
      how = 'the public JWK Set';
      getKey = async () => jose.createLocalJWKSet(K.jwks);
    } else if (t.form.startsWith('pem')) {
      how = 'the public JWK';
      getKey = () => jose.importJWK(pub.public_jwk, c.alg);
    } else {
      how = 'SPKI PEM';
      getKey = () => jose.importSPKI(pub.public_pem, c.alg);
    }
    let desc = `${c.id}: jose jwtVerify with ${how} verifies ${label} and claims match`;
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(t.token, await getKey(), { algorithms: [c.alg] });
      let diag = checkSqlClaims(payload, t);
      if (protectedHeader.alg !== c.alg || protectedHeader.typ !== 'JWT' || (protectedHeader.kid ?? null) !== (t.kid ?? null)) {
        diag += `\nheader ${canon(protectedHeader)}`;
      }
      report(!diag, desc, diag);
    } catch (e) {
      if (unsupported('jose', c)) skip('jose', c, `${unsupported('jose', c)} (${errText(e)})`);
      else report(false, desc, `${errText(e)}\ntoken ${t.token}`);
    }

    // jsonwebtoken
    desc = `${c.id}: jsonwebtoken verify with SPKI PEM verifies ${label} and claims match`;
    try {
      const payload = jsonwebtoken.verify(t.token, pub.public_pem, { algorithms: [c.alg] });
      report(!checkSqlClaims(payload, t), desc, checkSqlClaims(payload, t));
    } catch (e) {
      if (unsupported('jsonwebtoken', c)) skip('jsonwebtoken', c, `${unsupported('jsonwebtoken', c)} (${errText(e)})`);
      else report(false, desc, `${errText(e)}\ntoken ${t.token}`);
    }
  }
}

const [mode, arg, arg2] = process.argv.slice(2);
try {
  if (mode === 'sign') await sign();
  else if (mode === 'verify') await verify(arg);
  else if (mode === 'keys') await keys(arg);
  else if (mode === 'sign-asym') await signAsym(arg);
  else if (mode === 'verify-asym') await verifyAsym(arg, arg2);
  else throw new Error('usage: node_check.mjs sign | verify FILE | keys KEYS | sign-asym KEYS | verify-asym KEYS FILE');
} catch (e) {
  console.error(`node_check.mjs ${mode}: ${e?.stack ?? e}`);
  process.exit(2);
}
process.exit(failed ? 1 : 0);
