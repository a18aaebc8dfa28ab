--
-- Asymmetric keys and algorithms: PEM and JWK forms, JWK Sets and kid,
-- key/algorithm binding, key generation and thumbprints.
--
\set VERBOSITY terse
\set at '''2024-01-01 00:00:00+00'''
CREATE TEMP TABLE k (name text PRIMARY KEY, pem text);
-- Test keys made for this file with openssl; they protect nothing.
INSERT INTO k VALUES
('rsa_pkcs8', $pem$-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDX0N3cdy5HAsSq
SSOujEnL/2C1COw11Tjp6nmw+abcgUBN20Bo8sqgreRF6deKQOxBYU9Ssi/fxi+b
MkDk/T93njnhf74YL9zw/OXV7Qu9P2t8y3sSFewspAobrBPv2ANAoMt0uWR5HFXS
2aiz2p9C2Fw2Ctf4aM1uV3LZZgVko0AFNhCvBNmEzCXEujBgwMuJ8S6xH2Q7kdvO
pDlFyN+F6cdOX+Wr5sgRtGgO6UEUL1wDdVDs8vLL3t84IhE/eUhWS87Hqj/wCGYT
yOMHOcIzKJ5hxMOjyceiy3ggq0rQ1DJGjYzujYg2XR1B9d7LquskhbK6RCUvS+W/
1RjxmyZrAgMBAAECggEAIfTHi6Im4l5hoida2WJSVCoMxb8vJzMyvr85QWquYeBm
RTm7kyesUQa7NXLbCnI3mfvdFrZZiPxuTh1kj4L3IvN+yOen+bdCLJql8PhYkgCy
AVMkvI49eDKhMoRrKKAUtuz1xhpLYDDgognEHPRHfaV8MLaZD4kx1Wwl8mW2cIRj
DQs9o/fgd8eDJHRKCIcul1Ac35RPg59y694Dd1Uz0UagfxldQaFelfvrcP8LFnfd
1ovrGlbDIYQKCZxKdaMiemiIJri2VjIJwuu9FQJjDstFg3XAtYpjFQW64mQZGlLp
Mjf1qCChlIK6Y+Ne5I91zufQEElEBLdt5Q8z3CMZaQKBgQD1CmImvJuT7V8lon7g
XVM+MmJOFGgEt0LmM0rv7I92hl8x3EeGoTTh85h03mpBZeJFTUieMfkxvROpTuL8
eJgRvNwE0Wx9vfdTX0PnCQ9H3ItrABF9k9U7aFjZ0O26kDEA4MVN9t1HYbMPDOCF
+C2YtDOy71j3zbQWUBOJGhtImQKBgQDhd99UXHUz37JX4mRDsQXfgYXC6iu+5whT
lIxCgAyIQWhnM0/jIdFcfqXAi4+E0ECxTy/yXfpzNPkTlaWdDVkMdH6PLbHoms0P
wHYJ470dZTEJKH46M0f8sf4iUv5DCyXqzL8zIq5ce+0aMhwxMS0ygKpoXCvUqeO3
C23fjT51owKBgCDOQRG6koGdd+2L8byMAgcDq9GUPdDT0CsNluzEGPjfSINeYF0P
3AqcGD8dP9B9mWt5y00Sl7AnBijWnOD8LC/DvxkOCJ5U/nW0/VxDBD60sh2jJrRP
RG7tq2eN5yXhBA6ACSpE8J8L33MWYEDPVxtolLtR+/FBIukR02u5iQmRAoGAWhPx
JpwVuxbJArGRCzZDOWtezGOP/KICwpmbe8n6t8kh8/EdHopZQZHbmNRpD0/AONaB
Olxvfe2RAVENLHSzufUkxwEjjeGiwYNL5WGWIZNXBuilnYz1WrCl7oKn0JM4n9kT
HlPhw1NDg+63MrQJ8Z5T9oO0gy8oqe2oBONCK+8CgYBi5h+Tb774Dh1z5mJ6dadA
Z0I7yLH4xDOPE9ExiHJpFZ0+TjCfMMXlxcpvgCk+jPGE3Ca2MJU7WEdXha2f8j+Q
JXGezv2kjsUAoW8PGOZ71DKvDaxAtfKP2p7nD1a5mAu+fMKuchQTlEgA4uxisGPe
p6G/UmLiFbQRVdq3w+3eKQ==
-----END PRIVATE KEY-----
$pem$),
('rsa_pkcs1', $pem$-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEA19Dd3HcuRwLEqkkjroxJy/9gtQjsNdU46ep5sPmm3IFATdtA
aPLKoK3kRenXikDsQWFPUrIv38YvmzJA5P0/d5454X++GC/c8Pzl1e0LvT9rfMt7
EhXsLKQKG6wT79gDQKDLdLlkeRxV0tmos9qfQthcNgrX+GjNbldy2WYFZKNABTYQ
rwTZhMwlxLowYMDLifEusR9kO5HbzqQ5RcjfhenHTl/lq+bIEbRoDulBFC9cA3VQ
7PLyy97fOCIRP3lIVkvOx6o/8AhmE8jjBznCMyieYcTDo8nHost4IKtK0NQyRo2M
7o2INl0dQfXey6rrJIWyukQlL0vlv9UY8ZsmawIDAQABAoIBACH0x4uiJuJeYaIn
WtliUlQqDMW/LyczMr6/OUFqrmHgZkU5u5MnrFEGuzVy2wpyN5n73Ra2WYj8bk4d
ZI+C9yLzfsjnp/m3QiyapfD4WJIAsgFTJLyOPXgyoTKEayigFLbs9cYaS2Aw4KIJ
xBz0R32lfDC2mQ+JMdVsJfJltnCEYw0LPaP34HfHgyR0SgiHLpdQHN+UT4Ofcuve
A3dVM9FGoH8ZXUGhXpX763D/CxZ33daL6xpWwyGECgmcSnWjInpoiCa4tlYyCcLr
vRUCYw7LRYN1wLWKYxUFuuJkGRpS6TI39aggoZSCumPjXuSPdc7n0BBJRAS3beUP
M9wjGWkCgYEA9QpiJrybk+1fJaJ+4F1TPjJiThRoBLdC5jNK7+yPdoZfMdxHhqE0
4fOYdN5qQWXiRU1InjH5Mb0TqU7i/HiYEbzcBNFsfb33U19D5wkPR9yLawARfZPV
O2hY2dDtupAxAODFTfbdR2GzDwzghfgtmLQzsu9Y9820FlATiRobSJkCgYEA4Xff
VFx1M9+yV+JkQ7EF34GFwuorvucIU5SMQoAMiEFoZzNP4yHRXH6lwIuPhNBAsU8v
8l36czT5E5WlnQ1ZDHR+jy2x6JrND8B2CeO9HWUxCSh+OjNH/LH+IlL+Qwsl6sy/
MyKuXHvtGjIcMTEtMoCqaFwr1Knjtwtt340+daMCgYAgzkERupKBnXfti/G8jAIH
A6vRlD3Q09ArDZbsxBj430iDXmBdD9wKnBg/HT/QfZlrectNEpewJwYo1pzg/Cwv
w78ZDgieVP51tP1cQwQ+tLIdoya0T0Ru7atnjecl4QQOgAkqRPCfC99zFmBAz1cb
aJS7UfvxQSLpEdNruYkJkQKBgFoT8SacFbsWyQKxkQs2QzlrXsxjj/yiAsKZm3vJ
+rfJIfPxHR6KWUGR25jUaQ9PwDjWgTpcb33tkQFRDSx0s7n1JMcBI43hosGDS+Vh
liGTVwbopZ2M9Vqwpe6Cp9CTOJ/ZEx5T4cNTQ4PutzK0CfGeU/aDtIMvKKntqATj
QivvAoGAYuYfk2+++A4dc+ZienWnQGdCO8ix+MQzjxPRMYhyaRWdPk4wnzDF5cXK
b4ApPozxhNwmtjCVO1hHV4Wtn/I/kCVxns79pI7FAKFvDxjme9Qyrw2sQLXyj9qe
5w9WuZgLvnzCrnIUE5RIAOLsYrBj3qehv1Ji4hW0EVXat8Pt3ik=
-----END RSA PRIVATE KEY-----
$pem$),
('rsa_spki', $pem$-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA19Dd3HcuRwLEqkkjroxJ
y/9gtQjsNdU46ep5sPmm3IFATdtAaPLKoK3kRenXikDsQWFPUrIv38YvmzJA5P0/
d5454X++GC/c8Pzl1e0LvT9rfMt7EhXsLKQKG6wT79gDQKDLdLlkeRxV0tmos9qf
QthcNgrX+GjNbldy2WYFZKNABTYQrwTZhMwlxLowYMDLifEusR9kO5HbzqQ5Rcjf
henHTl/lq+bIEbRoDulBFC9cA3VQ7PLyy97fOCIRP3lIVkvOx6o/8AhmE8jjBznC
MyieYcTDo8nHost4IKtK0NQyRo2M7o2INl0dQfXey6rrJIWyukQlL0vlv9UY8Zsm
awIDAQAB
-----END PUBLIC KEY-----
$pem$),
('rsa_pkcs1_pub', $pem$-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA19Dd3HcuRwLEqkkjroxJy/9gtQjsNdU46ep5sPmm3IFATdtAaPLK
oK3kRenXikDsQWFPUrIv38YvmzJA5P0/d5454X++GC/c8Pzl1e0LvT9rfMt7EhXs
LKQKG6wT79gDQKDLdLlkeRxV0tmos9qfQthcNgrX+GjNbldy2WYFZKNABTYQrwTZ
hMwlxLowYMDLifEusR9kO5HbzqQ5RcjfhenHTl/lq+bIEbRoDulBFC9cA3VQ7PLy
y97fOCIRP3lIVkvOx6o/8AhmE8jjBznCMyieYcTDo8nHost4IKtK0NQyRo2M7o2I
Nl0dQfXey6rrJIWyukQlL0vlv9UY8ZsmawIDAQAB
-----END RSA PUBLIC KEY-----
$pem$),
('rsa_cert', $pem$-----BEGIN CERTIFICATE-----
MIIC+TCCAeGgAwIBAgIUVoehol/cAziYtR3MtqewkaZmNX0wDQYJKoZIhvcNAQEL
BQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMjMxMzQ2MzBaFw0yNjExMjQxMzQ2MzBa
MAwxCjAIBgNVBAMMAXgwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDX
0N3cdy5HAsSqSSOujEnL/2C1COw11Tjp6nmw+abcgUBN20Bo8sqgreRF6deKQOxB
YU9Ssi/fxi+bMkDk/T93njnhf74YL9zw/OXV7Qu9P2t8y3sSFewspAobrBPv2ANA
oMt0uWR5HFXS2aiz2p9C2Fw2Ctf4aM1uV3LZZgVko0AFNhCvBNmEzCXEujBgwMuJ
8S6xH2Q7kdvOpDlFyN+F6cdOX+Wr5sgRtGgO6UEUL1wDdVDs8vLL3t84IhE/eUhW
S87Hqj/wCGYTyOMHOcIzKJ5hxMOjyceiy3ggq0rQ1DJGjYzujYg2XR1B9d7Lqusk
hbK6RCUvS+W/1RjxmyZrAgMBAAGjUzBRMB0GA1UdDgQWBBTqn4ztpmVJfEJxHu2H
OI51u8YOzjAfBgNVHSMEGDAWgBTqn4ztpmVJfEJxHu2HOI51u8YOzjAPBgNVHRMB
Af8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCZQcg31+HVNXu4mGlgxBeS1NIB
Fo1Ui2/jyl24l5vtuNilS5Hv7/+8vs0CQoQs7WGE8qM1t4p7MrqFEAyBnJXIKLAL
LhLLghUB8HCNPFsNSpvqmkzFOdZ6k5TDTps/aFVUEgBelMkZO/SgoriisnrRtvs1
3g6Nl1UeD6b3ditZPik5HvP/CRJmWX67ZYcmJAUmyTKCgfZ45dWhrYNhekGVFFeY
l0PiO0FAdQLw2o+O4vYuGjOQC76YxqayF60BEAmUA1W38nTr4eF/1SCj3y72pff+
pnDGqMvuvZ73p4lzZDV45VHRkNIToOnIcnzmMS9jspikG3u/0QjCblFa8F3U
-----END CERTIFICATE-----
$pem$),
('rsa1024', $pem$-----BEGIN PRIVATE KEY-----
MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBALslYa4QXjB/kPRy
LGcQYx/U6IzAI5aW8+XfW27gm6GjfvcYqFx4//D9oqXpX/pBXKoGQr0EJ2dReyZe
g7HsFN1AKkta8OEjWdlGMQ+wQUPin6u5HfyWM1rjRxRzDlZYoXi90AQiDCfXEVwT
nyliq7Eg3HZ4FP4IJ7gp3CN9XT1JAgMBAAECgYBj8T+sDHOwpL+Nu9d4pui43CPg
3s9ioXTZAyI6IVsbxEuOvC1VTQ0p7tnIjsxBwlwxNKy5cpl0dLA2umzMPM6au5Kx
8DBBwhoJixU7DMnYUsge9xLKmn0/RVIHnxSiwUHQNAoX5r6JHxCwIpnWxW797l/s
zZXFk7o3erI1crHcAQJBAOX3YZXRguLs+sdEbvDWZ4DB3YS4apQR6trhp7eEyDMi
iC3Heo7qJ9E5KlrZDmSTXh2BD3LcqJdDny8/Fo3B1IECQQDQVQgTJvJFwHCYOhDE
4dKvncL5up5LbEYjdwYaIkD8lOx3tALz4OFP63dpg6DrQS4stPlz7ZQUIy0fq8YH
q2TJAkA51MFMrNhueswCCpqfpDt5LMepVbsvq2XVT4Qe6ZxzB48ZfB29DPOgcPDO
0eEFt+2mG8unxgf7qjzA4+unEISBAkBVhUJuUkOMHKZb5yIxIB6T1uhOCayne4gD
UP3hRoR061FzBiNcJ8l2PEvltZIeYMBqu9PXIgTyi0ofwSzmwxX5AkAn5XFMrA9Y
RBZgCiS9XqLD5V7q5HrDF1HxXjQss8NqhnMU6dkOasT7wfO+GqUUZPiJ4xlTi5M+
jRIcuFLuZs3F
-----END PRIVATE KEY-----
$pem$),
('rsa1024_pub', $pem$-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7JWGuEF4wf5D0cixnEGMf1OiM
wCOWlvPl31tu4Juho373GKhceP/w/aKl6V/6QVyqBkK9BCdnUXsmXoOx7BTdQCpL
WvDhI1nZRjEPsEFD4p+ruR38ljNa40cUcw5WWKF4vdAEIgwn1xFcE58pYquxINx2
eBT+CCe4KdwjfV09SQIDAQAB
-----END PUBLIC KEY-----
$pem$),
('p256_pkcs8', $pem$-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8WecfktWk7Pc5FOP
GeyOhkdJP1hQqDvBDqpA59d4Mx2hRANCAATEeDbg23Tanja3zXMCfFkJ1PYjL5Wo
7Mv11NpAgqphiBJvZp0MfD5whdSKp4FNp5uDHym9llAZANQpkdCYa4nK
-----END PRIVATE KEY-----
$pem$),
('p256_sec1', $pem$-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIPFnnH5LVpOz3ORTjxnsjoZHST9YUKg7wQ6qQOfXeDMdoAoGCCqGSM49
AwEHoUQDQgAExHg24Nt02p42t81zAnxZCdT2Iy+VqOzL9dTaQIKqYYgSb2adDHw+
cIXUiqeBTaebgx8pvZZQGQDUKZHQmGuJyg==
-----END EC PRIVATE KEY-----
$pem$),
('p256_spki', $pem$-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExHg24Nt02p42t81zAnxZCdT2Iy+V
qOzL9dTaQIKqYYgSb2adDHw+cIXUiqeBTaebgx8pvZZQGQDUKZHQmGuJyg==
-----END PUBLIC KEY-----
$pem$),
('p384', $pem$-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBo9lXC+ltHYKlQjwwU
s5Chqq1FDx8loI0ZDiEl7OMv7LwvsI5aii1TBtfZVm8UhuShZANiAAT7TGBf5Tiw
uUnog2xgUQJ/1+wMkRDCE1nwHibyzIDHbpOPawkdywp023jE7xam0ReM2yGRAcIV
P9F1eyABZFjXTQpBPRa3YT4nM2sI+MylO9TetACGzv3VryF71B4jSA0=
-----END PRIVATE KEY-----
$pem$),
('p521_sec1', $pem$-----BEGIN EC PRIVATE KEY-----
MIHcAgEBBEIBYWLPR7cdSc7Dv60L520ZfXMgqB1MgOIDxBSZ4dpw15KX1SHhVUvf
REhj8fOOX0YCK/W2R3EIj0HZ5NV63//hM5egBwYFK4EEACOhgYkDgYYABAE6i18Q
YeM8kI3khanX6uFzx8klUMhqB30/F7wPHQqDC8t3GCPwHK5jcxVVaWwYQYhDgnne
rgBXoOlHcMobpwykPAATEy5dmhq0e4V+OYnCUMD71rvjZyXl7No55PhDb/cQRgWv
YLCgAAm0YCArxX3QYcbz2gVkNWNSd76HtoLgrHVmkQ==
-----END EC PRIVATE KEY-----
$pem$),
('k1_sec1', $pem$-----BEGIN EC PRIVATE KEY-----
MHQCAQEEIOyyDaThrwT6ALqx1UG45AZtKEJZxvra+Ae7gHTxDkzioAcGBSuBBAAK
oUQDQgAEeVrxvURlbGtNB6aZVuS4hXnUqJzgXQSR+TXEGUGG2uvolDIDHAVqvw+u
YlwH2WuSt4i8Nulrbyi3tbYoRsVRRw==
-----END EC PRIVATE KEY-----
$pem$),
('ed25519', $pem$-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINoH6N28ErGV/gzi8Xr0Ev7O8u2aiVbGIbDF67MKSYEM
-----END PRIVATE KEY-----
$pem$),
('ed25519_pub', $pem$-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAKLq5YhrUfHbK89R5qt/AMYsEUF663s6IxZ1fpF/klGE=
-----END PUBLIC KEY-----
$pem$),
('ed448', $pem$-----BEGIN PRIVATE KEY-----
MEcCAQAwBQYDK2VxBDsEOVVgZ4006Ocl4cG6l6n4/ZzVAgQJQ2rnhXbrgQNxQ49d
wx7KAjfaf8v8jqWUZbC1VuN/0MIJWEEfig==
-----END PRIVATE KEY-----
$pem$);
CREATE FUNCTION pem(n text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT pem FROM k WHERE name = n $$;

-- Every algorithm signs and verifies, with private PEM in and public PEM out.
SELECT alg, signer, verifier,
       (jwt_validate(jwt_sign('{"sub":"s"}', pem(signer), alg), pem(verifier))).reason AS reason,
       length(decode(rpad(translate(split_part(jwt_sign('{"sub":"s"}', pem(signer), alg), '.', 3), '-_', '+/'),
                          (length(split_part(jwt_sign('{"sub":"s"}', pem(signer), alg), '.', 3)) + 3) / 4 * 4, '='), 'base64')) AS sig_bytes
  FROM (VALUES ('RS256', 'rsa_pkcs8', 'rsa_spki'), ('RS384', 'rsa_pkcs1', 'rsa_pkcs1_pub'),
               ('RS512', 'rsa_pkcs8', 'rsa_cert'), ('PS256', 'rsa_pkcs1', 'rsa_spki'),
               ('PS384', 'rsa_pkcs8', 'rsa_pkcs1_pub'), ('PS512', 'rsa_pkcs8', 'rsa_cert'),
               ('ES256', 'p256_sec1', 'p256_spki'), ('ES256', 'p256_pkcs8', 'p256_sec1'),
               ('ES384', 'p384', 'p384'), ('ES512', 'p521_sec1', 'p521_sec1'),
               ('ES256K', 'k1_sec1', 'k1_sec1'), ('EdDSA', 'ed25519', 'ed25519_pub'),
               ('EdDSA', 'ed448', 'ed448')) AS v(alg, signer, verifier);

-- RS256 and EdDSA signatures are deterministic: same input, same token.
SELECT jwt_sign('{"iat":1}', pem('rsa_pkcs8'), 'RS256') = jwt_sign('{"iat":1}', pem('rsa_pkcs1'), 'RS256') AS rs256_same_key_same_token,
       jwt_sign('{"iat":1}', pem('ed25519'), 'EdDSA') = jwt_sign('{"iat":1}', pem('ed25519'), 'EdDSA') AS eddsa_deterministic,
       jwt_sign('{"iat":1}', pem('p256_sec1'), 'ES256') <> jwt_sign('{"iat":1}', pem('p256_sec1'), 'ES256') AS es256_randomized;

-- The same key as PEM, as JWK text and as JWK jsonb verifies the same token.
SELECT jwt_sign('{"sub":"s"}', pem('p256_sec1'), 'ES256') AS tok \gset
SELECT jwt_public_jwk(pem('p256_sec1')) AS pub \gset
SELECT (jwt_validate(:'tok', pem('p256_spki'))).valid AS pem,
       (jwt_validate(:'tok', :'pub'::text)).valid AS jwk_text,
       (jwt_validate(:'tok', :'pub'::jsonb)).valid AS jwk_jsonb,
       (jwt_validate(:'tok', jwt_public_jwk(pem('p256_spki')))).valid AS from_public_pem;
SELECT (:'pub'::jsonb) ?& ARRAY['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'] AS has_members,
       NOT (:'pub'::jsonb ? 'd') AS no_private_part,
       :'pub'::jsonb->>'alg' AS alg, :'pub'::jsonb->>'crv' AS crv;

-- Key/algorithm binding: every mismatch is refused, before any signature
-- work, with a reason.
SELECT alg, verifier, (jwt_validate(jwt_sign('{"sub":"s"}', pem(signer), alg), pem(verifier), ARRAY[alg])).reason
  FROM (VALUES ('RS256', 'rsa_pkcs8', 'p256_spki'), ('ES256', 'p256_sec1', 'rsa_spki'),
               ('ES256', 'p256_sec1', 'p384'), ('ES384', 'p384', 'p256_spki'),
               ('ES256K', 'k1_sec1', 'p256_spki'), ('ES256', 'p256_sec1', 'k1_sec1'),
               ('EdDSA', 'ed25519', 'rsa_spki'), ('PS256', 'rsa_pkcs8', 'ed25519_pub'),
               ('RS256', 'rsa_pkcs8', 'rsa1024_pub')) AS v(alg, signer, verifier)
 WHERE verifier <> 'rsa1024_pub';
-- Without an allow-list the key decides, so the token's alg is simply not allowed.
SELECT (jwt_validate(jwt_sign('{}', pem('p256_sec1'), 'ES256'), pem('rsa_spki'))).reason AS es256_with_rsa_key,
       (jwt_validate(jwt_sign('{}', pem('p384'), 'ES384'), pem('p256_spki'))).reason AS es384_with_p256_key,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'PS256'), pem('rsa_spki'))).reason AS ps256_with_rsa_key;

-- The RS256-public-key-as-HS256-secret forgery: an HS256 token whose
-- secret is the public key's PEM text never verifies with that PEM.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SELECT si || '.' || rtrim(translate(encode(hmac(si, pem('rsa_spki'), 'sha256'), 'base64'), E'+/\n', '-_'), '=') AS forged
  FROM (SELECT 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9' AS si) s \gset
SELECT (jwt_validate(:'forged', pem('rsa_spki'))).reason AS default_allow_list,
       (jwt_validate(:'forged', pem('rsa_spki'), '{HS256,RS256}')).reason AS hs256_allowed,
       (jwt_validate(:'forged', convert_to(pem('rsa_spki'), 'UTF8'), '{HS256}')).reason AS pem_as_bytea;
SELECT (jwt_validate(:'forged', jwt_public_jwk(pem('rsa_spki')), '{HS256}')).reason AS jwk;

-- Key forms that are not HMAC secrets.  The key form is decided after a
-- UTF-8 BOM and ASCII whitespace: "-----BEGIN " anywhere is PEM (text before
-- it is skipped), "{" is a JWK (for bytea, only when it is a JSON object),
-- and DER keys and certificates are refused.  Each forged token below is an
-- HS256 token whose HMAC key is exactly the bytes of the key argument next
-- to it, made once with python3 (hmac, hashlib); with a key read as an HMAC
-- secret it would verify.  Expected: PEM and JWK forms are read as keys, so
-- the forged token is invalid (algorithm_not_allowed, or key_mismatch with
-- an HS256 allow-list) and signing HS256 with them is refused (22023); DER
-- keys and certificates, and "oct" JWKs whose "k" holds a key, are refused
-- outright (22023), whatever the call.
CREATE FUNCTION der(p text) RETURNS bytea LANGUAGE sql IMMUTABLE AS
  $$ SELECT decode(regexp_replace(p, '-----[^-]*-----|\s', '', 'g'), 'base64') $$;
CREATE FUNCTION b64url(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT rtrim(translate(encode(b, 'base64'), E'+/\n', '-_'), '=') $$;
CREATE FUNCTION kf_try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE q INTO r;
  RETURN r;
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE TEMP TABLE kf (name text PRIMARY KEY, type text, k text, forged text);
INSERT INTO kf (name, type, k) VALUES
  ('bom_pem_text', 'text', convert_from('\xefbbbf', 'UTF8') || pem('rsa_spki')),
  ('bom_pem_bytea', 'bytea', ('\xefbbbf'::bytea || convert_to(pem('rsa_spki'), 'UTF8'))::text),
  ('comment_pem', 'text', E'# API signing key\n' || pem('rsa_spki')),
  ('x509_text_pem', 'text', E'Certificate:\n    Data:\n        Version: 3 (0x2)\n' || pem('rsa_cert')),
  ('bag_attributes_pem', 'text', E'Bag Attributes\n    friendlyName: api\n' || pem('rsa_cert')),
  ('vt_pem', 'text', E'\013' || pem('p256_spki')),
  ('ff_pem', 'text', E'\014' || pem('p256_spki')),
  ('der_spki_rsa', 'bytea', der(pem('rsa_spki'))::text),
  ('der_spki_p256', 'bytea', der(pem('p256_spki'))::text),
  ('der_pkcs1_pub', 'bytea', der(pem('rsa_pkcs1_pub'))::text),
  ('der_cert', 'bytea', der(pem('rsa_cert'))::text),
  ('der_pkcs8', 'bytea', der(pem('p256_pkcs8'))::text),
  ('der_sec1', 'bytea', der(pem('p256_sec1'))::text),
  ('jwk_bytea', 'bytea', convert_to(jwt_public_jwk(pem('rsa_spki'))::text, 'UTF8')::text),
  ('ws_jwk_bytea', 'bytea', convert_to(E'\r\n' || jwt_public_jwk(pem('rsa_spki'))::text, 'UTF8')::text),
  ('bom_jwk_text', 'text', convert_from('\xefbbbf', 'UTF8') || jwt_public_jwk(pem('p256_spki'))::text),
  ('oct_of_pem', 'jsonb', jsonb_build_object('kty', 'oct', 'k', b64url(convert_to(pem('rsa_spki'), 'UTF8')))::text),
  ('oct_of_der', 'jsonb', jsonb_build_object('kty', 'oct', 'k', b64url(der(pem('rsa_spki'))))::text),
  -- a PEM body without its BEGIN/END lines, as identity providers show a key
  ('b64_spki_rsa', 'text', regexp_replace(pem('rsa_spki'), '-----[A-Z ]+-----\n?', '', 'g')),
  ('b64_line_spki_p256', 'text', replace(regexp_replace(pem('p256_spki'), '-----[A-Z ]+-----\n?', '', 'g'), E'\n', '')),
  -- other encodings of a key, and a JWK behind other text
  ('enc_b64url_spki', 'text', b64url(der(pem('p256_spki')))),
  ('enc_hex_spki', 'text', encode(der(pem('rsa_spki')), 'hex')),
  ('enc_b64_pem_file', 'text', replace(encode(convert_to(pem('p256_spki'), 'UTF8'), 'base64'), E'\n', '')),
  ('pem_without_begin', 'text', regexp_replace(pem('p256_spki'), '-----BEGIN [A-Z ]+-----\n', '')),
  ('jwk_after_text', 'text', 'key: ' || jwt_public_jwk(pem('rsa_spki'))::text),
  ('jwk_array', 'text', '[' || jwt_public_jwk(pem('rsa_spki'))::text || ']'),
  ('jwk_json_string', 'text', to_json(jwt_public_jwk(pem('rsa_spki'))::text)::text);
UPDATE kf SET forged = v.forged FROM (VALUES
  ('bom_pem_text', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.dGt8m4OecI9TXdQrWAt2Ede8bIlh9uMpDtwXL5-srPA'),
  ('bom_pem_bytea', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.dGt8m4OecI9TXdQrWAt2Ede8bIlh9uMpDtwXL5-srPA'),
  ('comment_pem', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.OAwSNeZIJNtFanlJpVQyFj8pRmIyktx6BeB2bfy0RTE'),
  ('x509_text_pem', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.3yUYFl8HLgfvPlGxLnQ2-n1aDWxuJlRCp4bcNgeVYMA'),
  ('bag_attributes_pem', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.-A5BTig7Dx8QTglnEesl0jeKFEfiNw6B_9oP8KPAesU'),
  ('vt_pem', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.GaLMbHzzFpreRaEoGKV6O_o2rUXnl4L3Yn5c8sNSuXQ'),
  ('ff_pem', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.2BGK9XICk2MTvOfUUrVtB4a_xO-j_qZNsFI5Y24C30c'),
  ('der_spki_rsa', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.93oRyosn1TV0ZepnVlc8GFE_lEYIQ5iSMCkppVx7exk'),
  ('der_spki_p256', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.YQEMMbWXYKY4qArgTOgulCid9bhyTOPcB2Zjk9MIOb0'),
  ('der_pkcs1_pub', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.eJThCQ6fZcIFZhcRqONxEi4pgvST7WgyoPBwldJpoN8'),
  ('der_cert', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.LssRb5JmZfBuYXJhCFqE48_iOJR6KGY5qRkrlE1TzMY'),
  ('der_pkcs8', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.b1YcruMNyiCzZw3l0Rl6oD3ES0fIx07fTQl0fQC2EBE'),
  ('der_sec1', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.A5tZCsmRpvyXK_enEBGGPuLFm5qEFzWliRc20cYWskI'),
  ('jwk_bytea', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.4YxHsgTs4xsSeU1GuXDI2cPWqZUDTmIox_HVoXK8fVA'),
  ('ws_jwk_bytea', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.ItnD2qu0ouOZU2dsaQ-ao_xdkgIK83MowFhPH-04ExQ'),
  ('bom_jwk_text', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.ywwC0d7j2M_jKelBVW5pLfhe369mj_xmhlr55s9e-qg'),
  ('oct_of_pem', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.-CwxtHoTXJ4QlMef36FzdD2_hA2POGEoIkGrSk-MtLA'),
  ('oct_of_der', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.93oRyosn1TV0ZepnVlc8GFE_lEYIQ5iSMCkppVx7exk')) AS v(name, forged) WHERE kf.name = v.name;
UPDATE kf SET forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.' ||
       b64url(hmac(convert_to('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9', 'UTF8'), convert_to(k, 'UTF8'), 'sha256'))
 WHERE forged IS NULL;
SELECT name, type,
       kf_try(format('SELECT CASE WHEN valid THEN ''VALID'' ELSE reason END FROM jwt_validate(%L, %L::%s)',
                     forged, k, type)) AS validate,
       kf_try(format('SELECT CASE WHEN valid THEN ''VALID'' ELSE reason END FROM jwt_validate(%L, %L::%s, ''{HS256}'')',
                     forged, k, type)) AS validate_hs256,
       kf_try(format('SELECT ''signed'' FROM jwt_sign(''{"sub":"admin"}'', %L::%s, ''HS256'')',
                     k, type)) AS sign_hs256
  FROM kf ORDER BY name;
-- The refusal of a DER key says what it is and what to do, never the key.
\set VERBOSITY default
SELECT jwt_verify(forged, der(pem('rsa_spki'))) FROM kf WHERE name = 'der_spki_rsa';
SELECT jwt_verify(forged, der(pem('rsa_cert'))) FROM kf WHERE name = 'der_cert';
\set VERBOSITY terse
-- The registry reads an HS* key with the key reader: a public key is refused.
SELECT jwt_registry_add(pem('rsa_spki'), 'HS256');
-- A bytea JWK that jwt_json_parse refuses (here a duplicate member) is
-- refused, not taken as a secret.
SELECT jwt_validate(forged, convert_to(rtrim(jwt_public_jwk(pem('rsa_spki'))::text, '}') || ', "kty": "RSA"}', 'UTF8'))
  FROM kf WHERE name = 'jwk_bytea';
-- The PEM and JWK forms are the keys they hold: real RS256 and ES256 tokens
-- verify, and the public JWK is the same.
SELECT name, (jwt_validate(jwt_sign('{"sub":"s"}', pem(signer), alg), k)).valid,
       jwt_public_jwk(k) = jwt_public_jwk(pem(plain)) AS same_public_jwk
  FROM kf JOIN (VALUES ('bom_pem_text', 'rsa_pkcs8', 'RS256', 'rsa_spki'),
                       ('comment_pem', 'rsa_pkcs8', 'RS256', 'rsa_spki'),
                       ('x509_text_pem', 'rsa_pkcs1', 'PS256', 'rsa_cert'),
                       ('bag_attributes_pem', 'rsa_pkcs8', 'RS512', 'rsa_cert'),
                       ('vt_pem', 'p256_sec1', 'ES256', 'p256_spki'),
                       ('ff_pem', 'p256_pkcs8', 'ES256', 'p256_spki'),
                       ('bom_jwk_text', 'p256_sec1', 'ES256', 'p256_spki')) AS v(name, signer, alg, plain) USING (name)
 ORDER BY name;
SELECT name, (jwt_validate(jwt_sign('{"sub":"s"}', pem(signer), alg), k::bytea)).valid
  FROM kf JOIN (VALUES ('bom_pem_bytea', 'rsa_pkcs8', 'RS256'),
                       ('jwk_bytea', 'rsa_pkcs8', 'RS256'),
                       ('ws_jwk_bytea', 'rsa_pkcs1', 'PS384')) AS v(name, signer, alg) USING (name)
 ORDER BY name;
-- A bytea secret that starts with "{" (as one from jwt_generate_secret()
-- does one time in 256) but is not a JSON object stays an HMAC secret, and
-- so does one that starts with a DER SEQUENCE byte but is no DER key.
SELECT (jwt_validate(jwt_sign('{"sub":"s"}', s, 'HS256'), s)).valid AS brace_secret,
       jwt_sign('{"sub":"s"}', s, 'HS256') = jwt_sign('{"sub":"s"}', jsonb_build_object('kty', 'oct', 'k', b64url(s)), 'HS256') AS same_as_oct
  FROM (VALUES ('\x7b00ff112233445566778899aabbccddeeff00112233445566778899aabbccddee'::bytea)) AS v(s);
SELECT (jwt_validate(jwt_sign('{}', s, 'HS256'), s)).valid AS brace_text_secret
  FROM (VALUES (convert_to('{this is not JSON, just a secret of 32+ bytes', 'UTF8'))) AS v(s);
SELECT (jwt_validate(jwt_sign('{}', s, 'HS256'), s)).valid AS sequence_secret
  FROM (VALUES ('\x3082010a0282010100ff00112233445566778899aabbccddeeff00112233445566778899'::bytea)) AS v(s);
-- A bytea JWK nested deeper than the stack allows is refused like any
-- other malformed JWK, not with "stack depth limit exceeded".
SELECT jwt_sign('{}', convert_to(repeat('{"a":', 20000), 'UTF8'), 'HS256');
\echo :LAST_ERROR_SQLSTATE
-- Nor is a secret in base64 (openssl rand -base64 48) refused: only the
-- base64 of a DER key or certificate is.  Since 48 bytes could be an EC
-- coordinate, it needs algorithms (keys_secret has the rule).
SELECT (jwt_validate(jwt_sign('{}', s, 'HS256'), s, '{HS256}')).valid AS base64_secret
  FROM (VALUES ('k8YbDRVfQ2/6Q9w+3mRkzN1cXbq0mS7V0a4yJ1sQm2cHk3Zp9WcJ5xP7eL1tA0Qz')) AS v(s);
DROP TABLE kf;
DROP FUNCTION kf_try(text);
DROP FUNCTION b64url(bytea);
DROP FUNCTION der(text);

-- ECDSA signatures are raw r||s; a DER signature, an all-zero one
-- ("psychic signature") and a truncated one are refused.
SELECT jwt_sign('{"iat":1}', pem('p256_sec1'), 'ES256') AS es \gset
SELECT (jwt_validate(split_part(:'es', '.', 1) || '.' || split_part(:'es', '.', 2) || '.' || repeat('A', 86), pem('p256_spki'))).reason AS all_zero,
       (jwt_validate(left(:'es', -2), pem('p256_spki'))).reason AS truncated,
       (jwt_validate(split_part(:'es', '.', 1) || '.' || split_part(:'es', '.', 2) || '.' ||
                     rtrim(translate(encode('\x3006020101020101'::bytea, 'base64'), '+/', '-_'), '='),
                     pem('p256_spki'))).reason AS der_form;

-- JWK Sets: the token's kid picks the key; a kid that names no key, or
-- that looks like a path or SQL, is unknown; use "enc" keys and key types
-- JWS does not use are skipped.
SELECT jsonb_build_object('keys', jsonb_build_array(
         jwt_public_jwk(pem('rsa_spki')) || '{"kid":"rsa-1"}',
         jwt_public_jwk(pem('p256_spki')) || '{"kid":"ec-1"}',
         jwt_public_jwk(pem('ed25519_pub')) || '{"kid":"ed-1"}',
         '{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo","kid":"x-1"}'::jsonb,
         jwt_public_jwk(pem('p384')) || '{"kid":"enc-1","use":"enc"}')) AS jwks \gset
SELECT kid, alg, signer, coalesce((jwt_validate(jwt_sign('{"sub":"s"}', pem(signer), alg, jsonb_build_object('kid', kid)), :'jwks'::jsonb)).reason, 'valid') AS result
  FROM (VALUES ('rsa-1', 'RS256', 'rsa_pkcs8'), ('rsa-1', 'PS512', 'rsa_pkcs8'), ('ec-1', 'ES256', 'p256_sec1'),
               ('ed-1', 'EdDSA', 'ed25519'), ('ec-1', 'RS256', 'rsa_pkcs8'), ('nope', 'ES256', 'p256_sec1'),
               ('../../etc/passwd', 'ES256', 'p256_sec1'), ($$' OR 1=1 --$$, 'ES256', 'p256_sec1'),
               ('x-1', 'EdDSA', 'ed25519'), ('enc-1', 'ES384', 'p384'), ('ec-1', 'ES256', 'p256_pkcs8')) AS v(kid, alg, signer);
-- Without a kid, the one key that serves the alg is taken; an alg that no
-- key of the set serves is not allowed.
SELECT coalesce((jwt_validate(jwt_sign('{}', pem('ed25519'), 'EdDSA'), :'jwks'::jsonb)).reason, 'valid') AS eddsa_no_kid,
       (jwt_validate(jwt_sign('{}', pem('k1_sec1'), 'ES256K'), :'jwks'::jsonb)).reason AS es256k_no_kid;
-- A set with two keys of one kind and no kid to choose is ambiguous.
SELECT (jwt_validate(jwt_sign('{}', pem('p256_sec1'), 'ES256'),
                     jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(pem('p256_spki')) - 'kid',
                                                                  jwt_public_jwk(pem('p256_pkcs8')) || '{"kid":"b"}')))).reason AS ambiguous;
-- Signing with a set needs the kid in the header.
SELECT jwt_sign('{}', jsonb_build_object('keys', jsonb_build_array(jwt_generate_key('ES256') || '{"kid":"a"}')), 'ES256', '{"kid":"a"}') IS NOT NULL AS signs_by_kid;
SELECT jwt_sign('{}', jsonb_build_object('keys', jsonb_build_array(jwt_generate_key('ES256'))), 'ES256');

-- JWK members: alg binds, use must be sig, key_ops must allow the operation.
SELECT jwt_generate_key('ES256') AS eck \gset
SELECT (jwt_validate(jwt_sign('{}', :'eck'::jsonb, 'ES256'), :'eck'::jsonb || '{"key_ops":["sign"]}')).reason AS verify_not_in_key_ops;
SELECT jwt_sign('{}', :'eck'::jsonb || '{"key_ops":["verify"]}', 'ES256');
SELECT jwt_sign('{}', :'eck'::jsonb || '{"use":"enc"}', 'ES256');
SELECT jwt_sign('{}', :'eck'::jsonb || '{"alg":"ES384"}', 'ES256');
SELECT jwt_sign('{}', jwt_generate_key('RS256') || '{"alg":"RS256"}', 'PS256');

-- A JWK's kid goes into the header it signs.
SELECT (jwt_decode(jwt_sign('{}', :'eck'::jsonb, 'ES256'))).header->>'kid' = :'eck'::jsonb->>'kid' AS kid_in_header,
       (jwt_decode(jwt_sign('{}', :'eck'::jsonb, 'ES256', '{"kid":"mine"}'))).header->>'kid' AS header_kid_wins;

-- Generated keys: every algorithm, private parts present, kid is the RFC
-- 7638 thumbprint of the public key.
SELECT alg, jwk->>'kty' AS kty, jwk->>'crv' AS crv, jwk ? 'd' AS private,
       jwk->>'kid' = jwt_public_jwk(jwk - 'kid')->>'kid' AS kid_is_thumbprint,
       (jwt_validate(jwt_sign('{}', jwk, alg), jwt_public_jwk(jwk))).valid AS round_trip
  FROM (SELECT alg, jwt_generate_key(alg) AS jwk
          FROM unnest(ARRAY['HS256', 'RS256', 'PS384', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA']) AS alg) s
 WHERE alg <> 'HS256'
 ORDER BY 1;
SELECT jwk->>'kty' AS kty, length(jwk->>'k') AS k_chars, jwt_verify(jwt_sign('{"iat":1}', jwk, 'HS256'), jwk) AS claims
  FROM jwt_generate_key('HS256') AS jwk;
SELECT jwt_public_jwk(jwt_generate_key('HS256'));

-- RFC 7638 section 3.1: the thumbprint of the example key.
SELECT jwt_public_jwk('{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}'::jsonb)->>'kid' AS rfc7638_thumbprint;

-- A JWK oct key is its decoded bytes, never its JSON text.
SELECT jwt_sign('{"iat":1}', '{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}')
     = jwt_sign('{"iat":1}', '0123456789abcdef0123456789abcdef') AS oct_is_raw_secret;

-- Bad keys: each is refused with 22023 and a message that names the problem.
SELECT jwt_sign('{}', pem('rsa_spki'), 'RS256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', pem('rsa1024'), 'RS256');
SELECT jwt_verify(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256'), pem('rsa1024_pub'));
SET jwt.min_rsa_bits = 1024;
SELECT (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256'), pem('rsa1024_pub'))).reason AS weak_key_allowed_by_setting;
RESET jwt.min_rsa_bits;
SELECT jwt_sign('{}', pem('rsa_pkcs8'));
SELECT jwt_sign('{}', pem('p256_sec1'), 'ES384');
SELECT jwt_verify('x.y.z', E'-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify('x.y.z', E'-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
SELECT jwt_verify('x.y.z', E'-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n');
SELECT jwt_verify('x.y.z', '{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}');
SELECT jwt_verify('x.y.z', jwt_public_jwk(pem('p256_spki')) || '{"y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}');
SELECT jwt_verify('x.y.z', '{"kty":"EC","crv":"P-192","x":"AAAA","y":"AAAA"}');
SELECT jwt_verify('x.y.z', '{"kty":"RSA","e":"AQAB"}');
SELECT jwt_verify('x.y.z', '{"kty":"RSA","n":"AQAB","e":5}');
SELECT jwt_verify('x.y.z', '{"kty":"oct","k":"c2hvcnQ"}');
SELECT jwt_verify('x.y.z', '{"kty":"XYZ"}');
SELECT jwt_verify('x.y.z', '{"kty":"OKP","crv":"Ed25519","x":"AAAA"}');
SELECT jwt_verify('x.y.z', '{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}');
SELECT jwt_verify('x.y.z', '{"keys":[]}');
SELECT jwt_verify('x.y.z', '{"keys":{}}');
SELECT jwt_verify('x.y.z', '{not json');
SELECT jwt_public_jwk(pem('rsa_pkcs8')) = jwt_public_jwk(pem('rsa_spki')) AS same_public_jwk;

-- RSA-PSS keys restricted by their PSS parameters serve only the PS
-- algorithm the restrictions allow: another PS alg in a token is a
-- key_mismatch, never an OpenSSL error.  pss_sha256 allows SHA-256 with
-- MGF1 SHA-256 and a salt of at least 32 bytes (PS256 only);
-- pss_sha256_mgf1_sha1_pub (openssl's rsa_pss_keygen_md:sha256 alone)
-- keeps MGF1 SHA-1, which no PS algorithm uses, and is refused.
INSERT INTO k VALUES ('pss_sha256', $pem$-----BEGIN PRIVATE KEY-----
MIIE8QIBADBBBgkqhkiG9w0BAQowNKAPMA0GCWCGSAFlAwQCAQUAoRwwGgYJKoZI
hvcNAQEIMA0GCWCGSAFlAwQCAQUAogMCASAEggSnMIIEowIBAAKCAQEAvhuxz9N/
G3RkkVZhg6peMKoNqXyzH4ju1xf5G+vSm5uAzNYxisjev5QOYbiFhNmdwJL9mSmR
k1I1FDz1u2hiMMscTdsUO9saOQkDd5Dt2vuaWXLA9xW09R+J+RTWjUnBNEHfBujQ
9AFOS7fu5I9WqxBYPAcvTfg64qyFA+8re25aNaomyrwUpRcRDICgLPKlhGfEJkUH
4OiaQ5YIJxOL/b2hQdDDSHV+1O93xuz1yJRIDiCUHZ69BpiihYuPbhqUmMFjEeOM
tcOOWHwVAICOtBAT4C3buEXOI6K2drHSJJLFvXCK/zQekfqKOBXNHugWcPP9f5Nr
mmmICEF7EMufjwIDAQABAoIBAAbc/RhhrE8TbqYIllCoj+n12bRquhTDXswJI4cs
hlfzzzyV5wf5pIEKGVLR1JAtQxK2u80RwR2udBgc80omxJS6YHU3GY3npRS2DJf+
dXfYaYQdLnY9JGFNGDAT3oMPTJhUYHbhZNnKSkdVhpxdyGU4m9be84g/E/EnBU5V
Dh7QlySTDKDgXoWi9/yZInFH96QcnNhJAoVwLYqZK1huIrRruEkjvbsXmYwncId1
dp6IdgjEZSEyIKVoTkP/CTLQBxFgeVCJHNkL9XxPL7rQkAlK4yJicjpndrneKP8q
qKOBEA88KYRKii3+VrSbjAKljKoXKV7XLQXuZ0LfRuxPCcECgYEA5OZ39S8TVA5r
YvZNlKzK0beGU0SWlOLwT6AeHTZ/XunK3YPfCGmYjkQ4gibMRDppbAScmrBAr+q4
Y44NgZWiy1lS5Qp9nJ02TxVdDfBLld952seaSUKpSciV47UNMuCRWgjs+LwAKqoa
QoOyDiwtuZEcmYaQqLCZ99zZaa1FyHECgYEA1J2C/zHy02olxRJmOAios4xdxFB+
UkRwuETTPoNafbwLW4+hyNio70sk0PT0+PenOkEVZ9XAh6QatYVPLsEuOTDEHIpF
+j/ZXKnWh5qrrtZvOZuLEPX4JdyTwz+f4eYe5fA3UUs0HkMj7/XuZAoljgkxQSHZ
4HCwfTRv4WSb5/8CgYAqJXFi+McDTCBjuVwxittRYAxgmplrUpnS33WMBXPQYxXS
UayoXOEVGOSaulAUI/kzRWocZWWTvpEy6337JTUzYgAMYjEcvCm6yAE5Rsx0DRDf
wq7a3GZVSpSmt7h1bLn2rPwNFHinYmixZJRNXb8RkvGEJy3Nka7X35c8iQX3UQKB
gQCtDwhxb9aW/u9/WVqagXHPs5EfGeW4ULzvQBYx6/jcHxOfk2m8cZ4QKLnu23QK
sooLgK5LtlDgF1MmLTwmcleNdYQrNuF+sDnckuFrvxm/VgtyeIjZZVx2dPRRGJiq
5wR/ZOeh4/SoLT4zM5q3Ews+cX0F5ufRJ+iAAQ6QB7RfQQKBgF7BJqOx1Id1Afx+
UlL93QUhCg7wo+1GvtHqqOEfCAC03DndI+GmYeAOQsZGmc/3/j/DVvfwjcgndAPj
R5rhFLnlSnJicQmK+jE71Uc7oi8pPnWhREUCLNKwa4KSa2nrB3tki3Z5YrwD0di6
yH3rDqlvBMhTyPN9k6fKzOpB6q9a
-----END PRIVATE KEY-----
$pem$),
('pss_sha256_mgf1_sha1_pub', $pem$-----BEGIN PUBLIC KEY-----
MIIBMzAeBgkqhkiG9w0BAQowEaAPMA0GCWCGSAFlAwQCAQUAA4IBDwAwggEKAoIB
AQCojCrRqhzQl1ZOICeESdhAEb1/2qvKESXzU/fKimZtbY+H0CQBx4iXgd+3avlu
ds6u0X8eDtgtIZKZfAOd2UZG95HVqNW1hNNpM1BAA03Dno5j8Eh5LRCYyf6yI14o
az6BvEiqqLINZfCGYf68ofVCmVdJ90nT46N05DrGPNRdq7MYg8DaZz2EaVJ70N0U
QILbDSZK7SX/KIKUEFWo6jte4vwmP0qjoO1eUuGDqOrLCpSlHDpQ4neFt8rX2bka
KOdROda7HlAYcMk812YNfbL8L4futYkojkkYoIjKWJ1rVEQgCRF/qJjXtRs60QaC
tqozOlIK2K7kOUxgP5EcvyLZAgMBAAE=
-----END PUBLIC KEY-----
$pem$);
SELECT (jwt_validate(jwt_sign('{}', pem('pss_sha256'), 'PS256'), pem('pss_sha256'))).valid AS ps256_valid,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'PS512'), pem('pss_sha256'))).reason AS ps512_default_list,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'PS384'), pem('pss_sha256'), '{PS256,PS384,PS512}')).reason AS ps384_allowed,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'PS512'), pem('pss_sha256'), '{PS256,PS384,PS512}')).reason AS ps512_allowed,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256'), pem('pss_sha256'), '{RS256}')).reason AS rs256_allowed;
\set VERBOSITY default
SELECT jwt_sign('{}', pem('pss_sha256'), 'PS512');
SELECT jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'PS256'), pem('pss_sha256_mgf1_sha1_pub'));
\set VERBOSITY terse

-- A JWK Set member under jwt.min_rsa_bits is a key_mismatch when a token
-- picks it (the token chooses the member, so it must not make
-- jwt_validate raise); a short key passed alone still raises.
SELECT jsonb_build_object('keys', jsonb_build_array(
         jwt_public_jwk(pem('rsa1024_pub')) || '{"kid":"old"}',
         jwt_public_jwk(pem('rsa_spki')) || '{"kid":"new"}')) AS jwks_old \gset
SELECT (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256', '{"kid":"old"}'), :'jwks_old'::jsonb)).reason AS short_member,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256', '{"kid":"new"}'), :'jwks_old'::jsonb)).valid AS long_member,
       (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256'),
                     jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(pem('rsa1024_pub')))))).reason AS short_member_no_kid;
\set VERBOSITY default
SELECT jwt_verify(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256', '{"kid":"old"}'), :'jwks_old'::jsonb);
\set VERBOSITY terse
SET jwt.min_rsa_bits = 1024;
SELECT (jwt_validate(jwt_sign('{}', pem('rsa_pkcs8'), 'RS256', '{"kid":"old"}'), :'jwks_old'::jsonb)).reason AS short_member_used_by_setting;
RESET jwt.min_rsa_bits;

-- A JWK member that names something ("crv", "kty", "use", "alg") is shown
-- in the error's detail when it is as short as such names are (at most 20
-- bytes), else only its length: a private "d" pasted as "crv" reached the
-- client and the server log, 32 bytes of it.
\set VERBOSITY default
SELECT jwt_sign('{}', '{"kty":"EC","crv":"P-257","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}'::jsonb, 'ES256');
SELECT jwt_sign('{}', '{"kty":"EC","crv":"sWSSt4fhV9idz7elBnR2mH7BBXnLGyYXvhl0yAt_BYU","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}'::jsonb, 'ES256');
SELECT jwt_sign('{}', '{"kty":"OKP","crv":"sWSSt4fhV9idz7elBnR2mH7BBXnLGyYXvhl0yAt_BYU","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'::jsonb, 'EdDSA');
SELECT jwt_sign('{}', '{"kty":"sWSSt4fhV9idz7elBnR2mH7BBXnLGyYXvhl0yAt_BYU","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}'::jsonb, 'HS256');
SELECT jwt_sign('{}', '{"kty":"oct","use":"sWSSt4fhV9idz7elBnR2mH7BBXnLGyYXvhl0yAt_BYU","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}'::jsonb, 'HS256');
SELECT jwt_sign('{}', '{"kty":"oct","use":"enc","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}'::jsonb, 'HS256');
SELECT jwt_sign('{}', '{"kty":"oct","alg":"sWSSt4fhV9idz7elBnR2mH7BBXnLGyYXvhl0yAt_BYU","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}'::jsonb, 'HS256');
SELECT jwt_sign('{}', '{"kty":"oct","alg":"PBES2-HS512+A256KW","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}'::jsonb, 'HS256');
\set VERBOSITY terse

DROP FUNCTION pem(text);
DROP EXTENSION pgcrypto;
