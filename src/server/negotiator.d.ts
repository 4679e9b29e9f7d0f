// The part of negotiator 1's API the gateway uses (the package ships no types; it is the
// Accept-* parser of Express and of Apollo Server itself, installed with the latter).
declare module 'negotiator' {
  import type { IncomingHttpHeaders } from 'node:http';

  class Negotiator {
    constructor(request: { headers: IncomingHttpHeaders | Record<string, string | undefined> });
    /**
     * Of `available`, those the request's Accept-Encoding accepts (q > 0; identity implicitly,
     * unless refused), best first: by q, then in `preferred` order.
     */
    encodings(available?: readonly string[], options?: { preferred?: readonly string[] }): string[];
  }

  export = Negotiator;
}
