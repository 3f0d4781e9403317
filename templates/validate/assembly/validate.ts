// validate: is the "email" field of the input JSON a plausible address?
//   WASM.CALL validate '{"email": "ada@example.com"}'  ->  {"valid":true}
// Plausible means: one "@", something before it, and a domain with a dot that is neither
// its first nor its last character. Input that is not a JSON object fails the call.
import { input, output } from "ferrite-wasm/sdk";

@json
class Request {
  email: string = "";
}

@json
class Reply {
  valid: bool = false;
}

function isEmail(email: string): bool {
  const at = email.indexOf("@");
  if (at <= 0 || email.lastIndexOf("@") != at) return false;
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  return dot > 0 && dot < domain.length - 1 && !domain.includes(" ") && !email.slice(0, at).includes(" ");
}

export function validate(ptr: i32, len: i32): i32 {
  const request = input.json<Request>(ptr, len);
  const reply = new Reply();
  reply.valid = isEmail(request.email);
  output.json<Reply>(reply);
  return 0;
}
