/* The hash table and its hash functions (src/util/hash.h), and string
   interning on top of them. */
#include "tap.h"

#include <stdlib.h>

#include "util/hash.h"
#include "util/intern.h"

/* How well a table's entries are spread: distinct home slots, and the
   longest distance from an entry's home slot to where it sits. */
typedef struct spread {
  size_t homes, longest;
} spread;

static spread
spread_of(const dl_hash *t)
{
  spread s = {0, 0};
  size_t size = (size_t) t->mask + 1;
  unsigned char *home = calloc(size, 1);
  for (size_t i = 0; i < size; i++) {
    const dl_hash_slot *sl = &t->slots[i];
    if (!sl->ref)
      continue;
    size_t h = sl->hash & t->mask;
    s.homes += !home[h];
    home[h] = 1;
    size_t d = (i - h) & t->mask;
    if (d > s.longest)
      s.longest = d;
  }
  free(home);
  return s;
}

/* 64-bit keys in the caller's array, the table indexing them. */
typedef struct u64_set {
  uint64_t *keys;
  size_t n;
  dl_hash index;
} u64_set;

static uint32_t
u64_find(const u64_set *s, uint64_t key)
{
  dl_hash_probe pr = dl_hash_probe_begin(&s->index, dl_hash_u64(key));
  for (uint32_t e; (e = dl_hash_probe_next(&pr)) != DL_HASH_NONE;)
    if (s->keys[e] == key)
      return e;
  return DL_HASH_NONE;
}

/* Adds KEY when new; its entry number. */
static uint32_t
u64_add(u64_set *s, uint64_t key)
{
  uint32_t e = u64_find(s, key);
  if (e != DL_HASH_NONE)
    return e;
  if (dl_hash_add(&s->index, dl_hash_u64(key), (uint32_t) s->n))
    return DL_HASH_NONE;
  s->keys[s->n] = key;
  return (uint32_t) s->n++;
}

static void
test_many_keys(void)
{
  enum { N = 100000 };
  u64_set s = {calloc(N, sizeof(uint64_t)), 0, {0}};
  size_t wrong = 0, grown = 0;
  const dl_hash_slot *before = NULL;
  for (uint64_t i = 0; i < N; i++) {
    uint64_t key = i * 7919 + 3;
    before = s.index.slots;
    if (u64_add(&s, key) != i)
      wrong++;
    grown += s.index.slots != before;
  }
  is_int(wrong, 0, "100000 keys added, each under the next entry number");
  is_int(s.index.count, N, "the table counts 100000 entries");
  ok(grown >= 10 && grown <= 20, "it grew by doubling (%zu times)", grown);
  is_int((size_t) s.index.mask + 1, (size_t) 262144, "262144 slots: at most half full");
  is_int(dl_hash_memory(&s.index), (size_t) 262144 * sizeof(dl_hash_slot), "memory: its slots");
  size_t missing = 0, stray = 0, again = 0;
  for (uint64_t i = 0; i < N; i++) {
    missing += u64_find(&s, i * 7919 + 3) != i;
    stray += u64_find(&s, i * 7919 + 4) != DL_HASH_NONE;
  }
  for (uint64_t i = 0; i < N; i += 97)
    again += u64_add(&s, i * 7919 + 3) != i;
  is_int(missing, 0, "every key found under its entry after growing");
  is_int(stray, 0, "no key that was never added is found");
  is_int(again, 0, "adding a key again gives its first entry");
  is_int(s.index.count, N, "and adds nothing");
  dl_hash_free(&s.index);
  ok(s.index.slots == NULL && s.index.count == 0, "freed: empty again");
  is_int(u64_find(&s, 3), DL_HASH_NONE, "a freed table finds nothing");
  s.n = 0; /* the entries are the caller's to reset */
  is_int(u64_add(&s, 3), 0, "and can be used again");
  dl_hash_free(&s.index);
  dl_hash_free(NULL);
  free(s.keys);
}

/* Keys that differ only in their high bits must not share slots: a
   multiply without a final mix leaves the low bits, which pick the
   slot, the same for all of them. */
static void
test_high_bits(void)
{
  enum { N = 65536 };
  u64_set s = {calloc(N, sizeof(uint64_t)), 0, {0}};
  for (uint64_t i = 0; i < N; i++)
    u64_add(&s, i << 40);
  is_int(s.n, N, "65536 keys i << 40 added");
  spread sp = spread_of(&s.index);
  tap_diag("64-bit keys i << 40: %zu home slots, longest probe %zu", sp.homes, sp.longest);
  ok(sp.homes > N * 7 / 10, "they spread over %zu home slots (> 70%% of the keys)", sp.homes);
  ok(sp.longest < 64, "no probe longer than 64 slots (longest %zu)", sp.longest);
  dl_hash_free(&s.index);
  free(s.keys);

  /* Group keys: (window, class, string id) with string ids that differ
     only above bit 16, as ids a power of two apart do. */
  dl_hash t;
  dl_hash_init(&t);
  static uint32_t keys[N][3];
  int failed = 0;
  for (uint32_t i = 0; i < N; i++) {
    keys[i][0] = 1;
    keys[i][1] = 2;
    keys[i][2] = i << 16;
    failed |= dl_hash_add(&t, dl_hash_u32s(keys[i], 3), i);
  }
  ok(!failed, "65536 keys (1, 2, i << 16) added");
  sp = spread_of(&t);
  tap_diag("32-bit id keys i << 16: %zu home slots, longest probe %zu", sp.homes, sp.longest);
  ok(sp.homes > N * 7 / 10, "they spread over %zu home slots (> 70%% of the keys)", sp.homes);
  ok(sp.longest < 64, "no probe longer than 64 slots (longest %zu)", sp.longest);
  size_t missing = 0;
  for (uint32_t i = 0; i < N; i++) {
    uint32_t found = DL_HASH_NONE;
    dl_hash_probe pr = dl_hash_probe_begin(&t, dl_hash_u32s(keys[i], 3));
    for (uint32_t e; (e = dl_hash_probe_next(&pr)) != DL_HASH_NONE;)
      if (memcmp(keys[e], keys[i], sizeof keys[i]) == 0) {
        found = e;
        break;
      }
    missing += found != i;
  }
  is_int(missing, 0, "each found under its entry");
  dl_hash_free(&t);
}

static void
test_functions(void)
{
  uint32_t one[2] = {1, 0};
  ok(dl_hash_u32s(one, 1) != dl_hash_u32s(one, 2), "ids: (1) and (1, 0) hash apart");
  ok(dl_hash_bytes("abc", 3) != dl_hash_bytes("abc\0", 4), "bytes: a key and the key + NUL apart");
  ok(dl_hash_bytes("", 0) != dl_hash_bytes("\0", 1), "bytes: empty and one NUL apart");
  ok(dl_hash_bytes("abcdefgh", 8) == dl_hash_bytes("xabcdefgh" + 1, 8),
     "bytes: the hash does not depend on alignment");
  /* One bit in, about half of the 32 out: the final mix reaches every bit. */
  int low = 32, high = 0;
  for (int b = 0; b < 64; b++) {
    int d = __builtin_popcount(dl_hash_u64(0) ^ dl_hash_u64(UINT64_C(1) << b));
    low = d < low ? d : low;
    high = d > high ? d : high;
  }
  ok(low >= 6 && high <= 26, "flipping any one key bit flips 6 to 26 of 32 hash bits (%d to %d)",
     low, high);
}

/* Entries with one hash: the probe returns each once, and the caller's
   comparison picks its own. */
static void
test_same_hash(void)
{
  dl_hash t;
  dl_hash_init(&t);
  is_int(dl_hash_probe_next(&(dl_hash_probe){0}), DL_HASH_NONE, "an empty table's probe ends at once");
  int failed = 0;
  for (uint32_t e = 0; e < 100; e++)
    failed |= dl_hash_add(&t, 42, e * 3);
  failed |= dl_hash_add(&t, 43, 1000);
  ok(!failed, "100 entries under hash 42, one under 43");
  dl_hash_probe pr = dl_hash_probe_begin(&t, 42);
  uint32_t e, n = 0, each = 1;
  unsigned char seen[100] = {0};
  while ((e = dl_hash_probe_next(&pr)) != DL_HASH_NONE && n++ < 1000) {
    each &= e % 3 == 0 && e / 3 < 100 && !seen[e / 3];
    if (e % 3 == 0 && e / 3 < 100)
      seen[e / 3] = 1;
  }
  ok(n == 100 && each, "the probe for 42 returns each of its 100 entries once (%u)", n);
  pr = dl_hash_probe_begin(&t, 43);
  e = dl_hash_probe_next(&pr);
  ok(e == 1000 && dl_hash_probe_next(&pr) == DL_HASH_NONE, "the probe for 43 its one entry");
  pr = dl_hash_probe_begin(&t, 44);
  is_int(dl_hash_probe_next(&pr), DL_HASH_NONE, "no entry under 44");
  is_int(dl_hash_add(&t, 1, DL_HASH_NONE), DL_ERANGE, "DL_HASH_NONE is not an entry number");
  dl_hash_free(&t);

  is_int(dl_hash_reserve(&t, 1000), DL_OK, "room reserved for 1000 entries");
  const dl_hash_slot *slots = t.slots;
  failed = 0;
  for (uint32_t i = 0; i < 1000; i++)
    failed |= dl_hash_add(&t, dl_hash_u64(i), i);
  ok(!failed && t.slots == slots, "1000 added without growing");
  is_int((size_t) t.mask + 1, (size_t) 2048, "in 2048 slots");
  is_int(dl_hash_reserve(&t, (size_t) DL_HASH_MAX_ENTRIES + 1), DL_ERANGE,
     "room for more than DL_HASH_MAX_ENTRIES is refused");
  ok(t.slots == slots && t.count == 1000, "and leaves the table as it was");
  dl_hash_free(&t);
}

/* Interning: strings with a long common prefix, ids dense, pointers
   stable while the table grows. */
static void
test_intern(void)
{
  enum { N = 50000 };
  dl_intern in;
  dl_intern_init(&in);
  static const char *first[N];
  char buf[128];
  size_t wrong = 0;
  for (int i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "checkout-service.production.us-east-1/GET /api/v1/cart/%d", i);
    uint32_t id = dl_intern_add(&in, buf, (size_t) len);
    wrong += id != (uint32_t) i + 1;
    first[i] = dl_intern_str(&in, id);
  }
  is_int(wrong, 0, "50000 strings with a common prefix get ids 1 to 50000");
  spread sp = spread_of(&in.index);
  tap_diag("common-prefix strings: %zu home slots, longest probe %zu", sp.homes, sp.longest);
  ok(sp.homes > N * 7 / 10, "they spread over %zu home slots (> 70%%)", sp.homes);
  size_t lost = 0, moved = 0;
  for (int i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "checkout-service.production.us-east-1/GET /api/v1/cart/%d", i);
    uint32_t id = dl_intern_find(&in, buf, (size_t) len);
    lost += id != (uint32_t) i + 1 || dl_intern_len(&in, id) != (uint32_t) len
            || strcmp(dl_intern_str(&in, id), buf) != 0;
    moved += dl_intern_str(&in, id) != first[i];
  }
  is_int(lost, 0, "each found again, with its length and bytes");
  is_int(moved, 0, "no interned string moved while the table grew");
  is_int(dl_intern_find(&in, "checkout-service", 16), 0, "a prefix alone is not interned");
  is_int(dl_intern_add(&in, "checkout", 8), (uint32_t) N + 1, "a new string gets the next id");
  is_int(dl_intern_add(&in, "check\0out", 9), (uint32_t) N + 2, "bytes after a NUL count");
  is_int(dl_intern_add(&in, "checkout", 8), (uint32_t) N + 1, "the same string its id again");
  is_int(dl_intern_add(&in, "", 0), (uint32_t) N + 3, "the empty string is a string");
  ok(dl_intern_str(&in, 0) == NULL && dl_intern_str(&in, N + 4) == NULL,
     "ids 0 and past the last have no string");
  ok(dl_intern_memory(&in) >= dl_hash_memory(&in.index) + N * 50,
     "memory counts the index and the text");
  dl_intern_free(&in);
}

int
main(void)
{
  test_functions();
  test_many_keys();
  test_high_bits();
  test_same_hash();
  test_intern();
  return tap_done();
}
