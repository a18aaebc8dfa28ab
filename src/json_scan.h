/*-------------------------------------------------------------------------
 *
 * json_scan.h
 *		Skipping the plain characters of a JSON string, 16 at a time.
 *
 * src/json_scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_JSON_SCAN_H
#define JWT_JSON_SCAN_H

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "port/pg_bitutils.h"

/*
 * The class of each byte in a JSON string: JSON_BYTE_ESCAPE for those it
 * must escape (the controls, '"' and '\\'), JSON_BYTE_HIGH for those of
 * 0x80 and above, 0 for the rest; the loops after json_skip_plain test it.
 */
#define JSON_BYTE_ESCAPE	1
#define JSON_BYTE_HIGH		2

static const uint8 json_byte_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/*
 * From "s", skip bytes that a JSON string holds as they are: not '"', not
 * '\\', not a control character and, unless "non_ascii", not a byte of
 * 0x80 and above either.  Returns the first other byte, or where fewer
 * than 16 bytes are left before "end": the caller's byte-by-byte loop
 * goes on from there.  With SSE2 only (every x86-64 CPU); elsewhere it
 * returns "s".
 */
static inline const char *
json_skip_plain(const char *s, const char *end, bool non_ascii)
{
#ifdef __SSE2__
	while (end - s >= 16)
	{
		__m128i		c = _mm_loadu_si128((const __m128i *) s);
		__m128i		control;
		int			special;

		/*
		 * As signed bytes, those of 0x80 and above are below 0x20 too; as
		 * unsigned ones, those below 0x20 are their own minimum with 0x1F.
		 */
		if (non_ascii)
			control = _mm_cmplt_epi8(c, _mm_set1_epi8(0x20));
		else
			control = _mm_cmpeq_epi8(_mm_min_epu8(c, _mm_set1_epi8(0x1F)), c);
		special = _mm_movemask_epi8(_mm_or_si128(control,
												 _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
															  _mm_cmpeq_epi8(c, _mm_set1_epi8('\\')))));
		if (special != 0)
			return s + pg_rightmost_one_pos32((uint32) special);
		s += 16;
	}
#endif
	return s;
}

#endif							/* JWT_JSON_SCAN_H */
