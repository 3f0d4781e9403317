// The templates `ferrite-wasm new` offers: one folder each under templates/, listed here only.

export interface TemplateInfo {
  /** Folder name under templates/, and the --template value. */
  name: string;
  description: string;
  /** A call to suggest once the project exists (arguments as a shell would take them). */
  example: string;
}

export const TEMPLATES: readonly TemplateInfo[] = [
  { name: "blank", description: "a minimal function that greets its input", example: "hello Ada" },
  { name: "validate", description: 'email validation: {"email": ...} in, {"valid": bool} out', example: `validate '{"email": "ada@example.com"}'` },
  { name: "transform", description: "reshape a user record: full_name, lower-cased email, created_at from the host clock", example: `transform_user '{"id": 7, "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.COM"}'` },
  { name: "aggregate", description: "sum, count and average of the numeric values at the keys given as arguments", example: "aggregate_stats --store seed.json price:1 price:2 price:3" },
  { name: "process-order", description: "order discount logic: reads the order and user:<id>, writes the order back", example: "process_order --store seed.json order:1001" },
];

export const DEFAULT_TEMPLATE = "blank";

export function findTemplate(name: string): TemplateInfo | undefined {
  return TEMPLATES.find((t) => t.name === name);
}
