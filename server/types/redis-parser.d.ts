// redis-parser 3 ships no types. The fields below `execute` are its internal state: socket.ts reads
// them (read-only) to know where frames start and how much a half-received request holds.
declare module "redis-parser" {
  interface ParserOptions {
    returnReply(reply: unknown): void;
    returnError(error: Error): void;
    returnFatalError?(error: Error & { offset?: number }): void;
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }
  class JavascriptRedisParser {
    constructor(options: ParserOptions);
    execute(buffer: Buffer): void;
    reset(): void;
    /** The data being parsed; null between complete frames. */
    buffer: Buffer | null;
    offset: number;
    /** Non-zero while collecting a bulk string bigger than the chunk it started in. */
    bigStrSize: number;
    totalChunkSize: number;
    bufferCache: Buffer[];
    /** Arrays being filled, outermost first (declared length = array.length). */
    arrayCache: unknown[][];
  }
  export = JavascriptRedisParser;
}
