// RS256 / PS256 / ES256 / EdDSA sign and verify throughput of popular Node
// JWT libraries, single-threaded, as a reference point for the SQL figures of
// test/bench/run.sh (its asymmetric part).
//
// Usage:
//   node node_asym.mjs bench DIR NOW OP...   OP = ALG:sign:N or ALG:verify:N
//   node node_asym.mjs jwk DIR               write DIR/{rsa,ec,ed}.{key,pub}.jwk
//                                            (JWK JSON of the PEM keys)
//   node node_asym.mjs check DIR ALG TOKEN   verify a token (signed elsewhere,
//                                            e.g. by jwt_sign) with node:crypto
//                                            and jose; exit 1 if either refuses
// Keys: DIR/rsa.key, DIR/rsa.pub, DIR/ec.key, ... (PKCS#8 / SPKI PEM, made by
// run.sh with openssl genpkey); tokens to verify: DIR/ALG.tok, one a line
// (made by floor/asym_floor gen), the very strings SQL and the C floor verify.
// Env: JWT_BENCH_RUNS (timed runs, best kept; default 3).
//
// Each library is used in its fastest documented form with the key set up
// once: fast-jwt createSigner/createVerifier with PEM keys (parsed once and
// kept by fast-jwt; cache: false, i.e. no verified-token cache), jsonwebtoken
// with KeyObjects (it has no EdDSA), jose with CryptoKeys imported once
// (importPKCS8/importSPKI; jose is async: sequential awaits, one at a time).
// A hand-rolled node:crypto row (crypto.sign/verify with a KeyObject, exp and
// aud checked on verify) shows node's own floor: node links its own OpenSSL,
// built differently from the system libcrypto the C floor and SQL use.
// Verification checks the signature, exp and the audience, as on the SQL side.
//
// Prints one tab-separated line per measurement on stdout:
//   node <impl> "<ALG> <sign|verify>" <ops_per_s> <count>
// and progress on stderr.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const RUNS = Number(process.env.JWT_BENCH_RUNS || 3);
const ISS = 'jwt-bench-issuer';
const AUD = 'jwt-bench-api';
const KIND = { RS256: 'rsa', PS256: 'rsa', ES256: 'ec', EdDSA: 'ed' };

const require = createRequire(import.meta.url);
const V = (m) => m + '@' + require(`${m}/package.json`).version;

function check(cond, what) { if (!cond) throw new Error('sanity check failed: ' + what); }

// node:crypto verification of a compact JWS (no claim checks).
function rawVerify(alg, token, pubKey) {
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot));
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  switch (alg) {
    case 'RS256': return crypto.verify('sha256', input, pubKey, sig);
    case 'PS256': return crypto.verify('sha256', input, {
      key: pubKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }, sig);
    case 'ES256': return crypto.verify('sha256', input, { key: pubKey, dsaEncoding: 'ieee-p1363' }, sig);
    case 'EdDSA': return crypto.verify(null, input, pubKey, sig);
    default: throw new Error('unknown algorithm ' + alg);
  }
}

// node:crypto signature of a signing input (ES256 in JOSE r||s form).
function rawSign(alg, input, privKey) {
  switch (alg) {
    case 'RS256': return crypto.sign('sha256', input, privKey);
    case 'PS256': return crypto.sign('sha256', input, {
      key: privKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ES256': return crypto.sign('sha256', input, { key: privKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA': return crypto.sign(null, input, privKey);
    default: throw new Error('unknown algorithm ' + alg);
  }
}

const [mode, DIR, ...rest] = process.argv.slice(2);
if (!DIR) {
  process.stderr.write('usage: node node_asym.mjs bench DIR NOW OP... | jwk DIR | check DIR ALG TOKEN\n');
  process.exit(2);
}
const pem = (kind, which) => fs.readFileSync(path.join(DIR, `${kind}.${which}`), 'utf8');

if (mode === 'jwk') {
  for (const kind of ['rsa', 'ec', 'ed']) {
    const priv = crypto.createPrivateKey(pem(kind, 'key'));
    fs.writeFileSync(path.join(DIR, `${kind}.key.jwk`), JSON.stringify(priv.export({ format: 'jwk' })));
    fs.writeFileSync(path.join(DIR, `${kind}.pub.jwk`),
      JSON.stringify(crypto.createPublicKey(priv).export({ format: 'jwk' })));
  }
  process.exit(0);
}

// The libraries are loaded only now: the jwk mode needs nothing but node.
const { SignJWT, jwtVerify, importPKCS8, importSPKI } = await import('jose');

if (mode === 'check') {
  const [alg, token] = rest;
  const pub = pem(KIND[alg], 'pub');
  const ok1 = rawVerify(alg, token, crypto.createPublicKey(pub));
  let ok2 = false;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, await importSPKI(pub, alg),
      { algorithms: [alg], audience: AUD, issuer: ISS });
    ok2 = protectedHeader.alg === alg && typeof payload.sub === 'string';
  } catch (e) {
    process.stderr.write(`  jose refused the ${alg} token: ${e.message}\n`);
  }
  process.exit(ok1 && ok2 ? 0 : 1);
}

if (mode !== 'bench') {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}

const { createSigner, createVerifier } = await import('fast-jwt');
const { default: jsonwebtoken } = await import('jsonwebtoken');

const NOW = Number(rest[0]);
const OPS = rest.slice(1);

// Same claims as the SQL side and floor/asym_floor.c: distinct sub and jti.
function claims(i) {
  return {
    sub: 'user-' + i,
    jti: i.toString(16).padStart(32, '0'),
    iat: NOW,
    exp: NOW + 86400,
    iss: ISS,
    aud: AUD,
    role: 'authenticated',
  };
}

// fn(n) performs n operations and returns how many succeeded.
async function measure(label, fn, n) {
  await fn(Math.max(Math.min(n, 50), Math.floor(n / 10))); // warm-up
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const v = await fn(n);
    const t1 = process.hrtime.bigint();
    check(v === n, `${label} processed ${v} of ${n}`);
    best = Math.min(best, Number(t1 - t0) / 1e9);
  }
  const ops = n / best;
  process.stderr.write(`  node ${label}: ${Math.round(ops)} ops/s (best of ${RUNS}, ${n} ops)\n`);
  return ops;
}

function out(impl, op, ops, n) {
  process.stdout.write(`node\t${impl}\t${op}\t${ops.toFixed(0)}\t${n}\n`);
}

for (const spec of OPS) {
  const [alg, op, nStr] = spec.split(':');
  const n = Number(nStr);
  const kind = KIND[alg];
  check(kind && (op === 'sign' || op === 'verify') && n > 0, `operation ${spec}`);
  const privPem = pem(kind, 'key');
  const pubPem = pem(kind, 'pub');
  const pubObj = crypto.createPublicKey(pubPem);
  const label = `${alg} ${op}`;
  const libs = [];

  // ---------- fast-jwt ----------
  libs.push([V('fast-jwt'), async () => {
    if (op === 'sign') {
      const signer = createSigner({ key: privPem, algorithm: alg });
      check(rawVerify(alg, signer(claims(7)), pubObj), `fast-jwt ${alg} signature`);
      return (m) => {
        let c = 0;
        for (let i = 1; i <= m; i++) if (signer(claims(i)).length > 0) c++;
        return c;
      };
    }
    const verifier = createVerifier({ key: pubPem, algorithms: [alg], allowedAud: AUD, cache: false });
    return (m) => {
      let c = 0;
      for (let i = 0; i < m; i++) if (verifier(tokens[i]).role) c++;
      return c;
    };
  }]);

  // ---------- jsonwebtoken (no EdDSA) ----------
  if (alg !== 'EdDSA') {
    libs.push([V('jsonwebtoken'), async () => {
      if (op === 'sign') {
        const key = crypto.createPrivateKey(privPem);
        const opts = { algorithm: alg };
        check(rawVerify(alg, jsonwebtoken.sign(claims(7), key, opts), pubObj), `jsonwebtoken ${alg} signature`);
        return (m) => {
          let c = 0;
          for (let i = 1; i <= m; i++) if (jsonwebtoken.sign(claims(i), key, opts).length > 0) c++;
          return c;
        };
      }
      const vopts = { algorithms: [alg], audience: AUD };
      return (m) => {
        let c = 0;
        for (let i = 0; i < m; i++) if (jsonwebtoken.verify(tokens[i], pubObj, vopts).role) c++;
        return c;
      };
    }]);
  }

  // ---------- jose (async; sequential awaits) ----------
  libs.push([V('jose'), async () => {
    if (op === 'sign') {
      const key = await importPKCS8(privPem, alg);
      const signOne = (i) => new SignJWT(claims(i)).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
      check(rawVerify(alg, await signOne(7), pubObj), `jose ${alg} signature`);
      return async (m) => {
        let c = 0;
        for (let i = 1; i <= m; i++) if ((await signOne(i)).length > 0) c++;
        return c;
      };
    }
    const key = await importSPKI(pubPem, alg);
    const vopts = { algorithms: [alg], audience: AUD };
    return async (m) => {
      let c = 0;
      for (let i = 0; i < m; i++) if ((await jwtVerify(tokens[i], key, vopts)).payload.role) c++;
      return c;
    };
  }]);

  // ---------- node:crypto, hand-rolled: node's own floor (its bundled OpenSSL) ----------
  libs.push(['node:crypto', async () => {
    if (op === 'sign') {
      const key = crypto.createPrivateKey(privPem);
      const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
      return (m) => {
        let c = 0;
        for (let i = 1; i <= m; i++) {
          const input = header + '.' + Buffer.from(JSON.stringify(claims(i))).toString('base64url');
          if ((input + '.' + rawSign(alg, input, key).toString('base64url')).length > 0) c++;
        }
        return c;
      };
    }
    return (m) => {
      let c = 0;
      for (let i = 0; i < m; i++) {
        const t = tokens[i];
        if (rawVerify(alg, t, pubObj)) {
          const p = JSON.parse(Buffer.from(t.slice(t.indexOf('.') + 1, t.lastIndexOf('.')), 'base64url').toString());
          if (p.exp > NOW && p.aud === AUD) c++;
        }
      }
      return c;
    };
  }]);

  let tokens = [];
  if (op === 'verify') {
    tokens = fs.readFileSync(path.join(DIR, `${alg}.tok`), 'utf8').split('\n').filter((t) => t.length > 0);
    check(tokens.length >= n, `${alg}.tok has ${tokens.length} tokens, ${n} wanted`);
    check(rawVerify(alg, tokens[0], pubObj), `node:crypto verifies the ${alg} reference token`);
  }
  // jose (~100 us of async overhead per token) and the node:crypto reference
  // row run over fewer tokens: ops/s is what is compared, and the run stays short.
  const share = { [V('jose')]: 4, 'node:crypto': 2 };
  for (const [impl, make] of libs) {
    const m = Math.max(1, Math.floor(n / (share[impl] || 1)));
    let fn;
    try {
      fn = await make();
      // every verifier must accept the first token before it is timed
      if (op === 'verify') check((await fn(1)) === 1, `${impl} verifies the ${alg} reference token`);
    } catch (e) {
      process.stderr.write(`  node ${impl} ${label}: skipped (${e.message})\n`);
      continue;
    }
    out(impl, label, await measure(`${impl} ${label}`, fn, m), m);
  }
}
