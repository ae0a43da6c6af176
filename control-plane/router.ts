/** Path matching shared by the API and the admin endpoints. */
import { ApiError, badRequest } from "./errors";

export interface Context {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; 400 when it is not JSON. */
  body(): unknown;
}

/** `path` segments starting with ":" match any one non-empty segment. */
export interface Route<Op> {
  path: string;
  methods: Partial<Record<string, Op>>;
}

/** The operation for a request: 404 when no path matches, 405 when the path does but not the method. */
export function resolve<Op>(routes: Route<Op>[], method: string, path: string): { op: Op; params: Record<string, string> } {
  const segments = path.split("/");
  for (const route of routes) {
    const pattern = route.path.split("/");
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      if (!part.startsWith(":")) return part === segments[i];
      params[part.slice(1)] = decodeSegment(segments[i]);
      return params[part.slice(1)] !== "";
    });
    if (!matches) continue;
    const op = route.methods[method];
    if (op === undefined) {
      const allow = Object.keys(route.methods).join(", ");
      throw new ApiError(405, `${method} is not allowed on ${route.path}`, "METHOD_NOT_ALLOWED", { Allow: allow });
    }
    return { op, params };
  }
  throw new ApiError(404, `no route for ${path}`, "NOT_FOUND");
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest("the path is not valid percent-encoding");
  }
}
