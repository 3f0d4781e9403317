// validate: is the "email" field of the input JSON a plausible address?
//   WASM.CALL validate '{"email": "ada@example.com"}'  ->  {"valid":true}
// Plausible means: one "@", something before it, and a domain with a dot that is neither
// its first nor its last character. Input that is not a JSON object fails the call.
#include "ferrite.h"
#include "ferrite_json.h"

static bool has(const uint8_t *s, size_t n, uint8_t c) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == c) return true;
  return false;
}

static bool is_email(ferrite_bytes email) {
  const uint8_t *s = email.ptr;
  size_t n = email.len, at = n, last_at = n;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '@') continue;
    if (at == n) at = i;
    last_at = i;
  }
  if (at == n || at == 0 || last_at != at) return false;
  const uint8_t *domain = s + at + 1;
  size_t domain_len = n - at - 1, dot = domain_len;
  for (size_t i = 0; i < domain_len; i++)
    if (domain[i] == '.') dot = i;
  return dot != domain_len && dot > 0 && dot < domain_len - 1 && !has(domain, domain_len, ' ') && !has(s, at, ' ');
}

FERRITE_ENTRY(validate) int validate(const char *ptr, int len) {
  ferrite_bytes email = {0, 0};
  ferrite_json_status status = ferrite_json_get_string(ferrite_input(ptr, len), "email", &email);
  if (status == FERRITE_JSON_WRONG_TYPE) return ferrite_fail("email must be a string");
  if (status != FERRITE_JSON_OK && status != FERRITE_JSON_MISSING) return ferrite_fail(ferrite_json_message(status));
  // A missing email is an empty one: not valid, as in the AssemblyScript template.
  ferrite_reply_str(is_email(email) ? "{\"valid\":true}" : "{\"valid\":false}");
  return 0;
}
