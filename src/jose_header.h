/*-------------------------------------------------------------------------
 *
 * jose_header.h
 *		The JOSE header of a compact JWS: splitting a token and reading
 *		its header parameters.
 *
 * src/jose_header.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_JOSE_HEADER_H
#define JWT_JOSE_HEADER_H

#include "utils/jsonb.h"

#include "algs.h"
#include "errors.h"

/* The three segments of a compact JWS, pointing into the token text. */
typedef struct JwtSegments
{
	const char *header;
	int			header_len;
	const char *payload;
	int			payload_len;
	const char *signature;
	int			signature_len;
} JwtSegments;

typedef struct JoseHeader
{
	const JwtAlg *alg;			/* never NULL once parsed */
	char	   *typ;			/* NULL when absent */
	char	   *kid;			/* NULL when absent */
	Jsonb	   *json;			/* the whole header */
} JoseHeader;

extern JwtReason jwt_split(const char *token, int len, JwtSegments *seg,
						   char **detail);
extern JwtReason jose_header_parse(const char *b64, int len, JoseHeader *hdr,
								   char **detail);
extern bool jwt_decode_segment(const char *b64, int len, int segno,
							   char **out, int *outlen, char **detail);

#endif							/* JWT_JOSE_HEADER_H */
