// A session service on node's http module with logfmt logs, used to make real Node.js logs.
// argv: port  env MODE: good | crash (v2 reads a missing profile field in an async
// handler; the unhandled promise rejection kills the process).
'use strict';
const http = require('http');
const crypto = require('crypto');

const port = Number(process.argv[2]);
const mode = process.env.MODE || 'good';
const version = process.env.APP_VERSION || '3.1.0';

function logfmt(level, msg, fields) {
  const parts = [`ts=${new Date().toISOString()}`, `level=${level}`, `msg="${msg}"`];
  for (const [k, v] of Object.entries(fields || {})) parts.push(`${k}=${v}`);
  process.stdout.write(parts.join(' ') + '\n');
}

const profiles = new Map();
for (let i = 0; i < 40; i++) if (i % 5 !== 0) profiles.set(String(i), { name: `user${i}`, prefs: { theme: 'dark' } });

async function loadSession(id) {
  await new Promise((r) => setTimeout(r, 2));
  const profile = profiles.get(id);
  if (mode === 'crash') return { id, theme: profile.prefs.theme };
  return { id, theme: profile ? profile.prefs.theme : 'light' };
}

const server = http.createServer((req, res) => {
  const start = process.hrtime.bigint();
  const reqId = crypto.randomBytes(6).toString('hex');
  const done = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    logfmt(status >= 500 ? 'error' : 'info', 'request', {
      method: req.method, path: req.url, status, duration_ms: ms.toFixed(2), req_id: reqId,
    });
  };
  if (req.url.startsWith('/session/')) {
    const id = req.url.split('/')[2];
    loadSession(id).then((s) => done(200, s)); // no catch: a rejection is unhandled
  } else if (req.url === '/healthz') {
    done(200, { ok: true });
  } else {
    done(404, { error: 'not found' });
  }
});

// v3.3 sizes its token buffer with the deprecated Buffer() constructor: node warns once, harmlessly.
const tokenBuffer = version.startsWith('3.3') ? new Buffer(16) : Buffer.alloc(16);
tokenBuffer.fill(0);

server.listen(port, '127.0.0.1', () => logfmt('info', 'session service listening', { port, version }));
process.on('SIGTERM', () => {
  logfmt('info', 'shutting down', { signal: 'SIGTERM' });
  server.close(() => process.exit(0));
});
