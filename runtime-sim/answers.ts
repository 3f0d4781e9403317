// Replay's stand-in for the clock, the random source and the http handler: the answers a recorded
// call got, handed out again in the order it asked. A replay of the same module asks the same
// questions; a changed module (a fix under a saved regression test) may ask more, and gets stable
// answers rather than live ones.
import type { HttpRequest, HttpResponse, RecordedAnswers } from "./options.js";

export class AnswerSource {
  #now = 0;
  #random = 0;
  readonly #httpUsed: boolean[];

  constructor(
    readonly answers: RecordedAnswers,
    /** Asked for ferrite_now when no time was recorded at all. */
    readonly clock: () => number,
  ) {
    this.#httpUsed = answers.http.map(() => false);
  }

  /** The next recorded time; past the end, the last one again. */
  now(): number {
    const a = this.answers.now;
    if (this.#now < a.length) return a[this.#now++];
    return a.length > 0 ? a[a.length - 1] : this.clock();
  }

  /** The next recorded value; past the end, the recorded ones again in turn (0.5 when none). */
  random(): number {
    const a = this.answers.random;
    if (a.length === 0) return 0.5;
    return a[this.#random++ % a.length];
  }

  /** The first unused recorded answer to the same method and URL; the network is never reached. */
  http(request: HttpRequest): HttpResponse {
    const list = this.answers.http;
    for (let i = 0; i < list.length; i++) {
      const r = list[i].request;
      if (!this.#httpUsed[i] && r.method === request.method && r.url === request.url) {
        this.#httpUsed[i] = true;
        return list[i].response;
      }
    }
    return { status: 0, headers: {}, body: "", error: `the recorded call made no request ${request.method} ${request.url}; a replay never reaches the network` };
  }
}
