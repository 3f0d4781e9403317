// transform_user: reshapes a user record for clients.
//   WASM.CALL transform_user '{"id": 7, "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.COM"}'
//   -> {"id":7,"full_name":"Ada Lovelace","email":"ada@example.com","created_at":1767225600000}
// Missing fields read as 0 or ""; unknown fields are ignored. created_at is the host's clock
// (ferrite_now, milliseconds since the Unix epoch), which is why ferrite.toml grants "time".
import { input, now, output } from "ferrite-wasm/sdk";

@json
class User {
  id: i64 = 0;
  first_name: string = "";
  last_name: string = "";
  email: string = "";
}

@json
class PublicUser {
  id: i64 = 0;
  full_name: string = "";
  email: string = "";
  created_at: i64 = 0;
}

export function transform_user(ptr: i32, len: i32): i32 {
  const user = input.json<User>(ptr, len);
  const out = new PublicUser();
  out.id = user.id;
  out.full_name = (user.first_name.trim() + " " + user.last_name.trim()).trim();
  out.email = user.email.trim().toLowerCase();
  out.created_at = now();
  output.json<PublicUser>(out);
  return 0;
}
