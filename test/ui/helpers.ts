/** A tiny same-origin browser stand-in for the dashboard's API: cookie jar, Origin and CSRF header. */
export class UiClient {
  cookie: string | undefined;
  csrf: string | undefined;
  constructor(readonly base: string) {}

  get origin(): string {
    return new URL(this.base).origin;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(method !== 'GET' ? { 'content-type': 'application/json', origin: this.origin, ...(this.csrf ? { 'x-clawguard-csrf': this.csrf } : {}) } : {}),
        ...headers,
      },
      ...(method !== 'GET' ? { body: JSON.stringify(body ?? {}) } : {}),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  async login(key: string): Promise<{ status: number; headers: Headers; text: string; json: any }> {
    const res = await this.request('POST', '/ui/api/login', { key });
    const setCookie = res.headers.get('set-cookie');
    if (res.status === 200 && setCookie) {
      this.cookie = setCookie.split(';')[0];
      this.csrf = res.json.csrf;
    }
    return res;
  }
}
