// validate: is the "email" field of the input JSON a plausible address?
//   WASM.CALL validate '{"email": "ada@example.com"}'  ->  {"valid":true}
// Plausible means: one "@", something before it, and a domain with a dot that is neither
// its first nor its last character. Input that is not a JSON object fails the call.
use ferrite_wasm::{fail, input_str, reply};
use serde_json::Value;

fn is_email(email: &str) -> bool {
    let at = match email.find('@') {
        Some(at) if at > 0 && email.rfind('@') == Some(at) => at,
        _ => return false,
    };
    let (local, domain) = (&email[..at], &email[at + 1..]);
    match domain.rfind('.') {
        Some(dot) => dot > 0 && dot < domain.len() - 1 && !domain.contains(' ') && !local.contains(' '),
        None => false,
    }
}

#[no_mangle]
pub extern "C" fn validate(ptr: *const u8, len: usize) -> i32 {
    let text = match input_str(ptr, len) {
        Ok(text) => text,
        Err(_) => return fail("the input is not UTF-8"),
    };
    let request: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return fail(format!("the input is not valid JSON: {}", e)),
    };
    let fields = match request.as_object() {
        Some(fields) => fields,
        None => return fail("the input must be a JSON object"),
    };
    // A missing email is an empty one: not valid.
    let email = match fields.get("email") {
        None => "",
        Some(Value::String(email)) => email.as_str(),
        Some(_) => return fail("email must be a string"),
    };
    reply(format!(r#"{{"valid":{}}}"#, is_email(email)));
    0
}
