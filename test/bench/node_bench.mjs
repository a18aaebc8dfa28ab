// HS256 sign/verify throughput of popular Node JWT libraries, single-threaded,
// as a reference point for the SQL figures of test/bench/run.sh.
//
// Usage: node node_bench.mjs [count]
// Env:   JWT_BENCH_SECRET (text secret, >= 32 bytes), JWT_BENCH_N (count),
//        JWT_BENCH_N_SLOW (count for the slow async jose runs, default N/10),
//        JWT_BENCH_RUNS (timed runs, best is kept; default 3)
//
// Each library is used in its fastest documented form with the key set up
// once: fast-jwt createSigner/createVerifier (cache: false), jsonwebtoken with
// a KeyObject secret (with a string secret jsonwebtoken 9 first tries
// crypto.createPrivateKey() on it, which throws; on OpenSSL 3 that costs
// ~50x, shown as an extra "string secret" row), jose with a CryptoKey
// imported once (jose is async: sequential awaits, one at a time).
//
// Prints one tab-separated line per measurement on stdout:
//   node <impl> <sign|verify> <ops_per_s> <count>
// and progress on stderr.
//
// Verification checks the signature, exp and the audience (the SQL side must
// be given the audience: jwt_verify rejects a token with "aud" otherwise).

import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { createSigner, createVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { SignJWT, jwtVerify } from 'jose';

const N = Number(process.argv[2] || process.env.JWT_BENCH_N || 200000);
const RUNS = Number(process.env.JWT_BENCH_RUNS || 3);
const N_SLOW = Number(process.env.JWT_BENCH_N_SLOW || Math.max(1000, Math.floor(N / 10)));
const N_VERY_SLOW = Math.max(500, Math.floor(N / 100));
const SECRET = process.env.JWT_BENCH_SECRET
  || 'jwt-bench-hs256-secret-0123456789abcdef-0123456789abcdef-0123';
const SECRET_BYTES = new TextEncoder().encode(SECRET);
if (SECRET_BYTES.length < 32) throw new Error('secret must be >= 32 bytes');

const require = createRequire(import.meta.url);
const V = (m) => m + '@' + require(`${m}/package.json`).version;

const NOW = Math.floor(Date.now() / 1000);
const ISS = 'jwt-bench-issuer';
const AUD = 'jwt-bench-api';

// Same claims shape as the SQL side (see run.sh): distinct sub and jti.
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

function b64u(buf) { return Buffer.from(buf).toString('base64url'); }

// Reference tokens, signed with node:crypto directly so every library
// verifies the very same strings.
const HEADER_B64 = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
function rawSign(i) {
  const input = HEADER_B64 + '.' + b64u(JSON.stringify(claims(i)));
  const sig = crypto.createHmac('sha256', SECRET).update(input).digest('base64url');
  return input + '.' + sig;
}
const tokens = new Array(N);
for (let i = 0; i < N; i++) tokens[i] = rawSign(i + 1);

function check(cond, what) { if (!cond) throw new Error('sanity check failed: ' + what); }

// fn(n) performs n operations and returns how many succeeded.
// Returns [ops_per_s, n].
async function measure(label, fn, n = N) {
  await fn(Math.min(n, 50000)); // warm-up (JIT, inline caches, ...)
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
  return [ops, n];
}

function out(impl, op, [ops, n]) {
  process.stdout.write(`node\t${impl}\t${op}\t${ops.toFixed(0)}\t${n}\n`);
}

// ---------- fast-jwt ----------
{
  const signer = createSigner({ key: SECRET, algorithm: 'HS256' });
  const verifier = createVerifier({ key: SECRET, algorithms: ['HS256'], allowedAud: AUD, cache: false });
  check(verifier(signer(claims(7))).sub === 'user-7', 'fast-jwt roundtrip');
  check(verifier(tokens[0]).sub === 'user-1', 'fast-jwt verifies reference token');
  out(V('fast-jwt'), 'sign', await measure('fast-jwt sign', (n) => {
    let c = 0;
    for (let i = 1; i <= n; i++) if (signer(claims(i)).length > 0) c++;
    return c;
  }));
  out(V('fast-jwt'), 'verify', await measure('fast-jwt verify', (n) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (verifier(tokens[i]).role) c++;
    return c;
  }));
}

// ---------- jsonwebtoken ----------
{
  const key = crypto.createSecretKey(SECRET_BYTES);
  const opts = { algorithm: 'HS256' };
  const vopts = { algorithms: ['HS256'], audience: AUD };
  check(jsonwebtoken.verify(jsonwebtoken.sign(claims(7), key, opts), key, vopts).sub === 'user-7',
    'jsonwebtoken roundtrip');
  check(jsonwebtoken.verify(tokens[0], key, vopts).sub === 'user-1', 'jsonwebtoken verifies reference token');
  out(V('jsonwebtoken'), 'sign', await measure('jsonwebtoken sign', (n) => {
    let c = 0;
    for (let i = 1; i <= n; i++) if (jsonwebtoken.sign(claims(i), key, opts).length > 0) c++;
    return c;
  }));
  out(V('jsonwebtoken'), 'verify', await measure('jsonwebtoken verify', (n) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (jsonwebtoken.verify(tokens[i], key, vopts).role) c++;
    return c;
  }));
  // The same with the secret passed as a string, as most code does.
  out(V('jsonwebtoken') + ', string secret', 'sign', await measure('jsonwebtoken sign, string secret', (n) => {
    let c = 0;
    for (let i = 1; i <= n; i++) if (jsonwebtoken.sign(claims(i), SECRET, opts).length > 0) c++;
    return c;
  }, N_VERY_SLOW));
  out(V('jsonwebtoken') + ', string secret', 'verify', await measure('jsonwebtoken verify, string secret', (n) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (jsonwebtoken.verify(tokens[i], SECRET, vopts).role) c++;
    return c;
  }, N_VERY_SLOW));
}

// ---------- jose (async; sequential awaits) ----------
{
  // jose's fastest documented form: a CryptoKey imported once (a Uint8Array
  // secret is re-imported on every call).
  const key = await crypto.webcrypto.subtle.importKey(
    'raw', SECRET_BYTES, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const vopts = { algorithms: ['HS256'], audience: AUD };
  const signOne = (i) => new SignJWT(claims(i)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
  check((await jwtVerify(await signOne(7), key, vopts)).payload.sub === 'user-7', 'jose roundtrip');
  check((await jwtVerify(tokens[0], key, vopts)).payload.sub === 'user-1', 'jose verifies reference token');
  out(V('jose'), 'sign', await measure('jose sign', async (n) => {
    let c = 0;
    for (let i = 1; i <= n; i++) if ((await signOne(i)).length > 0) c++;
    return c;
  }, N_SLOW));
  out(V('jose'), 'verify', await measure('jose verify', async (n) => {
    let c = 0;
    for (let i = 0; i < n; i++) if ((await jwtVerify(tokens[i], key, vopts)).payload.role) c++;
    return c;
  }, N_SLOW));
}

// ---------- node:crypto, hand-rolled (no claim checks): node's own floor ----------
{
  const keyObj = crypto.createSecretKey(SECRET_BYTES);
  out('node:crypto', 'sign', await measure('node:crypto sign', (n) => {
    let c = 0;
    for (let i = 1; i <= n; i++) {
      const input = HEADER_B64 + '.' + b64u(JSON.stringify(claims(i)));
      const t = input + '.' + crypto.createHmac('sha256', keyObj).update(input).digest('base64url');
      if (t.length > 0) c++;
    }
    return c;
  }));
  out('node:crypto', 'verify', await measure('node:crypto verify', (n) => {
    let c = 0;
    for (let i = 0; i < n; i++) {
      const t = tokens[i];
      const dot = t.lastIndexOf('.');
      const sig = Buffer.from(t.slice(dot + 1), 'base64url');
      const mac = crypto.createHmac('sha256', keyObj).update(t.slice(0, dot)).digest();
      if (sig.length === mac.length && crypto.timingSafeEqual(sig, mac)) {
        const p = JSON.parse(Buffer.from(t.slice(t.indexOf('.') + 1, dot), 'base64url').toString());
        if (p.exp > NOW && p.aud === AUD) c++;
      }
    }
    return c;
  }));
}
