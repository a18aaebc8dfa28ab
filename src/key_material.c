/*-------------------------------------------------------------------------
 *
 * key_material.c
 *		What key text looks like: the shapes that decide the form of a key
 *		argument (a PEM document, a JSON object), and the examination of
 *		an HMAC secret for key material in any serialization.
 *
 * keys.c decides the form of a key argument with jwt_skip_bom_space,
 * jwt_has_pem and jwt_is_json_object; key_import.c refuses a secret that
 * jwt_key_material_kind finds key material in, and marks one that
 * jwt_secret_maybe_key says could be a key without structure.  Pure
 * functions of the bytes: nothing here keeps state across calls, builds a
 * key or ereports for bad input; every copy of the bytes is wiped, since
 * they are usually a secret.  OpenSSL is used only to parse DER (and
 * everything it parsed is freed, its error queue restored).
 *
 * Key material in a secret
 *
 * A secret is refused, whatever "algorithms" says, when it holds the text
 * of a key in a form found below: in the bytes as given, after undoing
 * escapes (see secret_unescape) and without NUL bytes (UTF-16 text); in
 * the bytes that any run of base64, base64url or hex characters in those
 * decodes to, three levels deep (SECRET_SCAN_DEPTH; the first
 * SECRET_MAX_RUN characters of a run, SECRET_MAX_RUN_DEEP and one
 * alignment at the last level); in the bytes a list of hex or decimal
 * byte tokens spells (scan_byte_tokens: "30-2A", "0x30, 0x2a", "48,42",
 * xxd and hexdump -C output), as deep; and in what any run of base32 or
 * base85 (b85, Ascii85, Z85) characters decodes to, once (its first
 * SECRET_MAX_RUN_85).  The forms: a PEM or RFC 4716 boundary
 * ("-----BEGIN", "-----END", "---- BEGIN SSH2"), a JWK of a public key
 * type in any syntax (has_kty_member), an XML RSAKeyValue or ECKeyValue,
 * "Public-Key:" or "Private-Key:" (openssl's text output), an OpenSSH key
 * line (a key type name, then the base64 of the wire format), a JSON
 * object, the DER of a key or certificate, the algorithm identifier of a
 * key type (the DER of an SPKI, a PKCS#8 key or a certificate, anywhere),
 * the SSH wire format of a public key, a COSE_Key and an OpenPGP public
 * key packet.  Structure is looked for rather than prefixes of text, so a
 * form not listed (an .env file, a JSON string, a config value, base64 of
 * anything above) is found by what it decodes to.
 *
 * All of it is bounded by jwt.max_key_size: a few passes over each view and
 * each decoded run, and at most SECRET_DER_BUDGET DER parses (where a
 * SEQUENCE starts), beyond which the secret is refused.  Nothing here
 * ereports for bad input; every copy is wiped, since the bytes are
 * usually a secret.
 *
 * A public key with no structure (an Ed25519 key, an EC point or
 * coordinate, an RSA modulus, in base64, hex, base32, bech32, base85,
 * decimal or a byte list) cannot be told from a random secret of the same
 * length, nor can compressed data be examined without inflating it;
 * jwt_secret_maybe_key marks such a secret, and
 * jwt_key_check_implicit_algorithms lets it verify only when the caller
 * named the algorithms.  A raw key given as its bytes is beyond any rule.
 *
 * src/key_material.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "base64url.h"
#include "compat.h"
#include "jwt.h"
#include "key_material.h"

/*
 * The length of a leading UTF-8 byte order mark and ASCII whitespace, which
 * do not count when the form of a key argument is decided.
 */
int
jwt_skip_bom_space(const char *bytes, int len)
{
	int			i = 0;

	if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n' ||
					   bytes[i] == '\v' || bytes[i] == '\f' || bytes[i] == '\r'))
		i++;
	return i;
}

/* A PEM document: "-----BEGIN " anywhere, as OpenSSL skips what precedes. */
bool
jwt_has_pem(const char *bytes, int len)
{
	return memmem(bytes, len, "-----BEGIN ", 11) != NULL;
}

/*
 * Whether the bytes (after jwt_skip_bom_space) are one JSON object by the
 * syntax alone: duplicate members, the database encoding and the depth
 * limit do not matter here, so that a JWK jwt_json_parse would refuse is
 * refused rather than taken as a secret.  Never ereports for bad input.
 */
bool
jwt_is_json_object(const char *bytes, int len)
{
	int			skip = jwt_skip_bom_space(bytes, len);
	JsonLexContext *lex;
	bool		ok;

	if (skip >= len || bytes[skip] != '{')
		return false;

	/*
	 * pg_parse_json recurses, and raises when the stack runs out: nesting
	 * deeper than jwt.max_json_depth counts as a JSON object without being
	 * parsed (what follows refuses it either way).
	 */
	{
		int			depth = 0;
		bool		in_string = false;
		int			i;

		for (i = skip; i < len; i++)
		{
			char		c = bytes[i];

			if (in_string)
			{
				if (c == '\\')
					i++;
				else if (c == '"')
					in_string = false;
			}
			else if (c == '"')
				in_string = true;
			else if (c == '{' || c == '[')
			{
				if (++depth > jwt_max_json_depth)
					return true;
			}
			else if (c == '}' || c == ']')
				depth--;
		}
	}
	lex = makeJsonLexContextCstringLen_compat((char *) bytes + skip,
											  len - skip, PG_UTF8, false);
	ok = pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
	freeJsonLexContext_compat(lex);
	return ok;
}

/*
 * What DER-encoded key or certificate the bytes (after jwt_skip_bom_space)
 * begin with, or NULL.  Each is an ASN.1 SEQUENCE, so other bytes are not
 * tried.  Never ereports: frees what it parsed and clears the error queue.
 */
static const char *
der_kind(const char *bytes, int len)
{
	int			skip = jwt_skip_bom_space(bytes, len);
	const unsigned char *start = (const unsigned char *) bytes + skip;
	const unsigned char *p;
	EVP_PKEY   *pkey = NULL;
	X509	   *cert = NULL;
	const char *kind = NULL;

	len -= skip;
	if (len < 2 || start[0] != 0x30)
		return NULL;
	ERR_set_mark();
	if ((p = start, pkey = d2i_PUBKEY(NULL, &p, len)) != NULL)
		kind = "a DER-encoded public key";
	else if ((p = start, pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len)) != NULL)
		kind = "a DER-encoded RSA public key";
	else if ((p = start, pkey = d2i_AutoPrivateKey(NULL, &p, len)) != NULL)
		kind = "a DER-encoded private key";
	else if ((p = start, cert = d2i_X509(NULL, &p, len)) != NULL)
		kind = "a DER-encoded certificate";
	EVP_PKEY_free(pkey);
	X509_free(cert);
	ERR_pop_to_mark();
	return kind;
}

#define SECRET_SCAN_DEPTH	3	/* decode runs within decoded runs, twice */
#define SECRET_MIN_RUN		20	/* characters of a run worth decoding */
#define SECRET_MAX_RUN		16384	/* base64 or hex characters decoded per
									 * run: a PEM of a 16384-bit key or a
									 * certificate chain fits */
#define SECRET_MAX_RUN_85	4096	/* the same for base32 and base85 */
#define SECRET_MAX_RUN_DEEP 4096	/* the same for the last decoding */
#define SECRET_MIN_RUN_85	48	/* base32 and base85 runs worth decoding */
#define SECRET_MAX_RUNS_85	64	/* runs decoded per alphabet */

/*
 * The lengths in bytes of the public keys of the extension's algorithms
 * that have no structure to find: Ed25519 and X25519 keys, Ed448 and X448
 * keys, EC points compressed and uncompressed and their coordinates
 * (P-256 and secp256k1, P-384, P-521), RSA moduli of 1024 bits and more
 * (with or without a leading zero byte: any length from 128 bytes).  Not
 * 64, the two coordinates of a P-256 or secp256k1 point without the 04:
 * that is the length of jwt_generate_secret(), whose base64 and hex must
 * verify without algorithms (README, Keys, lists it as not recognised).
 */
static const int key_lengths[] = {32, 33, 48, 49, 56, 57, 65, 66, 67, 96, 97, 132, 133};
#define SECRET_KEY_MIN_MODULUS	128
#define SECRET_KEY_MIN_DECIMAL	70	/* digits: an RSA modulus written out */
#define SECRET_KEY_MIN_DISTINCT 8	/* characters: "kkkk..." is no key */

static const char *key_material_kind(const unsigned char *bytes, int len, int depth);

static inline bool
is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' || c == '_';
}

static inline int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static inline bool
is_alnum_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static inline bool
is_upper_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static inline bool
is_space_char(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* memmem, ASCII case-insensitive */
static bool
contains_ci(const unsigned char *bytes, int len, const char *needle)
{
	int			n = strlen(needle);
	unsigned char first = pg_ascii_tolower((unsigned char) needle[0]);
	int			i;

	for (i = 0; i + n <= len; i++)
	{
		if (pg_ascii_tolower(bytes[i]) == first &&
			pg_strncasecmp((const char *) bytes + i, needle, n) == 0)
			return true;
	}
	return false;
}

/*
 * The position after a member name "name" at i: the name not inside a
 * longer word, followed, after closing quotes or backslashes and white
 * space, by ":" or "=" (JSON, a Python dict, YAML, key=value), then by
 * quotes, backslashes and white space.  -1 when there is no such member.
 */
static int
member_value_at(const unsigned char *bytes, int len, int i, const char *name)
{
	int			n = strlen(name);
	int			j;

	if (i + n > len || pg_strncasecmp((const char *) bytes + i, name, n) != 0)
		return -1;
	if (i > 0 && is_alnum_char(bytes[i - 1]))
		return -1;
	for (j = i + n; j < len && (bytes[j] == '"' || bytes[j] == '\'' ||
								bytes[j] == '\\' || is_space_char(bytes[j])); j++)
		;
	if (j >= len || (bytes[j] != ':' && bytes[j] != '='))
		return -1;
	for (j++; j < len && (bytes[j] == '"' || bytes[j] == '\'' ||
						  bytes[j] == '\\' || is_space_char(bytes[j])); j++)
		;
	return j;
}

/*
 * A JWK of a public key type written as members of an object in any
 * syntax: a "kty" member whose value is RSA, EC or OKP, and a member
 * holding a public key parameter ("n", "e", "x", "y" or "crv").  "kty"
 * alone in a string ("?kty=oct") is not key material.
 */
static bool
has_kty_member(const unsigned char *bytes, int len)
{
	static const char *const params[] = {"n", "e", "x", "y", "crv"};
	bool		kty = false;
	bool		param = false;
	int			i;

	for (i = 0; i < len && !kty; i++)
	{
		int			j;

		if ((bytes[i] | 0x20) != 'k')
			continue;
		if ((j = member_value_at(bytes, len, i, "kty")) >= 0 &&
			((j + 3 <= len && pg_strncasecmp((const char *) bytes + j, "RSA", 3) == 0) ||
			 (j + 3 <= len && pg_strncasecmp((const char *) bytes + j, "OKP", 3) == 0) ||
			 (j + 2 <= len && pg_strncasecmp((const char *) bytes + j, "EC", 2) == 0)))
			kty = true;
	}
	for (i = 0; kty && i < len && !param; i++)
	{
		unsigned char c = bytes[i] | 0x20;
		int			p;

		if (c != 'n' && c != 'e' && c != 'x' && c != 'y' && c != 'c')
			continue;
		for (p = 0; !param && p < (int) lengthof(params); p++)
		{
			if (member_value_at(bytes, len, i, params[p]) >= 0)
				param = true;
		}
	}
	return kty && param;
}

/*
 * An OpenSSH public key line: a key type name ("ssh-rsa", "ecdsa-sha2-",
 * "sk-ssh-", "sk-ecdsa-", ...), white space, then the base64 of the wire
 * format, which starts with the 32-bit length of the name ("AAAA").
 */
static bool
has_ssh_key_line(const unsigned char *bytes, int len)
{
	static const char *const types[] = {"ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"};
	int			i;

	for (i = 0; i < len; i++)
	{
		int			t;

		if (i > 0 && !is_space_char(bytes[i - 1]) && bytes[i - 1] != '"' &&
			bytes[i - 1] != '\'' && bytes[i - 1] != '=' && bytes[i - 1] != ':')
			continue;
		for (t = 0; t < (int) lengthof(types); t++)
		{
			int			n = strlen(types[t]);
			int			j;

			if (i + n > len || pg_strncasecmp((const char *) bytes + i, types[t], n) != 0)
				continue;
			for (j = i + n; j < len && !is_space_char(bytes[j]); j++)
				;
			if (j == i + n || j >= len)
				continue;
			for (; j < len && is_space_char(bytes[j]); j++)
				;
			if (j + 4 <= len && memcmp(bytes + j, "AAAA", 4) == 0)
				return true;
		}
	}
	return false;
}

/*
 * Undo the escapes that put key text into one line or one string: "\n",
 * "\r", "\t", "\/", "\\", "\"", "\'", "\uXXXX" of an ASCII character,
 * "\xHH" and "\ooo" (octal) of any byte (JSON, .env files, C and Python
 * literals), "%HH" (URLs), "&#N;", "&#xH;", "&quot;" (HTML and XML) and
 * "=HH" with upper-case hex digits and "=" at the end of a line
 * (quoted-printable).  Up to three rounds, for text
 * escaped more than once.  Returns NULL when nothing was escaped; else a
 * palloc'd copy the caller wipes.
 */
static unsigned char *
secret_unescape(const unsigned char *bytes, int len, int *outlen)
{
	unsigned char *cur = NULL;
	int			curlen = len;
	int			round;

	for (round = 0; round < 3; round++)
	{
		const unsigned char *src = cur ? cur : bytes;
		unsigned char *out = palloc(curlen + 1);
		int			n = 0;
		int			i;
		bool		changed = false;

		for (i = 0; i < curlen; i++)
		{
			unsigned char c = src[i];
			int			v = -1;
			int			used = 0;

			if (c == '\\' && i + 1 < curlen)
			{
				unsigned char e = src[i + 1];

				used = 2;
				switch (e)
				{
					case 'n':
						v = '\n';
						break;
					case 'r':
						v = '\r';
						break;
					case 't':
						v = '\t';
						break;
					case '/':
					case '\\':
					case '"':
					case '\'':
						v = e;
						break;
					case 'u':
						if (i + 5 < curlen && b64url_hex_value(src[i + 2]) == 0 && b64url_hex_value(src[i + 3]) == 0 &&
							b64url_hex_value(src[i + 4]) >= 0 && b64url_hex_value(src[i + 5]) >= 0 &&
							b64url_hex_value(src[i + 4]) < 8)
						{
							v = b64url_hex_value(src[i + 4]) * 16 + b64url_hex_value(src[i + 5]);
							used = 6;
						}
						break;
					case 'x':
						if (i + 3 < curlen && b64url_hex_value(src[i + 2]) >= 0 && b64url_hex_value(src[i + 3]) >= 0)
						{
							v = b64url_hex_value(src[i + 2]) * 16 + b64url_hex_value(src[i + 3]);
							used = 4;
						}
						break;
					case '0':
					case '1':
					case '2':
					case '3':
						/* an octal escape of three digits */
						if (i + 3 < curlen && src[i + 2] >= '0' && src[i + 2] <= '7' &&
							src[i + 3] >= '0' && src[i + 3] <= '7')
						{
							v = (e - '0') * 64 + (src[i + 2] - '0') * 8 + (src[i + 3] - '0');
							used = 4;
						}
						break;
				}
			}
			else if (c == '%' && i + 2 < curlen &&
					 b64url_hex_value(src[i + 1]) >= 0 && b64url_hex_value(src[i + 2]) >= 0)
			{
				v = b64url_hex_value(src[i + 1]) * 16 + b64url_hex_value(src[i + 2]);
				used = 3;
			}
			else if (c == '&' && i + 3 < curlen && src[i + 1] == '#')
			{
				int			j = i + 2;
				int			base = 10;
				int			acc = 0;

				if (src[j] == 'x' || src[j] == 'X')
				{
					base = 16;
					j++;
				}
				while (j < curlen && j < i + 8 && b64url_hex_value(src[j]) >= 0 &&
					   (base == 16 || b64url_hex_value(src[j]) < 10))
					acc = acc * base + b64url_hex_value(src[j++]);
				if (j < curlen && src[j] == ';' && j > i + 2 && acc < 128)
				{
					v = acc;
					used = j - i + 1;
				}
			}
			else if (c == '&' && i + 5 < curlen &&
					 memcmp(src + i, "&quot;", 6) == 0)
			{
				v = '"';
				used = 6;
			}
			else if (c == '=' && i + 2 < curlen && is_upper_hex(src[i + 1]) &&
					 is_upper_hex(src[i + 2]))
			{
				/* quoted-printable */
				v = b64url_hex_value(src[i + 1]) * 16 + b64url_hex_value(src[i + 2]);
				used = 3;
			}
			else if (c == '=' && i + 1 < curlen && (src[i + 1] == '\n' ||
													(src[i + 1] == '\r' && i + 2 < curlen && src[i + 2] == '\n')))
			{
				/* a quoted-printable soft line break: dropped */
				i += (src[i + 1] == '\r') ? 2 : 1;
				changed = true;
				continue;
			}
			if (v >= 0)
			{
				out[n++] = (unsigned char) v;
				i += used - 1;
				changed = true;
			}
			else
				out[n++] = c;
		}
		if (!changed)
		{
			OPENSSL_cleanse(out, curlen + 1);
			pfree(out);
			break;
		}
		if (cur)
		{
			OPENSSL_cleanse(cur, curlen);
			pfree(cur);
		}
		cur = out;
		curlen = n;
	}
	*outlen = curlen;
	return cur;
}

/*
 * The bytes without NUL bytes, when at least a third of them are NUL or
 * they start with a UTF-16 byte order mark (text in UTF-16 or UTF-32);
 * otherwise NULL.  A palloc'd copy the caller wipes.
 */
static unsigned char *
secret_drop_nul(const unsigned char *bytes, int len, int *outlen)
{
	int			zeros = 0;
	int			i;
	int			n = 0;
	unsigned char *out;

	for (i = 0; i < len; i++)
		zeros += (bytes[i] == 0);
	if (zeros == 0)
		return NULL;
	if (zeros * 3 < len &&
		!(len >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) ||
					   (bytes[0] == 0xFE && bytes[1] == 0xFF))))
		return NULL;
	out = palloc(len);
	for (i = 0; i < len; i++)
	{
		if (bytes[i] != 0)
			out[n++] = bytes[i];
	}
	*outlen = n;
	return out;
}

/*
 * The algorithm identifier of a key type, as DER (tag, length, OID): every
 * SPKI, PKCS#8 key and certificate holds one.
 */
static const struct
{
	int			len;
	const char *der;
}			key_oids[] = {
	{11, "\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01"},	/* rsaEncryption */
	{11, "\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0A"},	/* RSASSA-PSS */
	{9, "\x06\x07\x2A\x86\x48\xCE\x3D\x02\x01"},	/* id-ecPublicKey */
	{9, "\x06\x07\x2A\x86\x48\xCE\x38\x04\x01"},	/* id-dsa */
	{5, "\x06\x03\x2B\x65\x6E"},	/* X25519 */
	{5, "\x06\x03\x2B\x65\x6F"},	/* X448 */
	{5, "\x06\x03\x2B\x65\x70"},	/* Ed25519 */
	{5, "\x06\x03\x2B\x65\x71"},	/* Ed448 */
};

static bool
has_key_oid(const unsigned char *bytes, int len)
{
	int			i;

	for (i = 0; i < lengthof(key_oids); i++)
	{
		if (memmem(bytes, len, key_oids[i].der, key_oids[i].len) != NULL)
			return true;
	}
	return false;
}

/*
 * The SSH wire format of a public key anywhere: a 32-bit length of 7 to 48
 * and a key type name of that length starting "ssh-", "ecdsa-" or "sk-".
 */
static bool
has_ssh_wire(const unsigned char *bytes, int len)
{
	int			i;

	for (i = 0; i + 4 + 7 <= len; i++)
	{
		int			n;

		if (bytes[i] != 0 || bytes[i + 1] != 0 || bytes[i + 2] != 0)
			continue;
		n = bytes[i + 3];
		if (n < 7 || n > 48 || i + 4 + n > len)
			continue;
		if (memcmp(bytes + i + 4, "ssh-", 4) == 0 ||
			memcmp(bytes + i + 4, "ecdsa-", 6) == 0 ||
			memcmp(bytes + i + 4, "sk-", 3) == 0)
			return true;
	}
	return false;
}

/*
 * A COSE_Key (RFC 9052) anywhere: a CBOR map of 3 to 6 pairs whose first
 * key is 1 ("kty") with value 1 (OKP), 2 (EC2) or 3 (RSA), and, within
 * the next 8 bytes, label -1 or -2 holding a byte string.  WebAuthn keeps
 * public keys so.
 */
static bool
has_cose_key(const unsigned char *bytes, int len)
{
	int			i;

	for (i = 0; i + 6 <= len; i++)
	{
		int			j;

		if (bytes[i] < 0xA3 || bytes[i] > 0xA6 || bytes[i + 1] != 0x01 ||
			bytes[i + 2] < 0x01 || bytes[i + 2] > 0x03)
			continue;
		for (j = i + 3; j + 1 < len && j < i + 12; j++)
		{
			if ((bytes[j] == 0x20 || bytes[j] == 0x21) &&
				(bytes[j + 1] == 0x58 || bytes[j + 1] == 0x59))
				return true;
		}
	}
	return false;
}

/*
 * An OpenPGP public key or subkey packet (RFC 9580) anywhere: the packet
 * header (tag 6 or 14, old or new format) with a length that fits, version
 * 4, 5 or 6, a creation time from 1995 to 2040, a public key algorithm,
 * and key material that fits it: an MPI of 512 to 16384 bits (RSA, DSA,
 * Elgamal), a curve OID (ECDH, ECDSA, EdDSA) or a key of its length
 * (X25519 and Ed25519 32 bytes, X448 56, Ed448 57).
 */
static bool
has_pgp_key_packet(const unsigned char *bytes, int len)
{
	int			i;

	for (i = 0; i + 8 <= len; i++)
	{
		unsigned char h = bytes[i];
		int			hdr;
		int			plen;
		int			alg;
		int			end;
		int			o;

		if (h == 0x98 || h == 0xB8)
		{
			hdr = 2;
			plen = bytes[i + 1];
		}
		else if (h == 0x99 || h == 0xB9)
		{
			hdr = 3;
			plen = (bytes[i + 1] << 8) | bytes[i + 2];
		}
		else if (h == 0xC6 || h == 0xCE)
		{
			if (bytes[i + 1] < 192)
			{
				hdr = 2;
				plen = bytes[i + 1];
			}
			else if (bytes[i + 1] < 224)
			{
				hdr = 3;
				plen = ((bytes[i + 1] - 192) << 8) + bytes[i + 2] + 192;
			}
			else
				continue;
		}
		else
			continue;
		if (plen < 10 || i + hdr + plen > len)
			continue;
		if (bytes[i + hdr] < 4 || bytes[i + hdr] > 6)
			continue;
		/* created between 1995 and 2040 */
		if (bytes[i + hdr + 1] < 0x2F || bytes[i + hdr + 1] > 0x84)
			continue;
		alg = bytes[i + hdr + 5];
		end = i + hdr + plen;
		o = i + hdr + 6 + (bytes[i + hdr] >= 5 ? 4 : 0);	/* key material */
		if (o + 3 > end)
			continue;
		if ((alg >= 1 && alg <= 3) || alg == 16 || alg == 17)
		{
			/* an MPI: its bit count fits it and its first byte */
			int			bits = (bytes[o] << 8) | bytes[o + 1];

			if (bits >= 512 && bits <= 16384 && o + 2 + (bits + 7) / 8 <= end &&
				(bytes[o + 2] >> ((bits - 1) % 8)) == 1)
				return true;
		}
		else if (alg == 18 || alg == 19 || alg == 22)
		{
			/* a curve OID */
			if (bytes[o] >= 5 && bytes[o] <= 10 && o + 1 + bytes[o] <= end &&
				(bytes[o + 1] == 0x2A || bytes[o + 1] == 0x2B))
				return true;
		}
		else if (alg >= 25 && alg <= 28)
		{
			/* a native key of its fixed length */
			static const int klen[] = {32, 56, 32, 57};

			if (end - o == klen[alg - 25])
				return true;
		}
	}
	return false;
}

/*
 * DER parsing is slow (OpenSSL 3 tries every decoder for a private key),
 * so each key argument may spend SECRET_DER_BUDGET attempts; text that
 * holds more candidates than that is refused rather than half examined.
 */
#define SECRET_DER_BUDGET	64
static int	der_budget;

/*
 * Whether the bytes start with what every DER key or certificate starts
 * with: a SEQUENCE whose length fits the bytes, holding a SEQUENCE or an
 * INTEGER.  Random bytes seldom do, so der_kind runs seldom on them.
 */
static bool
der_plausible(const unsigned char *bytes, int len)
{
	int			hdr;
	int			clen;

	if (len < 4 || bytes[0] != 0x30)
		return false;
	if (bytes[1] < 0x80)
	{
		hdr = 2;
		clen = bytes[1];
	}
	else if (bytes[1] == 0x81)
	{
		hdr = 3;
		clen = bytes[2];
	}
	else if (bytes[1] == 0x82)
	{
		hdr = 4;
		clen = (bytes[2] << 8) | bytes[3];
	}
	else if (bytes[1] == 0x83 && len >= 5)
	{
		hdr = 5;
		clen = (bytes[2] << 16) | (bytes[3] << 8) | bytes[4];
	}
	else
		return false;
	return clen >= 2 && hdr + clen <= len &&
		(bytes[hdr] == 0x30 || bytes[hdr] == 0x02);
}

/*
 * A DER key or certificate at the start (der_kind), or an RSA public key
 * (PKCS#1, which holds no algorithm identifier for has_key_oid to find)
 * anywhere: a SEQUENCE with a long-form length that fits the bytes left,
 * holding an INTEGER.
 */
static const char *
der_kind_anywhere(const unsigned char *bytes, int len)
{
	int			i;
	const char *kind;

	if (der_plausible(bytes, len) && der_budget-- > 0 &&
		(kind = der_kind((const char *) bytes, len)) != NULL)
		return kind;
	for (i = 1; i + 4 <= len; i++)
	{
		int			hdr;
		int			clen;
		const unsigned char *p;
		EVP_PKEY   *pkey;

		if (bytes[i] != 0x30)
			continue;
		if (bytes[i + 1] == 0x81)
		{
			hdr = 3;
			clen = bytes[i + 2];
		}
		else if (bytes[i + 1] == 0x82)
		{
			hdr = 4;
			clen = (bytes[i + 2] << 8) | bytes[i + 3];
		}
		else
			continue;
		/* INTEGER modulus, with a long-form length */
		if (clen < 64 || i + hdr + clen > len ||
			bytes[i + hdr] != 0x02 ||
			bytes[i + hdr + 1] < 0x81 || bytes[i + hdr + 1] > 0x83)
			continue;
		if (der_budget-- <= 0)
			return NULL;
		p = bytes + i;
		ERR_set_mark();
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, hdr + clen);
		ERR_pop_to_mark();
		if (pkey)
		{
			EVP_PKEY_free(pkey);
			return "a DER-encoded RSA public key";
		}
	}
	return NULL;
}

/*
 * Decode one run of base64 or hex characters (white space already taken
 * out) from each alignment, and look for key material in what it decodes
 * to.  Leniently: trailing bits are dropped.
 */
static const char *
decoded_run_kind(const unsigned char *run, int n, bool hex, int depth)
{
	unsigned char *dec;
	const char *kind = NULL;
	int			off;

	n = Min(n, depth >= SECRET_SCAN_DEPTH - 1 ? SECRET_MAX_RUN_DEEP : SECRET_MAX_RUN);
	dec = palloc(n + 1);

	/*
	 * Text two decodings deep is what a tool wrote, so its runs start where
	 * the encoding starts: only the first alignment is tried there.
	 */
	for (off = 0; kind == NULL && off < (depth >= SECRET_SCAN_DEPTH - 1 ? 1 : hex ? 2 : 4); off++)
	{
		int			declen = 0;
		int			i;

		if (hex)
		{
			for (i = off; i + 2 <= n; i += 2)
				dec[declen++] = (unsigned char) (b64url_hex_value(run[i]) * 16 + b64url_hex_value(run[i + 1]));
		}
		else
		{
			uint32		acc = 0;
			int			bits = 0;

			for (i = off; i < n; i++)
			{
				acc = (acc << 6) | (uint32) b64_val(run[i]);
				bits += 6;
				if (bits >= 8)
				{
					bits -= 8;
					dec[declen++] = (unsigned char) (acc >> bits);
				}
			}
		}
		if (declen > 0)
			kind = key_material_kind(dec, declen, depth + 1);
	}
	OPENSSL_cleanse(dec, n + 1);
	pfree(dec);
	return kind;
}

/*
 * The header of gzip data (deflate), or of zlib data with a 32 kB window
 * whose first deflate block is its last (a short text), Huffman-coded.
 */
static bool
bytes_compressed(const unsigned char *b, int n)
{
	if (n < 3)
		return false;
	if (b[0] == 0x1F && b[1] == 0x8B && b[2] == 0x08)
		return true;
	return b[0] == 0x78 &&
		(b[1] == 0x01 || b[1] == 0x5E || b[1] == 0x9C || b[1] == 0xDA) &&
		((b[2] & 7) == 3 || (b[2] & 7) == 5);
}

static bool
is_key_length(int n)
{
	int			i;

	if (n >= SECRET_KEY_MIN_MODULUS)
		return true;
	for (i = 0; i < lengthof(key_lengths); i++)
	{
		if (key_lengths[i] == n)
			return true;
	}
	return false;
}

/*
 * Whether a run of base64 characters (or of hex digits) could be a public
 * key without structure: one that decodes, as base64 or as hex, to the
 * length of a key (is_key_length; hex digits only as hex), or a run of
 * SECRET_KEY_MIN_DECIMAL decimal digits, and has SECRET_KEY_MIN_DISTINCT
 * distinct characters.
 */
static bool
run_may_be_key(const unsigned char *run, int n, bool hex, bool spaced)
{
	bool		seen[256] = {false};
	int			distinct = 0;
	bool		all_hex = true;
	bool		all_digits = true;
	bool		upper = false;
	bool		lower = false;
	bool		digit = false;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!seen[run[i]])
		{
			seen[run[i]] = true;
			distinct++;
		}
		if (b64url_hex_value(run[i]) < 0)
			all_hex = false;
		if (run[i] < '0' || run[i] > '9')
			all_digits = false;
		else
			digit = true;
		upper |= (run[i] >= 'A' && run[i] <= 'Z');
		lower |= (run[i] >= 'a' && run[i] <= 'z');
	}
	if (distinct < SECRET_KEY_MIN_DISTINCT)
		return false;
	/* words of a passphrase joined across spaces are no base64 */
	if (spaced && !all_hex && !(upper && lower && digit))
		return false;
	if (all_digits && n >= SECRET_KEY_MIN_DECIMAL)
		return true;
	/* the base64 of a key is not all hex digits */
	if (all_hex)
		return n % 2 == 0 && is_key_length(n / 2);
	return !hex && is_key_length(n * 6 / 8);
}

/*
 * Whether a run of base64 characters (or hex digits) starts with the
 * header of gzip or zlib data, which could be a compressed key: nothing
 * here inflates it.
 */
static bool
run_compressed(const unsigned char *run, int n, bool hex)
{
	unsigned char b[3];
	int			k;

	for (k = 0; k < 4; k++)
	{
		if (hex ? b64url_hex_value(run[k]) < 0 : b64_val(run[k]) < 0)
			return false;
	}
	if (hex)
	{
		b[0] = b64url_hex_value(run[0]) * 16 + b64url_hex_value(run[1]);
		b[1] = b64url_hex_value(run[2]) * 16 + b64url_hex_value(run[3]);
		if (n < 6 || b64url_hex_value(run[4]) < 0 || b64url_hex_value(run[5]) < 0)
			return false;
		b[2] = b64url_hex_value(run[4]) * 16 + b64url_hex_value(run[5]);
	}
	else
	{
		uint32		v = (b64_val(run[0]) << 18) | (b64_val(run[1]) << 12) |
			(b64_val(run[2]) << 6) | b64_val(run[3]);

		b[0] = v >> 16;
		b[1] = v >> 8;
		b[2] = v;
	}
	return bytes_compressed(b, 3);
}

/*
 * Runs of base64 characters (or of hex digits, then also across ":"),
 * joined across white space, each ended by "=" or another character.
 * With "decode", each run of SECRET_MIN_RUN characters or more is decoded
 * and the kind of key material found is returned; without, returns a
 * non-NULL string when a run could be a key (run_may_be_key; one joined
 * across spaces needs upper and lower case letters and digits, or only
 * hex digits) or compressed data (run_compressed).
 */
static const char *
scan_runs(const unsigned char *bytes, int len, bool hex, bool decode, int depth)
{
	unsigned char *run = palloc(len + 1);
	const char *kind = NULL;
	int			i = 0;

	while (kind == NULL && i < len)
	{
		int			n = 0;
		bool		spaced = false;

		/* collect one run */
		while (i < len)
		{
			unsigned char c = bytes[i];

			if (hex ? b64url_hex_value(c) >= 0 : is_b64_char(c))
				run[n++] = c;
			else if (n > 0 && is_space_char(c))
				spaced |= (c != '\n' && c != '\r');
			else if (n > 0 && hex && c == ':')
				;
			else if (n > 0 && !hex && c == '=')
			{
				while (i < len && bytes[i] == '=')
					i++;
				break;
			}
			else if (n > 0)
				break;
			i++;
		}
		if (decode && n >= SECRET_MIN_RUN)
			kind = decoded_run_kind(run, n, hex, depth);
		else if (!decode && (run_may_be_key(run, n, hex, spaced) ||
							 (n >= SECRET_MIN_RUN && run_compressed(run, n, hex))))
			kind = "a run that may be a key";
	}
	OPENSSL_cleanse(run, len + 1);
	pfree(run);
	return kind;
}

/*
 * Bytes written out one token each: hex (two to eight digits, with or
 * without "0x" or "\x", between any separators: "30-2A", "0x30, 0x2a",
 * "30:2a", "30 2a", xxd and hexdump -C output) or decimal (0 to 255:
 * "48,42", "[48, 42]", "{48, 42}").  A word of six to eight hex digits
 * that starts a line is a dump's offset and is skipped; a word that does
 * not fit, after two or more spaces or a "|", starts a dump's text column
 * and the rest of its line is skipped; any other word that does not fit
 * ends the run.  Runs go on across lines.  With "decode", each run of
 * SECRET_MIN_TOKENS bytes or more is examined (key_material_kind) and the
 * kind found is returned; without, a non-NULL string when a run is as long
 * as a key (is_key_length) with SECRET_KEY_MIN_DISTINCT distinct bytes.
 */
#define SECRET_MIN_TOKENS	16

static const char *
token_run_kind(const unsigned char *run, int n, bool decode, int depth)
{
	if (decode)
		return n >= SECRET_MIN_TOKENS ? key_material_kind(run, n, depth + 1) : NULL;
	if (is_key_length(n))
	{
		bool		seen[256] = {false};
		int			distinct = 0;
		int			i;

		for (i = 0; i < n; i++)
		{
			if (!seen[run[i]])
			{
				seen[run[i]] = true;
				distinct++;
			}
		}
		if (distinct >= SECRET_KEY_MIN_DISTINCT)
			return "a run that may be a key";
	}
	return NULL;
}

static const char *
scan_byte_tokens(const unsigned char *bytes, int len, bool decimal, bool decode, int depth)
{
	unsigned char *run = palloc(len + 1);
	const char *kind = NULL;
	int			n = 0;
	int			i = 0;
	bool		line_start = true;
	bool		skip_line = false;
	int			spaces = 0;

	while (kind == NULL && i < len)
	{
		const unsigned char *w;
		int			wl;
		int			j;
		bool		ok = true;

		if (!is_alnum_char(bytes[i]))
		{
			if (bytes[i] == '\n' || bytes[i] == '\r')
			{
				line_start = true;
				skip_line = false;
			}
			else if (bytes[i] == '|' && n > 0)
				skip_line = true;
			spaces = (bytes[i] == ' ') ? spaces + 1 : 0;
			i++;
			continue;
		}
		for (j = i; j < len && is_alnum_char(bytes[j]); j++)
			;
		w = bytes + i;
		wl = j - i;
		if (skip_line)
		{
			i = j;
			continue;
		}
		if (decimal)
		{
			int			v = 0;
			int			k;

			for (k = 0; k < wl && ok; k++)
			{
				ok = (w[k] >= '0' && w[k] <= '9');
				v = v * 10 + (w[k] - '0');
			}
			ok = ok && wl <= 3 && v <= 255;
			if (ok)
				run[n++] = (unsigned char) v;
		}
		else
		{
			int			k;

			if (wl > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X'))
				w += 2, wl -= 2;
			else if (wl > 1 && (w[0] == 'x' || w[0] == 'X') && i > 0 && bytes[i - 1] == '\\')
				w += 1, wl -= 1;
			for (k = 0; k < wl && ok; k++)
				ok = b64url_hex_value(w[k]) >= 0;
			if (ok && line_start && wl >= 6 && wl <= 8 && j < len &&
				(bytes[j] == ':' || bytes[j] == ' '))
			{
				/* a dump's offset */
				line_start = false;
				i = j;
				continue;
			}
			ok = ok && wl % 2 == 0 && wl >= 2 && wl <= 8;
			for (k = 0; ok && k < wl; k += 2)
				run[n++] = (unsigned char) (b64url_hex_value(w[k]) * 16 + b64url_hex_value(w[k + 1]));
		}
		if (!ok)
		{
			if (n > 0 && (spaces >= 2 || skip_line))
				skip_line = true;
			else
			{
				kind = token_run_kind(run, n, decode, depth);
				n = 0;
			}
		}
		line_start = false;
		spaces = 0;
		i = j;
	}
	if (kind == NULL)
		kind = token_run_kind(run, n, decode, depth);
	OPENSSL_cleanse(run, len + 1);
	pfree(run);
	return kind;
}

/*
 * The other text encodings of binary data that a key could be kept in:
 * base32 (RFC 4648, either case) and the base85 family (Python's b85 and
 * RFC 1924, Ascii85, Z85).  Only structure is looked for in what they
 * decode to: their alphabets take in ordinary passwords, so their lengths
 * say nothing.
 */
typedef enum SecretAlphabet
{
	ALPHABET_BASE32,
	ALPHABET_B85,
	ALPHABET_ASCII85,
	ALPHABET_Z85,
	ALPHABET_COUNT
} SecretAlphabet;

static const char *const alphabet_chars[ALPHABET_COUNT] = {
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~",
	NULL,						/* '!' to 'u' */
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#",
};
static int8 alphabet_value[ALPHABET_COUNT][256];
static bool alphabet_ready = false;

static void
alphabet_init(void)
{
	int			a;
	int			i;

	memset(alphabet_value, -1, sizeof(alphabet_value));
	for (a = 0; a < ALPHABET_COUNT; a++)
	{
		if (a == ALPHABET_ASCII85)
		{
			for (i = '!'; i <= 'u'; i++)
				alphabet_value[a][i] = (int8) (i - '!');
			continue;
		}
		for (i = 0; alphabet_chars[a][i]; i++)
			alphabet_value[a][(unsigned char) alphabet_chars[a][i]] = (int8) i;
	}
	for (i = 'a'; i <= 'z'; i++)
		alphabet_value[ALPHABET_BASE32][i] = alphabet_value[ALPHABET_BASE32][i - 'a' + 'A'];
	alphabet_ready = true;
}

/*
 * Runs of one alphabet's characters, joined across white space, of
 * SECRET_MIN_RUN_85 or more (the base85 of an Ed25519 SPKI is 55), the
 * first SECRET_MAX_RUNS_85 of them, decoded from every alignment: what key
 * material they hold, or NULL.
 */
static const char *
scan_alphabet_runs(const unsigned char *bytes, int len, SecretAlphabet a, int depth)
{
	const int8 *val = alphabet_value[a];
	int			group = (a == ALPHABET_BASE32) ? 8 : 5;
	unsigned char *run = palloc(len + 1);
	unsigned char *dec = palloc(len + 1);
	const char *kind = NULL;
	int			i = 0;
	int			runs = 0;

	while (kind == NULL && i < len && runs < SECRET_MAX_RUNS_85)
	{
		int			n = 0;
		int			off;

		while (i < len)
		{
			unsigned char c = bytes[i];

			if (val[c] >= 0)
				run[n++] = c;
			else if (n > 0 && is_space_char(c))
				;
			else if (n > 0)
				break;
			i++;
		}
		if (n < SECRET_MIN_RUN_85)
			continue;
		runs++;
		n = Min(n, SECRET_MAX_RUN_85);
		for (off = 0; kind == NULL && off < group; off++)
		{
			int			declen = 0;
			int			j;

			if (a == ALPHABET_BASE32)
			{
				uint32		acc = 0;
				int			bits = 0;

				for (j = off; j < n; j++)
				{
					acc = (acc << 5) | (uint32) val[run[j]];
					bits += 5;
					if (bits >= 8)
					{
						bits -= 8;
						dec[declen++] = (unsigned char) (acc >> bits);
					}
				}
			}
			else
			{
				for (j = off; j + 5 <= n; j += 5)
				{
					uint64		v = 0;
					int			k;

					for (k = 0; k < 5; k++)
						v = v * 85 + (uint64) val[run[j + k]];
					dec[declen++] = (unsigned char) (v >> 24);
					dec[declen++] = (unsigned char) (v >> 16);
					dec[declen++] = (unsigned char) (v >> 8);
					dec[declen++] = (unsigned char) v;
				}
			}
			if (declen > 0)
				kind = key_material_kind(dec, declen, depth + 1);
		}
	}
	OPENSSL_cleanse(run, len + 1);
	OPENSSL_cleanse(dec, len + 1);
	pfree(run);
	pfree(dec);
	return kind;
}

/* The checks of key_material_kind on one view of the bytes. */
static const char *
view_kind(const unsigned char *v, int len, int depth)
{
	const char *kind;

	if (contains_ci(v, len, "-----BEGIN") || contains_ci(v, len, "-----END") ||
		contains_ci(v, len, "---- BEGIN SSH2"))
		return "a PEM document";
	if (has_kty_member(v, len))
		return "a JWK";
	if (contains_ci(v, len, "RSAKeyValue") || contains_ci(v, len, "ECKeyValue"))
		return "an XML key";
	if (contains_ci(v, len, "Public-Key:") || contains_ci(v, len, "Private-Key:"))
		return "a key as openssl prints it";
	if (has_ssh_key_line(v, len))
		return "an OpenSSH public key";
	if (jwt_is_json_object((const char *) v, len))
		return "a JSON object";
	if ((kind = der_kind_anywhere(v, len)) != NULL)
		return kind;
	if (has_key_oid(v, len))
		return "DER key material";
	if (has_ssh_wire(v, len))
		return "an SSH public key in wire format";
	if (has_cose_key(v, len))
		return "a COSE key";
	if (has_pgp_key_packet(v, len))
		return "an OpenPGP public key";
	if (der_budget < 0)
		return "too much";		/* jwt_key_init_secret says what */
	if (depth < SECRET_SCAN_DEPTH)
	{
		SecretAlphabet a;

		if ((kind = scan_runs(v, len, false, true, depth)) != NULL ||
			(kind = scan_runs(v, len, true, true, depth)) != NULL)
			return psprintf("the base64 or hex of %s", kind);
		if ((kind = scan_byte_tokens(v, len, false, true, depth)) != NULL ||
			(kind = scan_byte_tokens(v, len, true, true, depth)) != NULL)
			return psprintf("a list of the bytes of %s", kind);
		if (!alphabet_ready)
			alphabet_init();
		for (a = 0; depth == 0 && a < ALPHABET_COUNT; a++)
		{
			if ((kind = scan_alphabet_runs(v, len, a, depth)) != NULL)
				return psprintf("the base32 or base85 of %s", kind);
		}
	}
	return NULL;
}

/*
 * What key material the bytes hold, or NULL: see "Key material in a
 * secret" above.
 */
static const char *
key_material_kind(const unsigned char *bytes, int len, int depth)
{
	const char *kind;
	unsigned char *unesc;
	unsigned char *nonul;
	int			ulen = 0;
	int			nlen = 0;

	if ((kind = view_kind(bytes, len, depth)) != NULL)
		return kind;
	unesc = secret_unescape(bytes, len, &ulen);
	if (unesc)
	{
		kind = view_kind(unesc, ulen, depth);
		OPENSSL_cleanse(unesc, ulen);
		pfree(unesc);
		if (kind)
			return kind;
	}
	nonul = secret_drop_nul(bytes, len, &nlen);
	if (nonul)
	{
		kind = key_material_kind(nonul, nlen, depth);
		OPENSSL_cleanse(nonul, nlen);
		pfree(nonul);
	}
	return kind;
}

static bool
distinct_at_least(const unsigned char *b, int n, int want)
{
	bool		seen[256] = {false};
	int			distinct = 0;
	int			i;

	for (i = 0; i < n && distinct < want; i++)
	{
		if (!seen[b[i]])
		{
			seen[b[i]] = true;
			distinct++;
		}
	}
	return distinct >= want;
}

/*
 * Whether a word (a run of characters without white space) could be a key
 * in base32 (one case, with a digit; also with a version byte and a
 * two-byte checksum, as a Stellar StrKey), in the data part of bech32
 * (after the last "1": Nostr npub, age), or in base85 (b85, Ascii85, Z85,
 * with upper and lower case letters, a digit and a symbol).
 */
static bool
word_may_be_key(const unsigned char *w, int n)
{
	static const char bech32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	bool		upper = false,
				lower = false,
				digit = false,
				symbol = false,
				b32 = true;
	int			i;
	int			one = -1;
	int			a;

	while (n > 0 && w[n - 1] == '=')
		n--;
	if (n < 20 || !distinct_at_least(w, n, SECRET_KEY_MIN_DISTINCT))
		return false;
	for (i = 0; i < n; i++)
	{
		unsigned char c = w[i];

		upper |= (c >= 'A' && c <= 'Z');
		lower |= (c >= 'a' && c <= 'z');
		digit |= (c >= '0' && c <= '9');
		symbol |= !is_alnum_char(c);
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
			b32 = false;
		if (c == '1')
			one = i;
	}
	if (b32 && !(upper && lower) && digit &&
		(is_key_length(n * 5 / 8) || is_key_length(n * 5 / 8 - 3)))
		return true;
	if (one > 0 && !symbol && !(upper && lower) && n - one - 1 - 6 > 0)
	{
		bool		ok = true;

		for (i = one + 1; i < n && ok; i++)
			ok = strchr(bech32, pg_ascii_tolower(w[i])) != NULL;
		if (ok && is_key_length((n - one - 1 - 6) * 5 / 8))
			return true;
	}
	/* base85: a last group of k characters holds k - 1 bytes */
	if (!(upper && lower && digit && symbol) || n % 5 == 1 ||
		!is_key_length(n / 5 * 4 + (n % 5 ? n % 5 - 1 : 0)))
		return false;
	if (!alphabet_ready)
		alphabet_init();
	for (a = ALPHABET_B85; a < ALPHABET_COUNT; a++)
	{
		for (i = 0; i < n && alphabet_value[a][w[i]] >= 0; i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

/*
 * The checks of jwt_secret_maybe_key on one view of the bytes.
 */
static bool
view_may_be_key(const unsigned char *v, int len)
{
	int			i = 0;

	if (scan_runs(v, len, false, false, 0) != NULL ||
		scan_runs(v, len, true, false, 0) != NULL ||
		scan_byte_tokens(v, len, false, false, 0) != NULL ||
		scan_byte_tokens(v, len, true, false, 0) != NULL)
		return true;
	while (i < len)
	{
		int			j;

		while (i < len && (is_space_char(v[i]) || v[i] == '"' || v[i] == '\''))
			i++;
		for (j = i; j < len && !is_space_char(v[j]) && v[j] != '"' && v[j] != '\''; j++)
			;
		if (j > i && word_may_be_key(v + i, j - i))
			return true;
		i = j;
	}
	return false;
}

/*
 * A Python bytes literal (b'...' or b"..."): the number of bytes it holds
 * once unescaped, else -1.
 */
static int
python_bytes_len(const unsigned char *bytes, int len)
{
	int			s = 0;
	int			e = len;
	unsigned char *inner;
	int			ilen;

	while (s < e && is_space_char(bytes[s]))
		s++;
	while (e > s && is_space_char(bytes[e - 1]))
		e--;
	if (e - s < 3 || (bytes[s] != 'b' && bytes[s] != 'B') ||
		(bytes[s + 1] != '\'' && bytes[s + 1] != '"') || bytes[e - 1] != bytes[s + 1])
		return -1;
	inner = secret_unescape(bytes + s + 2, e - s - 3, &ilen);
	if (inner == NULL)
		return e - s - 3;
	OPENSSL_cleanse(inner, ilen);
	pfree(inner);
	return ilen;
}

/*
 * Whether a secret could be the text of a key that no structure gives
 * away (a raw EC point or Ed25519 key, an RSA modulus) or compressed key
 * text, as given or unescaped: a run of base64 characters or hex digits
 * (scan_runs, run_may_be_key, run_compressed), a list of byte tokens
 * (scan_byte_tokens), a word in base32, bech32 or base85
 * (word_may_be_key) of a key's length, or a Python bytes literal of one.
 * Such a secret verifies only with "algorithms".
 */
bool
jwt_secret_maybe_key(const unsigned char *bytes, int len)
{
	unsigned char *unesc;
	int			ulen = 0;
	bool		found;
	int			plen;

	found = view_may_be_key(bytes, len);
	if (!found && (plen = python_bytes_len(bytes, len)) >= 0)
		found = is_key_length(plen);
	if (!found && (unesc = secret_unescape(bytes, len, &ulen)) != NULL)
	{
		found = view_may_be_key(unesc, ulen);
		OPENSSL_cleanse(unesc, ulen);
		pfree(unesc);
	}
	return found;
}

/*
 * What key material a secret holds, or NULL: see "Key material in a
 * secret" above.  Text with more candidate DER encodings than
 * SECRET_DER_BUDGET counts as key material.
 */
const char *
jwt_key_material_kind(const unsigned char *bytes, int len)
{
	const char *kind;

	der_budget = SECRET_DER_BUDGET;
	kind = key_material_kind(bytes, len, 0);
	if (der_budget < 0)
		kind = "text with more candidate key encodings than are examined";
	return kind;
}
