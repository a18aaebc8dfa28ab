/*-------------------------------------------------------------------------
 *
 * base64url.c
 *		Unpadded base64url encoding and strict decoding.
 *
 * Pure functions: they write into buffers the caller sized with
 * B64URL_ENC_LEN / B64URL_DEC_LEN, report by return value and never
 * ereport or palloc, so they can be used anywhere (and fuzzed outside the
 * server).
 *
 * Decoding is strict: only the 64 characters of the URL-safe alphabet, no
 * padding, no whitespace, no length of the form 4n+1, and the unused low
 * bits of the last character must be zero, so that every byte string has
 * exactly one encoding (no signature malleability).
 *
 * On x86-64 CPUs with AVX2 (checked once at run time), encoding takes 24
 * bytes a step (encode_avx2) and decoding 32 characters (decode_avx2):
 * each character is looked up by its nibbles in 16-entry tables (vpshufb),
 * which say whether it is in the alphabet and what to add for its value,
 * anything else stops the decoding, and the 6-bit values are packed into
 * 24 bytes with two multiply-adds and two shuffles.  The whole groups
 * after the last full step are done in one more, overlapping step.  The
 * last partial group and every other CPU take the scalar loops.  Both give the same characters
 * and bytes and refuse the same texts (test/fuzz/fuzz_b64url.c checks
 * decoding against b64url_check, encodings against a reference encoder,
 * and each against the other).
 *
 * src/base64url.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define B64URL_AVX2 1
#include <immintrin.h>
#endif

#include "base64url.h"

static const char enc_table[64] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet characters, -1 otherwise */
static const signed char dec_table[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * The same, each value already shifted into its place in a group of four
 * characters (bits 18, 12, 6 and 0 of 24), and 0x01000000 for a character
 * outside the alphabet: a group decodes with four look-ups and three ORs,
 * and one test of the top byte catches any bad character.
 */
static const uint32 dec_shift18[256] = {
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x00F80000, 0x01000000, 0x01000000,
	0x00D00000, 0x00D40000, 0x00D80000, 0x00DC0000, 0x00E00000, 0x00E40000, 0x00E80000, 0x00EC0000,
	0x00F00000, 0x00F40000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x00000000, 0x00040000, 0x00080000, 0x000C0000, 0x00100000, 0x00140000, 0x00180000,
	0x001C0000, 0x00200000, 0x00240000, 0x00280000, 0x002C0000, 0x00300000, 0x00340000, 0x00380000,
	0x003C0000, 0x00400000, 0x00440000, 0x00480000, 0x004C0000, 0x00500000, 0x00540000, 0x00580000,
	0x005C0000, 0x00600000, 0x00640000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x00FC0000,
	0x01000000, 0x00680000, 0x006C0000, 0x00700000, 0x00740000, 0x00780000, 0x007C0000, 0x00800000,
	0x00840000, 0x00880000, 0x008C0000, 0x00900000, 0x00940000, 0x00980000, 0x009C0000, 0x00A00000,
	0x00A40000, 0x00A80000, 0x00AC0000, 0x00B00000, 0x00B40000, 0x00B80000, 0x00BC0000, 0x00C00000,
	0x00C40000, 0x00C80000, 0x00CC0000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
};

static const uint32 dec_shift12[256] = {
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x0003E000, 0x01000000, 0x01000000,
	0x00034000, 0x00035000, 0x00036000, 0x00037000, 0x00038000, 0x00039000, 0x0003A000, 0x0003B000,
	0x0003C000, 0x0003D000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x00000000, 0x00001000, 0x00002000, 0x00003000, 0x00004000, 0x00005000, 0x00006000,
	0x00007000, 0x00008000, 0x00009000, 0x0000A000, 0x0000B000, 0x0000C000, 0x0000D000, 0x0000E000,
	0x0000F000, 0x00010000, 0x00011000, 0x00012000, 0x00013000, 0x00014000, 0x00015000, 0x00016000,
	0x00017000, 0x00018000, 0x00019000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x0003F000,
	0x01000000, 0x0001A000, 0x0001B000, 0x0001C000, 0x0001D000, 0x0001E000, 0x0001F000, 0x00020000,
	0x00021000, 0x00022000, 0x00023000, 0x00024000, 0x00025000, 0x00026000, 0x00027000, 0x00028000,
	0x00029000, 0x0002A000, 0x0002B000, 0x0002C000, 0x0002D000, 0x0002E000, 0x0002F000, 0x00030000,
	0x00031000, 0x00032000, 0x00033000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
};

static const uint32 dec_shift6[256] = {
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x00000F80, 0x01000000, 0x01000000,
	0x00000D00, 0x00000D40, 0x00000D80, 0x00000DC0, 0x00000E00, 0x00000E40, 0x00000E80, 0x00000EC0,
	0x00000F00, 0x00000F40, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x00000000, 0x00000040, 0x00000080, 0x000000C0, 0x00000100, 0x00000140, 0x00000180,
	0x000001C0, 0x00000200, 0x00000240, 0x00000280, 0x000002C0, 0x00000300, 0x00000340, 0x00000380,
	0x000003C0, 0x00000400, 0x00000440, 0x00000480, 0x000004C0, 0x00000500, 0x00000540, 0x00000580,
	0x000005C0, 0x00000600, 0x00000640, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x00000FC0,
	0x01000000, 0x00000680, 0x000006C0, 0x00000700, 0x00000740, 0x00000780, 0x000007C0, 0x00000800,
	0x00000840, 0x00000880, 0x000008C0, 0x00000900, 0x00000940, 0x00000980, 0x000009C0, 0x00000A00,
	0x00000A40, 0x00000A80, 0x00000AC0, 0x00000B00, 0x00000B40, 0x00000B80, 0x00000BC0, 0x00000C00,
	0x00000C40, 0x00000C80, 0x00000CC0, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
};

static const uint32 dec_shift0[256] = {
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x0000003E, 0x01000000, 0x01000000,
	0x00000034, 0x00000035, 0x00000036, 0x00000037, 0x00000038, 0x00000039, 0x0000003A, 0x0000003B,
	0x0000003C, 0x0000003D, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x00000004, 0x00000005, 0x00000006,
	0x00000007, 0x00000008, 0x00000009, 0x0000000A, 0x0000000B, 0x0000000C, 0x0000000D, 0x0000000E,
	0x0000000F, 0x00000010, 0x00000011, 0x00000012, 0x00000013, 0x00000014, 0x00000015, 0x00000016,
	0x00000017, 0x00000018, 0x00000019, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x0000003F,
	0x01000000, 0x0000001A, 0x0000001B, 0x0000001C, 0x0000001D, 0x0000001E, 0x0000001F, 0x00000020,
	0x00000021, 0x00000022, 0x00000023, 0x00000024, 0x00000025, 0x00000026, 0x00000027, 0x00000028,
	0x00000029, 0x0000002A, 0x0000002B, 0x0000002C, 0x0000002D, 0x0000002E, 0x0000002F, 0x00000030,
	0x00000031, 0x00000032, 0x00000033, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
	0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
};

#ifdef B64URL_AVX2
/*
 * Where the AVX2 step after position "i" starts, of "step" bytes or
 * characters within the first "whole": at "i" while a full step fits,
 * then once more at the last "step" of them (over groups already done,
 * which it rewrites the same), then -1.
 */
static inline int
next_step(int i, int whole, int step)
{
	if (i + step <= whole)
		return i;
	if (i < whole)
		return whole - step;
	return -1;
}

/*
 * Encode the whole groups of three of "len" bytes (len >= 24), 24 a step
 * (the second half of a step reads 16 bytes from its 8th, of which it
 * uses the last 12), into "dst": returns how many bytes were encoded.
 * The groups left after the last 24 bytes are encoded with the 24 ending
 * at them, again over groups already encoded: a group always gives the
 * same four characters.  Each 3 bytes a, b, c are spread as b, a, c, b
 * over 32 bits, whose four 6-bit fields two multiplications move into
 * the four bytes; a value becomes its character by the offset of its run.
 */
__attribute__((target("avx2")))
static int
encode_avx2(const unsigned char *src, int len, char *dst)
{
#define ENC_OFFSETS 'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, \
		'0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0
	const __m256i enc_offsets = _mm256_setr_epi8(ENC_OFFSETS, ENC_OFFSETS);
#undef ENC_OFFSETS
	int			whole = len - len % 3;
	int			i = 0;

	int			at;

	while ((at = next_step(i, whole, 24)) >= 0)
	{
		__m256i		in;
		__m256i		v;
		__m256i		offset;

		in = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (src + at))),
									 _mm_loadu_si128((const __m128i *) (src + at + 8)), 1);
		in = _mm256_shuffle_epi8(in, _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
													  5, 4, 6, 5, 8, 7, 9, 8, 11, 10, 12, 11, 14, 13, 15, 14));
		/* a >> 2 and ((b << 8 | c) >> 6) & 63 in the low bytes of the halves */
		v = _mm256_mulhi_epu16(_mm256_and_si256(in, _mm256_set1_epi32(0x0FC0FC00)),
							   _mm256_set1_epi32(0x04000040));
		/* ((a << 8 | b) >> 4) & 63 and c & 63 in the high bytes */
		v = _mm256_or_si256(v, _mm256_mullo_epi16(_mm256_and_si256(in, _mm256_set1_epi32(0x003F03F0)),
												  _mm256_set1_epi32(0x01000010)));
		/*
		 * What to add to each value for its character, looked up by its row:
		 * 0 for 26 to 51 (v - 51 saturates at 0), 1 to 12 for 52 to 63 (v -
		 * 51), 13 for 0 to 25.
		 */
		offset = _mm256_or_si256(_mm256_subs_epu8(v, _mm256_set1_epi8(51)),
								 _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), v),
												  _mm256_set1_epi8(13)));
		offset = _mm256_shuffle_epi8(enc_offsets, offset);
		_mm256_storeu_si256((__m256i *) (dst + at / 3 * 4), _mm256_add_epi8(v, offset));
		i = at + 24;
	}
	return i;
}

/*
 * The whole groups of four characters of "src" (len >= 32), decoded into
 * "dst": returns how many characters were decoded, or -1 when one of them
 * is not in the alphabet.  The groups left after the last 32 characters
 * are decoded with the 32 ending at them, again over groups already
 * decoded: a group always gives the same three bytes.
 *
 * A character is looked up by its two nibbles (vpshufb on 16-entry
 * tables).  Validity: each bit of dec_lo[low nibble] & dec_hi[high nibble]
 * names a class of characters outside the alphabet, so a character is in
 * it when the two share no bit:
 *	 0x01  every low nibble, for high nibbles 0, 1 and 8 to F (controls,
 *		   non-ASCII bytes)
 *	 0x02  low nibbles other than D, for high nibble 2 (only '-')
 *	 0x04  low nibbles A to F, for high nibble 3 (only the digits)
 *	 0x08  low nibble 0, for high nibbles 4 and 6 ('@' and '`')
 *	 0x10  low nibbles B to E, for high nibble 5 ('P' to 'Z', and '_')
 *	 0x20  low nibbles B to F, for high nibble 7 ('p' to 'z')
 * Value: the character plus dec_roll[high nibble], which is right for
 * every character of its row but '_', which gets 33 more.
 */
__attribute__((target("avx2")))
static int
decode_avx2(const char *src, int len, unsigned char *dst)
{
#define DEC_LO 0x01 | 0x02 | 0x08, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, \
		0x03, 0x03, 0x07, 0x37, 0x37, 0x35, 0x37, 0x27
#define DEC_HI 0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x20, \
		0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01
#define DEC_ROLL 0, 0, 62 - '-', 52 - '0', 0 - 'A', 0 - 'A', 26 - 'a', 26 - 'a', \
		0, 0, 0, 0, 0, 0, 0, 0
	const __m256i dec_lo = _mm256_setr_epi8(DEC_LO, DEC_LO);
	const __m256i dec_hi = _mm256_setr_epi8(DEC_HI, DEC_HI);
	const __m256i dec_roll = _mm256_setr_epi8(DEC_ROLL, DEC_ROLL);
#undef DEC_LO
#undef DEC_HI
#undef DEC_ROLL
	const __m256i nibble = _mm256_set1_epi8(0x0F);
	const __m256i underscore = _mm256_set1_epi8('_');
	const __m256i underscore_more = _mm256_set1_epi8(63 - '_' - (0 - 'A'));
	const __m256i pack_shuffle = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
												  2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i pack_lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
	int			whole = len - len % 4;
	int			i = 0;

	int			at;

	while ((at = next_step(i, whole, 32)) >= 0)
	{
		__m256i		c;
		__m256i		hi;
		__m256i		v;

		c = _mm256_loadu_si256((const __m256i *) (src + at));
		hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nibble);
		if (!_mm256_testz_si256(_mm256_shuffle_epi8(dec_lo, _mm256_and_si256(c, nibble)),
								_mm256_shuffle_epi8(dec_hi, hi)))
			return -1;
		v = _mm256_add_epi8(_mm256_add_epi8(c, _mm256_shuffle_epi8(dec_roll, hi)),
							_mm256_and_si256(_mm256_cmpeq_epi8(c, underscore), underscore_more));
		/* a, b, c, d -> (a << 6 | b) and (c << 6 | d) -> their 24 bits */
		v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
		v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
		/* the three bytes of each, most significant first, then together */
		v = _mm256_shuffle_epi8(v, pack_shuffle);
		v = _mm256_permutevar8x32_epi32(v, pack_lanes);
		_mm_storeu_si128((__m128i *) (dst + at / 4 * 3), _mm256_castsi256_si128(v));
		_mm_storel_epi64((__m128i *) (dst + at / 4 * 3 + 16), _mm256_extracti128_si256(v, 1));
		i = at + 32;
	}
	return i;
}

static bool
have_avx2(void)
{
	static int	known = -1;

	if (known < 0)
		known = __builtin_cpu_supports("avx2") ? 1 : 0;
	return known == 1;
}
#endif

/*
 * Encode "len" bytes into "dst", which has room for B64URL_ENC_LEN(len)
 * characters.  No terminator is written.  Returns the number of characters.
 */
int
b64url_encode(const unsigned char *src, int len, char *dst)
{
	char	   *p = dst;
	int			i = 0;

#ifdef B64URL_AVX2
	if (len >= 24 && have_avx2())
	{
		i = encode_avx2(src, len, dst);
		p += i / 3 * 4;
	}
#endif
	for (; i + 3 <= len; i += 3)
	{
		uint32		v = ((uint32) src[i] << 16) | ((uint32) src[i + 1] << 8) | src[i + 2];

		p[0] = enc_table[(v >> 18) & 63];
		p[1] = enc_table[(v >> 12) & 63];
		p[2] = enc_table[(v >> 6) & 63];
		p[3] = enc_table[v & 63];
		p += 4;
	}
	if (len - i == 1)
	{
		uint32		v = (uint32) src[i] << 16;

		p[0] = enc_table[(v >> 18) & 63];
		p[1] = enc_table[(v >> 12) & 63];
		p += 2;
	}
	else if (len - i == 2)
	{
		uint32		v = ((uint32) src[i] << 16) | ((uint32) src[i + 1] << 8);

		p[0] = enc_table[(v >> 18) & 63];
		p[1] = enc_table[(v >> 12) & 63];
		p[2] = enc_table[(v >> 6) & 63];
		p += 3;
	}
	return (int) (p - dst);
}

/*
 * Check that "src" is canonical unpadded base64url.  Returns -1 when it is,
 * else the 0-based offset of the first offending character (or "len" when
 * the length or the trailing bits are wrong).
 */
int
b64url_check(const char *src, int len)
{
	int			i;
	int			rem = len % 4;

	for (i = 0; i < len; i++)
	{
		if (dec_table[(unsigned char) src[i]] < 0)
			return i;
	}
	if (rem == 1)
		return len;
	if (rem == 2 && (dec_table[(unsigned char) src[len - 1]] & 0x0F) != 0)
		return len;
	if (rem == 3 && (dec_table[(unsigned char) src[len - 1]] & 0x03) != 0)
		return len;
	return -1;
}

/*
 * Decode "len" characters into "dst", which has room for
 * B64URL_DEC_LEN(len) bytes.  Returns the number of bytes, or -1 when the
 * input is not canonical unpadded base64url.
 */
int
b64url_decode(const char *src, int len, unsigned char *dst)
{
	unsigned char *p = dst;
	int			i = 0;
	int			rem = len % 4;

	if (rem == 1)
		return -1;

#ifdef B64URL_AVX2
	if (len >= 32 && have_avx2())
	{
		/* every whole group */
		if ((i = decode_avx2(src, len, dst)) < 0)
			return -1;
		p += i / 4 * 3;
	}
#endif
	for (; i + 4 <= len; i += 4)
	{
		uint32		v = dec_shift18[(unsigned char) src[i]] |
			dec_shift12[(unsigned char) src[i + 1]] |
			dec_shift6[(unsigned char) src[i + 2]] |
			dec_shift0[(unsigned char) src[i + 3]];

		if (v & 0xFF000000)
			return -1;
		p[0] = (unsigned char) (v >> 16);
		p[1] = (unsigned char) (v >> 8);
		p[2] = (unsigned char) v;
		p += 3;
	}
	if (rem == 2)
	{
		int			a = dec_table[(unsigned char) src[i]];
		int			b = dec_table[(unsigned char) src[i + 1]];

		if ((a | b) < 0 || (b & 0x0F) != 0)
			return -1;
		*p++ = (unsigned char) ((a << 2) | (b >> 4));
	}
	else if (rem == 3)
	{
		int			a = dec_table[(unsigned char) src[i]];
		int			b = dec_table[(unsigned char) src[i + 1]];
		int			c = dec_table[(unsigned char) src[i + 2]];

		if ((a | b | c) < 0 || (c & 0x03) != 0)
			return -1;
		*p++ = (unsigned char) ((a << 2) | (b >> 4));
		*p++ = (unsigned char) (((b & 0x0F) << 4) | (c >> 2));
	}
	return (int) (p - dst);
}
