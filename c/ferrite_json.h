/*
 * ferrite_json.h: read JSON input in C without libc. A strict RFC 8259 checker plus lookups of
 * a top-level object's members; strings come back unescaped (UTF-8) on the ferrite_alloc heap.
 *
 *   #include "ferrite.h"
 *   #include "ferrite_json.h"
 *
 *   ferrite_bytes email;
 *   switch (ferrite_json_get_string(ferrite_input(ptr, len), "email", &email)) {
 *     case FERRITE_JSON_OK: ...             // email.ptr / email.len
 *     case FERRITE_JSON_MISSING: ...        // no such member
 *     default: return ferrite_fail(ferrite_json_message(status));
 *   }
 *
 * Nesting deeper than FERRITE_JSON_MAX_DEPTH (128, like serde_json) is refused rather than
 * recursed into, so hostile input cannot exhaust the stack. When an object has the same key
 * twice, the last one wins.
 */
#ifndef FERRITE_JSON_H
#define FERRITE_JSON_H

#include "ferrite.h"

#ifndef FERRITE_JSON_MAX_DEPTH
#define FERRITE_JSON_MAX_DEPTH 128
#endif

typedef enum {
  FERRITE_JSON_OK = 0,
  /* The object has no member with that key. */
  FERRITE_JSON_MISSING,
  /* The member exists but holds another type. */
  FERRITE_JSON_WRONG_TYPE,
  /* The document is not valid JSON. */
  FERRITE_JSON_INVALID,
  /* The document is valid JSON but not an object. */
  FERRITE_JSON_NOT_OBJECT,
  /* Nested deeper than FERRITE_JSON_MAX_DEPTH. */
  FERRITE_JSON_TOO_DEEP,
  /* ferrite_alloc returned 0. */
  FERRITE_JSON_NO_MEMORY,
} ferrite_json_status;

typedef enum {
  FERRITE_JSON_NULL,
  FERRITE_JSON_FALSE,
  FERRITE_JSON_TRUE,
  FERRITE_JSON_NUMBER,
  FERRITE_JSON_STRING,
  FERRITE_JSON_ARRAY,
  FERRITE_JSON_OBJECT,
} ferrite_json_type;

/* A message for a status, for ferrite_fail. */
static inline const char *ferrite_json_message(ferrite_json_status status) {
  switch (status) {
    case FERRITE_JSON_OK: return "ok";
    case FERRITE_JSON_MISSING: return "a required field is missing";
    case FERRITE_JSON_WRONG_TYPE: return "a field has the wrong type";
    case FERRITE_JSON_INVALID: return "the input is not valid JSON";
    case FERRITE_JSON_NOT_OBJECT: return "the input must be a JSON object";
    case FERRITE_JSON_TOO_DEEP: return "the input JSON is nested too deeply";
    case FERRITE_JSON_NO_MEMORY: return "out of memory";
  }
  return "invalid JSON status";
}

/* ---- Scanner (internal) --------------------------------------------------------------------- */

typedef struct {
  const uint8_t *p, *end;
  ferrite_json_status error; /* first error met, FERRITE_JSON_OK while none */
} ferrite_json__scan;

static inline void ferrite_json__ws(ferrite_json__scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static inline bool ferrite_json__fail(ferrite_json__scan *s, ferrite_json_status why) {
  if (s->error == FERRITE_JSON_OK) s->error = why;
  return false;
}

static inline bool ferrite_json__literal(ferrite_json__scan *s, const char *word) {
  size_t n = ferrite_strlen(word);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
  s->p += n;
  return true;
}

static inline int ferrite_json__hex(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Checks a string starting at its opening quote; leaves p after the closing quote. */
static inline bool ferrite_json__string(ferrite_json__scan *s) {
  s->p++;
  while (s->p < s->end) {
    uint8_t c = *s->p++;
    if (c == '"') return true;
    if (c < 0x20) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
    if (c != '\\') continue;
    if (s->p >= s->end) break;
    c = *s->p++;
    if (c == 'u') {
      if (s->end - s->p < 4) break;
      for (int i = 0; i < 4; i++)
        if (ferrite_json__hex(*s->p++) < 0) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
    } else if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' && c != 'r' && c != 't') {
      return ferrite_json__fail(s, FERRITE_JSON_INVALID);
    }
  }
  return ferrite_json__fail(s, FERRITE_JSON_INVALID);
}

static inline bool ferrite_json__digits(ferrite_json__scan *s) {
  const uint8_t *start = s->p;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
  return s->p > start;
}

static inline bool ferrite_json__number(ferrite_json__scan *s) {
  if (*s->p == '-') s->p++;
  if (s->p < s->end && *s->p == '0') s->p++;
  else if (!ferrite_json__digits(s)) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (!ferrite_json__digits(s)) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (!ferrite_json__digits(s)) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
  }
  return true;
}

/* Checks one value (after whitespace); sets *type. Recursion is bounded by `depth`. */
static bool ferrite_json__value(ferrite_json__scan *s, int depth, ferrite_json_type *type) {
  ferrite_json__ws(s);
  if (s->p >= s->end) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
  ferrite_json_type t;
  switch (*s->p) {
    case '"': t = FERRITE_JSON_STRING; if (!ferrite_json__string(s)) return false; break;
    case 't': t = FERRITE_JSON_TRUE; if (!ferrite_json__literal(s, "true")) return false; break;
    case 'f': t = FERRITE_JSON_FALSE; if (!ferrite_json__literal(s, "false")) return false; break;
    case 'n': t = FERRITE_JSON_NULL; if (!ferrite_json__literal(s, "null")) return false; break;
    case '[':
    case '{': {
      bool object = *s->p == '{';
      t = object ? FERRITE_JSON_OBJECT : FERRITE_JSON_ARRAY;
      if (depth >= FERRITE_JSON_MAX_DEPTH) return ferrite_json__fail(s, FERRITE_JSON_TOO_DEEP);
      s->p++;
      ferrite_json__ws(s);
      if (s->p < s->end && *s->p == (object ? '}' : ']')) {
        s->p++;
        break;
      }
      for (;;) {
        ferrite_json_type ignored;
        if (object) {
          ferrite_json__ws(s);
          if (s->p >= s->end || *s->p != '"' || !ferrite_json__string(s)) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
          ferrite_json__ws(s);
          if (s->p >= s->end || *s->p++ != ':') return ferrite_json__fail(s, FERRITE_JSON_INVALID);
        }
        if (!ferrite_json__value(s, depth + 1, &ignored)) return false;
        ferrite_json__ws(s);
        if (s->p >= s->end) return ferrite_json__fail(s, FERRITE_JSON_INVALID);
        uint8_t c = *s->p++;
        if (c == ',') continue;
        if (c == (object ? '}' : ']')) break;
        return ferrite_json__fail(s, FERRITE_JSON_INVALID);
      }
      break;
    }
    default:
      if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
        t = FERRITE_JSON_NUMBER;
        if (!ferrite_json__number(s)) return false;
        break;
      }
      return ferrite_json__fail(s, FERRITE_JSON_INVALID);
  }
  *type = t;
  return true;
}

static inline void ferrite_json__utf8(uint8_t **out, uint32_t cp) {
  uint8_t *o = *out;
  if (cp < 0x80) *o++ = (uint8_t)cp;
  else if (cp < 0x800) { *o++ = (uint8_t)(0xC0 | cp >> 6); *o++ = (uint8_t)(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) { *o++ = (uint8_t)(0xE0 | cp >> 12); *o++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F)); *o++ = (uint8_t)(0x80 | (cp & 0x3F)); }
  else { *o++ = (uint8_t)(0xF0 | cp >> 18); *o++ = (uint8_t)(0x80 | (cp >> 12 & 0x3F)); *o++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F)); *o++ = (uint8_t)(0x80 | (cp & 0x3F)); }
  *out = o;
}

static inline uint32_t ferrite_json__hex4(const uint8_t *p) {
  return (uint32_t)(ferrite_json__hex(p[0]) << 12 | ferrite_json__hex(p[1]) << 8 | ferrite_json__hex(p[2]) << 4 | ferrite_json__hex(p[3]));
}

/* ---- Public API ----------------------------------------------------------------------------- */

/* Unescapes a checked JSON string token (quotes included) into `out`, which needs `len` bytes
 * (the unescaped text is never longer than the token). Returns the unescaped length. Lone
 * surrogates become U+FFFD. */
static inline size_t ferrite_json_unescape(const uint8_t *token, size_t len, uint8_t *out) {
  const uint8_t *p = token + 1, *end = token + len - 1;
  uint8_t *o = out;
  while (p < end) {
    uint8_t c = *p++;
    if (c != '\\') {
      *o++ = c;
      continue;
    }
    c = *p++;
    switch (c) {
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        uint32_t cp = ferrite_json__hex4(p);
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          uint32_t low = ferrite_json__hex4(p + 2);
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            p += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        ferrite_json__utf8(&o, cp);
        break;
      }
      default: *o++ = c; /* " \ / */
    }
  }
  return (size_t)(o - out);
}

/* True when `doc` is one valid JSON value (surrounded by optional whitespace). */
static inline bool ferrite_json_valid(ferrite_bytes doc) {
  ferrite_json__scan s = {doc.ptr, doc.ptr + doc.len, FERRITE_JSON_OK};
  ferrite_json_type type;
  if (!ferrite_json__value(&s, 0, &type)) return false;
  ferrite_json__ws(&s);
  return s.p == s.end;
}

/* Checks that `doc` is a JSON object and finds its member `key` (the last one, if repeated):
 * *value is the member's raw JSON text and *type its type. */
static inline ferrite_json_status ferrite_json_get(ferrite_bytes doc, const char *key, ferrite_bytes *value, ferrite_json_type *type) {
  ferrite_json__scan s = {doc.ptr, doc.ptr + doc.len, FERRITE_JSON_OK};
  ferrite_json_type top;
  ferrite_json__ws(&s);
  const uint8_t *start = s.p;
  if (!ferrite_json__value(&s, 0, &top)) return s.error;
  ferrite_json__ws(&s);
  if (s.p != s.end) return FERRITE_JSON_INVALID;
  if (top != FERRITE_JSON_OBJECT) return FERRITE_JSON_NOT_OBJECT;

  /* The document is valid: walk the top-level members again, comparing unescaped keys. */
  size_t key_len = ferrite_strlen(key);
  uint8_t *scratch = 0;
  bool found = false;
  s.p = start + 1;
  for (;;) {
    ferrite_json__ws(&s);
    if (*s.p == '}') break;
    const uint8_t *k = s.p;
    ferrite_json__string(&s);
    size_t k_len = (size_t)(s.p - k);
    bool match = false;
    {
      bool escaped = false;
      for (size_t i = 1; i + 1 < k_len; i++)
        if (k[i] == '\\') escaped = true;
      if (!escaped) {
        match = k_len - 2 == key_len && memcmp(k + 1, key, key_len) == 0;
      } else {
        if (!scratch) scratch = (uint8_t *)ferrite_alloc((int32_t)doc.len);
        if (!scratch) return FERRITE_JSON_NO_MEMORY;
        size_t n = ferrite_json_unescape(k, k_len, scratch);
        match = n == key_len && memcmp(scratch, key, key_len) == 0;
      }
    }
    ferrite_json__ws(&s);
    s.p++; /* ':' */
    ferrite_json__ws(&s);
    const uint8_t *v = s.p;
    ferrite_json_type t;
    ferrite_json__value(&s, 1, &t);
    if (match) {
      value->ptr = v;
      value->len = (size_t)(s.p - v);
      *type = t;
      found = true;
    }
    ferrite_json__ws(&s);
    if (*s.p++ == '}') break;
  }
  return found ? FERRITE_JSON_OK : FERRITE_JSON_MISSING;
}

/* Member `key` of the top-level object as a string, unescaped (UTF-8) into *out. */
static inline ferrite_json_status ferrite_json_get_string(ferrite_bytes doc, const char *key, ferrite_bytes *out) {
  ferrite_bytes raw;
  ferrite_json_type type;
  ferrite_json_status status = ferrite_json_get(doc, key, &raw, &type);
  if (status != FERRITE_JSON_OK) return status;
  if (type != FERRITE_JSON_STRING) return FERRITE_JSON_WRONG_TYPE;
  uint8_t *text = (uint8_t *)ferrite_alloc((int32_t)raw.len);
  if (!text) return FERRITE_JSON_NO_MEMORY;
  out->ptr = text;
  out->len = ferrite_json_unescape(raw.ptr, raw.len, text);
  return FERRITE_JSON_OK;
}

#endif /* FERRITE_JSON_H */
