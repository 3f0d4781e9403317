// process_order: applies the customer's discount to an order and saves it.
//   WASM.CALL process_order order:1001   ->  {"total":102,"discount":0.15}
// Reads the order at the key given, then user:<user_id>. Premium members get 15% off;
// otherwise orders above 100 get 10% off. The order is written back with its discount and
// new total. The discount always applies to `subtotal` (the order's total before any
// discount), so processing an order twice gives the same result.
import { args, keys, output, fail, JSON } from "ferrite-wasm/sdk";

@json
class Item {
  sku: string = "";
  qty: i32 = 0;
  price: f64 = 0;
}

/** Fields not declared here are not kept when the order is written back: declare all of yours. */
@json
class Order {
  id: string = "";
  user_id: string = "";
  items: Item[] = [];
  subtotal: f64 = 0;
  discount: f64 = 0;
  total: f64 = 0;
}

@json
class User {
  membership: string = "";
}

@json
class Reply {
  total: f64 = 0;
  discount: f64 = 0;
}

const PREMIUM_DISCOUNT = 0.15;
const LARGE_ORDER_DISCOUNT = 0.1;
const LARGE_ORDER = 100.0;

export function process_order(ptr: i32, len: i32): i32 {
  if (args.count() != 1) return fail("process_order takes one argument, the order's key (e.g. order:1001)");
  const orderKey = args.string(0)!;
  const orderJson = keys.get(orderKey);
  if (orderJson === null) return fail("order '" + orderKey + "' not found");
  const order = JSON.parse<Order>(orderJson);

  const userKey = "user:" + order.user_id;
  const userJson = keys.get(userKey);
  if (userJson === null) return fail("user '" + userKey + "' of order '" + orderKey + "' not found");
  const user = JSON.parse<User>(userJson);

  if (order.subtotal == 0) order.subtotal = order.total;
  order.discount = discountFor(user, order.subtotal);
  order.total = cents(order.subtotal * (1 - order.discount));
  keys.set(orderKey, JSON.stringify<Order>(order));

  const reply = new Reply();
  reply.total = order.total;
  reply.discount = order.discount;
  output.json<Reply>(reply);
  return 0;
}

function discountFor(user: User, subtotal: f64): f64 {
  if (user.membership == "premium") return PREMIUM_DISCOUNT;
  if (subtotal > LARGE_ORDER) return LARGE_ORDER_DISCOUNT;
  return 0;
}

/** Money is kept to the cent. */
function cents(amount: f64): f64 {
  return Math.round(amount * 100) / 100;
}
