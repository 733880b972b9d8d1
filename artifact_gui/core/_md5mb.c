/* Multi-buffer MD5: many independent MD5 streams hashed together, one stream per SIMD lane.
 *
 * MD5 is a serial chain within one stream, so one stream cannot use SIMD; 8 or 16 streams
 * advanced in lock step can. Measured here (x86-64 with AVX-512VL), per byte of 8 streams:
 * the 8-lane AVX-512VL kernel 3.48x hashlib, 8-lane AVX2 2.5x; 16 streams on the 16-lane
 * AVX-512 kernel 6.75x. Used only to verify downloads (md5_lanes.py), never
 * to compute a digest that is stored: a bug here can only refuse a good download, loudly.
 *
 * Python API (module artifact_gui.core._md5mb):
 *   MultiMD5(lanes)          lanes independent MD5 streams, 1..64
 *   .update(buffers)         one bytes-like or None (no data) per lane; releases the GIL
 *   .digest(lane) -> bytes   the 16-byte MD5 of what the lane was fed (the lane is unchanged)
 *   .reset(lane)             the lane starts a new stream
 *   kernels() -> list[str]   kernels this CPU runs; kernel() / set_kernel(name) (process-wide;
 *                            for tests and benchmarks); lanes() -> streams the current kernel
 *                            hashes at once (1 for scalar).
 * Compiles everywhere with GCC or Clang; the SIMD kernels only on x86-64, chosen at run time. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* MD5MB_PORTABLE_ONLY builds only the scalar code, as on ARM (to check that build on x86). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MD5MB_PORTABLE_ONLY)
#define HAVE_X86_KERNELS 1
#include <immintrin.h>
#else
#define HAVE_X86_KERNELS 0
#endif

#define MAX_LANES 64

static const uint32_t MD5_K[64] = {
0xd76aa478,0xe8c7b756,0x242070db,0xc1bdceee,0xf57c0faf,0x4787c62a,0xa8304613,0xfd469501,
0x698098d8,0x8b44f7af,0xffff5bb1,0x895cd7be,0x6b901122,0xfd987193,0xa679438e,0x49b40821,
0xf61e2562,0xc040b340,0x265e5a51,0xe9b6c7aa,0xd62f105d,0x02441453,0xd8a1e681,0xe7d3fbc8,
0x21e1cde6,0xc33707d6,0xf4d50d87,0x455a14ed,0xa9e3e905,0xfcefa3f8,0x676f02d9,0x8d2a4c8a,
0xfffa3942,0x8771f681,0x6d9d6122,0xfde5380c,0xa4beea44,0x4bdecfa9,0xf6bb4b60,0xbebfbc70,
0x289b7ec6,0xeaa127fa,0xd4ef3085,0x04881d05,0xd9d4d039,0xe6db99e5,0x1fa27cf8,0xc4ac5665,
0xf4292244,0x432aff97,0xab9423a7,0xfc93a039,0x655b59c3,0x8f0ccc92,0xffeff47d,0x85845dd1,
0x6fa87e4f,0xfe2ce6e0,0xa3014314,0x4e0811a1,0xf7537e82,0xbd3af235,0x2ad7d2bb,0xeb86d391};
static const int SHIFTS[64] = {
 7,12,17,22,7,12,17,22,7,12,17,22,7,12,17,22, 5,9,14,20,5,9,14,20,5,9,14,20,5,9,14,20,
 4,11,16,23,4,11,16,23,4,11,16,23,4,11,16,23, 6,10,15,21,6,10,15,21,6,10,15,21,6,10,15,21};

/* Which message word step j reads. */
static inline int msg_index(int j) {
    int round = j >> 4;
    return round == 0 ? j : round == 1 ? ((5 * j + 1) & 15) : round == 2 ? ((3 * j + 5) & 15) : ((7 * j) & 15);
}

/* ---------------- scalar: one stream ---------------- */
#define ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define SF(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define SG(b, c, d) ((c) ^ ((d) & ((b) ^ (c))))
#define SH(b, c, d) ((b) ^ (c) ^ (d))
#define SI(b, c, d) ((c) ^ ((b) | ~(d)))

static inline uint32_t load_le32(const uint8_t *p) {  /* MD5 words are little-endian on every host */
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void md5_scalar(uint32_t st[4], const uint8_t *p, size_t nblocks) {
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    while (nblocks--) {
        uint32_t X[16];
        for (int i = 0; i < 16; i++) X[i] = load_le32(p + 4 * i);
        p += 64;
        uint32_t aa = a, bb = b, cc = c, dd = d;
#define SSTEP(FN, A, B, C, D, j) A = B + ROTL((uint32_t)(A + FN(B, C, D) + X[msg_index(j)] + MD5_K[j]), SHIFTS[j])
        for (int i = 0; i < 16; i += 4) { SSTEP(SF,a,b,c,d,i); SSTEP(SF,d,a,b,c,i+1); SSTEP(SF,c,d,a,b,i+2); SSTEP(SF,b,c,d,a,i+3); }
        for (int i = 16; i < 32; i += 4) { SSTEP(SG,a,b,c,d,i); SSTEP(SG,d,a,b,c,i+1); SSTEP(SG,c,d,a,b,i+2); SSTEP(SG,b,c,d,a,i+3); }
        for (int i = 32; i < 48; i += 4) { SSTEP(SH,a,b,c,d,i); SSTEP(SH,d,a,b,c,i+1); SSTEP(SH,c,d,a,b,i+2); SSTEP(SH,b,c,d,a,i+3); }
        for (int i = 48; i < 64; i += 4) { SSTEP(SI,a,b,c,d,i); SSTEP(SI,d,a,b,c,i+1); SSTEP(SI,c,d,a,b,i+2); SSTEP(SI,b,c,d,a,i+3); }
        a += aa; b += bb; c += cc; d += dd;
    }
    st[0] = a; st[1] = b; st[2] = c; st[3] = d;
}

#if HAVE_X86_KERNELS
/* The SIMD kernels: state st[word][lane] (structure of arrays), ptrs one per lane, every lane
 * hashes nblocks 64-byte blocks. Each loads one block per lane and transposes it so that
 * register X[w] holds message word w of every lane. (x86 is little-endian: no byte swap.) */

/* The 64 steps of one block for a kernel whose STEP(A, B, C, D, j, IMM, F0, F1, F2) computes F, G,
 * H and I as one ternary-logic instruction (0xCA = select, 0x96 = xor3, 0x39 = I); the AVX-512
 * kernels of both widths share it. */
#define MD5_64_TERNARY_STEPS(STEP) do { \
        _Pragma("GCC unroll 16") \
        for (int i = 0; i < 16; i += 4) { STEP(a,b,c,d,i,0xCA,b,c,d); STEP(d,a,b,c,i+1,0xCA,a,b,c); STEP(c,d,a,b,i+2,0xCA,d,a,b); STEP(b,c,d,a,i+3,0xCA,c,d,a); } \
        _Pragma("GCC unroll 16") \
        for (int i = 16; i < 32; i += 4) { STEP(a,b,c,d,i,0xCA,d,b,c); STEP(d,a,b,c,i+1,0xCA,c,a,b); STEP(c,d,a,b,i+2,0xCA,b,d,a); STEP(b,c,d,a,i+3,0xCA,a,c,d); } \
        _Pragma("GCC unroll 16") \
        for (int i = 32; i < 48; i += 4) { STEP(a,b,c,d,i,0x96,b,c,d); STEP(d,a,b,c,i+1,0x96,a,b,c); STEP(c,d,a,b,i+2,0x96,d,a,b); STEP(b,c,d,a,i+3,0x96,c,d,a); } \
        _Pragma("GCC unroll 16") \
        for (int i = 48; i < 64; i += 4) { STEP(a,b,c,d,i,0x39,b,c,d); STEP(d,a,b,c,i+1,0x39,a,b,c); STEP(c,d,a,b,i+2,0x39,d,a,b); STEP(b,c,d,a,i+3,0x39,c,d,a); } \
    } while (0)

/* 16 lanes, AVX-512F */
__attribute__((target("avx512f")))
static void md5_x16(uint32_t st[4][16], const uint8_t *const ptrs[16], size_t nblocks) {
    __m512i a = _mm512_loadu_si512(st[0]), b = _mm512_loadu_si512(st[1]),
            c = _mm512_loadu_si512(st[2]), d = _mm512_loadu_si512(st[3]);
    const uint8_t *pp[16]; memcpy(pp, ptrs, sizeof(pp));
    while (nblocks--) {
        __m512i X[16];
        {
            __m512i r[16], t[16];
            for (int i = 0; i < 16; i++) { r[i] = _mm512_loadu_si512((const void *)pp[i]); pp[i] += 64; }
            for (int g = 0; g < 4; g++) {
                __m512i *R = r + 4 * g, *T = t + 4 * g;
                __m512i a0 = _mm512_unpacklo_epi32(R[0], R[1]), a1 = _mm512_unpackhi_epi32(R[0], R[1]);
                __m512i a2 = _mm512_unpacklo_epi32(R[2], R[3]), a3 = _mm512_unpackhi_epi32(R[2], R[3]);
                T[0] = _mm512_unpacklo_epi64(a0, a2); T[1] = _mm512_unpackhi_epi64(a0, a2);
                T[2] = _mm512_unpacklo_epi64(a1, a3); T[3] = _mm512_unpackhi_epi64(a1, a3);
            }
            for (int k = 0; k < 4; k++) {
                __m512i u0 = t[k], u1 = t[4 + k], u2 = t[8 + k], u3 = t[12 + k];
                __m512i v0 = _mm512_shuffle_i32x4(u0, u1, 0x44), v1 = _mm512_shuffle_i32x4(u0, u1, 0xEE);
                __m512i v2 = _mm512_shuffle_i32x4(u2, u3, 0x44), v3 = _mm512_shuffle_i32x4(u2, u3, 0xEE);
                X[k] = _mm512_shuffle_i32x4(v0, v2, 0x88); X[4 + k] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
                X[8 + k] = _mm512_shuffle_i32x4(v1, v3, 0x88); X[12 + k] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
            }
        }
        __m512i aa = a, bb = b, cc = c, dd = d;
#define V16STEP(A, B, C, D, j, IMM, F0, F1, F2) do { \
        __m512i f_ = _mm512_ternarylogic_epi32(F0, F1, F2, IMM); \
        __m512i t_ = _mm512_add_epi32(_mm512_add_epi32(A, _mm512_add_epi32(X[msg_index(j)], _mm512_set1_epi32((int)MD5_K[j]))), f_); \
        A = _mm512_add_epi32(B, _mm512_rol_epi32(t_, SHIFTS[j])); } while (0)
        MD5_64_TERNARY_STEPS(V16STEP);
        a = _mm512_add_epi32(a, aa); b = _mm512_add_epi32(b, bb); c = _mm512_add_epi32(c, cc); d = _mm512_add_epi32(d, dd);
    }
    _mm512_storeu_si512(st[0], a); _mm512_storeu_si512(st[1], b); _mm512_storeu_si512(st[2], c); _mm512_storeu_si512(st[3], d);
}

/* Loads 32 bytes of each of 8 lanes at `off` and transposes them into X[off/4 .. off/4+7]. */
#define TRANSPOSE8_HALF(X, pp, off) do { __m256i r_[8]; \
    for (int i_ = 0; i_ < 8; i_++) r_[i_] = _mm256_loadu_si256((const void *)(pp[i_] + (off))); \
    __m256i t0 = _mm256_unpacklo_epi32(r_[0], r_[1]), t1 = _mm256_unpackhi_epi32(r_[0], r_[1]); \
    __m256i t2 = _mm256_unpacklo_epi32(r_[2], r_[3]), t3 = _mm256_unpackhi_epi32(r_[2], r_[3]); \
    __m256i t4 = _mm256_unpacklo_epi32(r_[4], r_[5]), t5 = _mm256_unpackhi_epi32(r_[4], r_[5]); \
    __m256i t6 = _mm256_unpacklo_epi32(r_[6], r_[7]), t7 = _mm256_unpackhi_epi32(r_[6], r_[7]); \
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2); \
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3); \
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6); \
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7); \
    X[(off) / 4 + 0] = _mm256_permute2x128_si256(u0, u4, 0x20); X[(off) / 4 + 1] = _mm256_permute2x128_si256(u1, u5, 0x20); \
    X[(off) / 4 + 2] = _mm256_permute2x128_si256(u2, u6, 0x20); X[(off) / 4 + 3] = _mm256_permute2x128_si256(u3, u7, 0x20); \
    X[(off) / 4 + 4] = _mm256_permute2x128_si256(u0, u4, 0x31); X[(off) / 4 + 5] = _mm256_permute2x128_si256(u1, u5, 0x31); \
    X[(off) / 4 + 6] = _mm256_permute2x128_si256(u2, u6, 0x31); X[(off) / 4 + 7] = _mm256_permute2x128_si256(u3, u7, 0x31); } while (0)
#define TRANSPOSE8_LOAD(X, pp) do { TRANSPOSE8_HALF(X, pp, 0); TRANSPOSE8_HALF(X, pp, 32); \
    for (int i_ = 0; i_ < 8; i_++) pp[i_] += 64; } while (0)

/* 8 lanes, AVX2 */
__attribute__((target("avx2")))
static void md5_x8(uint32_t st[4][16], const uint8_t *const ptrs[8], size_t nblocks) {
    __m256i a = _mm256_loadu_si256((void *)st[0]), b = _mm256_loadu_si256((void *)st[1]),
            c = _mm256_loadu_si256((void *)st[2]), d = _mm256_loadu_si256((void *)st[3]);
    const uint8_t *pp[8]; memcpy(pp, ptrs, sizeof(pp));
    const __m256i ones = _mm256_set1_epi32(-1);
    while (nblocks--) {
        __m256i X[16];
        TRANSPOSE8_LOAD(X, pp);
        __m256i aa = a, bb = b, cc = c, dd = d;
#define VF(B, C, D) _mm256_xor_si256(D, _mm256_and_si256(B, _mm256_xor_si256(C, D)))
#define VG(B, C, D) _mm256_xor_si256(C, _mm256_and_si256(D, _mm256_xor_si256(B, C)))
#define VH(B, C, D) _mm256_xor_si256(_mm256_xor_si256(B, C), D)
#define VI(B, C, D) _mm256_xor_si256(C, _mm256_or_si256(B, _mm256_xor_si256(D, ones)))
#define V8STEP(FN, A, B, C, D, j) do { \
        __m256i t_ = _mm256_add_epi32(_mm256_add_epi32(A, _mm256_add_epi32(X[msg_index(j)], _mm256_set1_epi32((int)MD5_K[j]))), FN(B, C, D)); \
        t_ = _mm256_or_si256(_mm256_slli_epi32(t_, SHIFTS[j]), _mm256_srli_epi32(t_, 32 - SHIFTS[j])); \
        A = _mm256_add_epi32(B, t_); } while (0)
#pragma GCC unroll 16
        for (int i = 0; i < 16; i += 4) { V8STEP(VF,a,b,c,d,i); V8STEP(VF,d,a,b,c,i+1); V8STEP(VF,c,d,a,b,i+2); V8STEP(VF,b,c,d,a,i+3); }
#pragma GCC unroll 16
        for (int i = 16; i < 32; i += 4) { V8STEP(VG,a,b,c,d,i); V8STEP(VG,d,a,b,c,i+1); V8STEP(VG,c,d,a,b,i+2); V8STEP(VG,b,c,d,a,i+3); }
#pragma GCC unroll 16
        for (int i = 32; i < 48; i += 4) { V8STEP(VH,a,b,c,d,i); V8STEP(VH,d,a,b,c,i+1); V8STEP(VH,c,d,a,b,i+2); V8STEP(VH,b,c,d,a,i+3); }
#pragma GCC unroll 16
        for (int i = 48; i < 64; i += 4) { V8STEP(VI,a,b,c,d,i); V8STEP(VI,d,a,b,c,i+1); V8STEP(VI,c,d,a,b,i+2); V8STEP(VI,b,c,d,a,i+3); }
        a = _mm256_add_epi32(a, aa); b = _mm256_add_epi32(b, bb); c = _mm256_add_epi32(c, cc); d = _mm256_add_epi32(d, dd);
    }
    _mm256_storeu_si256((void *)st[0], a); _mm256_storeu_si256((void *)st[1], b);
    _mm256_storeu_si256((void *)st[2], c); _mm256_storeu_si256((void *)st[3], d);
}

/* 8 lanes, AVX-512VL: AVX2's registers with ternary logic and a rotate instruction */
__attribute__((target("avx2,avx512f,avx512vl")))
static void md5_x8vl(uint32_t st[4][16], const uint8_t *const ptrs[8], size_t nblocks) {
    __m256i a = _mm256_loadu_si256((void *)st[0]), b = _mm256_loadu_si256((void *)st[1]),
            c = _mm256_loadu_si256((void *)st[2]), d = _mm256_loadu_si256((void *)st[3]);
    const uint8_t *pp[8]; memcpy(pp, ptrs, sizeof(pp));
    while (nblocks--) {
        __m256i X[16];
        TRANSPOSE8_LOAD(X, pp);
        __m256i aa = a, bb = b, cc = c, dd = d;
#define VLSTEP(A, B, C, D, j, IMM, F0, F1, F2) do { \
        __m256i f_ = _mm256_ternarylogic_epi32(F0, F1, F2, IMM); \
        __m256i t_ = _mm256_add_epi32(_mm256_add_epi32(A, _mm256_add_epi32(X[msg_index(j)], _mm256_set1_epi32((int)MD5_K[j]))), f_); \
        A = _mm256_add_epi32(B, _mm256_rol_epi32(t_, SHIFTS[j])); } while (0)
        MD5_64_TERNARY_STEPS(VLSTEP);
        a = _mm256_add_epi32(a, aa); b = _mm256_add_epi32(b, bb); c = _mm256_add_epi32(c, cc); d = _mm256_add_epi32(d, dd);
    }
    _mm256_storeu_si256((void *)st[0], a); _mm256_storeu_si256((void *)st[1], b);
    _mm256_storeu_si256((void *)st[2], c); _mm256_storeu_si256((void *)st[3], d);
}
#endif /* HAVE_X86_KERNELS */

/* ---------------- kernel choice ---------------- */
typedef enum {
    KERNEL_SCALAR,
    KERNEL_AVX2,         /* 8 lanes */
    KERNEL_AVX512VL,     /* 8 lanes on AVX-512VL */
    KERNEL_AVX512,       /* 16 lanes when more than 8 streams have data, else 8 lanes on AVX-512VL */
    KERNEL_AVX512_WIDE,  /* 16 lanes always (for tests: the 16-lane kernel with few streams) */
    KERNEL_COUNT
} kernel_t;
static const char *const KERNEL_NAMES[KERNEL_COUNT] = {"scalar", "avx2", "avx512vl", "avx512", "avx512-wide"};
static kernel_t g_kernel = KERNEL_SCALAR;

static int cpu_runs(kernel_t kernel) {
    if (kernel == KERNEL_SCALAR) return 1;
#if HAVE_X86_KERNELS
    __builtin_cpu_init();
    if (kernel == KERNEL_AVX2) return __builtin_cpu_supports("avx2");
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

static kernel_t best_kernel(void) {
    if (cpu_runs(KERNEL_AVX512)) return KERNEL_AVX512;
    if (cpu_runs(KERNEL_AVX2)) return KERNEL_AVX2;
    return KERNEL_SCALAR;
}

static int kernel_lanes(kernel_t kernel) {
    return kernel == KERNEL_SCALAR ? 1 : (kernel == KERNEL_AVX512 || kernel == KERNEL_AVX512_WIDE) ? 16 : 8;
}

/* ---------------- streams ---------------- */
typedef struct { uint32_t s[4]; } md5_state;

static void md5_start(md5_state *state) {
    state->s[0] = 0x67452301; state->s[1] = 0xefcdab89; state->s[2] = 0x98badcfe; state->s[3] = 0x10325476;
}

#if HAVE_X86_KERNELS
/* Advance `count` streams (indices `which`) by the fewest blocks any of them has, on one kernel
 * call; the kernel's unused lanes hash the first stream's data again and are thrown away. */
static void hash_group(md5_state *states, const uint8_t **data, size_t *blocks, const int *which, int count) {
    size_t common = blocks[which[0]];
    for (int t = 1; t < count; t++) if (blocks[which[t]] < common) common = blocks[which[t]];
    uint32_t st[4][16];
    const uint8_t *pointers[16];
    for (int t = 0; t < 16; t++) {
        int lane = which[t < count ? t : 0];
        for (int w = 0; w < 4; w++) st[w][t] = states[lane].s[w];
        pointers[t] = data[lane];
    }
    if (g_kernel == KERNEL_AVX512_WIDE || (g_kernel == KERNEL_AVX512 && count > 8)) md5_x16(st, pointers, common);
    else if (g_kernel == KERNEL_AVX2) md5_x8(st, pointers, common);
    else md5_x8vl(st, pointers, common);
    for (int t = 0; t < count; t++) {
        int lane = which[t];
        for (int w = 0; w < 4; w++) states[lane].s[w] = st[w][t];
        data[lane] += 64 * common;
        blocks[lane] -= common;
    }
}
#endif

/* Hash blocks[i] whole blocks at data[i] into states[i] for each of n streams (consumes data/blocks). */
static void hash_streams(md5_state *states, const uint8_t **data, size_t *blocks, int n) {
#if HAVE_X86_KERNELS
    int width = kernel_lanes(g_kernel);
    while (width > 1) {
        int with_data[MAX_LANES], m = 0;
        for (int i = 0; i < n; i++) if (blocks[i]) with_data[m++] = i;
        if (m < 2) break;  /* one stream: the scalar code is as fast */
        for (int first = 0; first < m; first += width) {
            int count = m - first < width ? m - first : width;
            if (count >= 2) hash_group(states, data, blocks, with_data + first, count);
        }
    }
#endif
    for (int i = 0; i < n; i++) {
        if (blocks[i]) { md5_scalar(states[i].s, data[i], blocks[i]); data[i] += 64 * blocks[i]; blocks[i] = 0; }
    }
}

/* ---------------- Python type ---------------- */
typedef struct {
    PyObject_HEAD
    int lanes;
    int busy;            /* an update runs without the GIL: a second one at once would corrupt the states */
    md5_state *states;
    uint64_t *lengths;   /* bytes fed per lane */
    uint8_t (*pending)[64];  /* the part of a block each lane was fed and not yet hashed */
} MultiMD5;

static void MultiMD5_dealloc(MultiMD5 *self) {
    PyMem_Free(self->states); PyMem_Free(self->lengths); PyMem_Free(self->pending);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int MultiMD5_init(MultiMD5 *self, PyObject *args, PyObject *kwargs) {
    int lanes;
    if (!PyArg_ParseTuple(args, "i", &lanes)) return -1;
    if (lanes < 1 || lanes > MAX_LANES) {
        PyErr_Format(PyExc_ValueError, "lanes is %d; must be 1 to %d", lanes, MAX_LANES);
        return -1;
    }
    if (self->states) { PyErr_SetString(PyExc_RuntimeError, "MultiMD5 is already initialised"); return -1; }
    self->lanes = lanes;
    self->states = PyMem_Calloc(lanes, sizeof(md5_state));
    self->lengths = PyMem_Calloc(lanes, sizeof(uint64_t));
    self->pending = PyMem_Calloc(lanes, 64);
    if (!self->states || !self->lengths || !self->pending) { PyErr_NoMemory(); return -1; }
    for (int i = 0; i < lanes; i++) md5_start(&self->states[i]);
    return 0;
}

static int check_ready(MultiMD5 *self) {
    if (!self->states) { PyErr_SetString(PyExc_RuntimeError, "MultiMD5 was not initialised"); return 0; }
    if (self->busy) { PyErr_SetString(PyExc_RuntimeError, "MultiMD5 is in use by another thread"); return 0; }
    return 1;
}

static int lane_argument(MultiMD5 *self, PyObject *arg) {
    long lane = PyLong_AsLong(arg);
    if (lane == -1 && PyErr_Occurred()) return -1;
    if (lane < 0 || lane >= self->lanes) {
        PyErr_Format(PyExc_IndexError, "lane %ld does not exist; lanes are 0 to %d", lane, self->lanes - 1);
        return -1;
    }
    return (int)lane;
}

/* Hash each lane's buffer: first completes the lane's pending block, then whole blocks of all
 * lanes together, then keeps the tail pending. */
static void feed_lanes(MultiMD5 *self, Py_buffer *views, const int *have) {
    const uint8_t *data[MAX_LANES], *start[MAX_LANES];
    size_t blocks[MAX_LANES], tail[MAX_LANES];
    for (int i = 0; i < self->lanes; i++) {
        data[i] = start[i] = NULL; blocks[i] = tail[i] = 0;
        if (!have[i]) continue;
        const uint8_t *q = views[i].buf;
        size_t left = (size_t)views[i].len, used = self->lengths[i] & 63;
        self->lengths[i] += left;
        if (used) {
            size_t take = 64 - used < left ? 64 - used : left;
            memcpy(self->pending[i] + used, q, take);
            q += take; left -= take;
            if (used + take == 64) md5_scalar(self->states[i].s, self->pending[i], 1);
        }
        data[i] = start[i] = q; blocks[i] = left / 64; tail[i] = left % 64;
    }
    size_t blocks_left[MAX_LANES];
    memcpy(blocks_left, blocks, sizeof(blocks[0]) * self->lanes);
    hash_streams(self->states, data, blocks_left, self->lanes);
    for (int i = 0; i < self->lanes; i++)
        if (have[i] && tail[i]) memcpy(self->pending[i], start[i] + 64 * blocks[i], tail[i]);
}

static PyObject *MultiMD5_update(MultiMD5 *self, PyObject *arg) {
    if (!check_ready(self)) return NULL;
    PyObject *seq = PySequence_Fast(arg, "update() expects a sequence of buffers (or None), one per lane");
    if (!seq) return NULL;
    if (PySequence_Fast_GET_SIZE(seq) != self->lanes) {
        PyErr_Format(PyExc_ValueError, "update() got %zd buffers; needs one per lane, %d",
                     PySequence_Fast_GET_SIZE(seq), self->lanes);
        Py_DECREF(seq);
        return NULL;
    }
    Py_buffer views[MAX_LANES];
    int have[MAX_LANES] = {0}, failed = 0;
    for (int i = 0; i < self->lanes && !failed; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (item == Py_None) continue;
        if (PyObject_GetBuffer(item, &views[i], PyBUF_SIMPLE) < 0) failed = 1;
        else have[i] = 1;
    }
    if (!failed) {
        self->busy = 1;
        Py_BEGIN_ALLOW_THREADS
        feed_lanes(self, views, have);
        Py_END_ALLOW_THREADS
        self->busy = 0;
    }
    for (int i = 0; i < self->lanes; i++) if (have[i]) PyBuffer_Release(&views[i]);
    Py_DECREF(seq);
    if (failed) return NULL;
    Py_RETURN_NONE;
}

static PyObject *MultiMD5_digest(MultiMD5 *self, PyObject *arg) {
    if (!check_ready(self)) return NULL;
    int lane = lane_argument(self, arg);
    if (lane < 0) return NULL;
    md5_state state = self->states[lane];
    uint8_t last[128];
    size_t used = self->lengths[lane] & 63, padded = used < 56 ? 64 : 128;
    memcpy(last, self->pending[lane], used);
    last[used] = 0x80;
    memset(last + used + 1, 0, padded - used - 1);
    uint64_t bits = self->lengths[lane] * 8;
    for (int i = 0; i < 8; i++) last[padded - 8 + i] = (uint8_t)(bits >> (8 * i));
    md5_scalar(state.s, last, padded / 64);
    uint8_t digest[16];
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 4; i++) digest[4 * w + i] = (uint8_t)(state.s[w] >> (8 * i));
    return PyBytes_FromStringAndSize((const char *)digest, 16);
}

static PyObject *MultiMD5_reset(MultiMD5 *self, PyObject *arg) {
    if (!check_ready(self)) return NULL;
    int lane = lane_argument(self, arg);
    if (lane < 0) return NULL;
    md5_start(&self->states[lane]);
    self->lengths[lane] = 0;
    Py_RETURN_NONE;
}

static PyMethodDef MultiMD5_methods[] = {
    {"update", (PyCFunction)MultiMD5_update, METH_O, "update(buffers): one bytes-like or None per lane"},
    {"digest", (PyCFunction)MultiMD5_digest, METH_O, "digest(lane): the 16-byte MD5 of what the lane was fed"},
    {"reset", (PyCFunction)MultiMD5_reset, METH_O, "reset(lane): the lane starts a new stream"},
    {NULL}};

static PyTypeObject MultiMD5Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "artifact_gui.core._md5mb.MultiMD5",
    .tp_doc = "MultiMD5(lanes): independent MD5 streams hashed together on SIMD lanes",
    .tp_basicsize = sizeof(MultiMD5),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)MultiMD5_init,
    .tp_dealloc = (destructor)MultiMD5_dealloc,
    .tp_methods = MultiMD5_methods,
};

/* ---------------- module ---------------- */
static PyObject *kernels(PyObject *module, PyObject *unused) {
    PyObject *names = PyList_New(0);
    for (int k = 0; names && k < KERNEL_COUNT; k++) {
        if (!cpu_runs((kernel_t)k)) continue;
        PyObject *name = PyUnicode_FromString(KERNEL_NAMES[k]);
        if (!name || PyList_Append(names, name) < 0) { Py_XDECREF(name); Py_CLEAR(names); break; }
        Py_DECREF(name);
    }
    return names;
}

static PyObject *kernel(PyObject *module, PyObject *unused) { return PyUnicode_FromString(KERNEL_NAMES[g_kernel]); }

static PyObject *lanes(PyObject *module, PyObject *unused) { return PyLong_FromLong(kernel_lanes(g_kernel)); }

static PyObject *set_kernel(PyObject *module, PyObject *arg) {
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name) return NULL;
    for (int k = 0; k < KERNEL_COUNT; k++) {
        if (strcmp(name, KERNEL_NAMES[k]) != 0) continue;
        if (!cpu_runs((kernel_t)k)) {
            PyErr_Format(PyExc_ValueError, "kernel %R needs instructions this CPU lacks", arg);
            return NULL;
        }
        g_kernel = (kernel_t)k;
        Py_RETURN_NONE;
    }
    PyErr_Format(PyExc_ValueError, "no kernel named %R; kernels() lists those this CPU runs", arg);
    return NULL;
}

static PyMethodDef module_methods[] = {
    {"kernels", kernels, METH_NOARGS, "kernels() -> names of the kernels this CPU runs"},
    {"kernel", kernel, METH_NOARGS, "kernel() -> the kernel in use"},
    {"lanes", lanes, METH_NOARGS, "lanes() -> streams the kernel in use hashes at once"},
    {"set_kernel", set_kernel, METH_O, "set_kernel(name): use this kernel (process-wide)"},
    {NULL}};

static struct PyModuleDef module_definition = {PyModuleDef_HEAD_INIT, "artifact_gui.core._md5mb", NULL, -1, module_methods};

PyMODINIT_FUNC PyInit__md5mb(void) {
    g_kernel = best_kernel();
    if (PyType_Ready(&MultiMD5Type) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_definition);
    if (!module) return NULL;
    Py_INCREF(&MultiMD5Type);
    if (PyModule_AddObject(module, "MultiMD5", (PyObject *)&MultiMD5Type) < 0) {
        Py_DECREF(&MultiMD5Type);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
