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

#ifdef __SSE2__
/*
 * A bit for each of the 16 bytes at "c" that a JSON string does not hold
 * as it is: '"', '\\', a control character and, unless "non_ascii", a
 * byte of 0x80 and above.
 */
static inline int
json_special_bytes(__m128i c, bool non_ascii)
{
	__m128i		control;

	/*
	 * As signed bytes, those of 0x80 and above are below 0x20 too; as
	 * unsigned ones, those below 0x20 are their own minimum with 0x1F.
	 */
	if (non_ascii)
		control = _mm_cmplt_epi8(c, _mm_set1_epi8(0x20));
	else
		control = _mm_cmpeq_epi8(_mm_min_epu8(c, _mm_set1_epi8(0x1F)), c);
	return _mm_movemask_epi8(_mm_or_si128(control,
										  _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
													   _mm_cmpeq_epi8(c, _mm_set1_epi8('\\')))));
}
#endif

/*
 * From "s", skip bytes that a JSON string holds as they are: not '"', not
 * '\\', not a control character and, unless "non_ascii", not a byte of
 * 0x80 and above either.  Returns the first other byte, or "end" when
 * there is none.  16 bytes at a time; the last 15 or fewer before "end"
 * are looked at with the 16 bytes ending at "end" when "start" (the
 * lowest address that may be read, or NULL) allows, else the function
 * returns where they begin and the caller's byte-by-byte loop goes on from
 * there.  With SSE2 only (every x86-64 CPU); elsewhere it returns "s".
 */
static inline const char *
json_skip_plain(const char *s, const char *end, const char *start,
				bool non_ascii)
{
#ifdef __SSE2__
	int			special;

	while (end - s >= 16)
	{
		special = json_special_bytes(_mm_loadu_si128((const __m128i *) s), non_ascii);
		if (special != 0)
			return s + pg_rightmost_one_pos32((uint32) special);
		s += 16;
	}
	if (s < end && start != NULL && end - start >= 16)
	{
		/* the bits of the bytes before "s" shifted out */
		special = json_special_bytes(_mm_loadu_si128((const __m128i *) (end - 16)),
									 non_ascii) >> (16 - (end - s));
		return special != 0 ? s + pg_rightmost_one_pos32((uint32) special) : end;
	}
#endif
	return s;
}

#endif							/* JWT_JSON_SCAN_H */
