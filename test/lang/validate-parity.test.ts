// The validate template in AssemblyScript, Rust and C answers the same: built from `new` with each
// language, loaded with loadProject (the settings in each ferrite.toml), called with one table of
// inputs. Replies must be byte-identical; failures must fail in all three (their messages differ:
// each names its own parser's complaint).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { loadProject, type Project } from "../../cli/project/index.js";
import { utf8 } from "../helpers/runtime.js";
import { cli, ensureCliBuilt, tempDir } from "../cli/helpers/cli.js";
import { CARGO_TARGET } from "./helpers.js";

// Real compilers on a busy shared machine: these bound a hang, not a speed (a cold cargo build
// of serde_json took over a minute at a load average of 30 on 2 cores).
vi.setConfig({ testTimeout: 900_000, hookTimeout: 900_000 });

const LANGS = ["assemblyscript", "rust", "c"] as const;

/** Valid JSON objects: each language must reply exactly the same bytes. */
const ANSWERED = [
  '{"email": "test@example.com"}',
  '{"email": "ada@example.com"}',
  '{"email": "first.last+tag@mail.example.org"}',
  '{"email": "ada@example"}',
  '{"email": "ada@example."}',
  '{"email": "ada@.com"}',
  '{"email": "@example.com"}',
  '{"email": "ada@"}',
  '{"email": "ada"}',
  '{"email": ""}',
  '{"email": "a@b@example.com"}',
  '{"email": "ada lovelace@example.com"}',
  '{"email": "ada@exa mple.com"}',
  '{"email": "a@c..de"}',
  '{"email": "zoë@exämple.com"}',
  '{"email": "\\u0061@b.co"}',
  '{"email": "\\ud83d\\ude00@b.co"}',
  '{"email": "a\\"b@c.de"}',
  '{"email": "a\\tb@c.de"}',
  "{}",
  '{"name": "Ada"}',
  '{"EMAIL": "ada@example.com"}',
  '{"x": {"email": "a@b.co"}}',
  ' { "email" : "ada@example.com" , "n": [1, {"a": 2}] } ',
  '{"email": "a@b.co", "n": 1e5, "m": -0.5, "t": true, "f": false, "z": null}',
  '{"email": "ada@example.com", "email": "x"}',
  '{"email": "x", "email": "ada@example.com"}',
  '{"x": "]}", "email": "a@b.co"}',
  '{"x": {"a": [{"b": {}}]}, "email": "ab@c.de"}',
  '{"email": "a@b.co"}\n',
];

/** Inputs every language refuses. */
const REFUSED = ["", "not json", "[1]", '"x"', "42", "null", '{"email": 5}', '{"email": null}', '{"email": ["a@b.co"]}', "{'email': 'a@b.co'}", '{email: "a@b.co"}', '{"email": "a@b.co" "x": 1}', '{"email": "ada@ex.com"', '{"email": "a@b.co", }', '{"email": "ada@ex.com", "x": tru}', '{"email": "a@b.co"} trailing'];

let tmp: Awaited<ReturnType<typeof tempDir>>;
const projects: Partial<Record<(typeof LANGS)[number], Project>> = {};

beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-lang-parity-");
  for (const lang of LANGS) {
    const dir = path.join(tmp.dir, lang);
    const created = await cli(["new", dir, "--lang", lang, "--template", "validate"], { cwd: tmp.dir });
    expect(created.code, created.stderr).toBe(0);
    const built = await cli(["build"], { cwd: dir, env: { CARGO_TARGET_DIR: CARGO_TARGET } });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    projects[lang] = await loadProject(dir);
  }
});

afterAll(async () => {
  await tmp?.cleanup();
});

describe("validate answers the same in AssemblyScript, Rust and C", () => {
  test.each(ANSWERED)("%s", (input) => {
    const replies = LANGS.map((lang) => {
      const r = projects[lang]!.call("validate", input);
      return { lang, ok: r.ok, error: r.error?.message ?? null, reply: utf8(r.value) };
    });
    expect(replies[0].ok, JSON.stringify(replies[0])).toBe(true);
    expect(replies[0].reply).toMatch(/^\{"valid":(true|false)\}$/);
    for (const r of replies.slice(1)) expect(r).toEqual({ ...replies[0], lang: r.lang });
  });

  test.each(REFUSED)("refused: %s", (input) => {
    for (const lang of LANGS) {
      const r = projects[lang]!.call("validate", input);
      expect(r.ok, `${lang}: ${utf8(r.value)}`).toBe(false);
      expect(r.error?.code, lang).not.toBe("ERR_TIMEOUT");
      expect(r.writes).toEqual([]);
    }
  });
});
