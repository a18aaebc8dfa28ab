--
-- Published examples verify with their published keys (JWKs, as jsonb and
-- as text):
--   RFC 7515 Appendix A.2 (RS256), A.3 (ES256, P-256), A.4 (ES512, P-521);
--   RFC 8037 Appendix A.4 (EdDSA, Ed25519, key from A.1/A.2);
--   RFC 7520 section 4.1 (RS256), 4.2 (PS384), 4.3 (ES512), 4.4 (HS256),
--   keys from RFC 7520 section 3.1-3.5.
-- Tokens and keys are copied verbatim from the RFCs (line breaks removed;
-- JWKs as compact JSON) and were checked with python3-jwcrypto.
--
-- jwt_public_jwk returns the key's public members plus "use":"sig", a "kid"
-- (the key's own, else its RFC 7638 thumbprint) and "alg" when the key
-- serves exactly one algorithm (EC and OKP keys; not RSA).  The expected
-- thumbprints below were computed with python3-jwcrypto; the Ed25519 one
-- is the value published in RFC 8037 Appendix A.3.
--
-- Only RFC 7515 A.2 and A.3 carry a JSON claims set.  The other payloads
-- are plain text ("Payload", "Example of Ed25519 signing", the Frodo quote),
-- which a JWT verifier must refuse as malformed; it checks the signature
-- first, so 'malformed' means the signature verified.  Each such token is
-- also shown with one signature character changed: that gives
-- 'bad_signature', which proves the signature was really checked.
--
\set at '2011-03-22 18:40:00+00'

-- The same token with the 10th character of its signature changed (not the
-- last one, whose low bits base64url canonicality constrains).
CREATE FUNCTION tamper(tok text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT split_part(tok, '.', 1) || '.' || split_part(tok, '.', 2) || '.' ||
         overlay(split_part(tok, '.', 3) placing
                 CASE substr(split_part(tok, '.', 3), 10, 1) WHEN 'A' THEN 'B' ELSE 'A' END
                 from 10 for 1)
$$;
CREATE FUNCTION payload_text(tok text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_from(decode(rpad(translate(split_part(tok, '.', 2), '-_', '+/'),
                                  (length(split_part(tok, '.', 2)) + 3) / 4 * 4, '='),
                             'base64'), 'UTF8')
$$;

--
-- RFC 7515 Appendix A.2: RS256, 2048-bit RSA key.
--
\set a2_key '{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ","p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc","q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc","dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0","dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU","qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}'
\set a2_tok 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw'
-- Valid with the private JWK as jsonb and as text, and with its public
-- half; the claims are the RFC's.  A changed signature character is refused.
SELECT 'private jwk, jsonb' AS key, valid, reason, claims
  FROM jwt_validate(:'a2_tok', :'a2_key'::jsonb, at => :'at')
UNION ALL
SELECT 'private jwk, text', valid, reason, claims
  FROM jwt_validate(:'a2_tok', :'a2_key'::text, at => :'at')
UNION ALL
SELECT 'public jwk', valid, reason, claims
  FROM jwt_validate(:'a2_tok', jwt_public_jwk(:'a2_key'::jsonb), at => :'at')
UNION ALL
SELECT 'tampered signature', valid, reason, claims
  FROM jwt_validate(tamper(:'a2_tok'), :'a2_key'::jsonb, at => :'at');
SELECT jwt_verify(:'a2_tok', :'a2_key'::jsonb, at => :'at')
     = '{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}' AS exact_claims,
       jwt_verify(:'a2_tok', :'a2_key'::text, at => :'at')
     = '{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}' AS exact_claims_text;
-- The public JWK: n and e, no private member; an RSA key serves RS* and
-- PS*, so no "alg".
SELECT jwt_public_jwk(:'a2_key'::jsonb) = :'a2_key'::jsonb - '{d,p,q,dp,dq,qi}'::text[]
         || '{"use":"sig","kid":"IsUn6_e04MaShXFIISMp4kG62LWzMIPy_MvSA5pJgX8"}' AS public_jsonb,
       jwt_public_jwk(:'a2_key'::text) = jwt_public_jwk(:'a2_key'::jsonb) AS public_text,
       jwt_public_jwk(:'a2_key'::jsonb) ?| '{d,p,q,dp,dq,qi}' AS has_private_member;
-- Evaluated now, the token is long expired (its claims are still shown,
-- since the signature verified).
SELECT valid, reason, claims FROM jwt_validate(:'a2_tok', :'a2_key'::jsonb);

--
-- RFC 7515 Appendix A.3: ES256, P-256 key.
--
\set a3_key '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}'
\set a3_tok 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q'
SELECT 'private jwk, jsonb' AS key, valid, reason, claims
  FROM jwt_validate(:'a3_tok', :'a3_key'::jsonb, at => :'at')
UNION ALL
SELECT 'private jwk, text', valid, reason, claims
  FROM jwt_validate(:'a3_tok', :'a3_key'::text, at => :'at')
UNION ALL
SELECT 'public jwk', valid, reason, claims
  FROM jwt_validate(:'a3_tok', jwt_public_jwk(:'a3_key'::jsonb), at => :'at')
UNION ALL
SELECT 'tampered signature', valid, reason, claims
  FROM jwt_validate(tamper(:'a3_tok'), :'a3_key'::jsonb, at => :'at');
SELECT jwt_verify(:'a3_tok', :'a3_key'::jsonb, at => :'at')
     = '{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}' AS exact_claims,
       jwt_verify(:'a3_tok', :'a3_key'::text, at => :'at')
     = '{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}' AS exact_claims_text;
SELECT jwt_public_jwk(:'a3_key'::jsonb) AS public_jwk;
SELECT jwt_public_jwk(:'a3_key'::jsonb) = :'a3_key'::jsonb - 'd'
         || '{"use":"sig","alg":"ES256","kid":"oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"}' AS public_jsonb,
       jwt_public_jwk(:'a3_key'::text) = jwt_public_jwk(:'a3_key'::jsonb) AS public_text,
       jwt_public_jwk(:'a3_key'::jsonb) ? 'd' AS has_d;

--
-- RFC 7515 Appendix A.4: ES512, P-521 key.  The payload is the text
-- "Payload", not a claims set.
--
\set a4_key '{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2","d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"}'
\set a4_tok 'eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn'
SELECT payload_text(:'a4_tok') AS payload;
SELECT 'private jwk, jsonb' AS key, valid, reason, header
  FROM jwt_validate(:'a4_tok', :'a4_key'::jsonb, at => :'at')
UNION ALL
SELECT 'private jwk, text', valid, reason, header
  FROM jwt_validate(:'a4_tok', :'a4_key'::text, at => :'at')
UNION ALL
SELECT 'public jwk', valid, reason, header
  FROM jwt_validate(:'a4_tok', jwt_public_jwk(:'a4_key'::jsonb), at => :'at')
UNION ALL
SELECT 'tampered signature', valid, reason, header
  FROM jwt_validate(tamper(:'a4_tok'), :'a4_key'::jsonb, at => :'at');
SELECT jwt_public_jwk(:'a4_key'::jsonb) = :'a4_key'::jsonb - 'd'
         || '{"use":"sig","alg":"ES512","kid":"u5YUSjQ2-2chBi51NSk3t3g7IM4o2KYcnPqPtCNGd3U"}' AS public_jsonb,
       jwt_public_jwk(:'a4_key'::text) = jwt_public_jwk(:'a4_key'::jsonb) AS public_text,
       jwt_public_jwk(:'a4_key'::jsonb) ? 'd' AS has_d;

--
-- RFC 8037 Appendix A.4: EdDSA over "Example of Ed25519 signing" with the
-- Ed25519 key of A.1 (private) and A.2 (public).
--
\set ed_key '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
\set ed_pub '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
\set ed_tok 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg'
SELECT payload_text(:'ed_tok') AS payload;
SELECT 'private jwk (A.1), jsonb' AS key, valid, reason, header
  FROM jwt_validate(:'ed_tok', :'ed_key'::jsonb)
UNION ALL
SELECT 'private jwk (A.1), text', valid, reason, header
  FROM jwt_validate(:'ed_tok', :'ed_key'::text)
UNION ALL
SELECT 'public jwk (A.2), jsonb', valid, reason, header
  FROM jwt_validate(:'ed_tok', :'ed_pub'::jsonb)
UNION ALL
SELECT 'public jwk (A.2), text', valid, reason, header
  FROM jwt_validate(:'ed_tok', :'ed_pub'::text)
UNION ALL
SELECT 'tampered signature', valid, reason, header
  FROM jwt_validate(tamper(:'ed_tok'), :'ed_key'::jsonb);
-- jwt_public_jwk of the A.1 key is the A.2 key, its kid the A.3 thumbprint.
SELECT jwt_public_jwk(:'ed_key'::jsonb) AS public_jwk;
SELECT jwt_public_jwk(:'ed_key'::jsonb) = :'ed_pub'::jsonb
         || '{"use":"sig","alg":"EdDSA","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}' AS public_jsonb,
       jwt_public_jwk(:'ed_key'::text) = jwt_public_jwk(:'ed_key'::jsonb) AS public_text,
       jwt_public_jwk(:'ed_pub'::jsonb) = jwt_public_jwk(:'ed_key'::jsonb) AS of_public_key;

--
-- RFC 7520 section 3 keys: 3.2 EC P-521 private key (3.1 its public key),
-- 3.4 RSA private key (3.3 its public key), 3.5 symmetric MAC key.
--
\set c_ec '{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1","d":"AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt"}'
\set c_ec_pub '{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"}'
\set c_rsa '{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB","d":"bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ","p":"3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k","q":"uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc","dp":"B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik","dq":"CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8","qi":"3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4"}'
\set c_rsa_pub '{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB"}'
\set c_oct '{"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}'
-- jwt_public_jwk of 3.4 is exactly 3.3 and of 3.2 is 3.1 plus "alg"
-- (the keys' own kid and use are kept).
SELECT jwt_public_jwk(:'c_rsa'::jsonb) = :'c_rsa_pub'::jsonb AS rsa_3_3_jsonb,
       jwt_public_jwk(:'c_rsa'::text) = :'c_rsa_pub'::jsonb AS rsa_3_3_text,
       jwt_public_jwk(:'c_ec'::jsonb) = :'c_ec_pub'::jsonb || '{"alg":"ES512"}' AS ec_3_1_jsonb,
       jwt_public_jwk(:'c_ec'::text) = :'c_ec_pub'::jsonb || '{"alg":"ES512"}' AS ec_3_1_text;

--
-- RFC 7520 section 4: the four compact signatures over the Frodo quote.
--
\set c41 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg'
\set c42 'eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw'
\set c43 'eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2'
\set c44 'eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0'
-- All four carry the same payload, the quote (Figure 7), not JSON.
SELECT payload_text(:'c41') AS payload,
       payload_text(:'c42') = payload_text(:'c41') AND payload_text(:'c43') = payload_text(:'c41')
         AND payload_text(:'c44') = payload_text(:'c41') AS same_in_all_four;

CREATE TEMP TABLE rfc7520 (section text, token text, key text, public_key text);
INSERT INTO rfc7520 VALUES
  ('4.1 RS256', :'c41', :'c_rsa', :'c_rsa_pub'),
  ('4.2 PS384', :'c42', :'c_rsa', :'c_rsa_pub'),
  ('4.3 ES512', :'c43', :'c_ec', :'c_ec_pub'),
  ('4.4 HS256', :'c44', :'c_oct', NULL);

-- Each verifies (reason 'malformed': the payload is not a claims set) with
-- the private JWK as jsonb and as text and with the published public JWK;
-- the same token with a changed signature character is 'bad_signature'.
SELECT section, k.key, r.valid, r.reason, r.header
  FROM rfc7520 t,
       LATERAL (VALUES (1, 'private jwk, jsonb', t.token, t.key::jsonb, NULL::text),
                       (2, 'private jwk, text', t.token, NULL, t.key),
                       (3, 'public jwk, jsonb', t.token, t.public_key::jsonb, NULL),
                       (4, 'public jwk, text', t.token, NULL, t.public_key),
                       (5, 'tampered signature', tamper(t.token), t.key::jsonb, NULL))
         AS k(n, key, token, kj, kt),
       LATERAL (SELECT * FROM jwt_validate(k.token, k.kj) WHERE k.kj IS NOT NULL
                UNION ALL
                SELECT * FROM jwt_validate(k.token, k.kt) WHERE k.kt IS NOT NULL) r
 ORDER BY section, k.n;

-- The 4.4 key's "k" as raw bytes is the same HMAC secret.
SELECT valid, reason
  FROM jwt_validate(:'c44', decode(translate(:'c_oct'::jsonb->>'k', '-_', '+/') || '=', 'base64'));

-- jwt_verify raises: the token is rejected for its payload, after the
-- signature check.
\set VERBOSITY default
SELECT jwt_verify(:'c41', :'c_rsa'::jsonb);
SELECT jwt_verify(tamper(:'c41'), :'c_rsa'::jsonb);
\set VERBOSITY terse

--
-- Mismatched keys.  Without algorithms the key decides what it may serve,
-- so a token of another family or curve is 'algorithm_not_allowed'; when
-- the caller allows the token's algorithm, the key still cannot serve it
-- ('key_mismatch').  A key of the right type but not the signer's is
-- 'bad_signature'.
--
SELECT token, key, algs::text AS algorithms, reason
  FROM (VALUES ('A.2 RS256', :'a2_tok', 'A.3 P-256', :'a3_key', NULL::text[]),
               ('A.2 RS256', :'a2_tok', 'A.3 P-256', :'a3_key', '{RS256}'),
               ('A.3 ES256', :'a3_tok', 'A.4 P-521', :'a4_key', NULL),
               ('A.3 ES256', :'a3_tok', 'A.4 P-521', :'a4_key', '{ES256}'),
               ('A.4 ES512', :'a4_tok', 'A.3 P-256', :'a3_key', NULL),
               ('A.4 ES512', :'a4_tok', 'A.3 P-256', :'a3_key', '{ES512}'),
               ('8037 EdDSA', :'ed_tok', 'A.2 RSA', :'a2_key', NULL),
               ('8037 EdDSA', :'ed_tok', 'A.2 RSA', :'a2_key', '{EdDSA}'),
               ('A.2 RS256', :'a2_tok', '8037 Ed25519', :'ed_key', '{RS256}'),
               ('4.1 RS256', :'c41', '3.2 P-521', :'c_ec', NULL),
               ('4.1 RS256', :'c41', '3.2 P-521', :'c_ec', '{RS256}'),
               ('4.1 RS256', :'c41', '3.5 oct', :'c_oct', '{RS256}'),
               ('4.3 ES512', :'c43', '3.4 RSA', :'c_rsa', '{ES512}'),
               ('4.4 HS256', :'c44', '3.4 RSA', :'c_rsa', NULL),
               ('4.4 HS256', :'c44', '3.3 RSA public', :'c_rsa_pub', '{HS256}'),
               ('4.4 HS256', :'c44', '3.1 P-521 public', :'c_ec_pub', '{HS256}'),
               ('4.2 PS384', :'c42', '3.5 oct', :'c_oct', '{PS384}'),
               -- right type, wrong key
               ('4.1 RS256', :'c41', 'A.2 RSA', :'a2_key', NULL),
               ('4.2 PS384', :'c42', 'A.2 RSA', :'a2_key', NULL),
               ('A.2 RS256', :'a2_tok', '3.3 RSA public', :'c_rsa_pub', NULL),
               ('A.4 ES512', :'a4_tok', '3.1 P-521 public', :'c_ec_pub', NULL),
               ('4.3 ES512', :'c43', 'A.4 P-521', :'a4_key', NULL)) AS v(token, tok, key, k, algs),
       LATERAL jwt_validate(tok, k::jsonb, algs, at => :'at');
-- A JWK given as text is never an HMAC secret either (the RS256-public-key-
-- as-HS256-secret forgery).
SELECT key, reason
  FROM (VALUES ('3.3 RSA public', :'c_rsa_pub'), ('3.1 P-521 public', :'c_ec_pub')) AS v(key, k),
       LATERAL jwt_validate(:'c44', k::text, '{HS256}');
-- The same through jwt_verify, with its message.
\set VERBOSITY default
SELECT jwt_verify(:'a2_tok', :'a3_key'::jsonb, at => :'at');
SELECT jwt_verify(:'a2_tok', :'a3_key'::jsonb, '{RS256}', at => :'at');
SELECT jwt_verify(:'a3_tok', :'a4_key'::jsonb, '{ES256}', at => :'at');
\set VERBOSITY terse

DROP TABLE rfc7520;
DROP FUNCTION payload_text(text);
DROP FUNCTION tamper(text);

-- Degenerate public keys, with which a "signature" made without any
-- private key verifies: refused when read (22023).  An Ed25519 or Ed448
-- point of small order (the identity y = 1, y = 0, -1, Ed25519's points
-- of order 8, a non-canonical y = p + 1, the sign bit set): the token below
-- has R = identity and S = 0, and verified with the identity.
\set forged 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZG1pbiJ9.AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
SELECT jwt_verify(:'forged', '{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}');
SELECT jwt_verify(:'forged', '{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}');
SELECT jwt_verify(:'forged', '{"kty":"OKP","crv":"Ed25519","x":"JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU"}');
SELECT jwt_verify(:'forged', '{"kty":"OKP","crv":"Ed25519","x":"xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA_o"}');
SELECT jwt_verify(:'forged', '{"kty":"OKP","crv":"Ed25519","x":"7v_______________________________________38"}');
SELECT jwt_verify(:'forged', '{"kty":"OKP","crv":"Ed448","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}');
-- RFC 8037's example public key is no such point: a bad signature.
SELECT (jwt_validate(:'forged', '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}')).reason AS rfc8037_key;
-- RSA with a public exponent of 1 (a signature is then the padded hash
-- itself) or an even one; 3 is a real exponent.
CREATE TEMP TABLE rsa_n AS
SELECT jwt_public_jwk(jwt_generate_key('RS256')) - 'kid' - 'e' AS jwk;
SELECT jwt_validate(:'forged', jwk || '{"e":"AQ"}') FROM rsa_n;
SELECT jwt_validate(:'forged', jwk || '{"e":"Ag"}') FROM rsa_n;
SELECT (jwt_validate(:'forged', jwk || '{"e":"Aw"}', '{RS256}')).reason AS e3 FROM rsa_n;
-- A public exponent of 64 bits at most, as OpenSSL takes for long moduli:
-- a verification raises the signature to it (2^72 + 1, then 2^63 + 1).
SELECT jwt_validate(:'forged', jwk || '{"e":"AQAAAAAAAAAAAQ"}', '{RS256}') FROM rsa_n;
SELECT (jwt_validate(:'forged', jwk || '{"e":"gAAAAAAAAAE"}', '{RS256}')).reason AS e64 FROM rsa_n;
DROP TABLE rsa_n;
-- A P-256 key whose point is at infinity, as PEM (SubjectPublicKeyInfo):
-- every signature with r = x(G) and s = the hash verified with it.
-- Refused, as the same point in a JWK already was.
CREATE TEMP TABLE es AS SELECT jwt_sign('{"sub":"admin"}', jwt_generate_key('ES256'), 'ES256') AS tok;
SELECT jwt_validate(tok, E'-----BEGIN PUBLIC KEY-----\nMBkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDAgAA\n-----END PUBLIC KEY-----\n', '{ES256}') FROM es;
DROP TABLE es;
