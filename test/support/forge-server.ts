import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A local HTTP server that speaks the parts of GitHub's and GitLab's REST APIs the plan comment uses
// (list, create and update a pull request's comments or a merge request's notes; who the token is), keeps
// the comments in memory and records every request. The remote API is the edge the tests stand in for.

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface StoredComment {
  id: number;
  body: string;
  /** GitHub: the login; GitLab: the user id as text. */
  author: string;
  bot: boolean;
  /** The pull or merge request it is on. */
  on: string;
}

export interface TokenSpec {
  /** Who posts with it: a login (GitHub) or a user id (GitLab). */
  readonly author: string;
  /** GitHub: an app's account (github-actions[bot]). */
  readonly bot?: boolean;
  /** Reads only: writes get 403 (a fork's workflow token; a GitLab job token). */
  readonly readOnly?: boolean;
  /** GET /user answers 403 (a workflow's installation token). */
  readonly noUser?: boolean;
}

export interface ForgeServer {
  /** http://127.0.0.1:PORT (GitHub's API root; GitLab's is `${url}/api/v4`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly comments: StoredComment[];
  /** A comment someone else wrote. */
  seed(comment: Omit<StoredComment, 'id'>): StoredComment;
  close(): Promise<void>;
}

const PAGE = /[?&]page=(\d+)/;
const PER_PAGE = /[?&]per_page=(\d+)/;

/** Start the server; `tokens` are the only credentials it accepts. */
export async function startForgeServer(tokens: Readonly<Record<string, TokenSpec>>): Promise<ForgeServer> {
  const requests: RecordedRequest[] = [];
  const comments: StoredComment[] = [];
  let next = 1000;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const gitlab = path.startsWith('/api/v4/');
      const token = gitlab ? String(req.headers['private-token'] ?? '') : String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const who = tokens[token];
      if (!who) return send(401, { message: gitlab ? '401 Unauthorized' : 'Bad credentials' });
      const forbidden = () => send(403, { message: gitlab ? '403 Forbidden' : 'Resource not accessible by integration' });
      const route = path.replace(/\?.*$/, '');
      const shown = (c: StoredComment) =>
        gitlab
          ? { id: c.id, body: c.body, system: false, author: { id: Number(c.author) } }
          : { id: c.id, body: c.body, html_url: `https://github.example/${c.on}#issuecomment-${c.id}`, user: { login: c.author, type: c.bot ? 'Bot' : 'User' } };
      if (route === '/user' || route === '/api/v4/user') {
        if (who.noUser) return send(403, { message: 'Resource not accessible by integration' });
        return send(200, gitlab ? { id: Number(who.author) } : { login: who.author });
      }
      const list = /^(?:\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments|\/api\/v4\/projects\/\d+\/merge_requests\/(\d+)\/notes)$/.exec(route);
      if (list) {
        const on = list[1] ?? list[2]!;
        if (req.method === 'GET') {
          const page = Number(PAGE.exec(path)?.[1] ?? 1);
          const perPage = Number(PER_PAGE.exec(path)?.[1] ?? 30);
          const all = comments.filter((c) => c.on === on);
          return send(200, all.slice((page - 1) * perPage, page * perPage).map(shown));
        }
        if (req.method === 'POST') {
          if (who.readOnly) return forbidden();
          const comment = { id: next++, body: (JSON.parse(body) as { body: string }).body, author: who.author, bot: who.bot ?? false, on };
          comments.push(comment);
          return send(201, shown(comment));
        }
      }
      const one = /^(?:\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)|\/api\/v4\/projects\/\d+\/merge_requests\/\d+\/notes\/(\d+))$/.exec(route);
      if (one && (req.method === 'PATCH' || req.method === 'PUT')) {
        const comment = comments.find((c) => c.id === Number(one[1] ?? one[2]));
        if (!comment) return send(404, { message: 'Not Found' });
        if (who.readOnly || comment.author !== who.author) return forbidden();
        comment.body = (JSON.parse(body) as { body: string }).body;
        return send(200, shown(comment));
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    seed(comment) {
      const stored = { ...comment, id: next++ };
      comments.push(stored);
      return stored;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
