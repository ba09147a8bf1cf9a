// The JSON API as the dashboard uses it: every call carries the user's key as a Bearer token;
// a failure becomes an ApiError with the server's code, message and field.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;  // HTTP status; 0 when the server could not be reached
    this.code = code;
    this.field = field || '';
  }

  // A 404 for a path the server has no route for (an older server), not for a missing object.
  get noRoute() {
    return this.status === 404 && this.message.startsWith('no route for');
  }
}

export class Api {
  // onUnauthenticated(error) is called when a request is answered 401 (key revoked/expired).
  constructor(key, onUnauthenticated) {
    this.key = key;
    this.onUnauthenticated = onUnauthenticated || (() => {});
  }

  async request(method, path, {body, signal} = {}) {
    const res = await this.fetch(method, path, {body, signal});
    const text = await res.text();
    const data = parseJson(text);
    if (!res.ok) throw this.failure(res, data, text);
    return data;
  }

  get(path, options) { return this.request('GET', path, options); }
  post(path, body, options) { return this.request('POST', path, {...options, body: body ?? {}}); }

  // The raw Response of a successful request (for streams); an ApiError otherwise.
  async stream(path, {signal} = {}) {
    const res = await this.fetch('GET', path, {signal});
    if (!res.ok) {
      const text = await res.text();
      throw this.failure(res, parseJson(text), text);
    }
    return res;
  }

  async fetch(method, path, {body, signal} = {}) {
    const headers = {Authorization: `Bearer ${this.key}`};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(path, {
        method, headers, signal, cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'unavailable', `cannot reach the server (${e.message})`);
    }
  }

  failure(res, data, text) {
    const err = (data && data.error) || {};
    const error = new ApiError(res.status, err.code || `http_${res.status}`,
      err.message || text || res.statusText, err.field);
    if (res.status === 401) this.onUnauthenticated(error);
    return error;
  }
}

// Checks a key without keeping it: the caller ({tenant, role, user, key_prefix}) or an ApiError.
export async function whoami(key) {
  return new Api(key).get('/v1/whoami');
}

function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
